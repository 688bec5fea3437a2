import Foundation
import Frontend
import XCTest
@testable import llmc

/// A Mamba checkpoint compiled as a last-token embedder: `encode` runs packed sequences through the conv and scan
/// kernels, which must restart at every sequence. The golden prompt, packed after another sequence, gives
/// transformers' last-position logits through the tied embedding table; each sequence alone gives its packed vector.
final class MambaEncodeTests: XCTestCase {
    private struct Expected: Decodable {
        var prompt_ids: [Int]
        var last_logits: [Double]
    }

    func testPackedSequencesRestartTheStateAndMatchTransformers() throws {
        let model = Tools.repository.appendingPathComponent("golden/corpus/mamba_for_causal_lm")
        let directory = try Tools.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("mamba-embed.bin").path
        try Tools.compile(model, to: URL(fileURLWithPath: binary), extra: ["--pooling", "last", "--normalize", "false"])
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))

        let sequences = [[7, 9, 11], expected.prompt_ids, [5]]
        let arguments = sequences.flatMap { ["--prompt-ids", $0.map(String.init).joined(separator: ",")] }
        let packed = try embeddings(binary, arguments)
        XCTAssertEqual(packed.count, 3)

        let table = try Checkpoint(directory: model).floats("backbone.embeddings.weight")
        let width = packed[1].count
        let logits = (0..<expected.last_logits.count).map { row in
            (0..<width).reduce(0.0) { $0 + Double(table[row * width + $1]) * packed[1][$1] }
        }
        let error = zip(logits, expected.last_logits).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        XCTAssertLessThan(error / expected.last_logits.reduce(0.0) { $0 + $1 * $1 }, 1e-9, "logits of the packed golden prompt")

        for (index, sequence) in sequences.enumerated() {
            let alone = try embeddings(binary, ["--prompt-ids", sequence.map(String.init).joined(separator: ",")])
            XCTAssertEqual(alone.count, 1)
            for (a, b) in zip(alone[0], packed[index]) { XCTAssertEqual(a, b, accuracy: 1e-5, "sequence \(index)") }
        }
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
