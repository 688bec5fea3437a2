import CLLVM

/// Learned absolute position embeddings (GPT-2, OPT, BigCode): out[r][:] = (or += with `accumulate`)
/// table[pos0 + r + offset][:], widened to f32. The table is [positions][dim] in `EmbeddingKernel`'s `.rows`
/// layout (`EmbeddingKernel.pack` with vocab = positions); OPT's table starts `offset` = 2 rows in. Indices outside
/// [0, positions) read row 0. Slots: [0] table ptr, [1] out ptr, [2] ldo, [3] pos0, [4] rows.
public struct PositionEmbeddingKernel: RowwiseKernel {
    public let positions: Int
    public let dim: Int
    public let weight: WeightFormat
    public let offset: Int
    public let accumulate: Bool

    public init(positions: Int, dim: Int, weight: WeightFormat, offset: Int, accumulate: Bool) {
        precondition(positions > 0 && dim > 0, "position embedding needs positions > 0 and dim > 0")
        precondition(offset >= 0, "position offset must not be negative")
        self.positions = positions
        self.dim = dim
        self.weight = weight
        self.offset = offset
        self.accumulate = accumulate
    }

    public var symbol: String {
        "llmc_position_embedding_p\(positions)_d\(dim)_\(weight.rawValue)_o\(offset)\(accumulate ? "_acc" : "")"
    }

    public static let maxTasks = 4
    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let table = m.loadSlotPointer(args, 0)
        let out = StridedRows(m, args: args, base: 1, ld: 2)
        let first = m.add(m.loadSlot(args, 3), m.constI64(offset))
        return { row in
            let index = EmbeddingKernel.indexOrZero(m, m.add(first, row), count: positions)
            EmbeddingKernel.emitRowsLayoutRow(m, table: table, weight: weight, dim: dim, index: index,
                                              lanes: target.vectorWidth, into: out.row(m, row), accumulate: accumulate)
        }
    }
}
