import ArgumentParser
import Foundation

/// `llmc conformance <dir>`: every golden case compiled and checked against what transformers produced.
struct Conformance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile and check every golden case (a folder with config.json and expected.json) below a directory.",
        discussion: """
            Rule for generative cases: greedy ids equal to transformers', or at the first divergence each side's token \
            in the other's top-5 (vLLM's rule); at f32 also last-position logits NMSE <= 1e-4. Pooling cases (embed, \
            classify, score, reward, token_classify) run every sequence of the batch: hidden states, logits and token \
            logits NMSE <= 1e-4, embedding cosine >= 0.9999 at f32 (2e-2 / 0.99 otherwise). Compiled executables are \
            cached and reused while the model files and this llmc are unchanged. Exits 1 when a case fails.
            """)

    @Argument(help: "Directory to search for cases (e.g. golden).")
    var directory: String

    @Option(help: "Weight precision to compile with (f32 checks logits NMSE too; the others greedy ids by the top-5 rule).")
    var dtype = "f32"

    @Option(help: "Instruction set to compile for.")
    var target = "native"

    @Option(help: "Cases compiled and run at the same time (default: number of CPUs).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seconds a case's compile or run may take before it counts as failed.")
    var timeout = 300.0

    @Option(help: "Folder of cached executables (default ~/.cache/llmc/conformance).")
    var cache: String?

    @Option(help: "Also write the results as a Markdown table (docs/SUPPORTED_MODELS.md).")
    var markdown: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard Compile.formats.map(\.rawValue).contains(dtype) else { throw ValidationError("unknown --dtype '\(dtype)'") }
    }

    func run() throws {
        var failed = false
        try reportingErrors {
            let root = URL(fileURLWithPath: directory)
            let cases = try ConformanceCase.discover(in: root)
            guard !cases.isEmpty else { throw ValidationError("no cases (folders with config.json and expected.json) below \(directory)") }
            let cacheURL = cache.map { URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/llmc/conformance")
            let runner = ConformanceRunner(dtype: dtype, target: target, jobs: jobs, timeout: timeout, cache: cacheURL)
            let lock = NSLock()
            let results = try runner.run(cases) { result in
                guard !json else { return }
                lock.lock()
                print(row(result))
                lock.unlock()
            }
            let summary = ConformanceSummary(results: results)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.line)
            }
            if let markdown {
                let examples = try? JSONDecoder().decode([String: [String]].self,
                                                         from: Data(contentsOf: root.appendingPathComponent("EXAMPLES.json")))
                try summary.markdown(dtype: dtype, examples: examples ?? [:]).write(toFile: markdown, atomically: true, encoding: .utf8)
            }
            failed = summary.failed > 0
        }
        if failed { throw ExitCode(1) }
    }

    private func row(_ r: ConformanceResult) -> String {
        let status = switch r.status {
        case .pass: "pass"
        case .fail: "FAIL"
        case .unsupported: "unsupported"
        }
        let detail = r.detail.isEmpty ? "" : "  \(r.detail)"
        return "\(pad(r.name, 40)) \(pad(r.architecture, 40)) \(pad(r.family, 3)) \(status)\(detail)"
    }

    /// `text` followed by spaces up to `width` (never cut: names must stay whole).
    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

/// Counts and the documents made from a conformance run.
struct ConformanceSummary: Encodable {
    var results: [ConformanceResult]
    var passed: Int
    var failed: Int
    var unsupported: Int

    init(results: [ConformanceResult]) {
        self.results = results
        passed = results.filter { $0.status == .pass }.count
        failed = results.filter { $0.status == .fail }.count
        unsupported = results.filter { $0.status == .unsupported }.count
    }

    /// The closing line: `N passed, M failed, K unsupported`.
    var line: String { "\(passed) passed, \(failed) failed, \(unsupported) unsupported" }

    /// The report, with example checkpoints per architecture from `examples` (golden/EXAMPLES.json).
    func markdown(dtype: String, examples: [String: [String]]) -> String {
        var lines = [
            "# Supported models",
            "",
            "Generated by `llmc conformance golden --markdown docs/SUPPORTED_MODELS.md` (\(dtype)); do not edit by hand.",
            "Each case is a tiny random-weight model whose outputs transformers produced (golden/); `pass` means llmc's",
            "compiled executable reproduces them (greedy ids, or vLLM's top-5 rule at the first divergence; logits NMSE ≤ 1e-4;",
            "pooling tasks: hidden states, logits and token logits NMSE ≤ 1e-4, embeddings cosine ≥ 0.9999 for every sequence).",
            "Example checkpoints are those vLLM's supported-models table lists for the architecture (golden/EXAMPLES.json).",
            "",
            "**\(line)**",
            "",
            "| case | architecture | family | task | status | detail | example checkpoints |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in results {
            // An unknown architecture's error lists every supported one (`llmc list-archs`); the table keeps the cause.
            let cause = r.detail.components(separatedBy: "; supported: ").first ?? r.detail
            let detail = cause.replacingOccurrences(of: "|", with: "\\|")
            let models = (examples[r.architecture] ?? []).map { "`\($0)`" }.joined(separator: ", ")
            lines.append("| \(r.name) | \(r.architecture) | \(r.family) | \(r.task) | \(r.status.rawValue) | \(detail) | \(models) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
