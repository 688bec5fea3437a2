import Foundation
import XCTest
@testable import Frontend
import IR

/// Family K3 (LFM2, LFM2-MoE): the corpus cases build reading every checkpoint tensor, lay out conv and attention
/// layers as `layer_types` says, and their graphs, run by `ReferenceEvaluator`, reproduce transformers' last-position
/// logits; config defaults (the MLP width adjustment) and errors.
final class Lfm2RecipeTests: XCTestCase {
    private func checkCorpusCase(_ name: String, moe: Bool) throws {
        let lfm2 = try CorpusRecipeCase(name)
        lfm2.assertReadsEveryTensor()
        // Layer 0: gated short conv; layer 1: attention (one KV slot), with experts in LFM2-MoE.
        XCTAssertEqual(lfm2.graph.info.kvWidths, [16])
        XCTAssertEqual(lfm2.count("causal_conv1d"), 1)
        XCTAssertEqual(lfm2.count("attention"), 1)
        XCTAssertEqual(lfm2.graph.nodes.filter { $0.op.mnemonic.hasPrefix("moe") }.count, moe ? 1 : 0)
        try lfm2.assertMatchesTransformers()
    }

    func testLfm2CorpusCaseMatchesTransformers() throws {
        try checkCorpusCase("lfm2_for_causal_lm", moe: false)
    }

    func testLfm2MoeCorpusCaseMatchesTransformers() throws {
        try checkCorpusCase("lfm2_moe_for_causal_lm", moe: true)
    }

    func testConfigDefaultsAndErrors() throws {
        func decode(_ extra: String, type: String = "lfm2") throws -> Lfm2Config {
            let json = #"{"model_type": ""# + type + #"", "hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 50, "#
                + #""num_attention_heads": 4, "intermediate_size": 600"# + extra + "}"
            return try ConfigDecoding.decode(Lfm2Config.self, from: Data(json.utf8), file: "config.json")
        }
        let defaults = try decode("")
        // ⌊2·600/3⌋ = 400, × 1.0, rounded up to a multiple of 256.
        XCTAssertEqual(defaults.intermediateSize, 512)
        XCTAssertEqual(defaults.attentionLayers, [true, true, true, true])
        XCTAssertEqual(defaults.convKernel, 3)
        XCTAssertTrue(defaults.tiedEmbeddings)
        XCTAssertNil(defaults.experts)
        XCTAssertEqual(try decode(#", "block_auto_adjust_ff_dim": false"#).intermediateSize, 600)
        XCTAssertEqual(try decode(#", "block_ffn_dim_multiplier": null"#).intermediateSize, 400)
        XCTAssertEqual(try decode(#", "full_attn_idxs": [1, 3]"#).attentionLayers, [false, true, false, true])
        XCTAssertEqual(try decode(#", "layer_types": ["conv", "conv", "full_attention", "conv"]"#).attentionLayers,
                       [false, false, true, false])
        XCTAssertFalse(try decode(#", "tie_embedding": false"#).tiedEmbeddings)
        let moe = try decode(#", "layer_types": ["conv", "conv", "full_attention", "conv"], "num_experts": 8"#, type: "lfm2_moe")
        XCTAssertEqual(moe.intermediateSize, 600)
        XCTAssertEqual(moe.experts?.count, 8)
        XCTAssertEqual(moe.experts?.denseLayers, 2)
        XCTAssertEqual(moe.experts?.selectionBias, true)
        for (extra, key) in [(#", "layer_types": ["conv", "mamba", "conv", "conv"]"#, "layer_types"),
                             (#", "layer_types": ["conv"]"#, "layer_types"), (#", "full_attn_idxs": [4]"#, "full_attn_idxs"),
                             (#", "conv_L_cache": 1"#, "conv_L_cache")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
        XCTAssertThrowsError(try decode("", type: "lfm2_moe")) { XCTAssertTrue("\($0)".contains("layer_types"), "\($0)") }
        XCTAssertThrowsError(try decode(#", "layer_types": ["conv", "conv", "conv", "conv"], "num_experts": 2, "num_experts_per_tok": 3"#,
                                        type: "lfm2_moe")) { XCTAssertTrue("\($0)".contains("num_experts_per_tok"), "\($0)") }
    }
}
