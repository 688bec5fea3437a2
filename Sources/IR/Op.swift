/// Rotary embedding layout: which dims are rotated together.
public enum RopeStyle: String, Sendable, Hashable {
    /// Half split (`rotate_half`): dim i pairs with i + rotary/2 (Llama, GPT-NeoX).
    case neox
    /// Adjacent pairs (2i, 2i+1) (GPT-J, GLM).
    case interleaved
}

/// Rotary position embedding of one tensor of heads; frequencies are folded from the config at compile time.
public struct RopeSpec: Hashable, Sendable {
    public var heads: Int
    public var headDim: Int
    /// Dims rotated at the start of each head (partial rotary when < headDim).
    public var rotaryDim: Int
    public var style: RopeStyle
    /// rotaryDim/2 inverse frequencies, scaling already applied.
    public var invFreq: [Float]
    /// Multiplies cos and sin (YaRN's attention factor; 1 otherwise).
    public var attentionScaling: Float
    /// LongRoPE: frequencies a call uses instead when its sequence (positions 0 ..< pos + n) is longer than
    /// `threshold`, as transformers switches to the long factors. Nil: one table for every length.
    public var longContext: LongContext?

    /// The frequencies of sequences longer than `threshold`.
    public struct LongContext: Hashable, Sendable {
        public var invFreq: [Float]
        public var threshold: Int

        public init(invFreq: [Float], threshold: Int) {
            self.invFreq = invFreq
            self.threshold = threshold
        }
    }

    public init(heads: Int, headDim: Int, rotaryDim: Int, style: RopeStyle, invFreq: [Float], attentionScaling: Float = 1,
                longContext: LongContext? = nil) {
        self.heads = heads
        self.headDim = headDim
        self.rotaryDim = rotaryDim
        self.style = style
        self.invFreq = invFreq
        self.attentionScaling = attentionScaling
        self.longContext = longContext
    }
}

/// Causal self-attention of one layer over its KV cache slot.
public struct AttentionSpec: Hashable, Sendable {
    /// Index of this layer's slot in the KV cache (`ModelInfo.kvWidths`).
    public var cacheSlot: Int
    public var qHeads: Int
    public var kvHeads: Int
    /// Width of one query and one key head.
    public var headDim: Int
    /// Width of one value head (and of one head of the output): `headDim` except where values are narrower or wider
    /// than keys (DeepSeek's multi-head latent attention: qk_nope + qk_rope dims per key, v_head_dim per value).
    public var valueHeadDim: Int
    /// Softmax scale (1/sqrt(head_dim) unless the config says otherwise).
    public var scale: Float
    /// Sliding window: a query at position p sees keys j with p - window < j <= p, or without `causal` those with
    /// |p - j| < window (a symmetric window: ModernBERT's local layers). Nil: every key the mask allows.
    public var window: Int?
    /// Attention-logit soft cap: s = cap · tanh(s / cap) before the softmax (Gemma 2). Nil: none.
    public var softcap: Float?
    /// ALiBi: per query head, `slope[h] · (j - p)` is added to the scaled logit of key j (BLOOM, MPT). Nil: none.
    public var alibiSlopes: [Float]?
    /// False: every query sees every cached position (bidirectional encoders and embedders).
    public var causal: Bool
    /// Attention sinks, `[qHeads]`: per query head, a learned logit that joins the softmax denominator as a key with
    /// a zero value (GPT-OSS's `sinks`), so a head may attend to nothing. Nil: none.
    public var sinks: WeightRef?

    public init(cacheSlot: Int, qHeads: Int, kvHeads: Int, headDim: Int, scale: Float, window: Int?,
                softcap: Float? = nil, alibiSlopes: [Float]? = nil, causal: Bool = true, valueHeadDim: Int? = nil,
                sinks: WeightRef? = nil) {
        self.cacheSlot = cacheSlot
        self.qHeads = qHeads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.valueHeadDim = valueHeadDim ?? headDim
        self.scale = scale
        self.window = window
        self.softcap = softcap
        self.alibiSlopes = alibiSlopes
        self.causal = causal
        self.sinks = sinks
    }
}

