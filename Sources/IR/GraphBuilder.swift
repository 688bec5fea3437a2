/// Builds a `Graph` in execution order, inferring and checking each value's type.
///
/// Recipes read like a model's forward pass: `let h = b.rmsNorm(x, weight: ..., name: "layers.0.input_layernorm")`.
public struct GraphBuilder {
    public private(set) var nodes: [Node] = []

    public init() {}

    public func type(of value: ValueID) -> ValueType { nodes[value.index].type }

    private mutating func add(_ op: Op, _ type: ValueType, _ name: String) -> ValueID {
        nodes.append(Node(op: op, type: type, name: name))
        return ValueID(nodes.count - 1)
    }

    public mutating func tokenIDs() -> ValueID {
        add(.tokenIDs, ValueType(dtype: .i32, rows: .tokens, cols: 1), "input_ids")
    }

    /// The call's token type ids (BERT segments); read by `encode` only.
    public mutating func tokenTypes() -> ValueID {
        add(.tokenTypes, ValueType(dtype: .i32, rows: .tokens, cols: 1), "token_type_ids")
    }

    public mutating func embedding(_ ids: ValueID, table: WeightRef, name: String) -> ValueID {
        precondition(table.shape.count == 2, "embedding table must be 2-D")
        return add(.embedding(ids: ids, table: table), ValueType(rows: type(of: ids).rows, cols: table.shape[1]), name)
    }

    /// RMS norm; without `weight` (nil) the normalised value is not scaled.
    public mutating func rmsNorm(_ x: ValueID, weight: WeightRef?, eps: Float, groupSize: Int? = nil,
                                 weightOffset: Float = 0, name: String) -> ValueID {
        let t = type(of: x)
        let group = groupSize ?? t.cols
        precondition(t.cols % group == 0 && (weight == nil || weight?.shape == [group]),
                     "rms_norm weight \(weight.map(\.description) ?? "none") does not match \(t)")
        return add(.rmsNorm(x, weight: weight, eps: eps, groupSize: group, weightOffset: weightOffset), t, name)
    }

    public mutating func layerNorm(_ x: ValueID, weight: WeightRef?, bias: WeightRef?, eps: Float, groupSize: Int? = nil,
                                   weightOffset: Float = 0, name: String) -> ValueID {
        let t = type(of: x)
        let group = groupSize ?? t.cols
        // Parameters are shared by every group ([group]) or given per group ([cols], e.g. per-head q/k norms).
        precondition(t.cols % group == 0 && [weight, bias].allSatisfy { $0 == nil || $0?.shape == [group] || $0?.shape == [t.cols] },
                     "layer_norm parameters do not match \(t)")
        return add(.layerNorm(x, weight: weight, bias: bias, eps: eps, groupSize: group, weightOffset: weightOffset), t, name)
    }

    public mutating func positionEmbedding(_ x: ValueID, table: WeightRef, offset: Int = 0, name: String) -> ValueID {
        precondition(table.shape.count == 2 && table.shape[1] == type(of: x).cols, "position table \(table) does not match")
        return add(.positionEmbedding(x, table: table, offset: offset), type(of: x), name)
    }

    public mutating func unary(_ x: ValueID, _ op: UnaryOp, name: String) -> ValueID {
        add(.unary(x, op), type(of: x), name)
    }

    public mutating func mul(_ a: ValueID, _ b: ValueID, name: String) -> ValueID {
        checkBinary(a, b, "mul")
        return add(.mul(a, b), type(of: a), name)
    }

    public mutating func div(_ a: ValueID, _ b: ValueID, name: String) -> ValueID {
        checkBinary(a, b, "div")
        return add(.div(a, b), type(of: a), name)
    }

    /// b has a's type, or one column (a value per row, broadcast along the row).
    private func checkBinary(_ a: ValueID, _ b: ValueID, _ op: String) {
        let (ta, tb) = (type(of: a), type(of: b))
        precondition(ta == tb || (ta.rows == tb.rows && tb.cols == 1), "\(op) of \(ta) and \(tb)")
    }

    /// One statistic of each row of x: `[rows, 1]`.
    public mutating func rowStatistic(_ x: ValueID, _ statistic: RowStatistic, name: String) -> ValueID {
        add(.rowStatistic(x, statistic), ValueType(rows: type(of: x).rows, cols: 1), name)
    }

