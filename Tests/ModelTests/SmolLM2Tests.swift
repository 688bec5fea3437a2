import Foundation
import XCTest
@testable import llmc

/// SmolLM2-135M-Instruct (a real model, prepared by scripts/prepare_smollm2.py into `$LLMC_SMOLLM2`), compiled at f32
/// and bf16, against transformers' greedy outputs in golden/smollm2.
final class SmolLM2Tests: XCTestCase {
    struct Suite: Decodable {
        var weights_sha256: String
        var cases: [Case]
    }

    struct Case: Decodable {
        var prompt: String
        var prompt_ids: [Int]
        var output_ids: [Int]
        var top_logprobs: [[[Double]]]
        var text_skip_special: String?
    }

    /// How a produced binary is compared with one expectation file.
    enum Rule {
        /// Same greedy ids and the same decoded text.
        case exact
        /// vLLM's rule: equal ids, or at the first divergence each side's token in the other's top-5.
        case topFive
    }

    /// Compiles SmolLM2 at `dtype` (and `kvDtype` for the KV cache) and checks it against each (expectation file, rule).
    private func check(dtype: String, kvDtype: String = "f32", against files: [(String, Rule)]) throws {
        guard let modelPath = ProcessInfo.processInfo.environment["LLMC_SMOLLM2"] else {
            throw XCTSkip("set LLMC_SMOLLM2 to the directory made by scripts/prepare_smollm2.py (scripts/test.sh does)")
        }
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("smollm2-\(dtype)-kv\(kvDtype).bin")
        try Tools.compile(URL(fileURLWithPath: modelPath), to: binary, extra: ["--dtype", dtype, "--kv-dtype", kvDtype])
        let info = try Tools.run(binary.path, ["info", "--json"])
        let facts = try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any]
        XCTAssertEqual(facts?["kv_dtype"] as? String, kvDtype, "info --json reports the KV cache precision")
        for (file, rule) in files {
            let suite = try JSONDecoder().decode(Suite.self, from: Data(contentsOf: Tools.repository
                .appendingPathComponent("golden/smollm2/\(file)")))
            for c in suite.cases {
                let result = try Tools.run(binary.path, ["-p", c.prompt, "-n", "\(c.output_ids.count)", "--temperature", "0",
                                                         "--ignore-eos", "--json", "--logprobs", "5"])
                XCTAssertEqual(result.status, 0, result.stderr)
                guard result.status == 0 else { continue }
                let produced = try JSONDecoder().decode(ProducedGeneration.self, from: result.stdout)
                XCTAssertEqual(produced.prompt_ids, c.prompt_ids, "tokenization of \(c.prompt)")
                switch rule {
                case .exact:
                    XCTAssertEqual(produced.output_ids, c.output_ids, "\(dtype) vs \(file): greedy ids for \(c.prompt)")
                    XCTAssertEqual(produced.text, c.text_skip_special, "\(dtype) vs \(file): decoded text for \(c.prompt)")
                case .topFive:
                    let expected = ExpectedGeneration(prompt_ids: c.prompt_ids, output_ids: c.output_ids, top_logprobs: c.top_logprobs)
                    if let failure = generationMismatch(expected: expected, produced: produced) {
                        XCTFail("\(dtype) vs \(file), \(c.prompt): \(failure)")
                    }
                }
            }
        }
    }

    func testF32MatchesTransformersExactly() throws {
        try check(dtype: "f32", against: [("expected_f32.json", .exact)])
    }

    /// Against transformers in bf16 (activations too) by the top-5 rule, and exactly against transformers with
    /// bf16-rounded weights and f32 compute, which is what llmc's bf16 does.
    func testBF16MatchesTransformers() throws {
        try check(dtype: "bf16", against: [("expected_bf16.json", .topFive), ("expected_bf16w.json", .exact)])
    }

    /// Quantized weights (issue 5 tracks the accuracy bars): greedy output still follows transformers' f32 run by
    /// vLLM's top-5 rule.
    func testInt8FollowsTransformersUnderTopFiveRule() throws {
        try check(dtype: "int8", against: [("expected_f32.json", .topFive)])
    }

    func testInt4FollowsTransformersUnderTopFiveRule() throws {
        try check(dtype: "int4", against: [("expected_f32.json", .topFive)])
    }

    /// A reduced-precision KV cache (f32 weights, so only the cache differs from the exact f32 run) still follows
    /// transformers' f32 greedy output by the top-5 rule.
    func testBF16KVCacheFollowsTransformersUnderTopFiveRule() throws {
        try check(dtype: "f32", kvDtype: "bf16", against: [("expected_f32.json", .topFive)])
    }

    func testInt8KVCacheFollowsTransformersUnderTopFiveRule() throws {
        try check(dtype: "f32", kvDtype: "int8", against: [("expected_f32.json", .topFive)])
    }
}