/// Activation of a gated MLP: act(gate) * up.
public enum GatedActivation: Sendable, Hashable {
    case silu
    case geluTanh
    /// x·Φ(x) with erf (transformers' "gelu").
    case gelu
    /// max(gate, 0)·up; with gate = up it is relu(u)² (Nemotron-H's non-gated ReLU² experts as gated ones).
    case relu
    /// GPT-OSS's clamped SwiGLU: g = min(gate, limit), u = clamp(up, ±limit), out = g·sigmoid(alpha·g)·(u + 1).
    case clampedSwiGLU(alpha: Float, limit: Float)

    /// A name for kernel symbols, unique per activation and parameters.
    public var symbol: String {
        switch self {
        case .silu: "silu"
        case .geluTanh: "geluTanh"
        case .gelu: "gelu"
        case .relu: "relu"
        case .clampedSwiGLU(let alpha, let limit): "swigluclamp\(alpha.bitPattern)_\(limit.bitPattern)"
        }
    }
}

/// Elementwise functions of one value.
public enum UnaryOp: Hashable, Sendable {
    /// x·Φ(x) with erf (transformers' "gelu").
    case gelu
    /// tanh approximation (transformers' "gelu_new", "gelu_pytorch_tanh").
    case geluTanh
    case relu
    /// relu(x)² (Arcee, Nemotron).
    case reluSquared
    case silu
    /// cap · tanh(x / cap) (Gemma 2 final logits).
    case softcap(Float)
    /// x · factor.
    case scale(Float)
    /// min(max(x, −limit), limit) (clip_qkv of OLMo-1, MPT, DBRX).
    case clamp(Float)
    /// xIELU (Apertus): x > 0 ? αp·x² + β·x : (expm1(min(x, eps)) − x)·αn + β·x, with αp and αn already passed
    /// through transformers' softplus (αn includes β).
    case xielu(alphaP: Float, alphaN: Float, beta: Float, eps: Float)
    case tanh
    /// x + constant.
    case shift(Float)
    /// log(1 + eˣ), and x itself above 20 (torch's softplus with threshold 20; Mamba's step sizes).
    case softplus
    /// 1 / (1 + e^−x) (Qwen2-MoE's shared-expert gate).
    case sigmoid
}

/// Elementwise functions of two values: `a op b` with b of a's shape, or one value per row (`[rows, 1]`,
/// broadcast along the row).
public enum BinaryOp: String, Hashable, Sendable {
    case add
    case mul
    case div
}

/// A statistic of each row of a value, itself a value `[rows, 1]`.
public enum RowStatistic: Hashable, Sendable {
    case mean
    /// Population standard deviation sqrt(mean((x − mean)²)).
    case std
    /// Root mean square sqrt(max(mean(x²), floor)).
    case rms(floor: Float)
}

