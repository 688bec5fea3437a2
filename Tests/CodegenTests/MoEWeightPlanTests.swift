import Codegen
import IR
import XCTest

/// How `WeightPlan` and `MemoryPlan` treat a mixture of experts: expert gate|up matrices in the linear format,
/// down matrices in the MLP-down format, the router f32 under every dtype, the selection bias a vector; the scratch
/// lives only while the op runs.
final class MoEWeightPlanTests: XCTestCase {
    private func graph() -> Graph {
        var b = GraphBuilder()
        let x = b.embedding(b.tokenIDs(), table: WeightRef("embed", shape: [40, 32]), name: "embed")
        let router = b.linear(x, weight: WeightRef("router", shape: [4, 32]), name: "router")
        let experts = (0..<4).map { MoEExpert(gateUp: WeightRef("gate_up.\($0)", shape: [48, 32]), down: WeightRef("down.\($0)", shape: [32, 24])) }
        let spec = MoESpec(experts: experts, routing: MoERouting(topK: 2, scoring: .sigmoid, renormalize: true),
                           activation: .silu, selectionBias: WeightRef("bias", shape: [4]))
        let moe = b.moe(x, router: router, spec, name: "moe")
        let logits = b.linear(b.lastRow(b.add(x, moe, name: "residual"), name: "last"), weight: WeightRef("head", shape: [40, 32]),
                              name: "head")
        return b.finish(logits: logits, info: ModelInfo(architecture: "t", vocabSize: 40, hiddenSize: 32, layers: 1, maxPosition: 8,
                                                        kvWidths: []))
    }

    func testExpertFormatsFollowTheDtypeAndTheRouterStaysF32() {
        for (dtype, down) in [(WeightFormat.int8, WeightFormat.bf16), (.int4, .int4), (.bf16, .bf16)] {
            let plan = WeightPlan(graph: graph(), dtype: dtype)
            let layout = { (name: String) in plan.weights.first { $0.weight.transform.description == name }?.layout }
            XCTAssertEqual(layout("router"), .matmul(.f32), "\(dtype)")
            XCTAssertEqual(layout("gate_up.3"), .matmul(dtype), "\(dtype)")
            XCTAssertEqual(layout("down.0"), .matmul(down), "\(dtype)")
            XCTAssertEqual(layout("bias"), .vector, "\(dtype)")
        }
    }

    func testScratchIsPlannedForTheOpOnly() {
        let g = graph()
        let plan = MemoryPlan(graph: g, maxBatch: 16)
        let index = g.nodes.firstIndex { $0.name == "moe" } ?? -1
        XCTAssertEqual(Array(plan.scratch.keys), [index])
        guard let scratch = plan.scratch[index], case .arena(let out) = plan.locations[index].base,
              case .arena(let input) = plan.locations[index - 2].base else { return XCTFail("moe not planned in the arena") }
        let bytes = MoEKernel(hidden: 32, ff: 24, experts: 4, routing: MoERouting(topK: 2, renormalize: true), activation: .silu,
                              gateUpFormat: .f32, downFormat: .f32, capacity: 16).scratchBytes
        // The scratch overlaps neither the op's input nor its output.
        for (start, length) in [(out, 16 * 32 * 4), (input, 16 * 32 * 4)] {
            XCTAssertTrue(scratch + bytes <= start || start + length <= scratch, "scratch \(scratch)+\(bytes) vs \(start)+\(length)")
        }
        XCTAssertGreaterThanOrEqual(plan.arenaBytes, scratch + bytes)
    }
}
