import CLLVM

/// The decode path of `AttentionKernel`: internal `void (q, ldq, K, V, out, ldo, pos0, rows, row, kvHead · subgroups +
/// subgroup)` computing one query row for one subgroup of the query heads of one kv head (keys and queries headDim wide, values and outputs valueDim). Keys are processed in blocks of one vector width: each key row is
/// loaded once per block for a subgroup of heads, per-key partial dot products are summed across lanes with a
/// transpose-and-sum tree (one vector of scores per head), and values are accumulated with broadcast weights.
struct AttentionDecode {
    let kernel: AttentionKernel
    let lanes: Int

    /// Key blocks ahead of the current one whose cache rows are prefetched.
    static let prefetchBlocks = 2

    /// Heads that share one pass over the keys (their accumulators stay in registers).
    private var subgroup: Int { max(1, min(kernel.group, 16 / max(chunks, valueChunks))) }
    /// Subgroups of one kv head's query heads: each is its own task (a pass over the keys), so that few kv heads
    /// with many query heads each (DeepSeek's absorbed MLA: one latent head for all) still fill every thread.
    var subgroups: Int { (kernel.group + subgroup - 1) / subgroup }
    /// Vectors of one query or key head, and of one value or output head.
    private var chunks: Int { (kernel.headDim + lanes - 1) / lanes }
    private var valueChunks: Int { (kernel.valueDim + lanes - 1) / lanes }

