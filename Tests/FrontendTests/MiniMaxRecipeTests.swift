import Foundation
import XCTest
@testable import Frontend
import IR

/// Family K3 (MiniMax-Text-01, MiniMax-M1): the corpus cases build reading every checkpoint tensor but lightning
/// attention's decay buffers (recomputed from the config), lay out lightning and softmax layers as `layer_types` says,
/// and their graphs, run by `ReferenceEvaluator`, reproduce transformers' last-position logits (transformers runs
/// lightning attention block-wise, the graph sequentially); the slopes against transformers' buffers; config defaults
/// and errors.
final class MiniMaxRecipeTests: XCTestCase {
    private func checkCorpusCase(_ name: String) throws {
        let minimax = try CorpusRecipeCase(name)
        let buffers = ["slope_rate", "query_decay", "key_decay", "diagonal_decay"].map { "model.layers.0.self_attn." + $0 }
        minimax.assertReadsEveryTensor(except: Set(buffers))
        // transformers' slope_rate buffer is the decay rate the config gives.
        let c = try minimax.model.config(MiniMaxConfig.self)
        let slopes = try minimax.checkpoint.floats("model.layers.0.self_attn.slope_rate")
        XCTAssertEqual(c.logDecays(layer: 0).map { -$0 }, slopes)
        XCTAssertEqual(minimax.graph.info.kvWidths, [32])
        XCTAssertEqual(minimax.count("linear_attention"), 1)
        XCTAssertEqual(minimax.count("attention"), 1)
        XCTAssertEqual(minimax.count("moe_top2_of4"), 2)
        try minimax.assertMatchesTransformers()
    }

    func testText01CorpusCaseMatchesTransformers() throws {
        try checkCorpusCase("minimax_text01_for_causal_lm")
    }

    func testM1CorpusCaseMatchesTransformers() throws {
        try checkCorpusCase("minimax_m1_for_causal_lm")
    }

    func testConfigDefaultsAndErrors() throws {
        func decode(_ extra: String) throws -> MiniMaxConfig {
            let json = #"{"hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 50, "num_attention_heads": 4, "intermediate_size": 96, "#
                + #""num_key_value_heads": 2"# + extra + "}"
            return try ConfigDecoding.decode(MiniMaxConfig.self, from: Data(json.utf8), file: "config.json")
        }
        let defaults = try decode("")
        XCTAssertEqual(defaults.attentionLayers, [true, false, true, false])
        XCTAssertEqual(defaults.experts, 8)
        XCTAssertEqual(defaults.mlp, MiniMaxConfig.Residual(alpha: 1, beta: 1))
        XCTAssertNil(defaults.window)
        // 4 heads: base 2^-2; the last layer's factor is about 1e-5.
        XCTAssertEqual(defaults.logDecays(layer: 0), [-0.25, -0.0625, -0.015625, -0.00390625].map { $0 * Float(1 + 1e-5) })
        XCTAssertEqual(try decode(#", "linear_attn_alpha_factor": 1.5"#).linearAttention, MiniMaxConfig.Residual(alpha: 1.5, beta: 1))
        for (extra, key) in [(#", "layer_types": ["linear_attention"]"#, "layer_types"),
                             (#", "layer_types": ["mamba", "mamba", "mamba", "mamba"]"#, "layer_types"),
                             (#", "num_local_experts": 2, "num_experts_per_tok": 3"#, "num_experts_per_tok"),
                             (#", "sliding_window": 0"#, "sliding_window"), (#", "hidden_act": "gelu""#, "hidden_act")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
    }
}
