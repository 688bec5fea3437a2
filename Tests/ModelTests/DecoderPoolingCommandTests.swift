import Foundation
import XCTest
@testable import llmc

/// Produced binaries of decoders used as pooling models: a last-token embedder and process reward models (STEP
/// pooling over a value head and over LM logits), compared with transformers' outputs in expected.json.
final class DecoderPoolingCommandTests: XCTestCase {
    private let corpus = Tools.repository.appendingPathComponent("golden/corpus")

    private func compiled(_ name: String, _ flags: [String] = []) throws -> String {
        let directory = try Tools.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("\(name).bin")
        try Tools.compile(corpus.appendingPathComponent(name), to: binary, extra: flags)
        return binary.path
    }

    private func jsonLines(_ run: Subprocess.Result) throws -> [[String: Any]] {
        XCTAssertEqual(run.status, 0, run.stderr)
        return try String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    private struct Expected: Decodable {
        var input_ids: [[Int]]
        var step_scores: [[Double]]?
        var pooled: [Double]?
    }

    private func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: corpus.appendingPathComponent("\(name)/expected.json")))
    }

    private func ids(_ values: [Int]) -> String { values.map(String.init).joined(separator: ",") }

    func testLastTokenEmbedderMatchesTransformersAndRefusesOtherTasks() throws {
        let binary = try compiled("qwen3_model")
        let want = try expected("qwen3_model")
        let lines = try jsonLines(try Tools.run(binary, ["embed", "--json", "--prompt-ids", ids(want.input_ids[0]),
                                                         "--prompt-ids", "1,2,3"]))
        XCTAssertEqual(lines.count, 2)
        let embedding = try XCTUnwrap(lines[0]["embedding"] as? [Double])
        let pooled = try XCTUnwrap(want.pooled)
        XCTAssertEqual(embedding.count, pooled.count)
        XCTAssertGreaterThan(cosine(embedding, pooled), 0.9999)
        // Packed with another sequence or alone, the same vector (up to the matmul's summation order).
        let alone = try jsonLines(try Tools.run(binary, ["embed", "--json", "--prompt-ids", "1,2,3"]))
        let single = try XCTUnwrap(alone[0]["embedding"] as? [Double]), batched = try XCTUnwrap(lines[1]["embedding"] as? [Double])
        XCTAssertEqual(single.count, batched.count)
        for (a, b) in zip(single, batched) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let run = try Tools.run(binary, ["reward", "--prompt-ids", "1,2"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("not reward"), run.stderr)
    }

    /// Step probabilities at the step tags: Qwen2.5-Math-PRM's two-class head, and math-shepherd's LM logits of the
    /// returned ids.
    func testProcessRewardsAtStepTags() throws {
        for (name, flags) in [("qwen2_for_process_reward_model", ["--step-tag-id", "200"]),
                              ("llama_for_causal_lm_prm", ["--pooling", "step", "--step-tag-id", "200", "--returned-token-ids", "7,9"])] {
            let want = try expected(name)
            let lines = try jsonLines(try Tools.run(try compiled(name, flags), ["reward", "--json", "--prompt-ids", ids(want.input_ids[0])]))
            let steps = try XCTUnwrap(lines.first?["reward"] as? [[Double]], name)
            let scores = try XCTUnwrap(want.step_scores)
            XCTAssertEqual(steps.count, scores.count, name)
            for (got, expected) in zip(steps, scores) {
                XCTAssertEqual(got.count, expected.count, name)
                for (a, b) in zip(got, expected) { XCTAssertEqual(a, b, accuracy: 1e-5, name) }
            }
        }
    }

    /// Without a step tag every token is a step (vLLM's STEP pooling).
    func testEveryTokenIsAStepWithoutTag() throws {
        let binary = try compiled("qwen2_for_process_reward_model")
        let lines = try jsonLines(try Tools.run(binary, ["reward", "--json", "--prompt-ids", "5,6,7,8,9"]))
        let steps = try XCTUnwrap(lines.first?["reward"] as? [[Double]])
        XCTAssertEqual(steps.count, 5)
        for step in steps { XCTAssertEqual(step.reduce(0, +), 1, accuracy: 1e-5) }
    }
}
