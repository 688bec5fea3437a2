import CLLVM

/// out[r][:] = row tokens[r] of an int8/int4 matrix packed for `MatmulKernel` ([vocab][dim] as [n][k]), dequantized
/// to f32 (int8: s·q; int4: fma(q, d, m); s, d and m per group of 32): quantized embedding tables, which a tied
/// table shares with the LM head.
/// Token ids outside [0, vocab) read row 0. Same slots as `EmbeddingKernel`: [0] tokens ptr (i32), [1] table ptr,
/// [2] out ptr, [3] ldo, [4] rows.
public struct QuantEmbeddingKernel: RowwiseKernel {
    public let vocab: Int
    public let dim: Int
    public let weight: WeightFormat

    public init(vocab: Int, dim: Int, weight: WeightFormat) {
        precondition(vocab > 0 && dim > 0, "embedding needs vocab > 0 and dim > 0")
        precondition(weight.isQuantized, "QuantEmbeddingKernel reads int8 and int4 tables")
        self.vocab = vocab
        self.dim = dim
        self.weight = weight
    }

    public var symbol: String { "llmc_quant_embedding_v\(vocab)_d\(dim)_\(weight.rawValue)" }

    public static let maxTasks = 4
    public static let rowsSlot = 4

    /// Values are produced 16 at a time (split into two registers on AVX2).
    private static let lanes = 16

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (tokens, table) = (m.loadSlotPointer(args, 0), m.loadSlotPointer(args, 1))
        let out = StridedRows(m, args: args, base: 2, ld: 3)
        let panelBytes = MatmulPacking.panelBytes(k: dim, weight: weight)
        return { row in
            let raw = m.sext(m.load(m.i32Type, m.gep(m.i32Type, tokens, row)), m.i64Type)
            let token = EmbeddingKernel.indexOrZero(m, raw, count: vocab)
            let width = m.constI64(MatmulPacking.panelWidth)
            let panel = m.gep(m.i8Type, table, m.mul(m.sdiv(token, width), m.constI64(panelBytes)))
            // The column's 4 bytes in each 64-byte chunk sit at 4·lane.
            let column = m.gep(m.i8Type, panel, m.mul(m.srem(token, width), m.constI64(4)))
            let destination = out.row(m, row)
            if weight == .int8 {
                emitInt8Row(m, panel: panel, column: column, lane: m.srem(token, width), into: destination)
            } else {
                emitInt4Row(m, panel: panel, column: column, lane: m.srem(token, width), into: destination)
            }
        }
    }

    /// Gathers the i32 at `pointer` + offsets[i] for the first `valid` lanes (others read as 0), as bytes.
    private func gatherWords(_ m: ModuleBuilder, _ pointer: LLVMValueRef, offsets: [Int], valid: Int) -> LLVMValueRef {
        let pointers = m.gep(m.i8Type, pointer, m.constVector(offsets.map { m.constI64($0) }))
        let words = m.maskedGather(m.i32Type, pointers, lanes: offsets.count,
                                   mask: m.constLaneMask(valid: valid, offsets.count), align: 4)
        return m.bitcast(words, m.vectorType(m.i8Type, 4 * offsets.count))
    }

    /// Stores 16 values at element `offset` (i64) of `destination`, the first `valid` of them when below 16.
    private func store(_ m: ModuleBuilder, _ values: LLVMValueRef, at offset: LLVMValueRef, valid: Int,
                       _ destination: LLVMValueRef) {
        let mask = valid < Self.lanes ? m.constLaneMask(valid: valid, Self.lanes) : nil
        m.storeVector(values, m.gepF32(destination, offset), mask: mask)
    }

    /// Runs `body(first, valid)` over the row in pieces of `piece` values: a loop over whole pieces, then the
    /// tail piece (first is the i64 index of the piece's first value).
    private func forEachPiece(_ m: ModuleBuilder, _ piece: Int, _ body: (_ first: LLVMValueRef, _ valid: Int) -> Void) {
        m.forLoop(from: m.constI64(0), to: m.constI64(dim / piece * piece), step: piece) { body($0, piece) }
        if dim % piece != 0 { body(m.constI64(dim / piece * piece), dim % piece) }
    }

    private func emitInt8Row(
        _ m: ModuleBuilder, panel: LLVMValueRef, column: LLVMValueRef, lane: LLVMValueRef, into destination: LLVMValueRef
    ) {
        // One group of 32 values per piece: its f16 scale row and its 8 code chunks (chunk t holding values
        // 4t ..< 4t+4 in order).
        forEachPiece(m, QuantPacking.block) { first, valid in
            let offsets = QuantPacking.int8Offsets(group: m.sdiv(first, m.constI64(QuantPacking.block)), m)
            let pointer = m.gep(m.f16Type, m.gep(m.i8Type, panel, offsets.scales), lane)
            let scale = m.splat(LLVMBuildFPExt(m.builder, m.load(m.f16Type, pointer, align: 2), m.f32Type, "")!, Self.lanes)
            let chunks = m.gep(m.i8Type, column, offsets.codes)
            let bytes = gatherWords(m, chunks, offsets: (0..<8).map { $0 * 64 }, valid: (valid + 3) / 4)
            for part in 0..<2 where part * Self.lanes < valid {
                let codes = m.shuffle(bytes, bytes, (0..<Self.lanes).map { part * Self.lanes + $0 })
                let values = m.sitofp(m.sext(codes, m.vectorType(m.i32Type, Self.lanes)), m.f32Vector(Self.lanes))
                store(m, m.fmul(values, scale), at: m.add(first, m.constI64(part * Self.lanes)),
                      valid: valid - part * Self.lanes, destination)
            }
        }
    }

    private func emitInt4Row(
        _ m: ModuleBuilder, panel: LLVMValueRef, column: LLVMValueRef, lane: LLVMValueRef, into destination: LLVMValueRef
    ) {
        forEachPiece(m, QuantPacking.block) { first, valid in
            let base = m.mul(m.sdiv(first, m.constI64(QuantPacking.block)), m.constI64(QuantPacking.int4GroupBytes))
            let halfAt = { (offset: Int) -> LLVMValueRef in
                let pointer = m.gep(m.f16Type, m.gep(m.i8Type, panel, m.add(base, m.constI64(offset))), lane)
                return m.splat(LLVMBuildFPExt(m.builder, m.load(m.f16Type, pointer, align: 2), m.f32Type, "")!, Self.lanes)
            }
            let (scale, minimum) = (halfAt(0), halfAt(32))
            // Byte 4t + i of the group's 4 chunk words holds the codes of values 4t + i (low nibble) and
            // 16 + 4t + i (high nibble).
            let bytes = gatherWords(m, m.gep(m.i8Type, column, m.add(base, m.constI64(64))),
                                    offsets: (0..<4).map { $0 * 64 }, valid: 4)
            let halves = [m.and(bytes, m.splatInt(m.i8Type, 0x0f, Self.lanes)), m.lshr(bytes, m.splatInt(m.i8Type, 4, Self.lanes))]
            for (half, codes) in halves.enumerated() where half * Self.lanes < valid {
                let values = m.sitofp(m.zext(codes, m.vectorType(m.i32Type, Self.lanes)), m.f32Vector(Self.lanes))
                store(m, m.fma(values, scale, minimum), at: m.add(first, m.constI64(half * Self.lanes)),
                      valid: valid - half * Self.lanes, destination)
            }
        }
    }
}
