import ArgumentParser

/// The `llmc` command: compile Hugging Face models into standalone executables.
@main
struct LLMC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmc",
        abstract: "Ahead-of-time compiler: turns a Hugging Face model directory into one fast, standalone executable.",
        subcommands: [Accuracy.self, Compile.self, Conformance.self, Inspect.self, ListArchs.self]
    )
}
