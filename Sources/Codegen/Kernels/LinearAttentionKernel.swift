import CLLVM
import IR

/// The linear attention of `LinearAttentionSpec` along the tokens of a call, in f32. Every column j of a value head's
/// state S `[keyDim, valueDim]` evolves on its own (S[·][j] ← decay·S[·][j] + k·u_j, o_j = Σ_i S[i][j] q_i, with
/// u_j = β(v_j − decay·Σ_i S[i][j] k_i) for the delta rule, else v_j), so the work is split over vectors of columns,
/// each walking the tokens in order with its `keyDim` state vectors in memory (one contiguous row of the head's
/// matrix per key element). A row whose position is 0 starts from a zero state; the call's first row otherwise
/// continues the state saved in the recurrent state, which holds the state after the last row. A constant decay is
/// baked into the kernel.
/// Slots: [0] q, [1] ldq, [2] k, [3] ldk, [4] v, [5] ldv, [6] a (decay input, [rows][valueHeads]; gated decay only),
/// [7] lda, [8] b (β logits; delta rule only), [9] ldb, [10] A (f32 [valueHeads]; gated decay only), [11] dt bias
/// (f32 [valueHeads]; gated decay only), [12] out, [13] ldo, [14] state (f32 [valueHeads][keyDim][valueDim]),
/// [15] pos0 or positions (`source`), [16] rows.
public struct LinearAttentionKernel: Kernel {
    /// How the per-head decay is found.
    public enum Decay: Hashable, Sendable {
        /// exp(A · softplus(a + dt bias)) from slots 6, 10 and 11.
        case gated
        /// exp(logDecay[h]).
        case constant([Float])
    }

    public let keyHeads: Int
    public let valueHeads: Int
    public let keyDim: Int
    public let valueDim: Int
    public let queryScale: Float
    public let keyScale: Float
    public let decay: Decay
    public let deltaRule: Bool
    public let source: PositionSource

    public init(keyHeads: Int, valueHeads: Int, keyDim: Int, valueDim: Int, queryScale: Float, keyScale: Float, decay: Decay,
                deltaRule: Bool, source: PositionSource = .consecutive) {
        precondition(keyHeads > 0 && valueHeads % keyHeads == 0 && keyDim > 0 && valueDim > 0, "linear attention shape")
        if case .constant(let table) = decay { precondition(table.count == valueHeads, "one decay per value head") }
        self.keyHeads = keyHeads
        self.valueHeads = valueHeads
        self.keyDim = keyDim
        self.valueDim = valueDim
        self.queryScale = queryScale
        self.keyScale = keyScale
        self.decay = decay
        self.deltaRule = deltaRule
        self.source = source
    }

    public init(_ spec: LinearAttentionSpec, source: PositionSource) {
        let decay: Decay = switch spec.decay {
        case .gated: .gated
        case .constant(let table): .constant(table)
        }
        self.init(keyHeads: spec.keyHeads, valueHeads: spec.valueHeads, keyDim: spec.keyDim, valueDim: spec.valueDim,
                  queryScale: spec.queryScale, keyScale: spec.keyScale, decay: decay, deltaRule: spec.deltaRule, source: source)
    }

    public var symbol: String {
        let decayName = switch decay {
        case .gated: "_gated"
        case .constant(let table): "_c\(symbolHash(table))"
        }
        return "llmc_linear_attention_hk\(keyHeads)_hv\(valueHeads)_dk\(keyDim)_dv\(valueDim)_q\(symbolBits(queryScale))"
            + "_k\(symbolBits(keyScale))\(decayName)\(deltaRule ? "_delta" : "")\(source.symbolSuffix)"
    }

    /// The most tasks one call is split into.
    static let maxTasks = 8

    private func vectorsPerHead(_ target: TargetSpec) -> Int { (valueDim + target.vectorWidth - 1) / target.vectorWidth }

