import Codegen
import IR
import XCTest

/// Per-tensor precisions of `WeightPlan`: the lm_head and the token embedding table get their own formats, a tied
/// table is stored once when both uses agree and twice otherwise.
final class WeightPlanTests: XCTestCase {
    private let info = ModelInfo(architecture: "t", vocabSize: 40, hiddenSize: 32, layers: 1, maxPosition: 8, kvWidths: [])
    private let table = WeightRef("embed", shape: [40, 32])
    private let hidden = WeightRef("layer", shape: [32, 32])

    /// embedding → linear → last row → head (the table itself when tied) → optional soft cap.
    private func graph(tied: Bool, softcap: Bool = false) -> Graph {
        var b = GraphBuilder()
        let x = b.embedding(b.tokenIDs(), table: table, name: "embed")
        let h = b.linear(x, weight: hidden, name: "layer")
        var logits = b.linear(b.lastRow(h, name: "last"), weight: tied ? table : WeightRef("lm_head", shape: [40, 32]),
                              name: "lm_head")
        if softcap { logits = b.unary(logits, .softcap(30), name: "softcap") }
        return b.finish(logits: logits, info: info)
    }

    private func layouts(_ plan: WeightPlan) -> [String: [PlannedWeight.Layout]] {
        Dictionary(grouping: plan.weights, by: { $0.weight.transform.description }).mapValues { $0.map(\.layout) }
    }

    func testDefaultsKeepTablesAtInt8UnderInt4() {
        XCTAssertEqual(WeightPrecision(dtype: .int4), WeightPrecision(dtype: .int4, mlpDown: .int4, lmHead: .int8))
        XCTAssertEqual(WeightPrecision(dtype: .int8), WeightPrecision(dtype: .int8, mlpDown: .bf16, lmHead: .int8))
        for dtype in [WeightFormat.f32, .bf16] {
            XCTAssertEqual(WeightPrecision(dtype: dtype), WeightPrecision(dtype: dtype, mlpDown: dtype, lmHead: dtype))
        }
        let plan = WeightPlan(graph: graph(tied: true), dtype: .int4)
        XCTAssertEqual(layouts(plan)["embed"], [.matmul(.int8)], "tied table stored once, shared by embedding and head")
        XCTAssertEqual(layouts(plan)["layer"], [.matmul(.int4)])
        XCTAssertEqual(plan.embeddingTable(table).offset, plan[table].offset)
        XCTAssertEqual(plan.tokenEmbedding, .int8)
        // An untied table is read one row per token: bf16 rows under the quantized formats.
        let untied = WeightPlan(graph: graph(tied: false), dtype: .int8)
        XCTAssertEqual(layouts(untied)["embed"], [.embeddingRows(.bf16)])
        XCTAssertEqual(layouts(untied)["lm_head"], [.matmul(.int8)])
        XCTAssertEqual(untied.tokenEmbedding, .bf16)
    }

    func testTiedTableWithTwoFormatsIsStoredTwice() {
        let plan = WeightPlan(graph: graph(tied: true), precision: WeightPrecision(dtype: .int8, lmHead: .bf16, embedding: .int4))
        XCTAssertEqual(layouts(plan)["embed"], [.matmul(.bf16), .matmul(.int4)])
        XCTAssertEqual(plan[table].layout, .matmul(.bf16))
        XCTAssertEqual(plan.embeddingTable(table).layout, .matmul(.int4))
        let offsets = plan.weights.map(\.offset)
        XCTAssertEqual(offsets, offsets.sorted())
        XCTAssertTrue(offsets.allSatisfy { $0 % 64 == 0 })
        XCTAssertEqual(Set(offsets).count, offsets.count)
        // A float embedding of a tied table is stored as rows.
        let rows = WeightPlan(graph: graph(tied: true), precision: WeightPrecision(dtype: .int8, embedding: .bf16))
        XCTAssertEqual(rows.embeddingTable(table).layout, .embeddingRows(.bf16))
        XCTAssertEqual(rows[table].layout, .matmul(.int8))
    }

    func testMLPDownProjectionIsTheLinearReadingAnActivation() {
        var b = GraphBuilder()
        let x = b.embedding(b.tokenIDs(), table: table, name: "embed")
        let up = b.linear(x, weight: WeightRef("up", shape: [64, 32]), name: "up")
        let down = b.linear(b.unary(up, .silu, name: "act"), weight: WeightRef("down", shape: [32, 64]), name: "down")
        let logits = b.linear(b.lastRow(down, name: "last"), weight: table, name: "lm_head")
        let plan = WeightPlan(graph: b.finish(logits: logits, info: info), dtype: .int8)
        XCTAssertEqual(layouts(plan)["up"], [.matmul(.int8)])
        XCTAssertEqual(layouts(plan)["down"], [.matmul(.bf16)])
        XCTAssertEqual(layouts(plan)["embed"], [.matmul(.int8)])
    }

    func testUntiedHeadFoundThroughSoftcap() {
        let plan = WeightPlan(graph: graph(tied: false, softcap: true),
                              precision: WeightPrecision(dtype: .int4, lmHead: .f32, embedding: .bf16))
        XCTAssertEqual(layouts(plan)["lm_head"], [.matmul(.f32)])
        XCTAssertEqual(layouts(plan)["embed"], [.embeddingRows(.bf16)])
        XCTAssertEqual(layouts(plan)["layer"], [.matmul(.int4)])
    }
}
