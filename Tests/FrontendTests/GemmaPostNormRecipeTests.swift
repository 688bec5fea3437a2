import Foundation
import XCTest
@testable import Frontend
import IR

/// Builds the family B and C cases of the golden corpus (tiny transformers-made models) and checks the graphs: run by
/// `ReferenceEvaluator` (f64, no kernels) they reproduce transformers' last-position logits, every stored tensor is
/// read once, and each family's distinguishing settings (soft caps, attention scale, windows, NoPE layers, partial
/// rotary) sit on the right nodes, as the transformers-written config.json says.
final class GemmaPostNormRecipeTests: XCTestCase {
    private static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/corpus")

    private struct Built {
        var graph: Graph
        var config: [String: Any]
    }

    private struct Expected: Decodable {
        var promptIds: [Int]
        var lastLogits: [Double]
        enum CodingKeys: String, CodingKey { case promptIds = "prompt_ids", lastLogits = "last_logits" }
    }

    static let cases = ["gemma_for_causal_lm", "gemma2_for_causal_lm", "gemma3_for_causal_lm", "exaone4_for_causal_lm",
                        "glm4_for_causal_lm", "olmo2_for_causal_lm", "olmo3_for_causal_lm"]

    func testGraphsReproduceTransformersLogits() throws {
        for name in Self.cases {
            let url = Self.corpus.appendingPathComponent(name)
            let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url.appendingPathComponent("expected.json")))
            let built = try build(name)
            let logits = try ReferenceEvaluator(graph: built.graph, checkpoint: try Checkpoint(directory: url))
                .logits(tokens: expected.promptIds)
            XCTAssertEqual(logits.count, expected.lastLogits.count, name)
            let error = zip(logits, expected.lastLogits).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            let nmse = error / expected.lastLogits.reduce(0) { $0 + $1 * $1 }
            XCTAssertLessThan(nmse, 1e-8, "\(name): last-position logits NMSE")
        }
    }

    private func build(_ name: String) throws -> Built {
        let url = Self.corpus.appendingPathComponent(name)
        let model = try ModelDirectory(url: url)
        let checkpoint = try Checkpoint(directory: url)
        let graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
        let stored = try checkpoint.tensorNames.reduce(0) { $0 + (try checkpoint.shape(of: $1)).reduce(1, *) }
        XCTAssertEqual(graph.parameterCount, stored, name)
        XCTAssertEqual(graph[graph.logits!].type, ValueType(rows: .last, cols: graph.info.vocabSize), name)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url.appendingPathComponent("config.json")))
        return Built(graph: graph, config: json as? [String: Any] ?? [:])
    }

    private func attentions(_ graph: Graph) -> [AttentionSpec] {
        graph.nodes.compactMap { if case .attention(_, _, _, let spec) = $0.op { spec } else { nil } }
    }

    private func ropes(_ graph: Graph, layer: Int) -> [RopeSpec] {
        graph.nodes.filter { $0.name.hasPrefix("layers.\(layer).") }
            .compactMap { if case .rope(_, let spec) = $0.op { spec } else { nil } }
    }

    private func windows(_ config: [String: Any]) -> [Int?] {
        let window = config["sliding_window"] as? Int
        return (config["layer_types"] as? [String] ?? []).map { $0 == "sliding_attention" ? window : nil }
    }

    func testGemma2SoftcapsScaleAndWindows() throws {
        let b = try build("gemma2_for_causal_lm")
        let scalar = try XCTUnwrap(b.config["query_pre_attn_scalar"] as? Double)
        let cap = try XCTUnwrap(b.config["attn_logit_softcapping"] as? Double)
        let specs = attentions(b.graph)
        XCTAssertEqual(specs.map(\.softcap), specs.map { _ in Float(cap) })
        XCTAssertEqual(specs.map(\.scale), specs.map { _ in Float(1 / scalar.squareRoot()) })
        XCTAssertEqual(specs.map(\.window), windows(b.config))
        let final = try XCTUnwrap(b.config["final_logit_softcapping"] as? Double)
        guard case .unary(_, .softcap(let applied)) = b.graph[b.graph.logits!].op else {
            return XCTFail("logits are not soft-capped: \(b.graph[b.graph.logits!].op.mnemonic)")
        }
        XCTAssertEqual(applied, Float(final))
        // Sandwich: four (1+w) norms per layer plus the final one.
        let norms = b.graph.nodes.filter { if case .rmsNorm(_, _, _, _, 1) = $0.op { true } else { false } }
        XCTAssertEqual(norms.count, 4 * 2 + 1)
    }

    func testGemma3PerTypeRopeAndQKNorm() throws {
        let b = try build("gemma3_for_causal_lm")
        let params = try XCTUnwrap(b.config["rope_parameters"] as? [String: [String: Any]])
        for (layer, type) in (b.config["layer_types"] as? [String] ?? []).enumerated() {
            let theta = try XCTUnwrap(params[type]?["rope_theta"] as? Double)
            let factor = params[type]?["factor"] as? Double ?? 1
            for spec in ropes(b.graph, layer: layer) {
                XCTAssertEqual(Double(spec.invFreq[0]), 1 / factor, accuracy: 1e-7)
                XCTAssertEqual(Double(spec.invFreq[1]), 1 / factor / pow(theta, 2 / Double(spec.rotaryDim)),
                               accuracy: 1e-6 / factor, "layer \(layer)")
            }
        }
        XCTAssertEqual(attentions(b.graph).map(\.window), windows(b.config))
        XCTAssertTrue(attentions(b.graph).allSatisfy { $0.softcap == nil })
        let headDim = try XCTUnwrap(b.config["head_dim"] as? Int)
        let qkNorms = b.graph.nodes.filter { if case .rmsNorm(_, _, _, headDim, 1) = $0.op { true } else { false } }
        XCTAssertEqual(qkNorms.count, 2 * 2)
    }

    func testGemmaTiedEmbeddingScaleStaysAnOp() throws {
        let b = try build("gemma_for_causal_lm")
        let hidden = try XCTUnwrap(b.config["hidden_size"] as? Int)
        let scales = b.graph.nodes.compactMap { if case .scale(_, let f) = $0.op { f } else { nil } }
        XCTAssertEqual(scales, [Float(Double(hidden).squareRoot())])
    }

    func testExaone4GlobalLayersHaveNoRope() throws {
        let b = try build("exaone4_for_causal_lm")
        let types = b.config["layer_types"] as? [String] ?? []
        XCTAssertTrue(types.contains("full_attention") && types.contains("sliding_attention"))
        for (layer, type) in types.enumerated() {
            XCTAssertEqual(ropes(b.graph, layer: layer).count, type == "full_attention" ? 0 : 2, "layer \(layer)")
        }
        XCTAssertEqual(attentions(b.graph).map(\.window), windows(b.config))
    }

    func testGlm4PartialInterleavedRope() throws {
        let b = try build("glm4_for_causal_lm")
        let headDim = try XCTUnwrap(b.config["head_dim"] as? Int)
        let factor = try XCTUnwrap((b.config["rope_parameters"] as? [String: Any])?["partial_rotary_factor"] as? Double)
        let specs = ropes(b.graph, layer: 0) + ropes(b.graph, layer: 1)
        XCTAssertEqual(specs.count, 4)
        XCTAssertTrue(specs.allSatisfy { $0.style == .interleaved && $0.rotaryDim == Int(Double(headDim) * factor) })
    }

    func testOlmoFullWidthQKNormAndWindows() throws {
        for name in ["olmo2_for_causal_lm", "olmo3_for_causal_lm"] {
            let b = try build(name)
            let heads = try XCTUnwrap(b.config["num_attention_heads"] as? Int)
            let hidden = try XCTUnwrap(b.config["hidden_size"] as? Int)
            let qNorms = b.graph.nodes.filter { $0.name.hasSuffix("q_norm") }
            XCTAssertEqual(qNorms.count, 2, name)
            for node in qNorms {
                guard case .rmsNorm(_, let weight, _, let group, 0) = node.op else { return XCTFail(node.name) }
                XCTAssertEqual(group, hidden / heads * heads, name)
                XCTAssertEqual(weight?.shape, [group], name)
            }
            let expected = b.config["layer_types"] == nil ? [nil, nil] : windows(b.config)
            XCTAssertEqual(attentions(b.graph).map(\.window), expected, name)
        }
    }
}
