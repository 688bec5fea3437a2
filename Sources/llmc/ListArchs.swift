import ArgumentParser
import Frontend

/// `llmc list-archs`: the supported architectures, by family.
struct ListArchs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-archs", abstract: "List the supported architectures.")

    func run() {
        for recipe in RecipeRegistry.recipes {
            for name in recipe.architectures { print("\(name)\t\(recipe.family)") }
        }
    }
}
