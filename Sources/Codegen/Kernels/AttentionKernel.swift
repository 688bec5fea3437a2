import CLLVM

/// Causal (optionally sliding-window) GQA attention of `rows` new queries at positions pos0 ..< pos0 + rows over
/// a KV cache that already holds positions 0 ..< pos0 + rows. Cache layout for the layer: K [maxCtx][kvHeads *
/// headDim], V the same. Query head h reads kv head h / (qHeads / kvHeads). A query at position p sees keys j
/// with max(0, p - window + 1) <= j <= p. Scores are (q · k) * scale; softmax in f32 with max subtraction, online
/// (flash-style) over key blocks.
/// Slots: [0] q ptr, [1] ldq, [2] K ptr, [3] V ptr, [4] out ptr, [5] ldo, [6] pos0, [7] rows; out[r][h*headDim + d].
///
/// Two paths by `rows`: decode (rows <= `decodeMaxRows`) vectorises over keys, one task per (kv head, row) doing
/// all query heads of the group on each loaded key block; prefill vectorises over a tile of one vector width of
/// consecutive query rows of one head (no horizontal reductions), tasks are per head pairs of tiles (tile i with
/// tile n-1-i) so they cost about the same although later rows see more keys. Each query's result depends only on
/// its own keys, never on the task split.
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

    /// Calls with at most this many rows take the decode path.
    static let decodeMaxRows = 4

    var group: Int { qHeads / kvHeads }

    private func tilePairs(_ m: ModuleBuilder, rows: LLVMValueRef, lanes: Int) -> (tiles: LLVMValueRef, pairs: LLVMValueRef) {
        let tiles = m.ceilDiv(rows, m.constI64(lanes))
        return (tiles, m.ceilDiv(tiles, m.constI64(2)))
    }

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        let decode = m.icmp(LLVMIntSLE, rows, m.constI64(Self.decodeMaxRows))
        let prefill = m.mul(m.constI64(qHeads), tilePairs(m, rows: rows, lanes: target.vectorWidth).pairs)
        return m.select(decode, m.mul(m.constI64(kvHeads), rows), prefill)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let operands = (0..<7).map { [1, 5, 6].contains($0) ? m.loadSlot(args, $0) : m.loadSlotPointer(args, $0) }
            let rows = m.loadSlot(args, 7)
            m.ifThenElse(m.icmp(LLVMIntSLE, rows, m.constI64(Self.decodeMaxRows)), then: {
                let decode = AttentionDecode(kernel: self, lanes: target.vectorWidth).emit(prefix: symbol, in: m, target: target)
                m.call(decode, operands + [m.srem(task, rows), m.sdiv(task, rows)])
            }, otherwise: {
                let tile = AttentionPrefillTile(kernel: self, lanes: target.vectorWidth).emit(prefix: symbol, in: m, target: target)
                let (tiles, pairs) = tilePairs(m, rows: rows, lanes: target.vectorWidth)
                let head = m.sdiv(task, pairs)
                let first = m.srem(task, pairs)
                let second = m.sub(m.sub(tiles, m.constI64(1)), first)
                m.call(tile, operands + [rows, first, head])
                m.ifThen(m.icmp(LLVMIntNE, second, first)) { m.call(tile, operands + [rows, second, head]) }
            })
        }
    }

    /// The lowest visible key position for a query at `position` (scalar i64, or a vector of `lanes` lanes of
    /// integer `type`).
    func lowestKey(_ m: ModuleBuilder, position: LLVMValueRef, lanes: Int? = nil, type: LLVMTypeRef? = nil) -> LLVMValueRef {
        let constant = { (value: Int) in lanes.map { m.splatInt(type ?? m.i64Type, value, $0) } ?? m.constI64(value) }
        guard let window else { return constant(0) }
        let low = m.sub(position, constant(window - 1))
        return m.select(m.icmp(LLVMIntSGT, low, constant(0)), low, constant(0))
    }
}
