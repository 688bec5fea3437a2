import IR

/// A LayerNorm as the checkpoint stores it: `<module>.weight` and `<module>.bias` when present.
struct NormRef {
    var module: String
    var eps: Float
    var weight = true
    var bias = true
    /// Added to the stored weight (Nemotron's LayerNorm1P normalises with 1 + w).
    var weightOffset: Float = 0
    /// How a norm over each head stores its parameters.
    var heads: HeadWeights = .shared
}

/// Parameters of a LayerNorm applied to each head of q or k.
enum HeadWeights {
    /// One `[head_dim]` weight (and bias) for every head (Persimmon, Phi), or a norm over the whole width.
    case shared
    /// One LayerNorm module per head, `<module>.norms.<h>.weight` (StableLM-2-12B).
    case modulePerHead
    /// One `[heads, head_dim]` weight (Cohere's q_norm / k_norm).
    case matrix
}

/// Row order of a fused q/k/v projection.
enum FusedQKVLayout {
    /// All query rows, then all key rows, then all value rows (GPT-2, MPT, GPTBigCode multi-query).
    case stacked
    /// Per key/value head: its query heads, its key head, its value head (`[kv, heads/kv + 2, head_dim]`). With as many
    /// kv heads as heads this is the per-head `[q, k, v]` of BLOOM, GPT-NeoX, Persimmon and Falcon-RW; with one kv head
    /// it equals `stacked` (Falcon-7B); otherwise it is Falcon's new decoder layout.
    case grouped

    /// The fused output rows holding q, k and v, as row ranges to concatenate in order.
    func rows(heads: Int, kvHeads: Int, headDim: Int) -> [[Range<Int>]] {
        switch self {
        case .stacked:
            let (q, kv) = (heads * headDim, kvHeads * headDim)
            return [[0..<q], [q..<q + kv], [q + kv..<q + 2 * kv]]
        case .grouped:
            let perGroup = heads / kvHeads
            let groups = (0..<kvHeads).map { g -> [Range<Int>] in
                let base = g * (perGroup + 2) * headDim
                let k = base + perGroup * headDim
                return [base..<k, k..<k + headDim, k + headDim..<k + 2 * headDim]
            }
            return (0..<3).map { part in Self.merged(groups.map { $0[part] }) }
        }
    }

    /// Joins ranges that continue one another.
    private static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        ranges.reduce(into: []) { out, r in
            if let last = out.last, last.upperBound == r.lowerBound {
                out[out.count - 1] = last.lowerBound..<r.upperBound
            } else {
                out.append(r)
            }
        }
    }
}

/// Where a layer's q, k and v projections are stored (module paths, without `.weight`).
enum QKVWeights {
    case separate(q: String, k: String, v: String)
    case fused(String, FusedQKVLayout)
}

/// Rotary embedding of the first `rotaryDim` dims of every q and k head.
struct Rotary {
    var rotaryDim: Int
    var style: RopeStyle
    var rope: RopeConfig

    /// The rope of `heads` heads of `headDim` (frequencies and attention factor folded from the config).
    func spec(heads: Int, headDim: Int) -> RopeSpec {
        rope.spec(heads: heads, headDim: headDim, rotaryDim: rotaryDim, style: style)
    }
}

extension Rotary {
    init(_ rope: PartialRope, headDim: Int, style: RopeStyle) {
        self.init(rotaryDim: rope.rotaryDim(headDim: headDim), style: style, rope: rope.rope)
    }
}

/// One attention sublayer.
struct AttentionBlock {
    var heads: Int
    var kvHeads: Int
    var headDim: Int
    var qkv: QKVWeights
    var qkvBias: Bool
    /// Output projection module.
    var output: String
    var outputBias: Bool
    /// LayerNorm over each head of q and of k (parameters as `NormRef.heads` says), before the rotary embedding.
    var qkNorm: (q: NormRef, k: NormRef)? = nil
    var rotary: Rotary?
    var scale: Float
    /// q, k and v clamped to ±clip right after the projections (`clip_qkv`).
    var clip: Float? = nil
    var window: Int? = nil
    /// ALiBi slopes per query head, added to the scaled logits as `slope · (j - p)`.
    var alibiSlopes: [Float]? = nil
    /// False for encoders: every token of a sequence sees every other.
    var causal = true
}

