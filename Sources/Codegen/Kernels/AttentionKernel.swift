import CLLVM

/// Causal (optionally sliding-window) or bidirectional GQA attention of `rows` new queries at positions
/// pos0 ..< pos0 + rows over a KV cache that already holds positions 0 ..< pos0 + rows. Cache layout for the layer:
/// K [maxCtx][kvHeads * headDim], V [maxCtx][kvHeads * valueDim] (valueDim is headDim except in DeepSeek's MLA). Query head h reads kv head h / (qHeads / kvHeads). With `causal` a
/// query at position p sees keys j with max(0, p - window + 1) <= j <= p; without it (encoders, embedding models) every
/// key 0 ..< pos0 + rows, or with a window the keys with |p - j| < window (ModernBERT's local layers). The logit of key j is s = (q · k) * scale, then s = cap · tanh(s / cap) with `softcap`
/// (Gemma 2), then s += slopes[h] · (j - p) with `alibiSlopes` (BLOOM, MPT); softmax in f32 with max subtraction,
/// online (flash-style) over key blocks.
///
/// ALiBi: transformers' BLOOM adds slope · j (build_alibi_tensor: arange over the key positions) and MPT adds
/// slope · (j - (L - 1)) for the L cached keys (build_mpt_alibi_tensor sliced to the last L columns); both differ
/// from slope · (j - p) by a constant per query row, which softmax cancels, and both are added after the scaling
/// (and soft cap) like here. slope · (j - p) keeps the bias small (<= 0), so it rounds less.
/// Slots: [0] q ptr, [1] ldq, [2] K ptr, [3] V ptr, [4] out ptr, [5] ldo, [6] pos0, [7] rows, then for an int8
/// cache [8] K scales, [9] V scales (head-major, [kvHeads][stride] f32) and [10] their stride, with `sinks` [11] the
/// sink logits (f32[qHeads]); out[r][h*valueDim + d].
/// K and V hold rows of kvHeads × headDim elements in `cache` format (`KVCacheLayout`); codes are widened to f32 and
/// int8 scales applied once per key to its dot products and once per softmax weight to its value row.
///
/// Two paths by `rows`: decode (rows <= `decodeMaxRows`) vectorises over keys, one task per (kv head, subgroup of its
/// query heads, row) doing the subgroup's heads on each loaded key block; prefill vectorises over a tile of one vector width of
/// consecutive query rows of one head (no horizontal reductions), tasks are per head pairs of tiles (tile i with
/// tile n-1-i) so they cost about the same although later rows see more keys. Each query's result depends only on
/// its own keys, never on the task split.
public struct AttentionKernel: Kernel {
    public let qHeads: Int
    public let kvHeads: Int
    /// Width of a query and a key head.
    public let headDim: Int
    /// Width of a value head and of an output head.
    public let valueDim: Int
    public let scale: Float
    public let window: Int?
    /// Logit soft cap (nil: none).
    public let softcap: Float?
    /// ALiBi slope per query head (nil: none).
    public let alibiSlopes: [Float]?
    /// Slot 11 holds per query head a logit in the softmax denominator with no value (`AttentionSpec.sinks`).
    public let sinks: Bool
    /// False: bidirectional over all cached positions (within `window` on both sides when set).
    public let causal: Bool
    /// Element format of the K and V cache.
    public let cache: KVCacheFormat

    public init(
        qHeads: Int, kvHeads: Int, headDim: Int, scale: Float, window: Int?, softcap: Float? = nil,
        alibiSlopes: [Float]? = nil, causal: Bool = true, cache: KVCacheFormat = .f32, valueDim: Int? = nil,
        sinks: Bool = false
    ) {
        precondition(qHeads > 0 && kvHeads > 0 && qHeads % kvHeads == 0, "qHeads must be a multiple of kvHeads")
        precondition(headDim > 0 && (valueDim ?? headDim) > 0, "head sizes must be positive")
        precondition(window.map { $0 > 0 } ?? true, "window must be positive")
        precondition(softcap.map { $0 > 0 } ?? true, "soft cap must be positive")
        precondition(alibiSlopes.map { $0.count == qHeads } ?? true, "need one ALiBi slope per query head")
        self.qHeads = qHeads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.valueDim = valueDim ?? headDim
        self.scale = scale
        self.window = window
        self.softcap = softcap
        self.alibiSlopes = alibiSlopes
        self.sinks = sinks
        self.causal = causal
        self.cache = cache
    }

