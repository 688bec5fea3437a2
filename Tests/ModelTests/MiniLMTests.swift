import Foundation
import XCTest
@testable import llmc

/// sentence-transformers' all-MiniLM-L6-v2 (a real BERT embedder, prepared by scripts/prepare_minilm.py into
/// `$LLMC_MINILM`) against transformers' mean-pooled, normalised embeddings of 50 sentences (golden/minilm).
final class MiniLMTests: XCTestCase {
    struct Expected: Decodable {
        var sentences: [String]
        var input_ids: [[Int]]
        var embeddings_f32_base64: [String]

        /// Each sentence's reference embedding.
        func embeddings() throws -> [[Double]] {
            try embeddings_f32_base64.map { text in
                guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { throw CocoaError(.coderReadCorrupt) }
                return stride(from: 0, to: data.count, by: 4).map { offset in
                    Double(Float(bitPattern: data[offset..<offset + 4].enumerated()
                        .reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }))
                }
            }
        }
    }

    private struct Line: Decodable {
        var embedding: [Double]
    }

    private static let directory = try? Tools.temporaryDirectory()

    /// The model compiled once per set of compile flags for every test of the class (default: f32).
    private func binary(_ name: String = "minilm", flags: [String] = []) throws -> String {
        guard let modelPath = ProcessInfo.processInfo.environment["LLMC_MINILM"] else {
            throw XCTSkip("set LLMC_MINILM to the directory made by scripts/prepare_minilm.py (scripts/test.sh does)")
        }
        guard let directory = Self.directory else { throw XCTSkip("no temporary directory") }
        let binary = directory.appendingPathComponent(name + ".bin")
        if !FileManager.default.fileExists(atPath: binary.path) {
            try Tools.compile(URL(fileURLWithPath: modelPath), to: binary, extra: flags)
        }
        return binary.path
    }

    private func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Tools.repository.appendingPathComponent("golden/minilm/expected.json")))
    }

    private func embeddings(_ binary: String, _ arguments: [String]) throws -> [[Double]] {
        let run = try Tools.run(binary, ["embed", "--json"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try String(decoding: run.stdout, as: UTF8.self).split(separator: "\n")
            .map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)).embedding }
    }

    private func assertCosines(_ got: [[Double]], _ want: [[Double]], _ what: String) {
        XCTAssertEqual(got.count, want.count, what)
        for (index, (a, b)) in zip(got, want).enumerated() {
            XCTAssertGreaterThanOrEqual(cosine(a, b), 0.9999, "\(what): sentence \(index)")
        }
    }

    /// Text in, embeddings out: the sentences of one line each go through `--input` in one batched run, the others
    /// (with line breaks) through `-p`; every embedding within cosine 0.9999 of transformers'.
    func testFiftySentencesFromText() throws {
        let binary = try binary()
        let e = try expected()
        let want = try e.embeddings()
        let single = e.sentences.indices.filter { !e.sentences[$0].contains(where: \.isNewline) }
        let file = try Tools.temporaryDirectory().appendingPathComponent("sentences.txt")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try (single.map { e.sentences[$0] }.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        assertCosines(try embeddings(binary, ["--input", file.path]), single.map { want[$0] }, "--input")
        for index in e.sentences.indices where !single.contains(index) {
            assertCosines(try embeddings(binary, ["-p", e.sentences[index]]), [want[index]], "-p sentence \(index)")
        }
    }

    /// Token ids in (transformers' tokenization), all 50 sequences in one packed run.
    func testFiftySentencesFromIDs() throws {
        let binary = try binary()
        let e = try expected()
        let arguments = e.input_ids.flatMap { ["--prompt-ids", $0.map(String.init).joined(separator: ",")] }
        assertCosines(try embeddings(binary, arguments), try e.embeddings(), "--prompt-ids")
    }

    /// The configuration of the throughput benchmark (docs/PERFORMANCE.md): bf16 weights with bf16 compute
    /// (`vdpbf16ps` prefill GEMMs, activations rounded to bf16) still embeds all 50 packed sequences within cosine
    /// 0.9999 of transformers' f32 embeddings.
    func testFiftySentencesWithBF16Compute() throws {
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("flags") }
        guard let flags, flags.split(separator: " ").contains("avx512_bf16") else {
            throw XCTSkip("this CPU has no AVX-512 BF16, which x86-64-avx512-bf16 binaries require")
        }
        let binary = try binary("minilm-bf16", flags: ["--dtype", "bf16", "--target", "x86-64-avx512-bf16"])
        let e = try expected()
        let arguments = e.input_ids.flatMap { ["--prompt-ids", $0.map(String.init).joined(separator: ",")] }
        assertCosines(try embeddings(binary, arguments), try e.embeddings(), "bf16 compute, --prompt-ids")
    }

    /// MODELS.md's sanity facts: related sentences score high, unrelated low (cosine of normalised embeddings).
    func testScoreOfSentencePairs() throws {
        let binary = try binary()
        func score(_ doc: String) throws -> Double {
            let run = try Tools.run(binary, ["score", "--query", "A man is eating food.", "--doc", doc, "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let object = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Double]
            return object?["score"] ?? .nan
        }
        XCTAssertGreaterThan(try score("A man is eating a piece of bread."), 0.6)
        XCTAssertLessThan(try score("The new movie is awesome."), 0.2)
    }
}
