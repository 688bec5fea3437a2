import CLLVM

/// A register-tiled integer matmul tile over quantized weights and `QuantizedActivations` records: `rows` rows ×
/// `panels` panels, k walked in blocks of 32 with i32 accumulators (u8×s8 four-way dot products, `dotBytes`) that
/// are scaled into f32 totals after each block. Emitted as an internal function
/// `void (ptr records, ptr w, ptr y, i64 ldy, ptr bias, i64 validCols, i1 loadY, i1 addBias)` where `records`
/// holds the tile's first row (rows `recordBytes` apart) and `w` its first panel; results go through `TileOutput`.
///
/// - int8: with VNNI (16 lanes) the codes are flipped to u8 (q + 128, one xor) and multiply the signed activation
///   codes; the block's 128·Σq_x is subtracted before scaling: y = s_w · Σ_blocks s_x · Σ q_w·q_x. Without VNNI
///   (8 lanes, AVX2) the unsigned operand is |q_x| and the weights take q_x's sign (`vpsignb`), so no pair of
///   products exceeds 2·127·127 and `vpmaddubsw` cannot saturate.
/// - int4: the nibbles are the unsigned operand (both targets; pairs stay below 2·15·127);
///   y = Σ_groups d·s_x·Σ q·q_x + m·Σ x.
struct QuantMicroKernel {
    let format: WeightFormat
    let rows: Int
    let panels: Int
    let activations: QuantizedActivations
    /// Bytes between consecutive panels.
    let panelBytes: Int

