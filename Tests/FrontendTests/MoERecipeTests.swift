import Foundation
import XCTest
@testable import Frontend
import IR

/// Mixture-of-experts cases of the golden corpus (`MoERecipe`, and FlexOlmo through `PostNormRecipe`): the graph, run by `ReferenceEvaluator` (f64, its own
/// mixture-of-experts reference), reproduces transformers' last-position logits and reads every stored tensor once;
/// routing knobs land in the `MoESpec`s and bad MoE keys are refused by name.
final class MoERecipeTests: XCTestCase {
    private static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/corpus")

    private struct Expected: Decodable {
        var prompt_ids: [Int]
        var last_logits: [Double]
    }

    private static let cases = ["mixtral_for_causal_lm", "qwen2_moe_for_causal_lm", "qwen3_moe_for_causal_lm", "olmoe_for_causal_lm",
                                "granite_moe_for_causal_lm", "granite_moe_shared_for_causal_lm", "hunyuan_moe_v1_for_causal_lm",
                                "ernie4_5_moe_for_causal_lm", "minimax_m2_for_causal_lm", "glm4_moe_for_causal_lm", "dots1_for_causal_lm",
                                "exaone_moe_causal_lm", "flex_olmo_for_causal_lm", "dbrx_for_causal_lm", "afmoe_for_causal_lm",
                                "gpt_oss_for_causal_lm"]