/// One MLP sublayer: down(act(up(x))), or down(act(gate(x)) * up(x)) when gated.
struct MLPBlock {
    var up: String
    var down: String
    var gate: String? = nil
    var width: Int
    var activation: UnaryOp
    var bias: Bool
    /// `up` is one `[2 * width, in]` matrix holding both halves of a gated MLP in this order (`gate` unused).
    var fusedHalves: FusedGateUp? = nil
    /// Whether the down projection has a bias, when that differs from `bias` (GTE: up_gate_proj has none, down_proj one).
    var downBias: Bool? = nil
}

/// Row order of a fused gate/up projection.
enum FusedGateUp {
    /// [up; gate] (GTE's up_gate_proj).
    case upFirst
    /// [gate; up]: the first half is activated (ModernBERT's Wi).
    case gateFirst
}

/// How a layer's attention and MLP meet the residual stream.
enum ResidualLayout {
    /// x += attn(n1(x)); x += mlp(n2(x)).
    case sequential
    /// x += attn(n1(x)) + mlp(n2(x)); n2 may be n1 itself (one shared norm).
    case parallel
    /// Post-norm (OPT-350m): x = n1(x + attn(x)); x = n2(x + mlp(x)).
    case postNorm
    /// BLOOM's apply_residual_connection_post_layernorm: the normed input is the residual of each sublayer.
    case residualFromNorm
}

/// One decoder layer.
struct DecoderLayer {
    /// Name prefix of the layer's residual nodes (e.g. `layers.3`).
    var name: String
    var residual: ResidualLayout
    var attentionNorm: NormRef
    var mlpNorm: NormRef
    var attention: AttentionBlock
    var mlp: MLPBlock
}

/// Graph-building pieces shared by the LayerNorm families (D, E, F, G): LayerNorms, attention over separate or fused
/// projections, MLPs, residual layouts and the LM head. Every weight is bound (presence and shape checked) by its
/// checkpoint name; nodes are named after their module paths.
struct LayerNormBlocks {
    var b = GraphBuilder()
    let w: WeightBinder
    let checkpoint: Checkpoint
    /// Linear weights are stored `[in, out]` (GPT-2's Conv1D) and read transposed.
    let conv1D: Bool
    /// K/V width of every attention built so far, in cache order.
    private(set) var kvWidths: [Int] = []

    init(checkpoint: Checkpoint, conv1D: Bool = false) {
        self.w = WeightBinder(checkpoint: checkpoint)
        self.checkpoint = checkpoint
        self.conv1D = conv1D
    }

    /// The first of `prefixes` under which the checkpoint stores `tensor`: checkpoints saved from the base model lack
    /// the task model's prefix (BLOOM's `h.0...`, GPT-2's `wte.weight`). The first prefix when none does, so that the
    /// missing-tensor error names the usual spelling.
    func prefix(_ prefixes: [String], holding tensor: String) -> String {
        prefixes.first { checkpoint.contains($0 + tensor) } ?? prefixes[0]
    }

    /// Token embeddings of `module` (`[vocab, dim]`) and the table, for a tied LM head.
    mutating func embedding(_ module: String, vocab: Int, dim: Int) throws -> (ValueID, WeightRef) {
        let table = try w(module + ".weight", [vocab, dim])
        return (b.embedding(b.tokenIDs(), table: table, name: module), table)
    }

    /// LayerNorm of every `groupSize` columns (all of them by default).
    mutating func layerNorm(_ x: ValueID, _ norm: NormRef, groupSize: Int? = nil) throws -> ValueID {
        let size = groupSize ?? b.type(of: x).cols
        let groups = b.type(of: x).cols / size
        func parameter(_ kind: String) throws -> WeightRef {
            switch norm.heads {
            case .shared:
                return try w("\(norm.module).\(kind)", [size])
            case .modulePerHead:
                let parts = try (0..<groups).map { try w("\(norm.module).norms.\($0).\(kind)", [size]).transform }
                return WeightRef(shape: [groups * size], transform: .concatRows(parts))
            case .matrix:
                return WeightRef(shape: [groups * size], transform: try w("\(norm.module).\(kind)", [groups, size]).transform)
            }
        }
        return b.layerNorm(x, weight: norm.weight ? try parameter("weight") : nil, bias: norm.bias ? try parameter("bias") : nil,
                           eps: norm.eps, groupSize: groupSize, weightOffset: norm.weightOffset, name: norm.module)
    }

    /// A linear layer's weight as `[out, in]`.
    private func matrix(_ module: String, out: Int, in inputs: Int) throws -> WeightRef {
        guard conv1D else { return try w(module + ".weight", [out, inputs]) }
        let stored = try w(module + ".weight", [inputs, out])
        return WeightRef(shape: [out, inputs], transform: .transposed(stored.transform, rows: inputs, cols: out))
    }