/// The coarse ops of the IR. Inputs are earlier values; weights are references.
public enum Op: Sendable {
    /// The call's token ids, i32 `[T]`.
    case tokenIDs
    /// Rows of an embedding table `[vocab, dim]` selected by token ids.
    case embedding(ids: ValueID, table: WeightRef)
    /// RMS normalisation of each group of `groupSize` columns: x / sqrt(mean(x²) + eps) * (w + weightOffset); without
    /// a weight the normalised value is not scaled (weightOffset unused).
    case rmsNorm(ValueID, weight: WeightRef?, eps: Float, groupSize: Int, weightOffset: Float)
    /// Layer normalisation of each group of `groupSize` columns: (x - mean) / sqrt(var + eps) * (w + weightOffset) + b;
    /// weight and bias are optional (non-affine norms), `[groupSize]` shared by all groups or `[cols]`, one per group.
    case layerNorm(ValueID, weight: WeightRef?, bias: WeightRef?, eps: Float, groupSize: Int, weightOffset: Float)
    /// x plus rows `position + offset` of a learned position table `[positions, dim]` (GPT-2, OPT).
    case positionEmbedding(ValueID, table: WeightRef, offset: Int)
    /// x · Wᵀ (+ bias) (+ `accumulate`, which the result then replaces: a fused residual add).
    case linear(ValueID, weight: WeightRef, bias: WeightRef?, accumulate: ValueID?)
    /// Rotary position embedding at the call's positions.
    case rope(ValueID, RopeSpec)
    /// Appends k and v to the cache slot, then attends q over every cached position allowed by the mask; the result has
    /// `qHeads × valueHeadDim` columns. Without k and v the layer appends nothing and reads the slot an earlier layer filled this call (KV sharing, Gemma-3n).
    case attention(q: ValueID, k: ValueID?, v: ValueID?, AttentionSpec)
    /// act(gate) * up, elementwise.
    case gatedActivation(gate: ValueID, up: ValueID, GatedActivation)
    /// Elementwise sum.
    case add(ValueID, ValueID)
    /// Elementwise product.
    case mul(ValueID, ValueID)
    /// Elementwise quotient.
    case div(ValueID, ValueID)
    /// One statistic per row: `[rows, 1]`.
    case rowStatistic(ValueID, RowStatistic)
    /// Per-row linear combination of column blocks (a small matrix product per row): x `[rows, blocks·w]` holds
    /// `blocks` blocks of width w, c `[rows, m·blocks]`; output block i (of m) is Σ_j c[i·blocks + j] · x block j.
    /// With one block and m = 1 it scales each row by its own factor.
    case blockMix(ValueID, coefficients: ValueID, blocks: Int)
    /// Values side by side: the columns of each input, in order.
    case concat([ValueID])
    /// An elementwise function (activations, soft caps).
    case unary(ValueID, UnaryOp)
    /// Elementwise multiplication by a constant.
    case scale(ValueID, Float)
    /// Columns `start ..< start+count` (a view; no data moves).
    case slice(ValueID, start: Int, count: Int)
    /// The last token's row (a view).
    case lastRow(ValueID)
    /// The call's token type ids (BERT segments), i32 `[T]`; `encode` only (all 0 when the caller gives none).
    case tokenTypes
    /// One row per sequence of an `encode` call from that sequence's token rows: `[T, c]` → `[S, c]`.
    case pool(ValueID, PoolReduction)
    /// Each row divided by its L2 norm, max(‖x‖, 1e-12) (torch.nn.functional.normalize).
    case l2Normalize(ValueID)
    /// Causal depthwise convolution over each sequence, continuing from the recurrent state (see `ConvSpec`).
    case causalConv1d(ValueID, ConvSpec)
    /// Selective state-space scan of x `[T, channels]` with step sizes dt `[T, heads]`, B and C
    /// `[T, groups · stateSize]`, continuing from the recurrent state (see `ScanSpec`).
    case selectiveScan(x: ValueID, dt: ValueID, b: ValueID, c: ValueID, ScanSpec)
    /// Mixture of experts over x `[rows, hidden]` routed by `router` logits `[rows, experts]` (computed by a linear).
    case moe(ValueID, router: ValueID, MoESpec)
    /// Linear attention over q, k `[T, keyHeads · keyDim]`, v `[T, valueHeads · valueDim]`, with per-head decay inputs
    /// and β logits `[T, valueHeads]` when the spec's decay and rule take them, continuing from the recurrent state
    /// (see `LinearAttentionSpec`).
    case linearAttention(q: ValueID, k: ValueID, v: ValueID, decay: ValueID?, beta: ValueID?, LinearAttentionSpec)

    /// Values this op reads.
    public var inputs: [ValueID] {
        switch self {
        case .tokenIDs, .tokenTypes: []
        case .embedding(let ids, _): [ids]
        case .rmsNorm(let x, _, _, _, _), .rope(let x, _), .scale(let x, _), .slice(let x, _, _), .lastRow(let x),
             .layerNorm(let x, _, _, _, _, _), .positionEmbedding(let x, _, _), .unary(let x, _), .pool(let x, _),
             .l2Normalize(let x), .causalConv1d(let x, _): [x]
        case .selectiveScan(let x, let dt, let b, let c, _): [x, dt, b, c]
        case .linear(let x, _, _, let acc): [x] + (acc.map { [$0] } ?? [])
        case .attention(let q, let k, let v, _): [q] + [k, v].compactMap { $0 }
        case .gatedActivation(let g, let u, _): [g, u]
        case .add(let a, let b), .mul(let a, let b), .div(let a, let b): [a, b]
        case .rowStatistic(let x, _): [x]
        case .blockMix(let x, let c, _): [x, c]
        case .concat(let parts): parts
        case .moe(let x, let router, _): [x, router]
        case .linearAttention(let q, let k, let v, let decay, let beta, _): [q, k, v] + [decay, beta].compactMap { $0 }
        }
    }

