import ArgumentParser
import Codegen
import Foundation

/// `llmc accuracy <model>`: how closely each precision follows f32 (teacher-forced top-1 agreement and perplexity).
struct Accuracy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure each precision of a model against its f32 build: top-1 agreement and perplexity.",
        discussion: """
            The f32 binary generates --gen greedy tokens after each prompt; every other binary is fed the same prompt \
            and continuation (prompt prefilled, continuation one decode step per token, through the binary's `score-tokens` \
            command) and its argmax at each continuation position is compared with f32's token. Perplexity is taken \
            over the first --tokens tokens of --text, in chunks of --chunk tokens. Binaries are compiled from the \
            model with default per-tensor precisions unless given with --binary.
            """)

    /// Prompts of the agreement measurement (the golden SmolLM2 prompts: prose, code, a story).
    static let defaultPrompts = ["The capital of France is", "def fibonacci(n):", "Once upon a time"]

    @Argument(help: "A Hugging Face model directory, or a repo id (ORG/NAME) in the offline Hugging Face cache.")
    var model: String

    @Option(help: "Comma-separated precisions to compare with f32 (\(Compile.formats.map(\.rawValue).joined(separator: ", "))).")
    var dtypes = "bf16,int8,int4"

    @Option(help: "LABEL=PATH: use this binary for LABEL (f32 is the reference) instead of compiling; a LABEL that is not in --dtypes adds a row.")
    var binary: [String] = []

    @Option(help: "Text whose perplexity is measured.")
    var text = "/usr/share/common-licenses/GPL-3"

    @Option(help: "Tokens of --text to score.")
    var tokens = 1024

    @Option(help: "Tokens per perplexity chunk (each chunk starts a fresh context).")
    var chunk = 512

    @Option(help: "Greedy tokens the f32 binary generates after each prompt.")
    var gen = 128

    @Option(help: "A prompt of the agreement measurement (repeatable; default: three built-in prompts).")
    var prompt: [String] = []

    @Option(help: "Instruction set to compile for.")
    var target = "native"

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        for dtype in requestedDtypes { _ = try Compile.format(dtype, option: "--dtypes") }
        for entry in binary where Self.labelled(entry) == nil {
            throw ValidationError("--binary expects LABEL=PATH, got '\(entry)'")
        }
        guard tokens >= 2 else { throw ValidationError("--tokens must be at least 2") }
        guard chunk >= 2 else { throw ValidationError("--chunk must be at least 2") }
        guard gen >= 1 else { throw ValidationError("--gen must be at least 1") }
        guard TargetSpec.knownNames.contains(target) else {
            throw ValidationError("unknown --target '\(target)'; expected one of \(TargetSpec.knownNames.joined(separator: ", "))")
        }
    }

    private var requestedDtypes: [String] {
        dtypes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "f32" }
    }

    private static func labelled(_ entry: String) -> (label: String, path: String)? {
        guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex, entry.index(after: equals) != entry.endIndex
        else { return nil }
        return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
    }

    func run() throws {
        try reportingErrors {
            let given = Dictionary(binary.compactMap(Self.labelled), uniquingKeysWith: { $1 })
            let labels = requestedDtypes + given.keys.filter { $0 != "f32" && !requestedDtypes.contains($0) }.sorted()
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("llmc-accuracy-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            func path(for label: String) throws -> String {
                if let path = given[label] { return path }
                let output = work.appendingPathComponent("\(label).bin").path
                log("compiling \(label)")
                _ = try ModelCompiler(model: model, output: output, target: try TargetSpec.named(target),
                                      precision: WeightPrecision(dtype: try Compile.format(label, option: "--dtypes")),
                                      kvDtype: .f32, maxBatch: 512, progress: Progress(quiet: true)).run()
                return output
            }
            let textContents: String
            do {
                textContents = try String(contentsOfFile: text, encoding: .utf8)
            } catch {
                throw AccuracyError.unreadableText(path: text, reason: error.localizedDescription)
            }
            let harness = AccuracyHarness(prompts: prompt.isEmpty ? Self.defaultPrompts : prompt, generated: gen,
                                          text: textContents, textTokens: tokens, chunk: chunk)
            let referenceBinary = try path(for: "f32")
            log("running the f32 reference")
            let reference = try harness.reference(binary: referenceBinary)
            var rows = [try harness.measure(label: "f32", binary: referenceBinary, reference: reference, isReference: true)]
            for label in labels {
                let binary = try path(for: label)
                log("scoring \(label)")
                rows.append(try harness.measure(label: label, binary: binary, reference: reference))
            }
            let report = AccuracyReport(text: text, tokens: tokens, chunk: chunk, prompts: harness.prompts.count,
                                        generated: gen, rows: rows)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.table)
            }
        }
    }

    private func log(_ message: String) {
        if !json { FileHandle.standardError.write(Data("\(message)\n".utf8)) }
    }
}

/// The results of `llmc accuracy`: one row per binary, the f32 reference first.
struct AccuracyReport: Encodable {
    var text: String
    var tokens: Int
    var chunk: Int
    var prompts: Int
    var generated: Int
    var rows: [AccuracyHarness.Measurement]

    /// Perplexity change of a row relative to the reference, in percent.
    func perplexityChange(_ row: AccuracyHarness.Measurement) -> Double {
        guard let reference = rows.first else { return 0 }
        return (row.perplexity / reference.perplexity - 1) * 100
    }

    var table: String {
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + fill : fill + text
        }
        var lines = [pad("precision", 12, left: true) + pad("top-1 agreement", 22) + pad("perplexity", 12) + pad("vs f32", 10)]
        for row in rows {
            let agreement = if let fraction = row.agreement, let agreeing = row.agreeing, let positions = row.positions {
                String(format: "%.2f%% (%d/%d)", fraction * 100, agreeing, positions)
            } else {
                "reference"
            }
            lines.append(pad(row.label, 12, left: true) + pad(agreement, 22) + pad(String(format: "%.4f", row.perplexity), 12)
                         + pad(String(format: "%+.2f%%", perplexityChange(row)), 10))
        }
        lines.append("agreement over \(prompts) prompts × \(generated) tokens; perplexity over \(tokens) tokens of \(text) "
                     + "in chunks of \(chunk)")
        return lines.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey { case text, tokens, chunk, prompts, generated, rows }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(chunk, forKey: .chunk)
        try c.encode(prompts, forKey: .prompts)
        try c.encode(generated, forKey: .generated)
        struct Row: Encodable {
            var measurement: AccuracyHarness.Measurement
            var change: Double
            enum Keys: String, CodingKey { case perplexity_change_percent }
            func encode(to encoder: Encoder) throws {
                try measurement.encode(to: encoder)
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(change, forKey: .perplexity_change_percent)
            }
        }
        try c.encode(rows.map { Row(measurement: $0, change: perplexityChange($0)) }, forKey: .rows)
    }
}
