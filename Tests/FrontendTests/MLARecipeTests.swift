import Foundation
import XCTest
@testable import Frontend
import IR

/// Family J (DeepSeek multi-head latent attention) through `MLARecipe`: each corpus case reads every stored tensor
/// once, caches one latent key/value head per position (weights absorbed), and its graph, run by `ReferenceEvaluator`,
/// reproduces transformers' last-position logits; MLA and DeepSeek-MoE keys decode with their defaults and bad
/// values are refused by name.
final class MLARecipeTests: XCTestCase {
    private static let cases = ["minicpm3_for_causal_lm", "deepseek_v2_for_causal_lm_lite", "deepseek_v2_for_causal_lm",
                                "deepseek_v3_for_causal_lm"]

    func testGraphsReproduceTransformersLogits() throws {
        for name in Self.cases {
            let mla = try CorpusRecipeCase(name)
            let (graph, checkpoint) = (mla.graph, mla.checkpoint)
            mla.assertReadsEveryTensor()
            let stored = try checkpoint.tensorNames.reduce(0) { $0 + (try checkpoint.shape(of: $1)).reduce(1, *) }
            XCTAssertEqual(graph.parameterCount, stored, "\(name): every stored tensor read once")
            // The latent cache: one key head of 8 rope dims + the 16-wide latent, the latent as the value head, shared
            // by the 4 query heads, on each of the 2 layers.
            XCTAssertEqual(graph.info.kvWidths, [24, 24], name)
            let specs = graph.nodes.compactMap { node -> AttentionSpec? in
                if case .attention(_, _, _, let spec) = node.op { spec } else { nil }
            }
            XCTAssertEqual(specs.map { [$0.qHeads, $0.kvHeads, $0.headDim, $0.valueHeadDim] }, [[4, 1, 24, 16], [4, 1, 24, 16]], name)
            try mla.assertMatchesTransformers()
        }
    }

    /// The routers land in the `MoESpec`s: V2 softmax, groups ranked by their best score (the full case) or none
    /// (lite), x1.5, no renormalisation; V3 sigmoid with e_score_correction_bias, top-2-sum groups, renormalised, x2.5.
    func testRouting() throws {
        func routing(_ name: String) throws -> (MoERouting, Bool) {
            let url = LayerNormFamilyTests.corpus.appendingPathComponent(name)
            let graph = try MLARecipe.build(try ModelDirectory(url: url), checkpoint: try Checkpoint(directory: url))
            let specs = graph.nodes.compactMap { node -> MoESpec? in if case .moe(_, _, let spec) = node.op { spec } else { nil } }
            XCTAssertEqual(specs.count, 1, "\(name): layer 0 dense, layer 1 routed")
            return (specs[0].routing, specs[0].selectionBias != nil)
        }
        XCTAssertEqual(try routing("deepseek_v2_for_causal_lm").0,
                       MoERouting(topK: 2, renormalize: false, scale: 1.5, groups: 2, topGroups: 1, groupTopScores: 1))
        XCTAssertEqual(try routing("deepseek_v2_for_causal_lm_lite").0.groups, 1)
        let (v3, biased) = try routing("deepseek_v3_for_causal_lm")
        XCTAssertEqual(v3, MoERouting(topK: 2, scoring: .sigmoid, renormalize: true, scale: 2.5, groups: 2, topGroups: 1))
        XCTAssertTrue(biased)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: String) throws -> T {
        try ConfigDecoding.decode(type, from: Data(("{" + body + "}").utf8), file: "config.json")
    }

