import Foundation
import Frontend
import XCTest
@testable import llmc

/// Produced binaries of the golden Mamba checkpoint, where the recurrent state crosses forward calls: a prompt
/// prefilled in chunks continues the state from chunk to chunk, and a last-token embedder's `encode` runs packed
/// sequences whose scans must restart at every sequence.
final class MambaCommandTests: XCTestCase {
    private struct Expected: Decodable {
        var prompt_ids: [Int]
        var output_ids: [Int]
        var last_logits: [Double]
    }

    private let model = Tools.repository.appendingPathComponent("golden/corpus/mamba_for_causal_lm")

    private func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))
    }

    private func compiled(_ flags: [String]) throws -> String {
        let directory = try Tools.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("mamba.bin")
        try Tools.compile(model, to: binary, extra: flags)
        return binary.path
    }

    /// 18 prompt tokens in forward calls of at most 4 (5 chunks), then decode steps: transformers' logits and ids.
    func testChunkedPrefillContinuesTheState() throws {
        let binary = try compiled(["--max-batch", "4"])
        let expected = try expected()
        let run = try Tools.run(binary, ["--prompt-ids", expected.prompt_ids.map(String.init).joined(separator: ","),
                                         "-n", "\(expected.output_ids.count)", "--temperature", "0", "--ignore-eos", "--json", "--logits"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        XCTAssertEqual(object["output_ids"] as? [Int], expected.output_ids)
        XCTAssertLessThan(nmse(try XCTUnwrap(object["last_logits"] as? [Double]), expected.last_logits), 1e-9)
    }

    /// The golden prompt, packed after another sequence, gives transformers' last-position logits through the tied
    /// embedding table; each sequence alone gives its packed vector.
    func testPackedSequencesRestartTheStateAndMatchTransformers() throws {
        let binary = try compiled(["--pooling", "last", "--normalize", "false"])
        let expected = try expected()

        let sequences = [[7, 9, 11], expected.prompt_ids, [5]]
        let arguments = sequences.flatMap { ["--prompt-ids", $0.map(String.init).joined(separator: ",")] }
        let packed = try embeddings(binary, arguments)
        XCTAssertEqual(packed.count, 3)

        let table = try Checkpoint(directory: model).floats("backbone.embeddings.weight")
        let width = packed[1].count
        let logits = (0..<expected.last_logits.count).map { row in
            (0..<width).reduce(0.0) { $0 + Double(table[row * width + $1]) * packed[1][$1] }
        }
        XCTAssertLessThan(nmse(logits, expected.last_logits), 1e-9, "logits of the packed golden prompt")

        for (index, sequence) in sequences.enumerated() {
            let alone = try embeddings(binary, ["--prompt-ids", sequence.map(String.init).joined(separator: ",")])
            XCTAssertEqual(alone.count, 1)
            for (a, b) in zip(alone[0], packed[index]) { XCTAssertEqual(a, b, accuracy: 1e-5, "sequence \(index)") }
        }
    }

    private func nmse(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / b.reduce(0.0) { $0 + $1 * $1 }
    }

    /// The `embedding` of every JSON line `embed --json` prints.
    private func embeddings(_ binary: String, _ arguments: [String]) throws -> [[Double]] {
        let run = try Tools.run(binary, ["embed", "--json"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").map { line in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try XCTUnwrap(object["embedding"] as? [Double])
        }
    }
}
