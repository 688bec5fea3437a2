import CLLVM

/// A register-tiled matmul tile: `rows` rows × `panels` packed panels, with `unroll` independent accumulator sets
/// over k (hides FMA latency when the tile is small, e.g. in a GEMV). Emitted as an internal function
/// `void (ptr x, i64 ldx, ptr w, i64 kLen, ptr y, i64 ldy, ptr bias, i64 validCols, i1 loadY, i1 addBias)`:
/// y[r][c] = (loadY ? y[r][c] : 0) + sum_{k<kLen} x[r][k] * W[c][k] + (addBias ? bias[c] : 0) for c < validCols,
/// where `w` points at the tile's first panel at the tile's first k and consecutive panels are `panelStride` apart.
struct MatmulMicroKernel {
    let rows: Int
    let panels: Int
    let unroll: Int
    /// Elements between consecutive panels (k * panelWidth of the full matrix).
    let panelStride: Int
    let weight: WeightFormat

    func name(prefix: String) -> String { "\(prefix).m\(rows)p\(panels)u\(unroll)" }

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        let type = m.functionType(m.voidType, [
            m.ptrType, m.i64Type, m.ptrType, m.i64Type, m.ptrType, m.i64Type, m.ptrType, m.i64Type, m.i1Type, m.i1Type,
        ])
        return m.defineFunction(name(prefix: prefix), type, linkage: LLVMInternalLinkage, target: target) { fn in
            m.addAttribute(fn, "noinline")
            emitBody(fn, m, target)
            m.retVoid()
        }
    }

    private func emitBody(_ fn: LLVMValueRef, _ m: ModuleBuilder, _ target: TargetSpec) {
        let lanes = target.vectorWidth
        let perPanel = MatmulPacking.panelWidth / lanes
        let vectors = panels * perPanel
        let (x, ldx, w, kLen) = (m.param(fn, 0), m.param(fn, 1), m.param(fn, 2), m.param(fn, 3))
        let (y, ldy, bias, validCols) = (m.param(fn, 4), m.param(fn, 5), m.param(fn, 6), m.param(fn, 7))
        let (loadY, addBias) = (m.param(fn, 8), m.param(fn, 9))
        let elementType = weight == .f32 ? m.f32Type : m.i16Type
        let rowBases = (0..<rows).map { m.gepF32(x, m.mul(m.constI64($0), ldx)) }

        // One k step: acc[r][v] += x[r][k] * W[v][k] for the accumulator set `acc`.
        func step(_ k: LLVMValueRef, _ acc: [LLVMValueRef]) -> [LLVMValueRef] {
            let weights = (0..<vectors).map { v -> LLVMValueRef in
                let offset = m.add(m.mul(k, m.constI64(MatmulPacking.panelWidth)),
                                   m.constI64((v / perPanel) * panelStride + (v % perPanel) * lanes))
                let pointer = m.gep(elementType, w, offset)
                return weight == .f32 ? m.loadF32Vector(pointer, lanes) : m.loadBF16AsF32(pointer, lanes)
            }
            var next = acc
            for r in 0..<rows {
                let xs = m.splat(m.load(m.f32Type, m.gepF32(rowBases[r], k)), lanes)
                for v in 0..<vectors { next[r * vectors + v] = m.fma(xs, weights[v], acc[r * vectors + v]) }
            }
            return next
        }

        let zero = LLVMConstNull(m.f32Vector(lanes))!
        let setSize = rows * vectors
        let initial = Array(repeating: zero, count: setSize * unroll)
        let mainEnd = m.sub(kLen, m.srem(kLen, m.constI64(unroll)))
        let unrolled = m.forLoop(from: m.constI64(0), to: mainEnd, step: unroll, carrying: initial) { k, acc in
            (0..<unroll).flatMap { u in
                step(m.add(k, m.constI64(u)), Array(acc[(u * setSize)..<((u + 1) * setSize)]))
            }
        }
        var sets = (0..<unroll).map { Array(unrolled[($0 * setSize)..<(($0 + 1) * setSize)]) }
        if unroll > 1 {
            sets[0] = m.forLoop(from: mainEnd, to: kLen, carrying: sets[0]) { k, acc in step(k, acc) }
        }
        let sums = (0..<setSize).map { index in m.sumTree(sets.map { $0[index] }) }

        let output = TileOutput(y: y, ldy: ldy, bias: bias, validCols: validCols, loadY: loadY, addBias: addBias)
        output.store(m, rows: rows, vectors: vectors, lanes: lanes) { r, v in sums[r * vectors + v] }
    }
}

/// Where a micro-kernel tile's results go: y[r][c] = (loadY ? y[r][c] : 0) + (value + (addBias ? bias[c] : 0))
/// for columns c < validCols (later lanes are left untouched); y and bias point at the tile's first column.
struct TileOutput {
    let y: LLVMValueRef, ldy: LLVMValueRef, bias: LLVMValueRef, validCols: LLVMValueRef
    let loadY: LLVMValueRef, addBias: LLVMValueRef

    /// Stores `value(r, v)`, the f32 vector of row r and the tile's v-th `lanes`-wide column vector (vectors
    /// cover whole 16-column panels in order).
    func store(
        _ m: ModuleBuilder, rows: Int, vectors: Int, lanes: Int, value: (_ row: Int, _ vector: Int) -> LLVMValueRef
    ) {
        let perPanel = MatmulPacking.panelWidth / lanes
        for v in 0..<vectors {
            let column = (v / perPanel) * MatmulPacking.panelWidth + (v % perPanel) * lanes
            let mask = m.laneMask(valid: m.sub(validCols, m.constI64(column)), lanes)
            let biasValue = m.loadF32Vector(m.gepF32(bias, m.constI64(column)), lanes, mask: m.and(mask, m.splat(addBias, lanes)))
            for r in 0..<rows {
                let pointer = m.gepF32(y, m.add(m.mul(m.constI64(r), ldy), m.constI64(column)))
                let old = m.loadF32Vector(pointer, lanes, mask: m.and(mask, m.splat(loadY, lanes)))
                m.storeVector(m.fadd(old, m.fadd(value(r, v), biasValue)), pointer, mask: mask)
            }
        }
    }
}
