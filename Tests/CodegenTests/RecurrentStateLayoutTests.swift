import Codegen
import IR
import XCTest

/// RecurrentStateLayout: one 64-byte aligned region per conv and scan slot, sized by the kernels' layouts; a slot
/// used twice is an error naming the node; attention-only graphs need no state.
final class RecurrentStateLayoutTests: XCTestCase {
    private func graph(scanSlots: [Int]) -> Graph {
        var b = GraphBuilder()
        let ids = b.tokenIDs()
        var x = b.embedding(ids, table: WeightRef("embed", shape: [10, 20]), name: "embed")
        for (layer, slot) in scanSlots.enumerated() {
            let conv = ConvSpec(stateSlot: slot, channels: 20, kernel: 4, weight: WeightRef("conv\(layer)", shape: [80]), bias: nil)
            x = b.causalConv1d(x, conv, name: "layers.\(layer).conv")
            let bc = b.slice(x, start: 0, count: 8, name: "layers.\(layer).bc")
            let scan = ScanSpec(stateSlot: slot, heads: 20, headDim: 1, groups: 1, stateSize: 8,
                                a: WeightRef("a\(layer)", shape: [160]), d: nil)
            x = b.selectiveScan(x: x, dt: x, b: bc, c: bc, scan, name: "layers.\(layer).scan")
        }
        return b.finish(logits: b.lastRow(x, name: "last"), info: ModelInfo(architecture: "test", vocabSize: 20, hiddenSize: 20,
                                                                               layers: scanSlots.count, maxPosition: 64, kvWidths: []))
    }

    func testRegionsPerSlot() throws {
        let layout = try RecurrentStateLayout(graph: graph(scanSlots: [0, 1]))
        // conv: 3 × 20 floats = 240 bytes → 256; scan: 8 × 32 floats (blocks of 16 channels) = 1024 bytes.
        XCTAssertEqual(layout.conv, [0: 0, 1: 1280])
        XCTAssertEqual(layout.scan, [0: 256, 1: 1536])
        XCTAssertEqual(layout.bytes, 2560)
        XCTAssertEqual(try RecurrentStateLayout(graph: graph(scanSlots: [])).bytes, 0)
    }

    func testSlotUsedTwiceIsAnError() {
        XCTAssertThrowsError(try RecurrentStateLayout(graph: graph(scanSlots: [3, 3]))) { error in
            XCTAssertTrue("\(error)".contains("layers.1.conv") && "\(error)".contains("slot 3"), "\(error)")
        }
    }
}
