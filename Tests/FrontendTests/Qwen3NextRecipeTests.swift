import Foundation
import XCTest
@testable import Frontend
import IR

/// Family K3 (Qwen3-Next): the corpus case builds reading every checkpoint tensor, lays out Gated DeltaNet and gated
/// attention layers as `layer_types` says, and its graph, run by `ReferenceEvaluator`, reproduces transformers'
/// last-position logits (transformers runs the chunked delta rule, the graph the sequential one); config defaults
/// and errors.
final class Qwen3NextRecipeTests: XCTestCase {
    func testCorpusCaseMatchesTransformers() throws {
        let next = try CorpusRecipeCase("qwen3_next_for_causal_lm")
        next.assertReadsEveryTensor()
        // Layer 0: Gated DeltaNet; layer 1: attention (one KV slot); experts in both.
        XCTAssertEqual(next.graph.info.kvWidths, [32])
        XCTAssertEqual(next.count("gated_delta_rule"), 1)
        XCTAssertEqual(next.count("causal_conv1d"), 1)
        XCTAssertEqual(next.count("attention"), 1)
        XCTAssertEqual(next.count("moe_top2_of4"), 2)
        try next.assertMatchesTransformers()
    }

    func testConfigDefaultsAndErrors() throws {
        func decode(_ extra: String, experts: Int = 8) throws -> Qwen3NextConfig {
            let json = #"{"hidden_size": 64, "num_hidden_layers": 8, "vocab_size": 50, "num_attention_heads": 4, "intermediate_size": 96, "#
                + #""num_experts_per_tok": 2, "num_experts": "# + "\(experts)" + extra + "}"
            return try ConfigDecoding.decode(Qwen3NextConfig.self, from: Data(json.utf8), file: "config.json")
        }
        let defaults = try decode("")
        XCTAssertEqual(defaults.attentionLayers, (0..<8).map { $0 % 4 == 3 })
        XCTAssertEqual(defaults.headDim, 256)
        XCTAssertEqual(defaults.kvHeads, 2)
        XCTAssertEqual(defaults.rope.rotaryDim(headDim: 256), 64)
        XCTAssertEqual(defaults.linear, GatedDeltaNetShape(keyHeads: 16, valueHeads: 32, keyDim: 128, valueDim: 128, convKernel: 4))
        XCTAssertEqual(defaults.moe?.experts, 8)
        XCTAssertEqual(try decode(#", "full_attention_interval": 2"#).attentionLayers, (0..<8).map { $0 % 2 == 1 })
        XCTAssertNil(try decode("", experts: 0).moe)
        for (extra, key) in [(#", "layer_types": ["linear_attention"]"#, "layer_types"),
                             (#", "linear_num_key_heads": 3, "linear_num_value_heads": 4"#, "linear_num_value_heads"),
                             (#", "linear_conv_kernel_dim": 1"#, "linear_conv_kernel_dim"), (#", "hidden_act": "gelu""#, "hidden_act")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
    }
}