    func testMLAConfigDefaultsAndErrors() throws {
        let v3 = try decode(MLAConfig.self, #""model_type": "deepseek_v3""#)
        XCTAssertEqual([v3.qLoraRank, v3.kvLoraRank, v3.nopeDim, v3.ropeDim, v3.valueDim], [1536, 512, 128, 64, 128])
        XCTAssertTrue(v3.interleavedRope)
        XCTAssertEqual(v3.softmaxFactor, 1)
        XCTAssertNil(try decode(MLAConfig.self, #""model_type": "deepseek_v2", "q_lora_rank": null"#).qLoraRank)
        XCTAssertFalse(try decode(MLAConfig.self, #""model_type": "deepseek_v3", "rope_interleave": false"#).interleavedRope)
        let cpm = try decode(MLAConfig.self, #""model_type": "minicpm3", "hidden_size": 2560, "num_attention_heads": 40"#)
        XCTAssertEqual([cpm.qLoraRank, cpm.kvLoraRank, cpm.nopeDim, cpm.ropeDim, cpm.valueDim], [768, 256, 64, 32, 64])
        XCTAssertFalse(cpm.interleavedRope)
        // yarn with mscale_all_dim: the softmax scale gains (0.1 · mscale_all_dim · ln(factor) + 1)².
        let yarn = try decode(MLAConfig.self, #""rope_parameters": {"rope_type": "yarn", "factor": 40, "mscale_all_dim": 0.707}"#)
        XCTAssertEqual(Double(yarn.softmaxFactor), pow(0.1 * 0.707 * log(40.0) + 1, 2), accuracy: 1e-6)
        for (body, key) in [(#""qk_rope_head_dim": 7"#, "qk_rope_head_dim"), (#""kv_lora_rank": 0"#, "kv_lora_rank"),
                            (#""rope_scaling": {"type": "yarn", "mscale_all_dim": 1}"#, "rope_scaling")] {
            XCTAssertThrowsError(try decode(MLAConfig.self, body), body) { XCTAssertTrue("\($0)".contains(key), "\(body): \($0)") }
        }
    }

    /// Configs written by the remote code have no head_dim: the rotary embedding still spans qk_rope_head_dim
    /// (MiniCPM3-4B's LongRoPE has one factor per pair of its 32 rope dims), with each config class's defaults.
    func testRotaryDimensionIsTheRopeHeadDim() throws {
        let factors = (0..<16).map { String(1 + Double($0) / 10) }.joined(separator: ", ")
        let cpm = try decode(LlamaConfig.self, #""model_type": "minicpm3", "hidden_size": 2560, "num_hidden_layers": 62, "#
            + #""num_attention_heads": 40, "intermediate_size": 6400, "vocab_size": 73448, "qk_rope_head_dim": 32, "#
            + #""rope_scaling": {"type": "longrope", "original_max_position_embeddings": 32768, "#
            + #""long_factor": [\#(factors)], "short_factor": [\#(factors)]}"#)
        XCTAssertEqual([cpm.headDim, cpm.rotaryDim], [32, 32])
        XCTAssertEqual(cpm.rmsNormEps, 1e-5)
        XCTAssertTrue(cpm.tiedEmbeddings)
        let v3 = try decode(LlamaConfig.self, #""model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61, "#
            + #""num_attention_heads": 128, "intermediate_size": 18432, "vocab_size": 129280"#)
        XCTAssertEqual([v3.headDim, v3.rotaryDim, v3.maxPosition], [64, 64, 4096])
        XCTAssertFalse(v3.tiedEmbeddings)
    }

    func testDeepseekMoEConfigDefaultsAndErrors() throws {
        let v3 = try decode(DeepseekMoEConfig.self, #""model_type": "deepseek_v3""#)
        XCTAssertEqual([v3.experts, v3.topK, v3.expertSize, v3.sharedExperts, v3.firstDense, v3.groups, v3.topGroups],
                       [256, 8, 2048, 1, 3, 8, 4])
        XCTAssertEqual(v3.scale, 2.5)
        XCTAssertTrue(v3.normTopK)
        XCTAssertFalse(v3.isSparse(2))
        XCTAssertTrue(v3.isSparse(3))
        let v2 = try decode(DeepseekMoEConfig.self, #""model_type": "deepseek_v2", "n_group": 8, "topk_group": 3"#)
        XCTAssertEqual([v2.experts, v2.sharedExperts, v2.firstDense, v2.groups, v2.topGroups], [64, 2, 0, 1, 1], "greedy ignores groups")
        let limited = try decode(DeepseekMoEConfig.self,
                                 #""model_type": "deepseek_v2", "topk_method": "group_limited_greedy", "n_group": 8, "topk_group": 3"#)
        XCTAssertEqual([limited.groups, limited.topGroups], [8, 3])
        for (body, key) in [(#""model_type": "deepseek_v2", "topk_method": "noaux_tc""#, "topk_method"),
                            (#""n_routed_experts": 4, "num_experts_per_tok": 5"#, "num_experts_per_tok"),
                            (#""n_routed_experts": 6, "num_experts_per_tok": 2, "n_group": 4"#, "n_group"),
                            (#""n_shared_experts": -1"#, "n_shared_experts"),
                            (#""first_k_dense_replace": -2"#, "first_k_dense_replace")] {
            XCTAssertThrowsError(try decode(DeepseekMoEConfig.self, body), body) { XCTAssertTrue("\($0)".contains(key), "\(body): \($0)") }
        }
    }
}