    /// Per-row combination of the `blocks` column blocks of x with the row's coefficients (see `Op.blockMix`).
    public mutating func blockMix(_ x: ValueID, coefficients c: ValueID, blocks: Int, name: String) -> ValueID {
        let (tx, tc) = (type(of: x), type(of: c))
        precondition(blocks > 0 && tx.cols % blocks == 0 && tc.cols % blocks == 0 && tx.rows == tc.rows,
                     "block_mix of \(tx) in \(blocks) blocks with coefficients \(tc)")
        return add(.blockMix(x, coefficients: c, blocks: blocks),
                   ValueType(rows: tx.rows, cols: tc.cols / blocks * (tx.cols / blocks)), name)
    }

    /// The inputs' columns side by side (inputs with the same rows).
    public mutating func concat(_ parts: [ValueID], name: String) -> ValueID {
        precondition(!parts.isEmpty && parts.allSatisfy { type(of: $0).rows == type(of: parts[0]).rows }, "concat of mixed rows")
        return add(.concat(parts), ValueType(rows: type(of: parts[0]).rows, cols: parts.reduce(0) { $0 + type(of: $1).cols }), name)
    }

    public mutating func linear(_ x: ValueID, weight: WeightRef, bias: WeightRef? = nil, name: String) -> ValueID {
        let t = type(of: x)
        precondition(weight.shape.count == 2 && weight.shape[1] == t.cols, "linear \(weight) does not take \(t)")
        if let bias { precondition(bias.shape == [weight.shape[0]], "bias \(bias) does not match \(weight)") }
        return add(.linear(x, weight: weight, bias: bias, accumulate: nil), ValueType(rows: t.rows, cols: weight.shape[0]), name)
    }

    public mutating func rope(_ x: ValueID, _ spec: RopeSpec, name: String) -> ValueID {
        let t = type(of: x)
        precondition(t.cols == spec.heads * spec.headDim && spec.rotaryDim <= spec.headDim, "rope \(spec) does not fit \(t)")
        return add(.rope(x, spec), t, name)
    }

    public mutating func attention(q: ValueID, k: ValueID, v: ValueID, _ spec: AttentionSpec, name: String) -> ValueID {
        precondition(type(of: q).cols == spec.qHeads * spec.headDim && type(of: k).cols == spec.kvHeads * spec.headDim
            && type(of: v).cols == spec.kvHeads * spec.valueHeadDim && spec.qHeads % spec.kvHeads == 0, "attention shapes do not match \(spec)")
        return add(.attention(q: q, k: k, v: v, spec), attentionOutput(q, spec), name)
    }

    /// Attention of q over the cache slot `spec.cacheSlot` as an earlier layer of this call left it (KV sharing).
    public mutating func sharedAttention(q: ValueID, _ spec: AttentionSpec, name: String) -> ValueID {
        precondition(type(of: q).cols == spec.qHeads * spec.headDim && spec.qHeads % spec.kvHeads == 0,
                     "attention shapes do not match \(spec)")
        return add(.attention(q: q, k: nil, v: nil, spec), attentionOutput(q, spec), name)
    }

    /// One row of `qHeads × valueHeadDim` per query row.
    private func attentionOutput(_ q: ValueID, _ spec: AttentionSpec) -> ValueType {
        ValueType(rows: type(of: q).rows, cols: spec.qHeads * spec.valueHeadDim)
    }

    public mutating func gatedActivation(gate: ValueID, up: ValueID, _ act: GatedActivation, name: String) -> ValueID {
        precondition(type(of: gate) == type(of: up), "gate and up differ")
        return add(.gatedActivation(gate: gate, up: up, act), type(of: gate), name)
    }

    /// Mixture of experts over x routed by `router` logits (one column per expert); the result has x's type.
    public mutating func moe(_ x: ValueID, router: ValueID, _ spec: MoESpec, name: String) -> ValueID {
        let (tx, tr) = (type(of: x), type(of: router))
        let (hidden, ff) = (tx.cols, spec.experts.first?.down.shape.last ?? 0)
        precondition(!spec.experts.isEmpty && tr.cols == spec.experts.count && tr.rows == tx.rows
            && (1...spec.experts.count).contains(spec.routing.topK)
            && spec.experts.allSatisfy { $0.gateUp.shape == [2 * ff, hidden] && $0.down.shape == [hidden, ff] }
            && (spec.selectionBias.map { $0.shape == [spec.experts.count] } ?? true)
            && spec.routing.validGroups(experts: spec.experts.count),
                     "moe of \(tx) routed by \(tr) does not match its \(spec.experts.count) experts")
        return add(.moe(x, router: router, spec), tx, name)
    }

    public mutating func add(_ a: ValueID, _ b: ValueID, name: String) -> ValueID {
        checkBinary(a, b, "add")
        return add(.add(a, b), type(of: a), name)
    }