    mutating func linear(_ x: ValueID, _ module: String, out: Int, bias: Bool) throws -> ValueID {
        b.linear(x, weight: try matrix(module, out: out, in: b.type(of: x).cols),
                 bias: try w.optional(bias, module + ".bias", [out]), name: module)
    }

    /// The q, k, v projections of `h`.
    private mutating func projections(_ h: ValueID, _ a: AttentionBlock) throws -> [ValueID] {
        let widths = [a.heads * a.headDim, a.kvHeads * a.headDim, a.kvHeads * a.headDim]
        switch a.qkv {
        case .separate(let q, let k, let v):
            return try zip([q, k, v], widths).map { try linear(h, $0, out: $1, bias: a.qkvBias) }
        case .fused(let module, let layout):
            let total = widths.reduce(0, +)
            let weight = try matrix(module, out: total, in: b.type(of: h).cols)
            let bias = try w.optional(a.qkvBias, module + ".bias", [total])
            let parts = layout.rows(heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim)
            return zip(["q", "k", "v"], zip(parts, widths)).map { part, rowsAndWidth in
                let (rows, width) = rowsAndWidth
                func select(_ whole: WeightRef, _ shape: [Int]) -> WeightRef {
                    let slices = rows.map { WeightTransform.sliceRows(whole.transform, start: $0.lowerBound, count: $0.count) }
                    return WeightRef(shape: shape, transform: slices.count == 1 ? slices[0] : .concatRows(slices))
                }
                return b.linear(h, weight: select(weight, [width, weight.shape[1]]), bias: bias.map { select($0, [width]) },
                                name: "\(module).\(part)")
            }
        }
    }

    /// Attention of `h` through its output projection (the sublayer's result, before any residual).
    mutating func attention(_ h: ValueID, _ a: AttentionBlock) throws -> ValueID {
        // Clamp, rope and attention nodes are named after the attention module (the output projection's parent).
        let scope = a.output.split(separator: ".").dropLast().joined(separator: ".")
        var qkv = try projections(h, a)
        if let clip = a.clip {
            qkv = zip(qkv, ["q", "k", "v"]).map { b.unary($0, .clamp(clip), name: "\(scope).clip_\($1)") }
        }
        var (q, k) = (qkv[0], qkv[1])
        if let norms = a.qkNorm {
            q = try layerNorm(q, norms.q, groupSize: a.headDim)
            k = try layerNorm(k, norms.k, groupSize: a.headDim)
        }
        if let r = a.rotary {
            q = b.rope(q, r.spec(heads: a.heads, headDim: a.headDim), name: scope + ".q_rope")
            k = b.rope(k, r.spec(heads: a.kvHeads, headDim: a.headDim), name: scope + ".k_rope")
        }
        let spec = AttentionSpec(cacheSlot: kvWidths.count, qHeads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim,
                                 scale: a.scale, window: a.window, alibiSlopes: a.alibiSlopes, causal: a.causal)
        kvWidths.append(a.kvHeads * a.headDim)
        let attended = b.attention(q: q, k: k, v: qkv[2], spec, name: scope)
        return try linear(attended, a.output, out: b.type(of: h).cols, bias: a.outputBias)
    }

    /// The gate and up halves of a fused `[2 * width, in]` projection `module` applied to `h`.
    private mutating func fusedHalves(_ h: ValueID, _ module: String, width: Int, bias: Bool,
                                      order: FusedGateUp) throws -> (gate: ValueID, up: ValueID) {
        let weight = try matrix(module, out: 2 * width, in: b.type(of: h).cols)
        let fusedBias = try w.optional(bias, module + ".bias", [2 * width])
        let halves = (0..<2).map { part -> ValueID in
            func rows(_ whole: WeightRef, _ shape: [Int]) -> WeightRef {
                WeightRef(shape: shape, transform: .sliceRows(whole.transform, start: part * width, count: width))
            }
            let name = (part == 0) == (order == .upFirst) ? "up" : "gate"
            return b.linear(h, weight: rows(weight, [width, weight.shape[1]]), bias: fusedBias.map { rows($0, [width]) },
                            name: "\(module).\(name)")
        }
        return order == .upFirst ? (gate: halves[1], up: halves[0]) : (gate: halves[0], up: halves[1])
    }

