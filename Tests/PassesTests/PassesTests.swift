import Foundation
import XCTest
import Frontend
import IR
@testable import Passes

final class PassesTests: XCTestCase {
    private func golden(_ name: String) throws -> Graph {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("golden/models/\(name)")
        let model = try ModelDirectory(url: url)
        return try RecipeRegistry.recipe(for: model).build(model, checkpoint: try Checkpoint(directory: url))
    }

    private func count(_ graph: Graph, _ mnemonic: String) -> Int {
        graph.nodes.filter { $0.op.mnemonic == mnemonic }.count
    }

    func testFusesQKVAndGateUpAndResiduals() throws {
        let graph = try golden("qwen2_bias")
        let layers = graph.info.layers
        XCTAssertEqual(count(graph, "linear"), 7 * layers + 1)
        let fused = Pipeline.standard.run(graph)
        XCTAssertEqual(count(fused, "linear"), 2 * layers + 1, "qkv and gate/up fused")
        XCTAssertEqual(count(fused, "linear_acc"), 2 * layers, "o_proj and down_proj add into the residual")
        XCTAssertEqual(count(fused, "add"), 0)
        XCTAssertEqual(fused.parameterCount, graph.parameterCount)
        // The fused q|k|v projection keeps the biases, in order.
        let qkv = fused.nodes.first { $0.name.hasPrefix("layers.0.self_attn.q_proj+") }
        guard case .linear(_, let w, let bias?, nil) = qkv?.op else { return XCTFail("no fused qkv with bias") }
        XCTAssertEqual(w.sourceNames, ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                                       "model.layers.0.self_attn.v_proj.weight"])
        XCTAssertEqual(bias.sourceNames.count, 3)
    }

    func testEveryInputIsDefinedBeforeUse() throws {
        let fused = Pipeline.standard.run(try golden("qwen3_qknorm"))
        for (index, node) in fused.nodes.enumerated() {
            for input in node.op.inputs { XCTAssertLessThan(input.index, index, node.name) }
        }
    }

    func testMoERouterIsNotFused() throws {
        // Qwen2-MoE: the router, the shared expert's gate and up and its sigmoid gate all read the normed rows; the
        // three shared-expert linears fuse, the router stays its own linear (stored f32 by the weight plan).
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("golden/corpus/qwen2_moe_for_causal_lm")
        let model = try ModelDirectory(url: url)
        let fused = Pipeline.standard.run(try RecipeRegistry.recipe(for: model).build(model, checkpoint: try Checkpoint(directory: url)))
        let routers = fused.nodes.compactMap { node -> Node? in
            if case .moe(_, let router, _) = node.op { fused[router] } else { nil }
        }
        XCTAssertEqual(routers.map(\.name), ["layers.0.mlp.gate", "layers.1.mlp.gate"])
        XCTAssertTrue(routers.allSatisfy { if case .linear = $0.op { true } else { false } })
        XCTAssertNotNil(fused.nodes.first { $0.name == "layers.0.mlp.shared_expert.gate_proj+layers.0.mlp.shared_expert.up_proj+layers.0.mlp.shared_expert_gate" })
    }

    func testFoldScaleIntoLinear() {
        var b = GraphBuilder()
        let ids = b.tokenIDs()
        let x = b.embedding(ids, table: WeightRef("e", shape: [10, 4]), name: "e")
        let y = b.linear(x, weight: WeightRef("w", shape: [10, 4]), bias: WeightRef("b", shape: [10]), name: "head")
        let s = b.scale(b.lastRow(y, name: "last"), by: 0.5, name: "s")
        let graph = b.finish(logits: s, info: ModelInfo(architecture: "t", vocabSize: 10, hiddenSize: 4, layers: 0, maxPosition: 8, kvWidths: []))
        // The scale reads a view, so it does not fold; scaling a linear directly does.
        XCTAssertEqual(count(FoldScales().run(graph), "scale"), 1)
        var b2 = GraphBuilder()
        let x2 = b2.embedding(b2.tokenIDs(), table: WeightRef("e", shape: [10, 4]), name: "e")
        let y2 = b2.linear(x2, weight: WeightRef("w", shape: [10, 4]), bias: WeightRef("b", shape: [10]), name: "head")
        let s2 = b2.scale(y2, by: 0.5, name: "s")
        let folded = FoldScales().run(b2.finish(logits: s2, info: graph.info))
        XCTAssertEqual(count(folded, "scale"), 0)
        guard case .linear(_, let w, let bias?, _) = folded[folded.logits!].op else { return XCTFail("logits not a linear") }
        XCTAssertEqual(w.transform, .scaled(.tensor("w"), 0.5))
        XCTAssertEqual(bias.transform, .scaled(.tensor("b"), 0.5))
    }
}
