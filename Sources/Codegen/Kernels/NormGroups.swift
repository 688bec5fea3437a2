import CLLVM

/// The `heads` (run-time count) groups of `dim` columns at the start of one row, which the norm kernels normalise
/// separately (whole rows with heads = 1; per-head q/k norms otherwise).
struct NormGroups {
    let dim: Int
    let x: StridedRows
    let heads: LLVMValueRef
    let out: StridedRows

    /// Loads the norm kernels' shared slots: [0] x, [1] ldx, [2] heads and the out pointer and stride slots.
    init(_ m: ModuleBuilder, args: LLVMValueRef, dim: Int, outSlot: Int) {
        self.dim = dim
        x = StridedRows(m, args: args, base: 0, ld: 1)
        heads = m.loadSlot(args, 2)
        out = StridedRows(m, args: args, base: outSlot, ld: outSlot + 1)
    }

    /// Emits `body(source, destination, column)` for each group of row `row` (`column`: the group's first column).
    func forEach(
        _ m: ModuleBuilder, row: LLVMValueRef,
        _ body: (_ source: LLVMValueRef, _ destination: LLVMValueRef, _ column: LLVMValueRef) -> Void
    ) {
        m.forLoop(from: m.constI64(0), to: heads) { head in
            let offset = m.mul(head, m.constI64(dim))
            body(x.row(m, row, column: offset), out.row(m, row, column: offset), offset)
        }
    }
}
