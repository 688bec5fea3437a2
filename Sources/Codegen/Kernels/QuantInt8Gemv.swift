import CLLVM

/// The int8 decode tile: `rows` (<= 4) f32 activation rows × one int8 panel, the codes widened to f32 in
/// registers (no activation quantization, so decode is as accurate as the weights allow; the GEMV is bound by
/// memory bandwidth, not by the conversions). Each 64-byte chunk (16 columns × 4 k) is read as 64/lanes vectors of
/// lanes/4 columns × 4 k, multiplied by x[k ..< k+4] repeated across the vector; the per-(column, k mod 4) partial
/// sums are folded into columns at the end and scaled by the column scales. `unroll` independent accumulator sets
/// hide FMA latency. Emitted as an internal function
/// `void (ptr x, i64 ldx, ptr w, ptr y, i64 ldy, ptr bias, i64 validCols, i1 loadY, i1 addBias)`.
struct QuantInt8GemvKernel {
    let k: Int
    let rows: Int
    let unroll: Int

    func name(prefix: String) -> String { "\(prefix).g\(rows)u\(unroll)" }

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec, lanes: Int) -> LLVMValueRef {
        let type = m.functionType(m.voidType, [
            m.ptrType, m.i64Type, m.ptrType, m.ptrType, m.i64Type, m.ptrType, m.i64Type, m.i1Type, m.i1Type,
        ])
        return m.defineFunction(name(prefix: prefix), type, linkage: LLVMInternalLinkage, target: target) { fn in
            m.addAttribute(fn, "noinline")
            emitBody(fn, m, lanes: lanes)
            m.retVoid()
        }
    }

    private func emitBody(_ fn: LLVMValueRef, _ m: ModuleBuilder, lanes: Int) {
        let (x, ldx, w) = (m.param(fn, 0), m.param(fn, 1), m.param(fn, 2))
        let output = TileOutput(y: m.param(fn, 3), ldy: m.param(fn, 4), bias: m.param(fn, 5), validCols: m.param(fn, 6),
                                loadY: m.param(fn, 7), addBias: m.param(fn, 8))
        let perChunk = 64 / lanes
        let rowBases = (0..<rows).map { m.gepF32(x, m.mul(m.constI64($0), ldx)) }
        let quad = m.vectorType(m.f32Type, 4)

        // acc[r][v] += widen(chunk t, part v) * x[r][4t ..< 4t+4] (masked to the valid k on the tail chunk).
        func step(_ t: LLVMValueRef, mask: LLVMValueRef?, _ acc: [LLVMValueRef]) -> [LLVMValueRef] {
            let chunk = m.add(m.constI64(QuantPacking.int8HeaderBytes), m.mul(t, m.constI64(64)))
            let weights = (0..<perChunk).map { v -> LLVMValueRef in
                let bytes = m.load(m.vectorType(m.i8Type, lanes), m.gep(m.i8Type, w, m.add(chunk, m.constI64(v * lanes))), align: 1)
                return m.sitofp(m.sext(bytes, m.vectorType(m.i32Type, lanes)), m.f32Vector(lanes))
            }
            var next = acc
            for r in 0..<rows {
                let pointer = m.gepF32(rowBases[r], m.mul(t, m.constI64(4)))
                let values = mask.map { m.maskedLoad(quad, pointer, mask: $0, passthrough: LLVMConstNull(quad), align: 4) }
                    ?? m.load(quad, pointer, align: 4)
                let repeated = m.shuffle(values, LLVMGetPoison(quad), (0..<lanes).map { $0 % 4 })
                for v in 0..<perChunk { next[r * perChunk + v] = m.fma(weights[v], repeated, acc[r * perChunk + v]) }
            }
            return next
        }

        let setSize = rows * perChunk
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        let fullChunks = k / 4
        let mainEnd = fullChunks - fullChunks % unroll
        let unrolled = m.forLoop(from: m.constI64(0), to: m.constI64(mainEnd), step: unroll,
                                 carrying: Array(repeating: zero, count: setSize * unroll)) { t, acc in
            (0..<unroll).flatMap { u in
                step(m.add(t, m.constI64(u)), mask: nil, Array(acc[(u * setSize)..<((u + 1) * setSize)]))
            }
        }
        var sets = (0..<unroll).map { Array(unrolled[($0 * setSize)..<(($0 + 1) * setSize)]) }
        sets[0] = m.forLoop(from: m.constI64(mainEnd), to: m.constI64(fullChunks), carrying: sets[0]) { t, acc in
            step(t, mask: nil, acc)
        }
        if k % 4 != 0 {
            sets[0] = step(m.constI64(fullChunks), mask: m.constLaneMask(valid: k % 4, 4), sets[0])
        }
        let sums = (0..<setSize).map { index in m.sumTree(sets.map { $0[index] }) }

        // Fold each row's (column, k mod 4) partial sums into one lane per column, columns in panel order.
        let columns = (0..<rows).map { r -> [LLVMValueRef] in
            var level = Array(sums[(r * perChunk)..<((r + 1) * perChunk)])
            var segment = 4
            while segment > 1 {
                level = stride(from: 0, to: level.count, by: 2).map {
                    m.combineSegments(level[$0], level[$0 + 1], segment: segment)
                }
                segment /= 2
            }
            return level
        }
        let vectors = MatmulPacking.panelWidth / lanes
        let columnScales = (0..<vectors).map { v in m.loadF32Vector(m.gep(m.i8Type, w, m.constI64(v * 4 * lanes)), lanes) }
        output.store(m, rows: rows, vectors: vectors, lanes: lanes) { r, v in m.fmul(columns[r][v], columnScales[v]) }
    }
}
