import Foundation
import XCTest
@testable import Frontend
import IR

/// Family K2 (Bamba, Granite-4.0-H, Falcon-H1, Nemotron-H, Zamba2): each corpus case builds reading every checkpoint tensor, lays out its
/// mixers as the config says, and its graph, run by `ReferenceEvaluator`, reproduces transformers' last-position
/// logits; config defaults and errors.
final class HybridRecipeTests: XCTestCase {
    /// Builds the corpus case `name`, checks that it reads every tensor, has `scans` Mamba-2 scans and `attentions`
    /// attention ops, and matches transformers' logits.
    private func check(_ name: String, scans: Int, attentions: Int, file: StaticString = #filePath, line: UInt = #line) throws -> Graph {
        let hybrid = try CorpusRecipeCase(name)
        hybrid.assertReadsEveryTensor(file: file, line: line)
        XCTAssertEqual(hybrid.count("selective_scan"), scans, file: file, line: line)
        XCTAssertEqual(hybrid.count("attention"), attentions, file: file, line: line)
        try hybrid.assertMatchesTransformers(file: file, line: line)
        return hybrid.graph
    }

    func testBambaMatchesTransformers() throws {
        let graph = try check("bamba_for_causal_lm", scans: 1, attentions: 1)
        XCTAssertEqual(graph.info.kvWidths, [32])
        XCTAssertEqual(graph.nodes.filter { $0.op.mnemonic == "rope" }.count, 2)
    }

    func testGraniteMoeHybridMatchesTransformers() throws {
        let graph = try check("granite_moe_hybrid_for_causal_lm", scans: 1, attentions: 1)
        XCTAssertEqual(graph.nodes.filter { $0.op.mnemonic == "moe_top2_of4" }.count, 2)
        XCTAssertEqual(graph.nodes.filter { $0.op.mnemonic == "rope" }.count, 0, "Granite-4.0-H attention has no positions")
    }

    func testFalconH1MatchesTransformers() throws {
        let graph = try check("falcon_h1_for_causal_lm", scans: 2, attentions: 2)
        XCTAssertEqual(graph.info.kvWidths, [32, 32])
    }

    func testNemotronHMatchesTransformers() throws {
        let graph = try check("nemotron_h_for_causal_lm", scans: 1, attentions: 1)
        XCTAssertEqual(graph.nodes.filter { $0.op.mnemonic == "moe_top2_of4" }.count, 1)
        XCTAssertEqual(graph.nodes.filter { $0.op.mnemonic == "rope" }.count, 0, "Nemotron-H attention has no positions")
    }

    func testZamba2MatchesTransformers() throws {
        let graph = try check("zamba2_for_causal_lm", scans: 2, attentions: 1)
        XCTAssertEqual(graph.info.kvWidths, [64], "the shared block's 4 heads of 16 over the 64-wide concat")
    }

    private func decode(_ modelType: String, _ extra: String = "") throws -> HybridConfig {
        let json = #"{"model_type": ""# + modelType + #"", "hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 50, "#
            + #""num_attention_heads": 8, "intermediate_size": 96, "mamba_n_heads": 8"# + extra + "}"
        return try ConfigDecoding.decode(HybridConfig.self, from: Data(json.utf8), file: "config.json")
    }

