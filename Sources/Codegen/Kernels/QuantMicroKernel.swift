import CLLVM

/// A register-tiled integer matmul tile over quantized weights and `QuantizedActivations` records: `rows` rows ×
/// one 16-column panel, k walked in blocks of 32 with i32 accumulators of integer dot products that are scaled into
/// f32 totals after each block. Emitted as an internal function
/// `void (ptr records, ptr w, ptr y, i64 ldy, ptr bias, i64 validCols, i1 loadY, i1 addBias)` where `records`
/// holds the tile's first row (rows `recordBytes` apart) and `w` its panel; results go through `TileOutput`.
///
/// - int8 weights, int16 activation codes (`wide`): the codes are sign-extended to i16 and multiplied pairwise
///   (`vpdpwssd`, AVX2 `vpmaddwd`); each output vector's columns are split over two accumulators whose lanes hold
///   (column, k pair) sums, folded at the end: y = Σ_blocks s_w · s_x · Σ q_w·q_x (s_w per column and block).
/// - int8 weights, int8 activation codes: with VNNI (16 lanes) the codes are flipped to u8 (q + 128, one xor)
///   and multiply the signed activation codes (`vpdpbusd`); the block's 128·Σq_x is subtracted before scaling.
///   Without VNNI (8 lanes, AVX2) the unsigned operand is |q_x| and the weights take q_x's sign (`vpsignb`), so
///   no pair of products exceeds 2·127·127 and `vpmaddubsw` cannot saturate.
/// - int4: the nibbles are the unsigned operand (both targets; pairs stay below 2·15·127);
///   y = Σ_groups d·s_x·Σ q·q_x + m·Σ x.
struct QuantMicroKernel {
    let format: WeightFormat
    let rows: Int
    let activations: QuantizedActivations

