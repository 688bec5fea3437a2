import ArgumentParser
import Foundation
import Frontend
import IR
import Passes

/// `llmc inspect <model>`: the graph llmc builds for a model, after optimisation, with its parameter count.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the graph and parameter count of a model.")

    @Argument(help: "A Hugging Face model directory, or a repo id in the offline Hugging Face cache.")
    var model: String

    @Flag(help: "Show the graph as the recipe built it, before the optimisation passes.")
    var unoptimized = false

    func run() throws {
        try reportingErrors {
            let url = try ModelDirectory.locate(model)
            let directory = try ModelDirectory(url: url)
            let recipe = try RecipeRegistry.recipe(for: directory)
            var graph = try recipe.build(directory, checkpoint: try Checkpoint(directory: url))
            if !unoptimized { graph = Pipeline.standard.run(graph) }
            print(graph.dump())
            print("architecture: \(directory.architecture) (\(recipe.family))")
            print("parameters: \(graph.parameterCount)")
        }
    }
}

/// Runs `body`, printing any error as one line on stderr and exiting with status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