    func testConfigDefaults() throws {
        let bamba = try decode("bamba", #", "attn_layer_indices": [2]"#)
        XCTAssertEqual(bamba.layerMixers, [.mamba, .mamba, .attention, .mamba])
        XCTAssertEqual(bamba.kvHeads, 8)
        XCTAssertEqual(bamba.attention.rope?.rotaryDim(headDim: bamba.headDim), 4, "Bamba rotates half of each head")
        XCTAssertEqual(bamba.mixer, Mamba2MixerShape(hiddenSize: 64, heads: 8, headDim: 16, groups: 1, stateSize: 256, convKernel: 4,
                                                     projectionBias: false, outputBias: false, convBias: true, activation: .silu,
                                                     normEps: 1e-5))
        XCTAssertEqual(bamba.multipliers, HybridMultipliers())
        XCTAssertNil(bamba.experts)

        let granite = try decode("granitemoehybrid", #", "layer_types": ["linear_attention", "full_attention", "mamba", "attention"]"#)
        XCTAssertEqual(granite.layerMixers, [.mamba, .attention, .mamba, .attention])
        XCTAssertNil(granite.attention.rope)
        XCTAssertEqual(granite.attention.scale, 1)
        XCTAssertEqual(granite.experts, HybridExperts(count: 8, topK: 2, ff: 96, sharedFF: 1024))
        XCTAssertEqual(try decode("granitemoehybrid", #", "num_key_value_heads": 2"#).kvHeads, 2)
        XCTAssertEqual(try decode("granitemoehybrid").layerMixers, Array(repeating: .mamba, count: 4))
        XCTAssertEqual(try decode("granitemoehybrid", #", "position_embedding_type": "rope""#).attention.rope?.factor, 1)

        let falcon = try decode("falcon_h1")
        XCTAssertEqual(falcon.layerMixers, Array(repeating: .parallel, count: 4))
        XCTAssertEqual(falcon.mixer.channels, 1024, "mamba_d_ssm defaults to 1024")
        XCTAssertEqual(falcon.mixer.gatedNorm, .gateOnly, "mamba_rms_norm defaults to false")
        XCTAssertEqual(try decode("falcon_h1", #", "mamba_rms_norm": true"#).mixer.gatedNorm, .normThenGate)
        XCTAssertEqual(try decode("falcon_h1", #", "mamba_d_ssm": null, "mamba_expand": 3"#).mixer.channels, 192)
        let scaled = try decode("falcon_h1", #", "ssm_multipliers": [1, 2, 3, 4, 5], "mlp_multipliers": [0.5, 2], "ssm_in_multiplier": 3"#)
        XCTAssertEqual(scaled.multipliers.ssm, Mamba2Scales(inProjection: [1, 2, 3, 4, 5], input: 3, output: 1))
        XCTAssertEqual([scaled.multipliers.mlpGate, scaled.multipliers.mlpDown], [0.5, 2])
    }

    func testConfigErrorsNameTheKey() throws {
        for (type, extra, key) in [("bamba", #", "attn_layer_indices": [4]"#, "attn_layer_indices"),
                                   ("bamba", #", "mamba_d_head": 12"#, "mamba_n_heads"),
                                   ("bamba", #", "mamba_n_groups": 3"#, "mamba_n_groups"),
                                   ("bamba", #", "mamba_d_conv": 1"#, "mamba_d_conv"),
                                   ("bamba", #", "hidden_act": "gelu""#, "hidden_act"),
                                   ("bamba", #", "time_step_limit": [0.001, 0.1]"#, "time_step_limit"),
                                   ("granitemoehybrid", #", "layer_types": ["mamba"]"#, "layer_types"),
                                   ("granitemoehybrid", #", "layer_types": ["mamba", "mamba", "mamba", "conv"]"#, "layer_types"),
                                   ("granitemoehybrid", #", "num_local_experts": 2, "num_experts_per_tok": 3"#, "num_experts_per_tok"),
                                   ("granitemoehybrid", #", "logits_scaling": 0"#, "logits_scaling"),
                                   ("falcon_h1", #", "ssm_multipliers": [1, 2]"#, "ssm_multipliers"),
                                   ("falcon_h1", #", "mlp_multipliers": [1]"#, "mlp_multipliers"),
                                   ("falcon_h1", #", "mamba_d_ssm": 0"#, "mamba_d_ssm"),
                                   ("mamba2", "", "model_type")] {
            XCTAssertThrowsError(try decode(type, extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(type)\(extra): \(error)")
            }
        }
    }

    func testNemotronHConfig() throws {
        func decode(_ extra: String) throws -> NemotronHConfig {
            let json = #"{"model_type": "nemotron_h", "hidden_size": 64, "vocab_size": 50, "num_attention_heads": 4, "head_dim": 16, "#
                + #""num_key_value_heads": 2, "mamba_num_heads": 8, "mamba_head_dim": 16"# + extra + "}"
            return try ConfigDecoding.decode(NemotronHConfig.self, from: Data(json.utf8), file: "config.json")
        }
        let defaults = try decode("")
        XCTAssertEqual(defaults.blocks, [.mamba, .moe, .attention, .mlp])
        XCTAssertEqual(defaults.layers, 4)
        XCTAssertEqual(defaults.mlpActivation, .reluSquared)
        XCTAssertEqual(defaults.routing, MoERouting(topK: 2, scoring: .sigmoid, renormalize: true, scale: 1))
        XCTAssertNil(defaults.latentSize)
        XCTAssertEqual(try decode(#", "moe_latent_size": 16"#).latentSize, 16)
        let grouped = try decode(#", "n_group": 4, "topk_group": 2, "num_experts_per_tok": 3, "norm_topk_prob": false"#).routing
        XCTAssertEqual(grouped, MoERouting(topK: 3, scoring: .sigmoid, renormalize: false, scale: 1, groups: 4, topGroups: 2))
        XCTAssertEqual([defaults.experts, defaults.expertSize, defaults.sharedExpertSize], [8, 7688, 7688])
        XCTAssertEqual(defaults.mixer.stateSize, 128)
        XCTAssertEqual(try decode(#", "hybrid_override_pattern": "M-M*E""#).blocks, [.mamba, .mlp, .mamba, .attention, .moe])
        XCTAssertEqual(try decode(#", "layers_block_type": ["mamba", "attention"]"#).blocks, [.mamba, .attention])
        for (extra, key) in [(#", "layers_block_type": ["conv"]"#, "layers_block_type"), (#", "hybrid_override_pattern": "MX""#, "hybrid_override_pattern"),
                             (#", "mlp_hidden_act": "silu""#, "mlp_hidden_act"), (#", "moe_latent_size": 0"#, "moe_latent_size"),
                             (#", "n_group": 3, "topk_group": 2"#, "n_group"), (#", "n_group": 2, "topk_group": 3"#, "n_group"), (#", "n_groups": 3"#, "n_groups"),
                             (#", "num_experts_per_tok": 9"#, "num_experts_per_tok"), (#", "conv_kernel": 1"#, "conv_kernel")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
    }

    func testZamba2Config() throws {
        func decode(_ extra: String) throws -> Zamba2Config {
            let json = #"{"model_type": "zamba2", "hidden_size": 32, "vocab_size": 50, "num_attention_heads": 4"# + extra + "}"
            return try ConfigDecoding.decode(Zamba2Config.self, from: Data(json.utf8), file: "config.json")
        }
        let defaults = try decode("")
        XCTAssertEqual(defaults.layers, 54)
        XCTAssertEqual(defaults.hybridLayers.indices.filter { defaults.hybridLayers[$0] }, [6, 12, 18, 24, 30, 36, 42, 47, 51])
        XCTAssertEqual([defaults.headDim, defaults.kvHeads, defaults.intermediateSize, defaults.attentionWidth], [16, 4, 128, 64])
        XCTAssertEqual(defaults.activation, .gelu)
        XCTAssertNil(defaults.adapterRank)
        XCTAssertNil(defaults.rope)
        XCTAssertTrue(defaults.tiedEmbeddings)
        XCTAssertEqual(defaults.mixer, Mamba2MixerShape(hiddenSize: 32, heads: 8, headDim: 8, groups: 1, stateSize: 64, convKernel: 4,
                                                        projectionBias: false, outputBias: false, convBias: true, activation: .silu,
                                                        normEps: 1e-5))
        XCTAssertEqual(try decode(#", "use_shared_attention_adapter": true"#).adapterRank, 128)
        XCTAssertEqual(try decode(#", "use_mem_rope": true"#).rope?.theta, 10000)
        XCTAssertEqual(try decode(#", "use_long_context": true"#).maxPosition, 16384)
        for (extra, key) in [(#", "layers_block_type": ["attention"]"#, "layers_block_type"), (#", "hidden_act": "relu""#, "hidden_act"),
                             (#", "n_mamba_heads": 5"#, "n_mamba_heads"), (#", "mamba_ngroups": 3"#, "mamba_ngroups"),
                             (#", "num_key_value_heads": 3"#, "num_key_value_heads"), (#", "mamba_d_conv": 1"#, "mamba_d_conv")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
    }
}
