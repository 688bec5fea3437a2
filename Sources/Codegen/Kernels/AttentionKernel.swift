import CLLVM

/// Causal (optionally sliding-window) GQA attention of `rows` new queries at positions pos0 ..< pos0 + rows over
/// a KV cache that already holds positions 0 ..< pos0 + rows. Cache layout for the layer: K [maxCtx][kvHeads *
/// headDim], V the same. Query head h reads kv head h / (qHeads / kvHeads). A query at position p sees keys j
/// with max(0, p - window + 1) <= j <= p. Softmax in f32, online (flash-style) over key blocks of one vector
/// width with max subtraction; scores are (q · k) * scale.
/// Slots: [0] q ptr, [1] ldq, [2] K ptr, [3] V ptr, [4] out ptr, [5] ldo, [6] pos0, [7] rows; out[r][h*headDim + d].
///
/// Tasks: per query head, pairs of query-row blocks (block i with block n-1-i), so tasks cost about the same
/// although later rows see more keys. Each query row's result depends only on its own keys (blocks are aligned to
/// absolute positions), so results do not depend on the task split.
public struct AttentionKernel: Kernel {
    public let qHeads: Int
    public let kvHeads: Int
    public let headDim: Int
    public let scale: Float
    public let window: Int?

    public init(qHeads: Int, kvHeads: Int, headDim: Int, scale: Float, window: Int?) {
        precondition(qHeads > 0 && kvHeads > 0 && qHeads % kvHeads == 0, "qHeads must be a multiple of kvHeads")
        precondition(headDim > 0, "headDim must be positive")
        precondition(window.map { $0 > 0 } ?? true, "window must be positive")
        self.qHeads = qHeads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.scale = scale
        self.window = window
    }

    public var symbol: String {
        "llmc_attention_q\(qHeads)_kv\(kvHeads)_d\(headDim)_s\(symbolBits(scale))_w\(window.map(String.init) ?? "all")"
    }

    /// Query rows per block.
    static let rowBlock = 8

