import Codegen
import Foundation

/// Compiles every golden case with this very `llmc` (reusing cached executables when the model files and the compiler
/// are unchanged), runs it through the produced binary's `--json` interface, and judges it.
struct ConformanceRunner {
    var dtype: String
    var target: String
    var jobs: Int
    var timeout: TimeInterval
    var cache: URL

    /// This executable, which compiles the cases.
    private let compiler = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

    func run(_ cases: [ConformanceCase], progress: @escaping @Sendable (ConformanceResult) -> Void) throws -> [ConformanceResult] {
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        var hasher = FNV1a()
        hasher.combine(try Data(contentsOf: URL(fileURLWithPath: compiler)))
        let compilerHash = hasher.hex
        let results = Results(count: cases.count)
        let next = Counter()
        let workers = max(1, min(jobs, cases.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = next.take(below: cases.count) {
                let result = judge(cases[index], compilerHash: compilerHash)
                results.set(index, result)
                progress(result)
            }
        }
        return results.all
    }

    private func judge(_ c: ConformanceCase, compilerHash: String) -> ConformanceResult {
        let start = Date()
        func result(_ status: ConformanceResult.Status, _ detail: String) -> ConformanceResult {
            ConformanceResult(name: c.name, architecture: c.architecture, family: c.family, task: c.task, status: status,
                              detail: detail, seconds: Date().timeIntervalSince(start))
        }
        if let unreadable = c.unreadable { return result(.fail, unreadable) }
        guard c.task == "generate" else { return judgePooling(c, compilerHash: compilerHash, result) }
        do {
            let binary: String
            switch try compiled(c, compilerHash: compilerHash) {
            case .success(let path): binary = path
            case .failure(let verdict): return result(verdict.status, verdict.detail)
            }
            let expectedURL = c.directory.appendingPathComponent("expected.json")
            guard let expected = try? JSONDecoder().decode(ExpectedGeneration.self, from: Data(contentsOf: expectedURL)) else {
                return result(.fail, "\(expectedURL.path): no prompt_ids/output_ids/top_logprobs for a generate case")
            }
            let run = try Subprocess.run(binary, [
                "--prompt-ids", expected.prompt_ids.map(String.init).joined(separator: ","),
                "-n", "\(expected.output_ids.count)", "--temperature", "0", "--ignore-eos", "--json", "--logprobs", "5", "--logits",
            ], timeout: timeout)
            guard !run.timedOut else { return result(.fail, "generation timed out after \(Int(timeout)) s") }
            guard run.status == 0 else { return result(.fail, "generation failed: \(firstLine(run.stderr))") }
            let produced = try JSONDecoder().decode(ProducedGeneration.self, from: run.stdout)
            let bound: Double? = dtype == "f32" ? 1e-4 : nil
            if let mismatch = generationMismatch(expected: expected, produced: produced, nmseBound: bound) {
                return result(.fail, mismatch)
            }
            return result(.pass, "")
        } catch {
            return result(.fail, "\(error)")
        }
    }

    /// A pooling case: every sequence through the binary's task command (`--json --hidden --logits`), compared by
    /// `poolingMismatch`.
    private func judgePooling(_ c: ConformanceCase, compilerHash: String,
                              _ result: (ConformanceResult.Status, String) -> ConformanceResult) -> ConformanceResult {
        let expectedURL = c.directory.appendingPathComponent("expected.json")
        do {
            let expected: ExpectedPooling
            do {
                expected = try JSONDecoder().decode(ExpectedPooling.self, from: Data(contentsOf: expectedURL))
            } catch {
                return result(.fail, "\(expectedURL.path): not a pooling expectation (\(error))")
            }
            let binary: String
            switch try compiled(c, compilerHash: compilerHash, flags: expected.compileFlags) {
            case .success(let path): binary = path
            case .failure(let verdict): return result(verdict.status, verdict.detail)
            }
            let info = try Subprocess.run(binary, ["info", "--json"], timeout: timeout)
            guard info.status == 0, String(decoding: info.stdout, as: UTF8.self).contains("\"pooling\"") else {
                return result(.unsupported, "compiles as a generative model; its \(c.task) head is not implemented")
            }
            var arguments = [expected.command, "--json", "--hidden", "--logits"]
            for sequence in expected.sequences {
                arguments += ["--prompt-ids", sequence.ids.map(String.init).joined(separator: ",")]
                if let types = sequence.types { arguments += ["--token-types", types.map(String.init).joined(separator: ",")] }
            }
            let run = try Subprocess.run(binary, arguments, timeout: timeout)
            guard !run.timedOut else { return result(.fail, "\(expected.command) timed out after \(Int(timeout)) s") }
            guard run.status == 0 else { return result(.fail, "\(expected.command) failed: \(firstLine(run.stderr))") }
            let lines = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n")
            let produced = try lines.map { try JSONDecoder().decode(ProducedPooling.self, from: Data($0.utf8)) }
            if let mismatch = poolingMismatch(expected: expected, produced: produced, bounds: PoolingBounds(dtype: dtype)) {
                return result(.fail, mismatch)
            }
            return result(.pass, "")
        } catch {
            return result(.fail, "\(error)")
        }
    }

    private struct Verdict: Error {
        var status: ConformanceResult.Status
        var detail: String
    }

    /// The cached executable for a case, compiling it when the model files or the compiler changed.
    private func compiled(_ c: ConformanceCase, compilerHash: String, flags: [String] = []) throws -> Result<String, Verdict> {
        var hash = FNV1a()
        hash.combine("\(compilerHash) \(dtype) \(target) \(flags.joined(separator: " "))")
        let files = try FileManager.default.contentsOfDirectory(atPath: c.directory.path).sorted().filter { $0 != "expected.json" }
        for file in files {
            hash.combine(file)
            hash.combine(try Data(contentsOf: c.directory.appendingPathComponent(file)))
        }
        let path = cache.appendingPathComponent("\(c.name.replacingOccurrences(of: "/", with: "_"))-\(hash.hex)").path
        if FileManager.default.isExecutableFile(atPath: path) { return .success(path) }
        let run = try Subprocess.run(compiler, ["compile", c.directory.path, "-o", path, "--quiet", "--dtype", dtype,
                                                "--target", target] + flags, timeout: timeout)
        if run.timedOut { return .failure(Verdict(status: .fail, detail: "compile timed out after \(Int(timeout)) s")) }
        if run.crashed { return .failure(Verdict(status: .fail, detail: "compiler crashed: \(firstLine(run.stderr))")) }
        if run.status != 0 { return .failure(Verdict(status: .unsupported, detail: firstLine(run.stderr))) }
        return .success(path)
    }

    private func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? "(no message)"
        return line.hasPrefix("error: ") ? String(line.dropFirst(7)) : line
    }
}

/// Hands out indices to worker threads.
private final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// Results written by worker threads.
private final class Results: @unchecked Sendable {
    private var slots: [ConformanceResult?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: ConformanceResult) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    var all: [ConformanceResult] { slots.compactMap { $0 } }
}