    /// Weights this op reads.
    public var weights: [WeightRef] {
        switch self {
        case .embedding(_, let table): [table]
        case .rmsNorm(_, let w, _, _, _): w.map { [$0] } ?? []
        case .layerNorm(_, let w, let b, _, _, _): [w, b].compactMap { $0 }
        case .positionEmbedding(_, let table, _): [table]
        case .linear(_, let w, let b, _): [w] + (b.map { [$0] } ?? [])
        case .attention(_, _, _, let spec): spec.sinks.map { [$0] } ?? []
        case .causalConv1d(_, let spec): [spec.weight] + (spec.bias.map { [$0] } ?? [])
        case .selectiveScan(_, _, _, _, let spec): [spec.a] + [spec.d, spec.dtBias].compactMap { $0 }
        case .moe(_, _, let spec): spec.weights
        case .linearAttention(_, _, _, _, _, let spec): spec.weights
        default: []
        }
    }

    /// True for ops whose result is a view of an input (no storage of their own).
    public var isView: Bool {
        switch self {
        case .slice, .lastRow: true
        default: false
        }
    }

    /// The same op with its inputs renamed through `map`.
    public func remapped(_ map: (ValueID) -> ValueID) -> Op {
        switch self {
        case .tokenIDs: .tokenIDs
        case .embedding(let ids, let t): .embedding(ids: map(ids), table: t)
        case .rmsNorm(let x, let w, let e, let g, let o): .rmsNorm(map(x), weight: w, eps: e, groupSize: g, weightOffset: o)
        case .linear(let x, let w, let b, let acc): .linear(map(x), weight: w, bias: b, accumulate: acc.map(map))
        case .rope(let x, let s): .rope(map(x), s)
        case .attention(let q, let k, let v, let s): .attention(q: map(q), k: k.map(map), v: v.map(map), s)
        case .gatedActivation(let g, let u, let a): .gatedActivation(gate: map(g), up: map(u), a)
        case .add(let a, let b): .add(map(a), map(b))
        case .mul(let a, let b): .mul(map(a), map(b))
        case .div(let a, let b): .div(map(a), map(b))
        case .rowStatistic(let x, let s): .rowStatistic(map(x), s)
        case .blockMix(let x, let c, let blocks): .blockMix(map(x), coefficients: map(c), blocks: blocks)
        case .concat(let parts): .concat(parts.map(map))
        case .unary(let x, let f): .unary(map(x), f)
        case .layerNorm(let x, let w, let b, let e, let g, let o): .layerNorm(map(x), weight: w, bias: b, eps: e, groupSize: g, weightOffset: o)
        case .positionEmbedding(let x, let t, let o): .positionEmbedding(map(x), table: t, offset: o)
        case .scale(let x, let f): .scale(map(x), f)
        case .slice(let x, let s, let c): .slice(map(x), start: s, count: c)
        case .lastRow(let x): .lastRow(map(x))
        case .tokenTypes: .tokenTypes
        case .pool(let x, let r): .pool(map(x), r)
        case .l2Normalize(let x): .l2Normalize(map(x))
        case .causalConv1d(let x, let spec): .causalConv1d(map(x), spec)
        case .selectiveScan(let x, let dt, let b, let c, let spec): .selectiveScan(x: map(x), dt: map(dt), b: map(b), c: map(c), spec)
        case .moe(let x, let router, let spec): .moe(map(x), router: map(router), spec)
        case .linearAttention(let q, let k, let v, let decay, let beta, let spec):
            .linearAttention(q: map(q), k: map(k), v: map(v), decay: decay.map(map), beta: beta.map(map), spec)
        }
    }
}