    func name(prefix: String) -> String { "\(prefix).q\(rows)p\(panels)" }

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec, lanes: Int) -> LLVMValueRef {
        let type = m.functionType(m.voidType, [
            m.ptrType, m.ptrType, m.ptrType, m.i64Type, m.ptrType, m.i64Type, m.i1Type, m.i1Type,
        ])
        return m.defineFunction(name(prefix: prefix), type, linkage: LLVMInternalLinkage, target: target) { fn in
            m.addAttribute(fn, "noinline")
            emitBody(fn, m, lanes: lanes)
            m.retVoid()
        }
    }

    private func emitBody(_ fn: LLVMValueRef, _ m: ModuleBuilder, lanes: Int) {
        let (records, w) = (m.param(fn, 0), m.param(fn, 1))
        let output = TileOutput(y: m.param(fn, 2), ldy: m.param(fn, 3), bias: m.param(fn, 4), validCols: m.param(fn, 5),
                                loadY: m.param(fn, 6), addBias: m.param(fn, 7))
        let perPanel = MatmulPacking.panelWidth / lanes
        let vectors = panels * perPanel
        let tiles = rows * vectors
        // Small tiles (decode) split each block's dot products over two accumulator chains.
        let chains = tiles <= 2 ? 2 : 1
        let byteVector = m.vectorType(m.i8Type, 4 * lanes)
        let intVector = m.vectorType(m.i32Type, lanes)
        let record = { (r: Int, offset: LLVMValueRef) in
            m.gep(m.i8Type, records, m.add(m.constI64(r * activations.recordBytes), offset))
        }
        // The byte address `offset` into vector v's part of its panel (each panel part is 4·lanes bytes wide).
        let weightAddress = { (v: Int, offset: LLVMValueRef, partBytes: Int) in
            m.gep(m.i8Type, w, m.add(offset, m.constI64((v / perPanel) * panelBytes + (v % perPanel) * partBytes)))
        }

        let zeroF32 = LLVMConstNull(m.f32Vector(lanes))!
        let totals = m.forLoop(from: m.constI64(0), to: m.constI64(activations.blocks),
                               carrying: Array(repeating: zeroF32, count: tiles)) { block, totals in
            var acc = Array(repeating: LLVMConstNull(intVector)!, count: tiles * chains)
            let xBlock = m.mul(block, m.constI64(QuantPacking.block))
            // One dot-product step: weight byte vectors (one per tile vector) against activation bytes at
            // xOffset (within the block) of every row.
            func step(_ index: Int, weights: [LLVMValueRef], xOffset: Int) {
                for r in 0..<rows {
                    let x = m.broadcastBytes4(record(r, m.add(xBlock, m.constI64(xOffset))), lanes: lanes)
                    let magnitude = lanes == 16 || format == .int4 ? x : m.iabs(x)
                    for v in 0..<vectors {
                        let slot = (r * vectors + v) * chains + index % chains
                        acc[slot] = lanes == 16 || format == .int4
                            ? m.dotBytes(acc[slot], weights[v], x)
                            : m.dotBytes(acc[slot], magnitude, m.signBytes(weights[v], by: x))
                    }
                }
            }
            let loadBytes = { (v: Int, offset: LLVMValueRef) in
                m.load(byteVector, weightAddress(v, offset, 4 * lanes), align: 1)
            }
            if format == .int8 {
                let chunk0 = m.add(m.constI64(QuantPacking.int8HeaderBytes), m.mul(block, m.constI64(8 * 64)))
                for c in 0..<8 {
                    let codes = (0..<vectors).map { loadBytes($0, m.add(chunk0, m.constI64(c * 64))) }
                    let flip = m.splatInt(m.i8Type, 0x80, 4 * lanes)
                    step(c, weights: lanes == 16 ? codes.map { m.xor($0, flip) } : codes, xOffset: 4 * c)
                }
            } else {
                let group = m.mul(block, m.constI64(QuantPacking.int4GroupBytes))
                for c in 0..<4 {
                    let raw = (0..<vectors).map { loadBytes($0, m.add(group, m.constI64(64 + c * 64))) }
                    step(2 * c, weights: raw.map { m.and($0, m.splatInt(m.i8Type, 0x0f, 4 * lanes)) }, xOffset: 4 * c)
                    step(2 * c + 1, weights: raw.map { m.lshr($0, m.splatInt(m.i8Type, 4, 4 * lanes)) }, xOffset: 16 + 4 * c)
                }
            }
            return epilogue(m, lanes: lanes, block: block, acc: acc, chains: chains, totals: totals, record: record,
                            weightAddress: weightAddress)
        }

        let columnScales = (0..<vectors).map { v in
            format == .int8 ? m.loadF32Vector(weightAddress(v, m.constI64(0), 4 * lanes), lanes) : nil
        }
        output.store(m, rows: rows, vectors: vectors, lanes: lanes) { r, v in
            columnScales[v].map { m.fmul(totals[r * vectors + v], $0) } ?? totals[r * vectors + v]
        }
    }

    /// Scales one block's i32 sums into the f32 totals.
    private func epilogue(
        _ m: ModuleBuilder, lanes: Int, block: LLVMValueRef, acc: [LLVMValueRef], chains: Int, totals: [LLVMValueRef],
        record: (Int, LLVMValueRef) -> LLVMValueRef, weightAddress: (Int, LLVMValueRef, Int) -> LLVMValueRef
    ) -> [LLVMValueRef] {
        let vectors = totals.count / rows
        let wordOffset = m.mul(block, m.constI64(4))
        let groupScales = (0..<vectors).map { v -> (LLVMValueRef, LLVMValueRef)? in
            guard format == .int4 else { return nil }
            let group = m.mul(block, m.constI64(QuantPacking.int4GroupBytes))
            return (m.loadF16AsF32(weightAddress(v, group, 2 * lanes), lanes),
                    m.loadF16AsF32(weightAddress(v, m.add(group, m.constI64(32)), 2 * lanes), lanes))
        }
        var next = totals
        for r in 0..<rows {
            let scale = m.splat(m.load(m.f32Type, record(r, m.add(m.constI64(activations.scalesOffset), wordOffset))), lanes)
            let extraPointer = record(r, m.add(m.constI64(activations.extrasOffset), wordOffset))
            let correction = format == .int8 && lanes == 16 ? m.splat(m.load(m.i32Type, extraPointer), lanes) : nil
            let sum = format == .int4 ? m.splat(m.load(m.f32Type, extraPointer), lanes) : nil
            for v in 0..<vectors {
                let index = r * vectors + v
                var dot = acc[index * chains]
                for chain in 1..<chains { dot = m.add(dot, acc[index * chains + chain]) }
                if let correction { dot = m.sub(dot, correction) }
                let value = m.sitofp(dot, m.f32Vector(lanes))
                if let (groupScale, groupMinimum) = groupScales[v], let sum {
                    next[index] = m.fma(groupMinimum, sum, m.fma(m.fmul(value, scale), groupScale, totals[index]))
                } else {
                    next[index] = m.fma(value, scale, totals[index])
                }
            }
        }
        return next
    }
}