    public var symbol: String {
        "llmc_attention_q\(qHeads)_kv\(kvHeads)_d\(headDim)" + (valueDim == headDim ? "" : "_v\(valueDim)")
            + "_s\(symbolBits(scale))_w\(window.map(String.init) ?? "all")"
            + (softcap.map { "_c\(symbolBits($0))" } ?? "") + (alibiSlopes.map { "_a\(symbolHash($0))" } ?? "")
            + (sinks ? "_sinks" : "")
            + (causal ? "" : "_bidi") + (cache == .f32 ? "" : "_kv\(cache.rawValue)")
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
        let subgroups = AttentionDecode(kernel: self, lanes: target.vectorWidth).subgroups
        return m.select(decode, m.mul(m.constI64(kvHeads * subgroups), rows), prefill)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let operands = (0..<7).map { [1, 5, 6].contains($0) ? m.loadSlot(args, $0) : m.loadSlotPointer(args, $0) }
            let rows = m.loadSlot(args, 7)
            let scales = (cache.hasScales ? [m.loadSlotPointer(args, 8), m.loadSlotPointer(args, 9), m.loadSlot(args, 10)]
                : [LLVMConstNull(m.ptrType)!, LLVMConstNull(m.ptrType)!, m.constI64(0)])
                + [sinks ? m.loadSlotPointer(args, 11) : LLVMConstNull(m.ptrType)!]
            m.ifThenElse(m.icmp(LLVMIntSLE, rows, m.constI64(Self.decodeMaxRows)), then: {
                let decode = AttentionDecode(kernel: self, lanes: target.vectorWidth).emit(prefix: symbol, in: m, target: target)
                m.call(decode, operands + [rows, m.srem(task, rows), m.sdiv(task, rows)] + scales)
            }, otherwise: {
                let tile = AttentionPrefillTile(kernel: self, lanes: target.vectorWidth).emit(prefix: symbol, in: m, target: target)
                let (tiles, pairs) = tilePairs(m, rows: rows, lanes: target.vectorWidth)
                let head = m.sdiv(task, pairs)
                let first = m.srem(task, pairs)
                let second = m.sub(m.sub(tiles, m.constI64(1)), first)
                m.call(tile, operands + [rows, first, head] + scales)
                m.ifThen(m.icmp(LLVMIntNE, second, first)) { m.call(tile, operands + [rows, second, head] + scales) }
            })
        }
    }

    /// The parameter types of the decode and tile functions: (q, ldq, K, V, out, ldo, pos0, rows, index, head,
    /// K scales, V scales, scale stride, sinks).
    func pathParameters(_ m: ModuleBuilder) -> [LLVMTypeRef] {
        [m.ptrType, m.i64Type, m.ptrType, m.ptrType, m.ptrType, m.i64Type, m.i64Type, m.i64Type, m.i64Type, m.i64Type,
         m.ptrType, m.ptrType, m.i64Type, m.ptrType]
    }

    /// The highest visible key position for a query at `position` (scalar i64, or a vector of `lanes` lanes of
    /// integer `type`) of a call at pos0 over `rows` rows.
    func highestKey(_ m: ModuleBuilder, position: LLVMValueRef, pos0: LLVMValueRef, rows: LLVMValueRef, lanes: Int? = nil,
                    type: LLVMTypeRef? = nil) -> LLVMValueRef {
        if causal { return position }
        let last = m.sub(m.add(pos0, rows), m.constI64(1))
        let splat = { (value: LLVMValueRef) in lanes.map { m.splat(type.map { m.trunc(value, $0) } ?? value, $0) } ?? value }
        guard let window else { return splat(last) }
        let reach = m.add(position, lanes.map { m.splatInt(type ?? m.i64Type, window - 1, $0) } ?? m.constI64(window - 1))
        return m.select(m.icmp(LLVMIntSLT, reach, splat(last)), reach, splat(last))
    }

    /// The ALiBi slope of query head `head` (i64), or nil without ALiBi.
    func alibiSlope(_ m: ModuleBuilder, head: LLVMValueRef) -> LLVMValueRef? {
        alibiSlopes.map { m.load(m.f32Type, m.gepF32(m.constantF32Array(named: symbol + ".alibi", $0), head)) }
    }

    /// The sink logit of query head `head` (i64) from the sinks parameter `logits` as a scalar f32, or nil without
    /// sinks. The online softmax of a head starts from it as its running max with a running sum of 1: the sink is a
    /// key of logit sink and value 0.
    func sink(_ m: ModuleBuilder, _ logits: LLVMValueRef, head: LLVMValueRef) -> LLVMValueRef? {
        sinks ? m.load(m.f32Type, m.gepF32(logits, head)) : nil
    }

    /// Logits from a vector of q · k dot products: scaled, soft-capped, plus slope · distance with ALiBi, where
    /// `distance` holds j - p per lane as f32 (exact: positions are far below 2^24).
    func logits(_ m: ModuleBuilder, dots: LLVMValueRef, lanes: Int, slope: LLVMValueRef?, distance: LLVMValueRef?) -> LLVMValueRef {
        var logit = m.fmul(dots, m.splatF32(scale, lanes))
        if let softcap { logit = m.softcap(logit, cap: softcap) }
        if let slope, let distance { logit = m.fadd(logit, m.fmul(m.splat(slope, lanes), distance)) }
        return logit
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