    mutating func mlp(_ h: ValueID, _ m: MLPBlock) throws -> ValueID {
        let up: ValueID
        var gated: (module: String, gate: ValueID)?
        if let order = m.fusedHalves {
            let halves = try fusedHalves(h, m.up, width: m.width, bias: m.bias, order: order)
            up = halves.up
            gated = (m.up, halves.gate)
        } else {
            up = try linear(h, m.up, out: m.width, bias: m.bias)
            if let gateModule = m.gate { gated = (gateModule, try linear(h, gateModule, out: m.width, bias: m.bias)) }
        }
        let act: ValueID
        if let (gateModule, gate) = gated {
            switch m.activation {
            case .silu: act = b.gatedActivation(gate: gate, up: up, .silu, name: gateModule + ".act")
            case .geluTanh: act = b.gatedActivation(gate: gate, up: up, .geluTanh, name: gateModule + ".act")
            case .gelu: act = b.gatedActivation(gate: gate, up: up, .gelu, name: gateModule + ".act")
            default: act = b.mul(b.unary(gate, m.activation, name: gateModule + ".act"), up, name: gateModule + ".gated")
            }
        } else {
            act = b.unary(up, m.activation, name: m.up + ".act")
        }
        return try linear(act, m.down, out: b.type(of: h).cols, bias: m.downBias ?? m.bias)
    }

    /// One decoder layer applied to the residual stream `x`.
    mutating func layer(_ x: ValueID, _ l: DecoderLayer) throws -> ValueID {
        let n = l.name
        switch l.residual {
        case .sequential:
            let attended = b.add(x, try attention(try layerNorm(x, l.attentionNorm), l.attention), name: n + ".attn_residual")
            return b.add(attended, try mlp(try layerNorm(attended, l.mlpNorm), l.mlp), name: n + ".mlp_residual")
        case .parallel:
            let h = try layerNorm(x, l.attentionNorm)
            let h2 = l.mlpNorm.module == l.attentionNorm.module ? h : try layerNorm(x, l.mlpNorm)
            let attended = b.add(x, try attention(h, l.attention), name: n + ".attn_residual")
            return b.add(attended, try mlp(h2, l.mlp), name: n + ".mlp_residual")
        case .postNorm:
            let attended = try layerNorm(b.add(x, try attention(x, l.attention), name: n + ".attn_residual"), l.attentionNorm)
            return try layerNorm(b.add(attended, try mlp(attended, l.mlp), name: n + ".mlp_residual"), l.mlpNorm)
        case .residualFromNorm:
            let h = try layerNorm(x, l.attentionNorm)
            let attended = b.add(h, try attention(h, l.attention), name: n + ".attn_residual")
            let h2 = try layerNorm(attended, l.mlpNorm)
            return b.add(h2, try mlp(h2, l.mlp), name: n + ".mlp_residual")
        }
    }

    /// Logits of the final hidden row `x`: the head `module` (the embedding table when tied and not stored), optional
    /// bias and logit multiplier.
    mutating func lmHead(_ x: ValueID, embedding: WeightRef, tied: Bool, module: String = "lm_head", bias: Bool = false,
                         logitScale: Float? = nil) throws -> ValueID {
        let vocab = embedding.shape[0]
        let stored = checkpoint.contains(module + ".weight")
        let weight = tied && !stored ? embedding : try w(module + ".weight", [vocab, b.type(of: x).cols])
        let logits = b.linear(x, weight: weight, bias: try w.optional(bias, module + ".bias", [vocab]), name: module)
        guard let logitScale, logitScale != 1 else { return logits }
        return b.scale(logits, by: logitScale, name: "logit_scale")
    }

    /// Logits of the last position of `x` after `finalNorm`, through the head as `lmHead` reads it.
    mutating func lastLogits(_ x: ValueID, finalNorm: NormRef, embedding: WeightRef, tied: Bool, module: String = "lm_head",
                             bias: Bool = false, logitScale: Float? = nil) throws -> ValueID {
        let last = try layerNorm(b.lastRow(x, name: "last_hidden"), finalNorm)
        return try lmHead(last, embedding: embedding, tied: tied, module: module, bias: bias, logitScale: logitScale)
    }

    /// The finished graph; the KV layout is that of the attentions built.
    func finish(logits: ValueID, architecture: String, dimensions d: DecoderDimensions) -> Graph {
        b.finish(logits: logits, info: modelInfo(architecture: architecture, vocabSize: b.type(of: logits).cols, dimensions: d))
    }

    /// The model's facts; the KV layout is that of the attentions built.
    func modelInfo(architecture: String, vocabSize: Int, dimensions d: DecoderDimensions) -> ModelInfo {
        ModelInfo(architecture: architecture, vocabSize: vocabSize, hiddenSize: d.hiddenSize, layers: kvWidths.count,
                  maxPosition: d.maxPosition, kvWidths: kvWidths)
    }
}