    private func build(_ url: URL) throws -> (Graph, Checkpoint) {
        let checkpoint = try Checkpoint(directory: url)
        let model = try ModelDirectory(url: url)
        return (try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint), checkpoint)
    }

    func testGraphsReproduceTransformersLogits() throws {
        for name in Self.cases {
            let url = Self.corpus.appendingPathComponent(name)
            let (graph, checkpoint) = try build(url)
            let stored = try checkpoint.tensorNames.reduce(0) { $0 + (try checkpoint.shape(of: $1)).reduce(1, *) }
            XCTAssertEqual(graph.parameterCount, stored, "\(name): every stored tensor read once")
            let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url.appendingPathComponent("expected.json")))
            let got = try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).logits(tokens: expected.prompt_ids)
            XCTAssertLessThan(nmse(got, expected.last_logits), 1e-8, "\(name): last-position logits NMSE")
        }
    }

    private func specs(_ name: String) throws -> [MoESpec] {
        try build(Self.corpus.appendingPathComponent(name)).0.nodes.compactMap {
            if case .moe(_, _, let spec) = $0.op { spec } else { nil }
        }
    }

    func testRoutingKnobs() throws {
        let expectations: [(String, Bool)] = [("mixtral_for_causal_lm", true), ("qwen2_moe_for_causal_lm", false), ("flex_olmo_for_causal_lm", false),
                                              ("dbrx_for_causal_lm", true),
                                              ("qwen3_moe_for_causal_lm", true), ("olmoe_for_causal_lm", false),
                                              ("granite_moe_for_causal_lm", true)]
        for (name, renormalize) in expectations {
            let all = try specs(name)
            XCTAssertEqual(all.count, 2, name)
            XCTAssertEqual(all.map(\.routing), Array(repeating: MoERouting(topK: 2, renormalize: renormalize), count: 2), name)
            XCTAssertEqual(all.first?.experts.count, 4, name)
        }
        // Ernie 4.5: layer 0 dense; the choice adds e_score_correction_bias ([1, 4] stored). MiniMax-M2: sigmoid + bias.
        let ernie = try specs("ernie4_5_moe_for_causal_lm")
        XCTAssertEqual(ernie.map(\.routing), [MoERouting(topK: 2, renormalize: true)])
        XCTAssertEqual(ernie.first?.selectionBias?.shape, [4])
        let minimax = try specs("minimax_m2_for_causal_lm")
        XCTAssertEqual(minimax.map(\.routing.scoring), [.sigmoid, .sigmoid])
        XCTAssertEqual(minimax.compactMap(\.selectionBias).count, 2)
        // GLM-4.5 and dots.llm1: layer 0 dense, layer 1 sigmoid + bias in 2 groups (1 kept), renormalised, scaled.
        for (name, scale) in [("glm4_moe_for_causal_lm", Float(2.5)), ("dots1_for_causal_lm", 2)] {
            XCTAssertEqual(try specs(name).map(\.routing),
                           [MoERouting(topK: 2, scoring: .sigmoid, renormalize: true, scale: scale, groups: 2, topGroups: 1)], name)
        }
        // K-EXAONE: mlp_layer_types makes layer 1 sparse; the sliding layer 0 rotates, the global layer 1 does not.
        let exaone = try build(Self.corpus.appendingPathComponent("exaone_moe_causal_lm")).0
        XCTAssertEqual(exaone.nodes.filter { if case .moe = $0.op { true } else { false } }.map(\.name), ["layers.1.moe"])
        XCTAssertEqual(exaone.nodes.filter { if case .rope = $0.op { true } else { false } }.map(\.name), ["layers.0.q_rope", "layers.0.k_rope"])
        // AFMoE: layer 0 dense (num_dense_layers), layer 1 sigmoid + expert_bias, renormalised, times route_scale; only the
        // sliding layer 0 rotates; both layers gate their attention output.
        XCTAssertEqual(try specs("afmoe_for_causal_lm").map(\.routing), [MoERouting(topK: 2, scoring: .sigmoid, renormalize: true, scale: 2)])
        let afmoe = try build(Self.corpus.appendingPathComponent("afmoe_for_causal_lm")).0
        XCTAssertEqual(afmoe.nodes.filter { if case .rope = $0.op { true } else { false } }.map(\.name), ["layers.0.q_rope", "layers.0.k_rope"])
        XCTAssertEqual(afmoe.nodes.filter { $0.name.hasSuffix("attention_gated") }.count, 2)
    }

    func testTransformers5FusedExpertParametersAreRead() throws {
        // qwen3_moe's per-expert tensors restacked as transformers 5 stores its own MoE parameters:
        // experts.gate_up_proj [experts, 2·ff, hidden] (gate rows, then up) and experts.down_proj [experts, hidden, ff].
        let source = Self.corpus.appendingPathComponent("qwen3_moe_for_causal_lm")
        let checkpoint = try Checkpoint(directory: source)
        var tensors: [SafetensorsFixture.Tensor] = []
        for name in checkpoint.tensorNames where !name.contains(".mlp.experts.") {
            tensors.append(.init(name: name, shape: try checkpoint.shape(of: name), values: try checkpoint.floats(name)))
        }
        for l in 0..<2 {
            let experts = "model.layers.\(l).mlp.experts."
            let gateUp = try (0..<4).flatMap { e in try ["gate_proj", "up_proj"].flatMap { try checkpoint.floats("\(experts)\(e).\($0).weight") } }
            let down = try (0..<4).flatMap { try checkpoint.floats("\(experts)\($0).down_proj.weight") }
            tensors += [.init(name: experts + "gate_up_proj", shape: [4, 64, 64], values: gateUp),
                        .init(name: experts + "down_proj", shape: [4, 64, 32], values: down)]
        }
        let dir = try SafetensorsFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SafetensorsFixture.bytes(tensors).write(to: dir.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let (graph, fused) = try build(dir)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: source.appendingPathComponent("expected.json")))
        let got = try ReferenceEvaluator(graph: graph, checkpoint: fused).logits(tokens: expected.prompt_ids)
        XCTAssertLessThan(nmse(got, expected.last_logits), 1e-8)
        XCTAssertEqual(graph.weights.filter { $0.sourceNames == ["model.layers.1.mlp.experts.down_proj"] }.count, 4)
    }

    func testStackedExpertSlicesReadOnlyTheirRows() throws {
        let (graph, checkpoint) = try build(Self.corpus.appendingPathComponent("granite_moe_for_causal_lm"))
        let name = "model.layers.1.block_sparse_moe.input_linear.weight"
        let all = try checkpoint.floats(name)
        let experts = try specs("granite_moe_for_causal_lm")[1].experts
        XCTAssertEqual(graph.weights.filter { $0.sourceNames == [name] }.count, 4)
        for (e, expert) in experts.enumerated() {
            let rows = expert.gateUp.count
            XCTAssertEqual(try checkpoint.materialize(expert.gateUp), Array(all[(e * rows)..<((e + 1) * rows)]), "expert \(e)")
        }
        XCTAssertThrowsError(try checkpoint.floats(name, elements: 0 ..< all.count + 1)) { XCTAssertTrue("\($0)".contains(name)) }
    }

    /// Builds `name` with each set of config.json changes, which must be refused with an error naming the key.
    private func assertRefused(_ name: String, _ refusals: [([String: Any], String)], line: UInt = #line) throws {
        let dir = try SafetensorsFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Self.corpus.appendingPathComponent(name)
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any] ?? [:]
        for (changes, key) in refusals {
            try JSONSerialization.data(withJSONObject: original.merging(changes) { $1 }).write(to: dir.appendingPathComponent("config.json"))
            XCTAssertThrowsError(try build(dir), line: line) { XCTAssertTrue("\($0)".contains(key), "\($0)", line: line) }
        }
    }

    func testBadKeysAreRefusedByName() throws {
        try assertRefused("qwen2_moe_for_causal_lm", [
            (["num_experts_per_tok": 5], "num_experts_per_tok"), (["num_experts": 0], "num_experts"),
            (["shared_expert_intermediate_size": -1], "shared_expert_intermediate_size"), (["num_experts": 3], "mlp.gate.weight"),
            (["n_group": 3], "n_group"), (["mlp_layer_types": ["dense", "moe"]], "mlp_layer_types"),
            (["mlp_layer_types": ["dense"]], "mlp_layer_types"),
        ])
        let ffn: [String: Any] = ["ffn_hidden_size": 32, "moe_num_experts": 4, "moe_top_k": 2]
        try assertRefused("dbrx_for_causal_lm", [
            (["ffn_config": ffn.merging(["moe_normalize_expert_weights": 2]) { $1 }], "ffn_config.moe_normalize_expert_weights"),
            (["ffn_config": ffn.merging(["moe_top_k": 5]) { $1 }], "ffn_config.moe_top_k"),
            (["ffn_config": ffn.merging(["ffn_act_fn": ["name": "gelu"]]) { $1 }], "ffn_config.ffn_act_fn.name"),
        ])
        try assertRefused("gpt_oss_for_causal_lm", [(["swiglu_limit": 0], "swiglu_limit"), (["swiglu_alpha": -1], "swiglu_alpha")])
    }

    func testGptOssSpecs() throws {
        // Softmax over the top-2 logits (renormalised softmax), clamped SwiGLU from the config, biases on every
        // expert; per-head sinks on both attention layers, the sliding one first.
        let graph = try build(Self.corpus.appendingPathComponent("gpt_oss_for_causal_lm")).0
        let moe = graph.nodes.compactMap { if case .moe(_, _, let spec) = $0.op { spec } else { nil } }
        XCTAssertEqual(moe.map(\.routing), Array(repeating: MoERouting(topK: 2, renormalize: true), count: 2))
        XCTAssertEqual(moe.map(\.activation), Array(repeating: .clampedSwiGLU(alpha: 1.702, limit: 7), count: 2))
        XCTAssertEqual(moe.map(\.expertBiases.count), [8, 8])
        let attention = graph.nodes.compactMap { if case .attention(_, _, _, let spec) = $0.op { spec } else { nil } }
        XCTAssertEqual(attention.map(\.window), [8, nil])
        XCTAssertEqual(attention.compactMap(\.sinks?.shape), [[4], [4]])
    }
}
