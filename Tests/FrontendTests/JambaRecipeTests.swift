import Foundation
import XCTest
@testable import Frontend
import IR

/// Family K2 (Jamba): the corpus case builds reading every checkpoint tensor, lays out its layers as the config's
/// periods say, and its graph, run by `ReferenceEvaluator`, reproduces transformers' last-position logits; config
/// defaults and errors.
final class JambaRecipeTests: XCTestCase {
    func testCorpusCaseMatchesTransformers() throws {
        let jamba = try CorpusRecipeCase("jamba_for_causal_lm")
        jamba.assertReadsEveryTensor()
        // Layer 0: Mamba mixer + dense MLP; layer 1: attention (one KV slot) + experts.
        XCTAssertEqual(jamba.graph.info.kvWidths, [16])
        XCTAssertEqual(jamba.count("selective_scan"), 1)
        XCTAssertEqual(jamba.count("attention"), 1)
        XCTAssertEqual(jamba.count("moe_top2_of4"), 1)
        try jamba.assertMatchesTransformers()
    }

    func testConfigDefaultsAndErrors() throws {
        func decode(_ extra: String) throws -> JambaConfig {
            let json = #"{"hidden_size": 40, "num_hidden_layers": 8, "vocab_size": 50, "num_attention_heads": 4, "intermediate_size": 64"#
                + extra + "}"
            return try ConfigDecoding.decode(JambaConfig.self, from: Data(json.utf8), file: "config.json")
        }
        let defaults = try decode("")
        XCTAssertEqual(defaults.attentionLayers, (0..<8).map { $0 == 4 })
        XCTAssertEqual(defaults.expertLayers, (0..<8).map { $0 % 2 == 1 })
        XCTAssertEqual(defaults.mixer, MambaMixerShape(hiddenSize: 40, intermediateSize: 80, stateSize: 16, convKernel: 4,
                                                       timeStepRank: 3, projectionBias: false, convBias: true, activation: .silu))
        XCTAssertEqual(try decode(#", "num_experts": 1"#).expertLayers, Array(repeating: false, count: 8))
        XCTAssertEqual(try decode(#", "mamba_dt_rank": 7, "mamba_expand": 3"#).mixer.timeStepRank, 7)
        for (extra, key) in [(#", "attn_layer_offset": 8"#, "attn_layer_offset"), (#", "expert_layer_period": 0"#, "expert_layer_period"),
                             (#", "num_experts": 2, "num_experts_per_tok": 3"#, "num_experts_per_tok"),
                             (#", "mamba_dt_rank": "wide""#, "mamba_dt_rank"), (#", "mamba_d_conv": 1"#, "mamba_d_conv"),
                             (#", "hidden_act": "gelu""#, "hidden_act")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
    }
}
