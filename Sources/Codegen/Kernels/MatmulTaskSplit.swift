import CLLVM

/// How a prefill path that converts activations per task (`QuantMatmul`'s quantization, `BF16PrefillMatmul`'s bf16
/// rounding) splits a call over tasks: up to `maxTasks` chunks of whole row tiles, and enough column chunks (of
/// `columnUnits` panels or panel groups) for about 8 tasks when the rows are few. Task t owns row chunk
/// t / columnChunks and column chunk t % columnChunks, so a task converts only its own rows.
struct MatmulTaskSplit {
    /// Upper bound on row chunks, and on tasks of one call.
    static let maxTasks = 16
    let tileRows: Int
    let columnUnits: Int

    /// Row chunks and column chunks of a call over `rows` (i64, >= 1) rows.
    private func chunks(_ m: ModuleBuilder, rows: LLVMValueRef) -> (rows: LLVMValueRef, columns: LLVMValueRef) {
        let rowChunks = m.smin(m.ceilDiv(rows, m.constI64(tileRows)), m.constI64(Self.maxTasks))
        return (rowChunks, m.smin(m.ceilDiv(m.constI64(8), rowChunks), m.constI64(columnUnits)))
    }

    /// Tasks of a call over `rows` rows (i64; treated as at least 1).
    func taskCount(_ m: ModuleBuilder, rows: LLVMValueRef) -> LLVMValueRef {
        let split = chunks(m, rows: m.smax(rows, m.constI64(1)))
        return m.mul(split.rows, split.columns)
    }

    /// Task `task`'s range of row tiles and range of column units.
    func ranges(_ m: ModuleBuilder, rows: LLVMValueRef, task: LLVMValueRef) -> (
        tiles: (begin: LLVMValueRef, end: LLVMValueRef), columns: (begin: LLVMValueRef, end: LLVMValueRef)
    ) {
        let split = chunks(m, rows: rows)
        let tiles = splitRange(m, total: m.ceilDiv(rows, m.constI64(tileRows)), parts: split.rows,
                               part: m.sdiv(task, split.columns))
        return (tiles, splitRange(m, total: m.constI64(columnUnits), parts: split.columns, part: m.srem(task, split.columns)))
    }
}
