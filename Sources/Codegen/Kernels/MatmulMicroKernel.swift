import CLLVM

/// A register-tiled matmul tile: `rows` rows × `panels` packed panels, with `unroll` independent accumulator sets
/// over k (hides FMA latency when the tile is small, e.g. in a GEMV). Emitted as an internal function
/// `void (ptr x, i64 ldx, ptr w, i64 kLen, ptr y, i64 ldy, ptr bias, i64 validCols, i1 loadY, i1 addBias)`:
/// y[r][c] = (loadY ? y[r][c] : 0) + sum_{k<kLen} x[r][k] * W[c][k] + (addBias ? bias[c] : 0) for c < validCols,
/// where `w` points at the tile's first panel at the tile's first k (even for bf16, whose panels hold k pairs) and
/// consecutive panels are `panelStride` elements apart. The f32 and bf16 formats (widened exactly) only.
struct MatmulMicroKernel {
    let rows: Int
    let panels: Int
    let unroll: Int
    /// Elements between consecutive panels (`MatmulPacking.storedK` * panelWidth of the full matrix).
    let panelStride: Int
    let weight: WeightFormat

    func name(prefix: String) -> String { "\(prefix).m\(rows)p\(panels)u\(unroll)" }

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        let inputs = [m.ptrType, m.i64Type, m.ptrType, m.i64Type]
        return TileOutput.defineTile(m, name: name(prefix: prefix), inputs: inputs, target: target) { inputs, output in
            emitBody(m, target, x: inputs[0], ldx: inputs[1], w: inputs[2], kLen: inputs[3], output: output)
        }
    }

    private func emitBody(
        _ m: ModuleBuilder, _ target: TargetSpec, x: LLVMValueRef, ldx: LLVMValueRef, w: LLVMValueRef,
        kLen: LLVMValueRef, output: TileOutput
    ) {
        let lanes = target.vectorWidth
        let perPanel = MatmulPacking.panelWidth / lanes
        let vectors = panels * perPanel
        let rowBases = (0..<rows).map { m.gepF32(x, m.mul(m.constI64($0), ldx)) }
        let pairs = weight == .bf16
        // A step covers one k (f32) or one k pair (bf16 panels, `MatmulPacking`); `evenOnly` drops the pair's odd
        // k (the last step of an odd kLen, whose x has no value there).
        func step(_ s: LLVMValueRef, _ acc: [LLVMValueRef], evenOnly: Bool = false) -> [LLVMValueRef] {
            let weights = (0..<vectors).map { v -> [LLVMValueRef] in
                let stepSize = MatmulPacking.panelWidth * (pairs ? 2 : 1)
                let offset = m.add(m.mul(s, m.constI64(stepSize)), m.constI64(
                    (v / perPanel) * panelStride + (v % perPanel) * lanes * (pairs ? 2 : 1)))
                guard pairs else { return [m.loadF32Vector(m.gepF32(w, offset), lanes)] }
                let widened = m.widenBF16Pairs(m.load(m.vectorType(m.i32Type, lanes), m.gep(m.i16Type, w, offset)))
                return evenOnly ? [widened.low] : [widened.low, widened.high]
            }
            var next = acc
            for r in 0..<rows {
                let firstK = pairs ? m.mul(s, m.constI64(2)) : s
                let xs = (0..<weights[0].count).map { half in
                    m.splat(m.load(m.f32Type, m.gepF32(rowBases[r], m.add(firstK, m.constI64(half)))), lanes)
                }
                for v in 0..<vectors {
                    for (xValue, wValue) in zip(xs, weights[v]) { next[r * vectors + v] = m.fma(xValue, wValue, next[r * vectors + v]) }
                }
            }
            return next
        }

        let zero = LLVMConstNull(m.f32Vector(lanes))!
        let setSize = rows * vectors
        let initial = Array(repeating: zero, count: setSize * unroll)
        let steps = pairs ? m.sdiv(kLen, m.constI64(2)) : kLen
        let mainEnd = m.sub(steps, m.srem(steps, m.constI64(unroll)))
        let unrolled = m.forLoop(from: m.constI64(0), to: mainEnd, step: unroll, carrying: initial) { k, acc in
            (0..<unroll).flatMap { u in
                step(m.add(k, m.constI64(u)), Array(acc[(u * setSize)..<((u + 1) * setSize)]))
            }
        }
        var sets = (0..<unroll).map { Array(unrolled[($0 * setSize)..<(($0 + 1) * setSize)]) }
        if unroll > 1 {
            sets[0] = m.forLoop(from: mainEnd, to: steps, carrying: sets[0]) { k, acc in step(k, acc) }
        }
        if pairs {
            // An odd kLen (only at the end of k: k blocks start at even k) leaves one k of a last pair.
            sets[0] = m.forLoop(from: steps, to: m.ceilDiv(kLen, m.constI64(2)), carrying: sets[0]) { k, acc in
                step(k, acc, evenOnly: true)
            }
        }
        let sums = (0..<setSize).map { index in m.sumTree(sets.map { $0[index] }) }

        output.store(m, rows: rows, vectors: vectors, lanes: lanes) { r, v in sums[r * vectors + v] }
    }
}

/// Where a micro-kernel tile's results go: y[r][c] = (loadY ? y[r][c] : 0) + (value + (addBias ? bias[c] : 0))
/// for columns c < validCols (later lanes are left untouched); y and bias point at the tile's first column.
struct TileOutput {
    let y: LLVMValueRef, ldy: LLVMValueRef, bias: LLVMValueRef, validCols: LLVMValueRef
    let loadY: LLVMValueRef, addBias: LLVMValueRef

    /// Defines (once) the internal, never inlined micro-kernel `name` of type
    /// `void (inputs..., ptr y, i64 ldy, ptr bias, i64 validCols, i1 loadY, i1 addBias)`; `body` emits its work
    /// from the input parameters and the tile's output.
    static func defineTile(
        _ m: ModuleBuilder, name: String, inputs: [LLVMTypeRef], target: TargetSpec,
        body: (_ inputs: [LLVMValueRef], _ output: TileOutput) -> Void
    ) -> LLVMValueRef {
        let outputs = [m.ptrType, m.i64Type, m.ptrType, m.i64Type, m.i1Type, m.i1Type]
        let type = m.functionType(m.voidType, inputs + outputs)
        return m.defineFunction(name, type, linkage: LLVMInternalLinkage, target: target) { fn in
            m.addAttribute(fn, "noinline")
            let parameter = { (index: Int) in m.param(fn, inputs.count + index) }
            let output = TileOutput(y: parameter(0), ldy: parameter(1), bias: parameter(2), validCols: parameter(3),
                                    loadY: parameter(4), addBias: parameter(5))
            body((0..<inputs.count).map { m.param(fn, $0) }, output)
            m.retVoid()
        }
    }

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
