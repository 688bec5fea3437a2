import CLLVM

/// The prefill path of `AttentionKernel`: internal `void (q, ldq, K, V, out, ldo, pos0, rows, tile, head)` for
/// query rows tile*lanes ..< tile*lanes + lanes of one head, one query per vector lane. The tile's queries are
/// transposed once into a [headDim][lanes] stack buffer; then per block of `lanes` keys the scores are
/// vertical FMAs of that buffer with broadcast key elements, the online softmax is lane-wise (no horizontal
/// operations) and the output accumulates transposed ([valueDim][lanes]) with broadcast value elements. Lanes past
/// the last row repeat it and are not stored.
struct AttentionPrefillTile {
    let kernel: AttentionKernel
    let lanes: Int

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        let type = m.functionType(m.voidType, kernel.pathParameters(m))
        return m.defineFunction(prefix + ".tile", type, linkage: LLVMInternalLinkage, target: target) { fn in
            let p = (0..<14).map { m.param(fn, $0) }
            emitTile(m, q: p[0], ldq: p[1], k: p[2], v: p[3], out: p[4], ldo: p[5], pos0: p[6], rows: p[7], tile: p[8],
                     head: p[9], scales: kernel.cache.hasScales ? (k: p[10], v: p[11], stride: p[12]) : nil, sinks: p[13])
            m.retVoid()
        }
    }

    private func emitTile(
        _ m: ModuleBuilder, q: LLVMValueRef, ldq: LLVMValueRef, k: LLVMValueRef, v: LLVMValueRef, out: LLVMValueRef,
        ldo: LLVMValueRef, pos0: LLVMValueRef, rows: LLVMValueRef, tile: LLVMValueRef, head: LLVMValueRef,
        scales: (k: LLVMValueRef, v: LLVMValueRef, stride: LLVMValueRef)?, sinks: LLVMValueRef
    ) {
        let (headDim, valueDim) = (kernel.headDim, kernel.valueDim)
        let blockSize = lanes  // keys per online-softmax step: one score accumulator per key
        let kvHead = m.sdiv(head, m.constI64(kernel.group))
        let headOffset = m.mul(head, m.constI64(headDim))
        let firstRow = m.mul(tile, m.constI64(lanes))
        let validRows = m.smin(m.sub(rows, firstRow), m.constI64(lanes))
        let iota = m.constVector((0..<lanes).map { m.constI64($0) })
        let laneRows = m.add(m.splat(firstRow, lanes), iota)
        let lastRow = m.splat(m.sub(rows, m.constI64(1)), lanes)
        let rowsOfLanes = m.select(m.icmp(LLVMIntSLE, laneRows, lastRow), laneRows, lastRow)
        // Positions and key indices as i32 lanes for cheap visibility masks (positions fit: max_ctx < 2^31).
        let i32Lanes = m.vectorType(m.i32Type, lanes)
        let positions = m.trunc(m.add(m.splat(pos0, lanes), rowsOfLanes), i32Lanes)
        let lowest = kernel.lowestKey(m, position: positions, lanes: lanes, type: m.i32Type)
        let firstKey = kernel.lowestKey(m, position: m.add(pos0, firstRow))
        let lastKey = kernel.highestKey(m, position: m.add(pos0, m.sub(m.add(firstRow, validRows), m.constI64(1))),
                                        pos0: pos0, rows: rows)
        // Highest visible key per lane: the lane's own position, or (bidirectional) the last key or window's end.
        let highest = kernel.highestKey(m, position: positions, pos0: pos0, rows: rows, lanes: lanes, type: m.i32Type)
        let slope = kernel.alibiSlope(m, head: head)
        let allLanes = m.constLaneMask(valid: lanes, lanes)

        // Transposed queries: qt[d] = q[row of lane][head * headDim + d].
        let transposedQ = m.alloca(m.f32Type, count: headDim * lanes)
        let queryBase = m.add(m.mul(rowsOfLanes, m.splat(ldq, lanes)), m.splat(headOffset, lanes))
        m.forLoop(from: m.constI64(0), to: m.constI64(headDim)) { d in
            let pointers = m.gepF32(q, m.add(queryBase, m.splat(d, lanes)))
            let column = m.maskedGather(m.f32Type, pointers, lanes: lanes, mask: allLanes, align: 4)
            m.storeVector(column, m.gepF32(transposedQ, m.mul(d, m.constI64(lanes))))
        }
        let transposedOut = m.alloca(m.f32Type, count: valueDim * lanes)
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        m.forLoop(from: m.constI64(0), to: m.constI64(valueDim)) { d in
            m.storeVector(zero, m.gepF32(transposedOut, m.mul(d, m.constI64(lanes))))
        }

        // bf16 / int8 caches: each key block is widened (and scaled) once into f32 rows here, so the inner loops
        // read f32 like with an f32 cache instead of converting every element once per use.
        let keyBuffer = kernel.cache == .f32 ? nil : m.alloca(m.f32Type, count: lanes * headDim)
        let valueBuffer = kernel.cache == .f32 ? nil : m.alloca(m.f32Type, count: lanes * valueDim)
        let negativeInfinity = m.splatF32(-.infinity, lanes)
        let sink = kernel.sink(m, sinks, head: head)
        let initial = sink.map { [m.splat($0, lanes), m.splatF32(1, lanes)] } ?? [negativeInfinity, zero]
        let final = m.forLoop(from: firstKey, to: m.add(lastKey, m.constI64(1)), step: blockSize, carrying: initial) { j0, state in
            let keyIndex = (0..<blockSize).map { m.smin(m.add(j0, m.constI64($0)), lastKey) }
            let keyRows = blockRows(m, cache: k, width: headDim, keyIndex: keyIndex, scales: scales.map { ($0.k, $0.stride) },
                                    kvHead: kvHead, buffer: keyBuffer)
            let valueRows = blockRows(m, cache: v, width: valueDim, keyIndex: keyIndex, scales: scales.map { ($0.v, $0.stride) },
                                      kvHead: kvHead, buffer: valueBuffer)
            let dots = m.forLoop(from: m.constI64(0), to: m.constI64(headDim), carrying: Array(repeating: zero, count: blockSize)) { d, acc in
                let qt = m.loadF32Vector(m.gepF32(transposedQ, m.mul(d, m.constI64(lanes))), lanes)
                return (0..<blockSize).map { l in m.fma(qt, m.splat(m.load(m.f32Type, m.gepF32(keyRows[l], d)), lanes), acc[l]) }
            }
            let scores = (0..<blockSize).map { l -> LLVMValueRef in
                let key = m.splat(m.trunc(m.add(j0, m.constI64(l)), m.i32Type), lanes)
                let visible = m.and(m.icmp(LLVMIntSGE, key, lowest), m.icmp(LLVMIntSLE, key, highest))
                let distance = slope.map { _ in m.sitofp(m.sub(key, positions), m.f32Vector(lanes)) }
                let logits = kernel.logits(m, dots: dots[l], lanes: lanes, slope: slope, distance: distance)
                return m.select(visible, logits, negativeInfinity)
            }
            let newMax = scores.reduce(state[0]) { m.fmax($0, $1) }
            // Lanes that have seen no visible key yet keep -inf; subtract 0 there so exp gives 0, not NaN.
            let shift = m.select(m.fcmp(LLVMRealOEQ, newMax, negativeInfinity), zero, newMax)
            let correction = m.exp(m.fsub(state[0], shift))
            let weights = scores.map { m.exp(m.fsub($0, shift)) }
            let sums = m.fadd(m.fmul(state[1], correction), m.sumTree(weights))
            m.forLoop(from: m.constI64(0), to: m.constI64(valueDim)) { d in
                let pointer = m.gepF32(transposedOut, m.mul(d, m.constI64(lanes)))
                var acc = m.fmul(m.loadF32Vector(pointer, lanes), correction)
                for l in 0..<blockSize {
                    acc = m.fma(weights[l], m.splat(m.load(m.f32Type, m.gepF32(valueRows[l], d)), lanes), acc)
                }
                m.storeVector(acc, pointer)
            }
            return [newMax, sums]
        }

        let outBase = m.add(m.mul(laneRows, m.splat(ldo, lanes)), m.splat(m.mul(head, m.constI64(valueDim)), lanes))
        let storeMask = m.laneMask(valid: validRows, lanes)
        m.forLoop(from: m.constI64(0), to: m.constI64(valueDim)) { d in
            let value = m.fdiv(m.loadF32Vector(m.gepF32(transposedOut, m.mul(d, m.constI64(lanes))), lanes), final[1])
            m.scatter(value, m.gepF32(out, m.add(outBase, m.splat(d, lanes))), mask: storeMask)
        }
    }

    /// Pointers to the f32 rows (heads of `headDim` elements) of keys (or values) `keyIndex` of kv head `kvHead`:
    /// straight into an f32 cache, or into `buffer` after widening the codes (times their int8 scales) of a bf16 /
    /// int8 cache.
    private func blockRows(
        _ m: ModuleBuilder, cache base: LLVMValueRef, width headDim: Int, keyIndex: [LLVMValueRef],
        scales: (LLVMValueRef, LLVMValueRef)?, kvHead: LLVMValueRef, buffer: LLVMValueRef?
    ) -> [LLVMValueRef] {
        let cache = kernel.cache
        let kvOffset = m.mul(kvHead, m.constI64(headDim))
        let rows = keyIndex.map { cache.element(m, base, m.add(m.mul($0, m.constI64(kernel.kvHeads * headDim)), kvOffset)) }
        guard let buffer else { return rows }
        return zip(keyIndex, rows).enumerated().map { l, key in
            let (j, row) = key
            let destination = m.gepF32(buffer, m.constI64(l * headDim))
            let scale = scales.map { m.splat(m.load(m.f32Type, m.gepF32($0.0, m.add(m.mul(kvHead, $0.1), j))), lanes) }
            forEachVector(m, count: headDim, lanes: lanes) { offset, mask in
                let codes = cache.loadVector(m, cache.element(m, row, offset), lanes: lanes, mask: mask)
                m.storeVector(scale.map { m.fmul(codes, $0) } ?? codes, m.gepF32(destination, offset), mask: mask)
            }
            return destination
        }
    }
}