    private func blockPairs(_ m: ModuleBuilder, rows: LLVMValueRef) -> (blocks: LLVMValueRef, pairs: LLVMValueRef) {
        let blocks = m.ceilDiv(rows, m.constI64(Self.rowBlock))
        return (blocks, m.ceilDiv(blocks, m.constI64(2)))
    }

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        m.mul(m.constI64(qHeads), blockPairs(m, rows: rows).pairs)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let operands = Operands(
                q: m.loadSlotPointer(args, 0), ldq: m.loadSlot(args, 1), k: m.loadSlotPointer(args, 2),
                v: m.loadSlotPointer(args, 3), out: m.loadSlotPointer(args, 4), ldo: m.loadSlot(args, 5),
                pos0: m.loadSlot(args, 6))
            let rows = m.loadSlot(args, 7)
            let (blocks, pairs) = blockPairs(m, rows: rows)
            let head = m.sdiv(task, pairs)
            let first = m.srem(task, pairs)
            let second = m.sub(m.sub(blocks, m.constI64(1)), first)
            let rowFunction = emitRowFunction(m, target)
            let runBlock = { (block: LLVMValueRef) in
                let begin = m.mul(block, m.constI64(Self.rowBlock))
                let end = m.smin(rows, m.add(begin, m.constI64(Self.rowBlock)))
                m.forLoop(from: begin, to: end) { row in
                    m.call(rowFunction, [operands.q, operands.ldq, operands.k, operands.v, operands.out, operands.ldo,
                                         operands.pos0, row, head])
                }
            }
            runBlock(first)
            m.ifThen(m.icmp(LLVMIntNE, second, first)) { runBlock(second) }
        }
    }

    private struct Operands {
        let q: LLVMValueRef, ldq: LLVMValueRef, k: LLVMValueRef, v: LLVMValueRef, out: LLVMValueRef
        let ldo: LLVMValueRef, pos0: LLVMValueRef
    }

    /// Internal `void row(q, ldq, K, V, out, ldo, pos0, row, head)`: one query row of one head.
    private func emitRowFunction(_ m: ModuleBuilder, _ target: TargetSpec) -> LLVMValueRef {
        let type = m.functionType(m.voidType, [
            m.ptrType, m.i64Type, m.ptrType, m.ptrType, m.ptrType, m.i64Type, m.i64Type, m.i64Type, m.i64Type,
        ])
        return m.defineFunction(symbol + ".row", type, linkage: LLVMInternalLinkage, target: target) { fn in
            let p = (0..<9).map { m.param(fn, $0) }
            emitRow(m, target.vectorWidth, q: p[0], ldq: p[1], k: p[2], v: p[3], out: p[4], ldo: p[5], pos0: p[6],
                    row: p[7], head: p[8])
            m.retVoid()
        }
    }

    private func emitRow(
        _ m: ModuleBuilder, _ lanes: Int, q: LLVMValueRef, ldq: LLVMValueRef, k: LLVMValueRef, v: LLVMValueRef,
        out: LLVMValueRef, ldo: LLVMValueRef, pos0: LLVMValueRef, row: LLVMValueRef, head: LLVMValueRef
    ) {
        let kvStride = m.constI64(kvHeads * headDim)
        let kvHead = m.sdiv(head, m.constI64(qHeads / kvHeads))
        let kvOffset = m.mul(kvHead, m.constI64(headDim))
        let headOffset = m.mul(head, m.constI64(headDim))
        let position = m.add(pos0, row)
        let lowest = window.map { m.smax(m.constI64(0), m.sub(position, m.constI64($0 - 1))) } ?? m.constI64(0)
        let chunks = (headDim + lanes - 1) / lanes
        let chunkMask = { (c: Int) -> LLVMValueRef? in
            (c + 1) * lanes <= headDim ? nil : m.constLaneMask(valid: headDim - c * lanes, lanes)
        }
        let queryRow = m.gepF32(q, m.add(m.mul(row, ldq), headOffset))
        let query = (0..<chunks).map { c in
            m.loadF32Vector(m.gepF32(queryRow, m.constI64(c * lanes)), lanes, mask: chunkMask(c))
        }
        let keyRow = { (j: LLVMValueRef, base: LLVMValueRef) in m.gepF32(base, m.add(m.mul(j, kvStride), kvOffset)) }
        let iota = m.constVector((0..<lanes).map { m.constI64($0) })
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        let start = m.mul(m.sdiv(lowest, m.constI64(lanes)), m.constI64(lanes))
        let end = m.add(position, m.constI64(1))
        let initial = [m.constF32(-.infinity), zero] + Array(repeating: zero, count: chunks)
        let final = m.forLoop(from: start, to: end, step: lanes, carrying: initial) { j0, state in
            // Scores of keys j0 ..< j0 + lanes (rows past `position` are clamped for loading and masked out).
            var scores = zero
            for l in 0..<lanes {
                let j = m.smin(m.add(j0, m.constI64(l)), position)
                let key = keyRow(j, k)
                let products = (0..<chunks).map { c in
                    m.fmul(query[c], m.loadF32Vector(m.gepF32(key, m.constI64(c * lanes)), lanes, mask: chunkMask(c)))
                }
                scores = m.insertElement(scores, m.reduceAdd(m.sumTree(products)), l)
            }
            let keys = m.add(m.splat(j0, lanes), iota)
            let visible = m.and(m.icmp(LLVMIntSGE, keys, m.splat(lowest, lanes)),
                                m.icmp(LLVMIntSLE, keys, m.splat(position, lanes)))
            scores = m.select(visible, m.fmul(scores, m.splatF32(scale, lanes)), m.splatF32(-.infinity, lanes))
            let newMax = m.fmax(state[0], m.reduceMax(scores))
            let correction = m.exp(m.splat(m.fsub(state[0], newMax), lanes))
            let weights = m.exp(m.fsub(scores, m.splat(newMax, lanes)))
            let sums = m.fma(state[1], correction, weights)
            var acc = (0..<chunks).map { m.fmul(state[2 + $0], correction) }
            for l in 0..<lanes {
                let j = m.smin(m.add(j0, m.constI64(l)), position)
                let value = keyRow(j, v)
                let weight = m.splat(m.extractElement(weights, l), lanes)
                for c in 0..<chunks {
                    let vv = m.loadF32Vector(m.gepF32(value, m.constI64(c * lanes)), lanes, mask: chunkMask(c))
                    acc[c] = m.fma(weight, vv, acc[c])
                }
            }
            return [newMax, sums] + acc
        }
        let total = m.splat(m.reduceAdd(final[1]), lanes)
        let outRow = m.gepF32(out, m.add(m.mul(row, ldo), headOffset))
        for c in 0..<chunks {
            m.storeVector(m.fdiv(final[2 + c], total), m.gepF32(outRow, m.constI64(c * lanes)), mask: chunkMask(c))
        }
    }
}