    func name(prefix: String) -> String { "\(prefix).q\(rows)\(activations.wide ? "w" : "")" }

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec, lanes: Int) -> LLVMValueRef {
        TileOutput.defineTile(m, name: name(prefix: prefix), inputs: [m.ptrType, m.ptrType], target: target) { inputs, output in
            emitBody(m, records: inputs[0], w: inputs[1], output: output, lanes: lanes)
        }
    }

    private func emitBody(_ m: ModuleBuilder, records: LLVMValueRef, w: LLVMValueRef, output: TileOutput, lanes: Int) {
        let vectors = MatmulPacking.panelWidth / lanes
        // int16 activations: each output vector's columns are summed in two accumulators of (column, k pair)
        // lanes (half its columns each), folded together at the end.
        let parts = activations.wide ? 2 : 1
        let sums = vectors * parts
        let tiles = rows * sums
        // Small tiles (decode) split each block's dot products over two accumulator chains.
        let chains = tiles <= 2 ? 2 : 1
        let intVector = m.vectorType(m.i32Type, lanes)
        let record = { (r: Int, offset: LLVMValueRef) in
            m.gep(m.i8Type, records, m.add(m.constI64(r * activations.recordBytes), offset))
        }
        // The byte address `offset` into accumulator a's share of the panel data: the accumulators read
        // consecutive `shareBytes`-wide shares of each chunk (or of each scale row).
        let weightAddress = { (a: Int, offset: LLVMValueRef, shareBytes: Int) in
            m.gep(m.i8Type, w, m.add(offset, m.constI64(a * shareBytes)))
        }

        let zeroF32 = LLVMConstNull(m.f32Vector(lanes))!
        let totals = m.forLoop(from: m.constI64(0), to: m.constI64(activations.blocks),
                               carrying: Array(repeating: zeroF32, count: tiles)) { block, totals in
            var acc = Array(repeating: LLVMConstNull(intVector)!, count: tiles * chains)
            let xBlock = m.mul(block, m.constI64(QuantPacking.block * activations.codeBytes))
            // One dot-product step: weight vectors (one per accumulator of a row) against the activation codes
            // of k offset xOffset (within the block) of every row.
            func step(_ index: Int, weights: [LLVMValueRef], xOffset: Int) {
                for r in 0..<rows {
                    let pointer = record(r, m.add(xBlock, m.constI64(xOffset * activations.codeBytes)))
                    let x = activations.wide ? m.broadcastWords4(pointer, lanes: lanes) : m.broadcastBytes4(pointer, lanes: lanes)
                    let magnitude = activations.wide || lanes == 16 || format == .int4 ? nil : m.iabs(x)
                    for a in 0..<sums {
                        let slot = (r * sums + a) * chains + index % chains
                        if activations.wide {
                            acc[slot] = m.dotWords(acc[slot], weights[a], x)
                        } else if let magnitude {
                            acc[slot] = m.dotBytes(acc[slot], magnitude, m.signBytes(weights[a], by: x))
                        } else {
                            acc[slot] = m.dotBytes(acc[slot], weights[a], x)
                        }
                    }
                }
            }
            let load = { (a: Int, offset: LLVMValueRef, bytes: Int) in
                m.load(m.vectorType(m.i8Type, bytes), weightAddress(a, offset, bytes), align: 1)
            }
            if format == .int8 {
                let chunk0 = QuantPacking.int8Offsets(group: block, m).codes
                for c in 0..<8 {
                    let offset = m.add(chunk0, m.constI64(c * 64))
                    let weights = (0..<sums).map { a -> LLVMValueRef in
                        let codes = load(a, offset, 4 * lanes / parts)
                        if activations.wide { return m.sext(codes, m.vectorType(m.i16Type, 2 * lanes)) }
                        return lanes == 16 ? m.xor(codes, m.splatInt(m.i8Type, 0x80, 4 * lanes)) : codes
                    }
                    step(c, weights: weights, xOffset: 4 * c)
                }
            } else {
                let group = m.mul(block, m.constI64(QuantPacking.int4GroupBytes))
                for c in 0..<4 {
                    let raw = (0..<sums).map { load($0, m.add(group, m.constI64(64 + c * 64)), 4 * lanes) }
                    step(2 * c, weights: raw.map { m.and($0, m.splatInt(m.i8Type, 0x0f, 4 * lanes)) }, xOffset: 4 * c)
                    step(2 * c + 1, weights: raw.map { m.lshr($0, m.splatInt(m.i8Type, 4, 4 * lanes)) }, xOffset: 16 + 4 * c)
                }
            }
            return epilogue(m, lanes: lanes, block: block, acc: acc, chains: chains, totals: totals, record: record,
                            weightAddress: weightAddress)
        }

        output.store(m, rows: rows, vectors: vectors, lanes: lanes) { r, v in
            let base = (r * vectors + v) * parts
            return parts == 1 ? totals[base] : m.combineSegments(totals[base], totals[base + 1], segment: 2)
        }
    }

    /// The int8 weight scales of `block` for each accumulator, in its lane order: with int16 activations
    /// accumulator 2v + h's lane l holds column v·lanes + h·lanes/2 + l/2, so each scale is repeated twice (one
    /// full-width f16 load per output vector, then two shuffles).
    private func int8Scales(_ m: ModuleBuilder, lanes: Int, block: LLVMValueRef, sums: Int,
                            weightAddress: (Int, LLVMValueRef, Int) -> LLVMValueRef) -> [LLVMValueRef] {
        let row = QuantPacking.int8Offsets(group: block, m).scales
        let parts = activations.wide ? 2 : 1
        return (0..<(sums / parts)).flatMap { v -> [LLVMValueRef] in
            let scales = m.loadF16AsF32(weightAddress(v, row, 2 * lanes), lanes)
            guard activations.wide else { return [scales] }
            return (0..<2).map { h in m.shuffle(scales, scales, (0..<lanes).map { h * lanes / 2 + $0 / 2 }) }
        }
    }

    /// Scales one block's i32 sums into the f32 totals.
    private func epilogue(
        _ m: ModuleBuilder, lanes: Int, block: LLVMValueRef, acc: [LLVMValueRef], chains: Int, totals: [LLVMValueRef],
        record: (Int, LLVMValueRef) -> LLVMValueRef, weightAddress: (Int, LLVMValueRef, Int) -> LLVMValueRef
    ) -> [LLVMValueRef] {
        let vectors = totals.count / rows
        let wordOffset = m.mul(block, m.constI64(4))
        let weightScales = format == .int8
            ? int8Scales(m, lanes: lanes, block: block, sums: vectors, weightAddress: weightAddress) : nil
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
            let correction = format == .int8 && lanes == 16 && !activations.wide ? m.splat(m.load(m.i32Type, extraPointer), lanes) : nil
            let sum = format == .int4 ? m.splat(m.load(m.f32Type, extraPointer), lanes) : nil
            for v in 0..<vectors {
                let index = r * vectors + v
                var dot = acc[index * chains]
                for chain in 1..<chains { dot = m.add(dot, acc[index * chains + chain]) }
                if let correction { dot = m.sub(dot, correction) }
                let value = m.sitofp(dot, m.f32Vector(lanes))
                if let (groupScale, groupMinimum) = groupScales[v], let sum {
                    next[index] = m.fma(groupMinimum, sum, m.fma(m.fmul(value, scale), groupScale, totals[index]))
                } else if let weightScales {
                    next[index] = m.fma(m.fmul(value, scale), weightScales[v], totals[index])
                } else {
                    next[index] = m.fma(value, scale, totals[index])
                }
            }
        }
        return next
    }
}
