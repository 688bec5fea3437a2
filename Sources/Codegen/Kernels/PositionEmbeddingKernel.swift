import CLLVM

/// Learned absolute position embeddings (GPT-2, OPT, BigCode): out[r][:] = (or += with `accumulate`)
/// table[pos0 + r + offset][:], widened to f32. The table is [positions][dim] in `EmbeddingKernel`'s `.rows`
/// layout (`EmbeddingKernel.pack` with vocab = positions); OPT's table starts `offset` = 2 rows in. Indices outside
/// [0, positions) read row 0. Slots: [0] table ptr, [1] out ptr, [2] ldo, [3] pos0 (or, with `.perToken` positions,
/// the i32 position of each row: an `encode` batch's positions), [4] rows.
public struct PositionEmbeddingKernel: RowwiseKernel {
    public let positions: Int
    public let dim: Int
    public let weight: WeightFormat
    public let offset: Int
    public let accumulate: Bool
    public let source: PositionSource

    public init(positions: Int, dim: Int, weight: WeightFormat, offset: Int, accumulate: Bool, source: PositionSource = .consecutive) {
        precondition(positions > 0 && dim > 0, "position embedding needs positions > 0 and dim > 0")
        precondition(offset >= 0, "position offset must not be negative")
        self.positions = positions
        self.dim = dim
        self.weight = weight
        self.offset = offset
        self.accumulate = accumulate
        self.source = source
    }

    public var symbol: String {
        "llmc_position_embedding_p\(positions)_d\(dim)_\(weight.rawValue)_o\(offset)\(accumulate ? "_acc" : "")\(source.symbolSuffix)"
    }

    public static let maxTasks = 4
    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let table = m.loadSlotPointer(args, 0)
        let out = StridedRows(m, args: args, base: 1, ld: 2)
        let position = source.positionOfRow(m, args: args, slot: 3)
        return { row in
            let index = EmbeddingKernel.indexOrZero(m, m.add(position(row), m.constI64(offset)), count: positions)
            EmbeddingKernel.emitRowsLayoutRow(m, table: table, weight: weight, dim: dim, index: index,
                                              lanes: target.vectorWidth, into: out.row(m, row), accumulate: accumulate)
        }
    }
}
