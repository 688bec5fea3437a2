import Foundation
import XCTest
@testable import Frontend
import IR

/// Gemma-3n text: the config against transformers 5.24's Gemma3nTextConfig (values printed by
/// `Gemma3nTextConfig(hidden_size=64, num_attention_heads=4, vocab_size=100, ...)`: `.layer_types`,
/// `.activation_sparsity_pattern`, `.kv_sharing_modes`), the normal quantile against torch's
/// `Normal(0, 1).icdf` in f64, and the golden corpus case's graph run by `ReferenceEvaluator` against transformers'
/// logits.
final class Gemma3nTests: XCTestCase {
    private static let caseURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/corpus/gemma3n_for_causal_lm")

    private func config(_ extra: String) throws -> Gemma3nConfig {
        let json = #"{"model_type":"gemma3n_text","hidden_size":64,"num_attention_heads":4,"vocab_size":100,"# + extra + "}"
        return try ConfigDecoding.decode(Gemma3nConfig.self, from: Data(json.utf8), file: "config.json")
    }

    func testDefaultsOfTwelveLayers() throws {
        let c = try config(#""num_hidden_layers":12,"num_kv_shared_layers":5"#)
        let (s, f) = (AttentionLayerType.sliding, AttentionLayerType.full)
        XCTAssertEqual(c.layerTypes, [s, s, s, s, f, s, s, s, s, f, s, s])
        XCTAssertEqual(c.activationSparsity, Array(repeating: 0.95, count: 10) + [0, 0])
        XCTAssertEqual(c.intermediateSizes, Array(repeating: 16_384, count: 12))
        XCTAssertEqual(c.kvHeads, 2)
        XCTAssertEqual(c.headDim, 256)
        XCTAssertEqual(c.slidingWindow, 512)
        XCTAssertEqual(c.maxPosition, 32_768)
        XCTAssertEqual(c.finalSoftcap, 30)
        XCTAssertEqual(c.rope, LayerTypeRope(full: RopeConfig(theta: 1_000_000, scaling: .none),
                                             sliding: RopeConfig(theta: 10000, scaling: .none)))
        XCTAssertEqual([c.altupStreams, c.altupActiveIndex, c.laurelRank, c.perLayerWidth, c.perLayerVocabSize],
                       [4, 0, 64, 256, 262_144])
        XCTAssertTrue(c.altupCorrectScale)
        // kv_sharing_modes: layers 0-6 own their cache (6 stores for sliding, 4 for full); 7-11 reuse.
        XCTAssertEqual(c.cacheSlots, [0, 1, 2, 3, 4, 5, 6, 6, 6, 4, 6, 6])
    }

    func testSharedLayersReadTheLastProducerOfTheirType() throws {
        // kv_sharing_modes [None, 'store', 'store', 'reuse', 'reuse', 'reuse']; no layer is sparse at 6 layers.
        let types = #"["sliding_attention","full_attention","sliding_attention","sliding_attention","full_attention","sliding_attention"]"#
        let c = try config(#""num_hidden_layers":6,"num_kv_shared_layers":3,"intermediate_size":[8,9,10,11,12,13],"layer_types":"# + types)
        XCTAssertEqual(c.cacheSlots, [0, 1, 2, 2, 1, 2])
        XCTAssertEqual(c.activationSparsity, Array(repeating: 0, count: 6))
        XCTAssertEqual(c.intermediateSizes, [8, 9, 10, 11, 12, 13])
    }

    func testBadValuesAreNamed() {
        let cases = [
            (#""num_hidden_layers":4,"num_kv_shared_layers":4"#, "num_kv_shared_layers"),
            (#""num_hidden_layers":4,"intermediate_size":[8,8]"#, "intermediate_size"),
            (#""num_hidden_layers":2,"activation_sparsity_pattern":[1.0,0.0]"#, "activation_sparsity_pattern"),
            (#""num_hidden_layers":2,"altup_num_inputs":2,"altup_active_idx":2"#, "altup_active_idx"),
            (#""num_hidden_layers":3,"num_kv_shared_layers":1,"layer_types":["sliding_attention","sliding_attention","full_attention"]"#,
             "num_kv_shared_layers"),
        ]
        for (extra, key) in cases {
            XCTAssertThrowsError(try config(extra), extra) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        }
    }

    func testNormalQuantileMatchesTorch() {
        let torch: [(Double, Double)] = [(0.95, 1.6448536269514724), (0.5, 0), (0.01, -2.3263478740408408),
                                         (0.999, 3.0902323061678136), (0.3, -0.5244005127080409)]
        for (p, expected) in torch {
            XCTAssertEqual(normalQuantile(p), expected, accuracy: 1e-13, "p = \(p)")
        }
    }

    private struct Expected: Decodable {
        var promptIds: [Int]
        var lastLogits: [Double]
        enum CodingKeys: String, CodingKey { case promptIds = "prompt_ids", lastLogits = "last_logits" }
    }

    func testGraphReproducesTransformersLogits() throws {
        let model = try ModelDirectory(url: Self.caseURL)
        let checkpoint = try Checkpoint(directory: Self.caseURL)
        let graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
        // Every stored tensor is read (correct_output_scale folded into the per-layer input gate).
        XCTAssertEqual(Set(graph.weights.flatMap(\.sourceNames)), Set(checkpoint.tensorNames))

        let attentions = graph.nodes.compactMap { node -> (shared: Bool, spec: AttentionSpec)? in
            if case .attention(_, let k, _, let spec) = node.op { (k == nil, spec) } else { nil }
        }
        XCTAssertEqual(attentions.map(\.shared), [false, false, true, true])
        XCTAssertEqual(attentions.map(\.spec.cacheSlot), [0, 1, 0, 1])
        XCTAssertEqual(attentions.map(\.spec.window), [8, nil, 8, nil])
        XCTAssertEqual(attentions.map(\.spec.scale), [1, 1, 1, 1])
        XCTAssertEqual(graph.info.kvWidths, [32, 32])
        // Sparsity (0.95 on layer 0 only): the cut-off is mean + Φ⁻¹(0.95)·std.
        let cutoffs = graph.nodes.filter { $0.name.hasSuffix("mlp.gate_sparse.std_scaled") }
        XCTAssertEqual(cutoffs.map(\.name), ["layers.0.mlp.gate_sparse.std_scaled"])
        if case .scale(_, let z) = cutoffs.first?.op { XCTAssertEqual(z, 1.6448535919189453) } else { XCTFail("no cut-off") }

        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.caseURL.appendingPathComponent("expected.json")))
        let logits = try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).logits(tokens: expected.promptIds)
        let error = zip(logits, expected.lastLogits).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        XCTAssertLessThan(error / expected.lastLogits.reduce(0) { $0 + $1 * $1 }, 1e-8, "last-position logits NMSE")
    }
}
