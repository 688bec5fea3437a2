import CLLVM

/// dst[r][0..<width] = src[r][0..<width] (writes new K/V rows into the KV cache).
/// Slots: [0] src, [1] lds, [2] dst, [3] ldd, [4] rows.
public struct CopyRowsKernel: RowwiseKernel {
    public let width: Int

    public init(width: Int) {
        precondition(width > 0, "copy width must be positive")
        self.width = width
    }

    public var symbol: String { "llmc_copy_rows_w\(width)" }

    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (src, dst) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        return { row in
            mapVectors(m, count: width, lanes: target.vectorWidth, inputs: [src.row(m, row)], output: dst.row(m, row)) { $0[0] }
        }
    }
}