    private func tasks(_ target: TargetSpec) -> Int { min(valueHeads * vectorsPerHead(target), Self.maxTasks) }

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        m.constI64(tasks(target))
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let lanes = target.vectorWidth
            let (q, k, v) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3),
                             StridedRows(m, args: args, base: 4, ld: 5))
            let (a, b) = (StridedRows(m, args: args, base: 6, ld: 7), StridedRows(m, args: args, base: 8, ld: 9))
            let (decayRates, dtBias) = (m.loadSlotPointer(args, 10), m.loadSlotPointer(args, 11))
            let out = StridedRows(m, args: args, base: 12, ld: 13)
            let state = m.loadSlotPointer(args, 14)
            let starts = source.startsSequence(m, args: args, slot: 15)
            let rows = m.loadSlot(args, 16)
            let zero = LLVMConstNull(m.f32Vector(lanes))!
            let perHead = vectorsPerHead(target)
            let range = splitRange(m, total: m.constI64(valueHeads * perHead), parts: m.constI64(tasks(target)), part: task)
            m.forLoop(from: range.begin, to: range.end) { item in
                let head = m.sdiv(item, m.constI64(perHead))
                let column = m.mul(m.srem(item, m.constI64(perHead)), m.constI64(lanes))
                let mask = m.laneMask(valid: m.sub(m.constI64(valueDim), column), lanes)
                let keyColumn = m.mul(m.sdiv(head, m.constI64(valueHeads / keyHeads)), m.constI64(keyDim))
                let valueColumn = m.add(m.mul(head, m.constI64(valueDim)), column)
                let perHeadValue = { (base: LLVMValueRef) in m.splat(m.load(m.f32Type, m.gepF32(base, head)), lanes) }
                // The decay of a row: gated ones per token, a constant one once per head.
                let decayOfRow: (LLVMValueRef) -> LLVMValueRef
                switch decay {
                case .gated:
                    let (rate, bias) = (perHeadValue(decayRates), perHeadValue(dtBias))
                    decayOfRow = { row in
                        let input = m.splat(m.load(m.f32Type, a.row(m, row, column: head)), lanes)
                        return m.exp(m.fmul(rate, m.softplus(m.fadd(input, bias))))
                    }
                case .constant(let table):
                    let constant = m.exp(perHeadValue(m.constantF32Array(named: symbol + ".decay", table)))
                    decayOfRow = { _ in constant }
                }
                let stateRow = { (i: LLVMValueRef) in
                    m.gepF32(state, m.add(m.mul(m.add(m.mul(head, m.constI64(keyDim)), i), m.constI64(valueDim)), column))
                }
                let element = { (matrix: StridedRows, row: LLVMValueRef, i: LLVMValueRef, scale: Float) -> LLVMValueRef in
                    let x = m.splat(m.load(m.f32Type, matrix.row(m, row, column: m.add(keyColumn, i))), lanes)
                    return scale == 1 ? x : m.fmul(x, m.splatF32(scale, lanes))
                }
                m.forLoop(from: m.constI64(0), to: rows) { row in
                    let fresh = starts(row)
                    let decay = decayOfRow(row)
                    let previous = { (i: LLVMValueRef) in m.select(fresh, zero, m.loadF32Vector(stateRow(i), lanes, mask: mask)) }
                    let value = m.loadF32Vector(v.row(m, row, column: valueColumn), lanes, mask: mask)
                    var update = value
                    if deltaRule {
                        // Σ_i S[i][j] k_i over the undecayed state; the decay factors out.
                        let recalled = m.forLoop(from: m.constI64(0), to: m.constI64(keyDim), carrying: [zero]) { i, sum in
                            [m.fma(previous(i), element(k, row, i, keyScale), sum[0])]
                        }[0]
                        let beta = m.sigmoid(m.splat(m.load(m.f32Type, b.row(m, row, column: head)), lanes))
                        update = m.fmul(beta, m.fsub(value, m.fmul(decay, recalled)))
                    }
                    let output = m.forLoop(from: m.constI64(0), to: m.constI64(keyDim), carrying: [zero]) { i, sum in
                        let updated = m.fma(element(k, row, i, keyScale), update, m.fmul(decay, previous(i)))
                        m.storeVector(updated, stateRow(i), mask: mask)
                        return [m.fma(updated, element(q, row, i, queryScale), sum[0])]
                    }[0]
                    m.storeVector(output, out.row(m, row, column: valueColumn), mask: mask)
                }
            }
        }
    }
}