    public mutating func scale(_ x: ValueID, by factor: Float, name: String) -> ValueID {
        add(.scale(x, factor), type(of: x), name)
    }

    public mutating func slice(_ x: ValueID, start: Int, count: Int, name: String) -> ValueID {
        var t = type(of: x)
        precondition(start >= 0 && start + count <= t.cols, "slice out of range")
        t.cols = count
        return add(.slice(x, start: start, count: count), t, name)
    }

    public mutating func lastRow(_ x: ValueID, name: String) -> ValueID {
        var t = type(of: x)
        t.rows = .last
        return add(.lastRow(x), t, name)
    }

    /// One row per sequence from each sequence's token rows.
    public mutating func pool(_ x: ValueID, _ reduction: PoolReduction, name: String) -> ValueID {
        var t = type(of: x)
        precondition(t.rows == .tokens && t.dtype == .f32, "pool needs f32 token rows, got \(t)")
        t.rows = .sequences
        return add(.pool(x, reduction), t, name)
    }

    public mutating func l2Normalize(_ x: ValueID, name: String) -> ValueID {
        add(.l2Normalize(x), type(of: x), name)
    }

    /// Causal depthwise convolution of x `[T, spec.channels]` over its sequences.
    public mutating func causalConv1d(_ x: ValueID, _ spec: ConvSpec, name: String) -> ValueID {
        let t = type(of: x)
        precondition(t.rows == .tokens && t.cols == spec.channels, "causal conv of \(spec.channels) channels does not take \(t)")
        return add(.causalConv1d(x, spec), t, name)
    }

    /// Selective scan of x `[T, channels]` with dt `[T, heads]` and B, C `[T, groups · stateSize]`; y has x's shape.
    public mutating func selectiveScan(x: ValueID, dt: ValueID, b: ValueID, c: ValueID, _ spec: ScanSpec, name: String) -> ValueID {
        let (tx, tdt, tb, tc) = (type(of: x), type(of: dt), type(of: b), type(of: c))
        let bc = spec.groups * spec.stateSize
        precondition(tx.rows == .tokens && tx.cols == spec.channels && tdt == ValueType(rows: .tokens, cols: spec.heads)
                     && tb == ValueType(rows: .tokens, cols: bc) && tc == tb,
                     "selective scan \(spec.heads) heads × \(spec.headDim), B/C \(bc) does not take x \(tx), dt \(tdt), B \(tb), C \(tc)")
        return add(.selectiveScan(x: x, dt: dt, b: b, c: c, spec), tx, name)
    }

    /// Linear attention of q, k `[T, keyHeads · keyDim]` and v `[T, valueHeads · valueDim]`, with decay inputs and β
    /// logits `[T, valueHeads]` exactly when the spec takes them; the output has v's shape.
    public mutating func linearAttention(q: ValueID, k: ValueID, v: ValueID, decay: ValueID? = nil, beta: ValueID? = nil,
                                         _ spec: LinearAttentionSpec, name: String) -> ValueID {
        let keys = ValueType(rows: .tokens, cols: spec.keyHeads * spec.keyDim)
        let heads = ValueType(rows: .tokens, cols: spec.valueHeads)
        let values = ValueType(rows: .tokens, cols: spec.valueHeads * spec.valueDim)
        precondition(type(of: q) == keys && type(of: k) == keys && type(of: v) == values
                     && (decay.map { type(of: $0) == heads } ?? true) && (decay != nil) == spec.decayInput
                     && (beta.map { type(of: $0) == heads } ?? true) && (beta != nil) == spec.deltaRule,
                     "linear attention \(spec.keyHeads)×\(spec.keyDim) / \(spec.valueHeads)×\(spec.valueDim) does not take q \(type(of: q)), "
                     + "k \(type(of: k)), v \(type(of: v)), decay \(decay.map { "\(type(of: $0))" } ?? "none"), "
                     + "beta \(beta.map { "\(type(of: $0))" } ?? "none")")
        return add(.linearAttention(q: q, k: k, v: v, decay: decay, beta: beta, spec), values, name)
    }

    /// Finishes the graph with `logits` as its output.
    public func finish(logits: ValueID, info: ModelInfo) -> Graph {
        Graph(nodes: nodes, logits: logits, info: info)
    }

    /// Finishes a pooling graph (the `encode` entry point), with generation `logits` too when given.
    public func finish(pooling: PoolingOutputs, logits: ValueID? = nil, info: ModelInfo) -> Graph {
        precondition(info.pooling != nil, "a pooling graph needs ModelInfo.pooling")
        return Graph(nodes: nodes, logits: logits, pooling: pooling, info: info)
    }
}
