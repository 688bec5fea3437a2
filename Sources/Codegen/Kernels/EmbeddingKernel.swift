import CLLVM

/// Where an embedding table lives in the weight blob.
public enum EmbeddingLayout: String, Sendable, Hashable {
    /// Row-major [vocab][dim] (packed by `EmbeddingKernel.pack`).
    case rows
    /// The `MatmulPacking` layout of the [vocab][dim] matrix, so a tied table is shared with the LM head.
    case matmulPacked
}

/// out[r][:] = table[tokens[r]][:] (widened to f32). Token ids outside [0, vocab) read row 0.
/// Slots: [0] tokens ptr (i32), [1] table ptr, [2] out ptr, [3] ldo, [4] rows.
public struct EmbeddingKernel: RowwiseKernel {
    public let vocab: Int
    public let dim: Int
    public let weight: WeightFormat
    public let layout: EmbeddingLayout

    public init(vocab: Int, dim: Int, weight: WeightFormat, layout: EmbeddingLayout) {
        precondition(vocab > 0 && dim > 0, "embedding needs vocab > 0 and dim > 0")
        self.vocab = vocab
        self.dim = dim
        self.weight = weight
        self.layout = layout
    }

    /// Bytes of a `.rows` table.
    public static func packedBytes(vocab: Int, dim: Int, weight: WeightFormat) -> Int { vocab * dim * weight.bytes }

    /// Writes a row-major [vocab][dim] f32 table in the `.rows` layout and format `weight`.
    public static func pack(
        _ src: UnsafeBufferPointer<Float>, vocab: Int, dim: Int, weight: WeightFormat, into dst: UnsafeMutableRawPointer
    ) {
        precondition(src.count >= vocab * dim, "source has \(src.count) values, need \(vocab * dim)")
        for index in 0..<(vocab * dim) { weight.store(src[index], at: index, into: dst) }
    }

    public var symbol: String { "llmc_embedding_v\(vocab)_d\(dim)_\(weight.rawValue)_\(layout.rawValue)" }

    public static let maxTasks = 4
    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (tokens, table) = (m.loadSlotPointer(args, 0), m.loadSlotPointer(args, 1))
        let out = StridedRows(m, args: args, base: 2, ld: 3)
        let lanes = target.vectorWidth
        return { row in
            let raw = m.sext(m.load(m.i32Type, m.gep(m.i32Type, tokens, row)), m.i64Type)
            let token = Self.indexOrZero(m, raw, count: vocab)
            let destination = out.row(m, row)
            switch layout {
            case .rows:
                Self.emitRowsLayoutRow(m, table: table, weight: weight, dim: dim, index: token, lanes: lanes,
                                       into: destination, accumulate: false)
            case .matmulPacked:
                // Element (token, d) sits at the token's panel start + its column's place in a panel row + the
                // offset of d in the panel, `MatmulPacking.index(j: 0, kk: d)` (d * 16 for f32; for bf16, whose k
                // pairs interleave, (d / 2) * 32 + d % 2, which is offset * 16 + index(0, lane) as offsets are even).
                let width = m.constI64(MatmulPacking.panelWidth)
                let panelStart = m.mul(m.sdiv(token, width),
                                       m.constI64(MatmulPacking.storedK(dim, weight: weight) * MatmulPacking.panelWidth))
                let base = m.add(panelStart, m.mul(m.srem(token, width), m.constI64(weight == .bf16 ? 2 : 1)))
                let strides = m.constVector((0..<lanes).map {
                    m.constI64(MatmulPacking.index(j: 0, kk: $0, k: dim, weight: weight))
                })
                let elementType = weight.elementType(m)
                forEachVector(m, count: dim, lanes: lanes) { offset, mask in
                    let first = m.add(base, m.mul(offset, width))
                    let pointers = m.gep(elementType, table, m.add(m.splat(first, lanes), strides))
                    let gathered = m.maskedGather(elementType, pointers, lanes: lanes,
                                                  mask: mask ?? m.constLaneMask(valid: lanes, lanes), align: weight.bytes)
                    let value = weight == .f32 ? gathered : m.widenBF16(gathered)
                    m.storeVector(value, m.gepF32(destination, offset), mask: mask)
                }
            }
        }
    }

    /// `index` (i64) if it lies in [0, count), else 0.
    static func indexOrZero(_ m: ModuleBuilder, _ index: LLVMValueRef, count: Int) -> LLVMValueRef {
        m.select(m.icmp(LLVMIntULT, index, m.constI64(count)), index, m.constI64(0))
    }

    /// destination[0..<dim] = (or += with `accumulate`) row `index` (i64) of a `.rows` table, widened to f32.
    static func emitRowsLayoutRow(
        _ m: ModuleBuilder, table: LLVMValueRef, weight: WeightFormat, dim: Int, index: LLVMValueRef, lanes: Int,
        into destination: LLVMValueRef, accumulate: Bool
    ) {
        let elementType = weight.elementType(m)
        let source = m.gep(elementType, table, m.mul(index, m.constI64(dim)))
        forEachVector(m, count: dim, lanes: lanes) { offset, mask in
            let pointer = m.gep(elementType, source, offset)
            var value = weight == .f32
                ? m.loadF32Vector(pointer, lanes, mask: mask) : m.loadBF16AsF32(pointer, lanes, mask: mask)
            let target = m.gepF32(destination, offset)
            if accumulate { value = m.fadd(m.loadF32Vector(target, lanes, mask: mask), value) }
            m.storeVector(value, target, mask: mask)
        }
    }
}
