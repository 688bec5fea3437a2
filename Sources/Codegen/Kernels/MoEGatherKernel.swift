import CLLVM

/// out[r] = x[rows[r]] for r < count: the token rows one expert (or all experts, in expert order) reads, gathered
/// into consecutive rows of width `width`.
/// Slots: [0] x, [1] ldx, [2] row indices (i64[count]), [3] out (row stride `width`), [4] count.
public struct MoEGatherKernel: RowwiseKernel {
    public let width: Int

    public init(width: Int) {
        precondition(width > 0, "gather width must be positive")
        self.width = width
    }

    public var symbol: String { "llmc_moe_gather_w\(width)" }

    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let x = StridedRows(m, args: args, base: 0, ld: 1)
        let (indices, out) = (m.loadSlotPointer(args, 2), m.loadSlotPointer(args, 3))
        return { row in
            let source = m.load(m.i64Type, m.gep(m.i64Type, indices, row), align: 8)
            mapVectors(m, count: width, lanes: target.vectorWidth, inputs: [x.row(m, source)],
                       output: m.gepF32(out, m.mul(row, m.constI64(width)))) { $0[0] }
        }
    }
}