    /// The lanes of vector `c` of a row of `width` elements, nil when all are inside.
    private func chunkMask(_ m: ModuleBuilder, _ c: Int, width: Int) -> LLVMValueRef? {
        (c + 1) * lanes <= width ? nil : m.constLaneMask(valid: width - c * lanes, lanes)
    }

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        let type = m.functionType(m.voidType, kernel.pathParameters(m))
        return m.defineFunction(prefix + ".decode", type, linkage: LLVMInternalLinkage, target: target) { fn in
            let p = (0..<14).map { m.param(fn, $0) }
            let scales = kernel.cache.hasScales ? (k: p[10], v: p[11], stride: p[12]) : nil
            // p[9] = kvHead · subgroups + the subgroup this call computes.
            let (kvHead, index) = (m.sdiv(p[9], m.constI64(subgroups)), m.srem(p[9], m.constI64(subgroups)))
            for (s, first) in stride(from: 0, to: kernel.group, by: subgroup).enumerated() {
                let emit = {
                    emitHeads(m, q: p[0], ldq: p[1], k: p[2], v: p[3], out: p[4], ldo: p[5], pos0: p[6], rows: p[7],
                              row: p[8], kvHead: kvHead, scales: scales, sinks: p[13], heads: first..<min(kernel.group, first + subgroup))
                }
                if subgroups == 1 { emit() } else { m.ifThen(m.icmp(LLVMIntEQ, index, m.constI64(s))) { emit() } }
            }
            m.retVoid()
        }
    }

    /// One pass over the visible keys for query heads kvHead * group + `heads`.
    private func emitHeads(
        _ m: ModuleBuilder, q: LLVMValueRef, ldq: LLVMValueRef, k: LLVMValueRef, v: LLVMValueRef, out: LLVMValueRef,
        ldo: LLVMValueRef, pos0: LLVMValueRef, rows: LLVMValueRef, row: LLVMValueRef, kvHead: LLVMValueRef,
        scales: (k: LLVMValueRef, v: LLVMValueRef, stride: LLVMValueRef)?, sinks: LLVMValueRef, heads: Range<Int>
    ) {
        let cache = kernel.cache
        let (headDim, valueDim) = (kernel.headDim, kernel.valueDim)
        let keyStride = m.constI64(kernel.kvHeads * headDim), valueStride = m.constI64(kernel.kvHeads * valueDim)
        let keyOffset = m.mul(kvHead, m.constI64(headDim)), valueOffset = m.mul(kvHead, m.constI64(valueDim))
        let position = m.add(pos0, row)
        let lowest = kernel.lowestKey(m, position: position)
        let highest = kernel.highestKey(m, position: position, pos0: pos0, rows: rows)
        let headIndices = heads.map { m.add(m.mul(kvHead, m.constI64(kernel.group)), m.constI64($0)) }
        let slopes = headIndices.map { kernel.alibiSlope(m, head: $0) }
        let queries = headIndices.map { head -> [LLVMValueRef] in
            let base = m.gepF32(q, m.add(m.mul(row, ldq), m.mul(head, m.constI64(headDim))))
            return (0..<chunks).map { m.loadF32Vector(m.gepF32(base, m.constI64($0 * lanes)), lanes, mask: chunkMask(m, $0, width: headDim)) }
        }
        let rowPointer = { (j0: LLVMValueRef, l: Int, base: LLVMValueRef, stride: LLVMValueRef, offset: LLVMValueRef) -> LLVMValueRef in
            let j = m.smin(m.add(j0, m.constI64(l)), highest)  // keys past `highest` are loaded clamped, then masked
            return cache.element(m, base, m.add(m.mul(j, stride), offset))
        }
        let loadChunks = { (pointer: LLVMValueRef, width: Int) in
            (0..<((width + lanes - 1) / lanes)).map {
                cache.loadVector(m, cache.element(m, pointer, m.constI64($0 * lanes)), lanes: lanes, mask: chunkMask(m, $0, width: width))
            }
        }
        // int8: the scales of keys j0 ..< j0 + lanes of this head, one vector load (zero past the highest key).
        let headScales = scales.map { s in
            (k: m.gepF32(s.k, m.mul(kvHead, s.stride)), v: m.gepF32(s.v, m.mul(kvHead, s.stride)))
        }
        let iota = m.constVector((0..<lanes).map { m.constI64($0) })
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        let stateSize = 2 + valueChunks
        // With sinks a head starts from its sink: running max = sink, the running sum's first lane = 1.
        let firstLaneOne = m.constVector((0..<lanes).map { m.constF32($0 == 0 ? 1 : 0) })
        let initial = headIndices.flatMap { head in
            (kernel.sink(m, sinks, head: head).map { [$0, firstLaneOne] } ?? [m.constF32(-.infinity), zero]) + Array(repeating: zero, count: valueChunks)
        }
        let start = m.mul(m.sdiv(lowest, m.constI64(lanes)), m.constI64(lanes))
        let iotaF32 = m.constVector((0..<lanes).map { m.constF32(Float($0)) })
        let final = m.forLoop(from: start, to: m.add(highest, m.constI64(1)), step: lanes, carrying: initial) { j0, state in
            // The cache rows of this kv head are strided slices that the hardware prefetcher follows poorly, and
            // the cache is usually evicted by the weights streamed since the last step: prefetch ahead.
            let ahead = m.add(j0, m.constI64(Self.prefetchBlocks * lanes))
            for l in 0..<lanes {
                let position = m.add(ahead, m.constI64(l))
                for (base, stride, offset, width) in [(k, keyStride, keyOffset, headDim), (v, valueStride, valueOffset, valueDim)] {
                    let row = cache.element(m, base, m.add(offset, m.mul(position, stride)))
                    for line in Swift.stride(from: 0, to: width * cache.elementBytes, by: 64) {
                        m.prefetch(m.gep(m.i8Type, row, m.constI64(line)))
                    }
                }
            }
            let dots = m.transposeSum(lanes: lanes) { l in
                let key = loadChunks(rowPointer(j0, l, k, keyStride, keyOffset), headDim)
                return queries.map { query in
                    (1..<chunks).reduce(m.fmul(query[0], key[0])) { m.fma(query[$1], key[$1], $0) }
                }
            }
            let keys = m.add(m.splat(j0, lanes), iota)
            let loaded = m.icmp(LLVMIntSLE, keys, m.splat(highest, lanes))
            let visible = m.and(m.icmp(LLVMIntSGE, keys, m.splat(lowest, lanes)), loaded)
            let blockScales = headScales.map { s in
                (k: m.loadF32Vector(m.gepF32(s.k, j0), lanes, mask: loaded), v: m.loadF32Vector(m.gepF32(s.v, j0), lanes, mask: loaded))
            }
            let distance = kernel.alibiSlopes.map { _ in
                m.fadd(m.splat(m.sitofp(m.sub(j0, position), m.f32Type), lanes), iotaF32)
            }
            var softmax: [[LLVMValueRef]] = []
            var weights: [LLVMValueRef] = []
            var accumulators: [[LLVMValueRef]] = []
            for (index, dot) in dots.enumerated() {
                let old = Array(state[(index * stateSize)..<((index + 1) * stateSize)])
                let scaled = blockScales.map { m.fmul(dot, $0.k) } ?? dot
                let logits = kernel.logits(m, dots: scaled, lanes: lanes, slope: slopes[index], distance: distance)
                let scores = m.select(visible, logits, m.splatF32(-.infinity, lanes))
                let newMax = m.fmax(old[0], m.reduceMax(scores))
                let correction = m.exp(m.splat(m.fsub(old[0], newMax), lanes))
                let weight = m.exp(m.fsub(scores, m.splat(newMax, lanes)))
                weights.append(blockScales.map { m.fmul(weight, $0.v) } ?? weight)
                softmax.append([newMax, m.fma(old[1], correction, weight)])
                accumulators.append(old[2...].map { m.fmul($0, correction) })
            }
            for l in 0..<lanes {
                let value = loadChunks(rowPointer(j0, l, v, valueStride, valueOffset), valueDim)
                for index in weights.indices {
                    let weight = m.splat(m.extractElement(weights[index], l), lanes)
                    for c in 0..<valueChunks { accumulators[index][c] = m.fma(weight, value[c], accumulators[index][c]) }
                }
            }
            return weights.indices.flatMap { softmax[$0] + accumulators[$0] }
        }
        for (index, head) in headIndices.enumerated() {
            let state = Array(final[(index * stateSize)..<((index + 1) * stateSize)])
            let total = m.splat(m.reduceAdd(state[1]), lanes)
            let base = m.gepF32(out, m.add(m.mul(row, ldo), m.mul(head, m.constI64(valueDim))))
            for c in 0..<valueChunks {
                m.storeVector(m.fdiv(state[2 + c], total), m.gepF32(base, m.constI64(c * lanes)), mask: chunkMask(m, c, width: valueDim))
            }
        }
    }
}
