import IR

/// What mixes tokens in one layer of a Mamba-2 + attention hybrid.
public enum HybridLayerMixer: Sendable, Equatable {
    case mamba
    case attention
    /// Attention and the Mamba-2 mixer side by side on the same normed input, summed (Falcon-H1).
    case parallel
}

/// The constant multipliers of a hybrid (Granite's and Falcon-H1's muP factors); 1 means none.
public struct HybridMultipliers: Sendable, Equatable {
    public var embedding: Float = 1
    /// Factor on the logits (Granite 1 / logits_scaling, Falcon-H1 lm_head_multiplier).
    public var logits: Float = 1
    /// Factor on each sublayer's output before its residual add (Granite residual_multiplier).
    public var residual: Float = 1
    public var attentionIn: Float = 1
    public var key: Float = 1
    public var attentionOut: Float = 1
    /// The Mamba-2 mixers' factors (Falcon-H1 ssm_in_multiplier, ssm_multipliers, ssm_out_multiplier).
    public var ssm = Mamba2Scales.identity
    /// Factors on the MLP's gate projection and down projection (Falcon-H1 mlp_multipliers).
    public var mlpGate: Float = 1
    public var mlpDown: Float = 1
}

/// The mixture of experts of Granite-4.0-H: softmax top-k (renormalised) over `count` experts of width `ff`, plus an
/// always-on shared MLP of width `sharedFF`.
public struct HybridExperts: Sendable, Equatable {
    public var count: Int
    public var topK: Int
    public var ff: Int
    public var sharedFF: Int
}

/// config.json of the Mamba-2 + attention hybrids with a `model.layers.N.{mamba|self_attn}` layout: Bamba
/// (`bamba`: attention on attn_layer_indices, partial rotary 0.5), Granite-4.0-H (`granitemoehybrid`: layer_types,
/// rotary only when position_embedding_type is "rope", a MoE with a shared MLP in every layer, Granite multipliers)
/// and Falcon-H1 (`falcon_h1`: attention and Mamba-2 in parallel in every layer, muP multipliers). Every activation
/// (conv, MLP) is `hidden_act`, which must be SiLU; mixer sizes come from the `mamba_*` keys.
public struct HybridConfig: Decodable, Sendable, DecoderDimensioned {
    public var modelType: String
    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    public var layerMixers: [HybridLayerMixer]
    public var mixer: Mamba2MixerShape
    public var attention: HybridAttentionShape
    /// Bias on the MLP's projections (`mlp_bias`).
    public var mlpBias: Bool
    public var multipliers: HybridMultipliers
    /// Granite-4.0-H's experts (nil: a dense SwiGLU `feed_forward` MLP; Granite with num_local_experts 0: the shared
    /// MLP alone).
    public var experts: HybridExperts?

    static let modelTypes = ["bamba", "granitemoehybrid", "falcon_h1"]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        modelType = try c.decode(String.self, forKey: "model_type")
        guard Self.modelTypes.contains(modelType) else {
            throw c.invalid("model_type", "'\(modelType)' is not one of \(Self.modelTypes.joined(separator: ", "))")
        }
        let (granite, falcon) = (modelType == "granitemoehybrid", modelType == "falcon_h1")
        let d = try DecoderDimensions(c, defaults: .init(kvHeads: granite ? nil : 8, maxPosition: granite ? 2048 : falcon ? 8192 : 262144,
                                                         tiedEmbeddings: false))
        dimensions = d
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: "rms_norm_eps") ?? (granite ? 1e-6 : 1e-5)
        let act = try c.decodeIfPresent(String.self, forKey: "hidden_act") ?? "silu"
        guard act == "silu" else { throw c.invalid("hidden_act", "\(modelType) supports silu, got '\(act)'") }
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: "mlp_bias") ?? false

        switch modelType {
        case "bamba":
            let indices = try c.decodeIfPresent([Int].self, forKey: "attn_layer_indices") ?? []
            if let bad = indices.first(where: { !(0..<d.layers).contains($0) }) {
                throw c.invalid("attn_layer_indices", "layer \(bad) is not in 0 ..< num_hidden_layers (\(d.layers))")
            }
            layerMixers = (0..<d.layers).map { indices.contains($0) ? .attention : .mamba }
        case "granitemoehybrid":
            let names = try c.decodeIfPresent([String].self, forKey: ConfigKey(c.contains("layer_types") ? "layer_types" : "layers_block_type"))
                ?? Array(repeating: "linear_attention", count: d.layers)
            guard names.count == d.layers else { throw c.invalid("layer_types", "has \(names.count) entries for \(d.layers) layers") }
            layerMixers = try names.map {
                switch $0 {
                case "linear_attention", "mamba": .mamba
                case "full_attention", "attention": .attention
                default: throw c.invalid("layer_types", "'\($0)' is not linear_attention or full_attention")
                }
            }
        default:
            layerMixers = Array(repeating: .parallel, count: d.layers)
        }

        let hidden = d.hiddenSize
        // Falcon-H1's mamba_d_ssm defaults to 1024; null (and every other model type) means mamba_expand × hidden_size.
        let ssmWidth = falcon ? try c.valueOrNull(Int.self, "mamba_d_ssm", default: 1024) : nil
        if let ssmWidth, ssmWidth <= 0 { throw c.invalid("mamba_d_ssm", "must be positive, got \(ssmWidth)") }
        let channels = try ssmWidth ?? (c.positiveIfPresent("mamba_expand") ?? 2) * hidden
        let heads = try c.positiveIfPresent("mamba_n_heads") ?? 128
        let headDim: Int
        if (try? c.decodeIfPresent(String.self, forKey: "mamba_d_head")) == "auto" || !c.contains("mamba_d_head") {
            headDim = channels / heads
        } else {
            headDim = try c.positive("mamba_d_head")
        }
        guard heads * headDim == channels, headDim > 0 else {
            throw c.invalid("mamba_n_heads", "\(heads) heads of mamba_d_head \(headDim) do not make the mixer's \(channels) channels")
        }
        let groups = try c.positiveIfPresent("mamba_n_groups") ?? 1
        guard heads % groups == 0 else { throw c.invalid("mamba_n_groups", "\(heads) heads do not split into \(groups) groups") }
        let projectionBias = try c.decodeIfPresent(Bool.self, forKey: "mamba_proj_bias") ?? false
        mixer = Mamba2MixerShape(hiddenSize: hidden, heads: heads, headDim: headDim, groups: groups,
                                 stateSize: try c.positiveIfPresent("mamba_d_state") ?? 256,
                                 convKernel: try c.positiveIfPresent("mamba_d_conv") ?? 4, projectionBias: projectionBias,
                                 outputBias: falcon ? try c.decodeIfPresent(Bool.self, forKey: "projectors_bias") ?? false : projectionBias,
                                 convBias: try c.decodeIfPresent(Bool.self, forKey: "mamba_conv_bias") ?? true, activation: .silu,
                                 normEps: rmsNormEps)
        guard mixer.convKernel > 1 else { throw c.invalid("mamba_d_conv", "must be at least 2, got \(mixer.convKernel)") }
        try c.checkTimeStepLimit()
        if falcon {
            let rmsNorm = try c.decodeIfPresent(Bool.self, forKey: "mamba_rms_norm") ?? false
            let beforeGate = try c.decodeIfPresent(Bool.self, forKey: "mamba_norm_before_gate") ?? true
            mixer.gatedNorm = !rmsNorm ? .gateOnly : beforeGate ? .normThenGate : .gateThenNorm
        }

        let rope: PartialRope?
        let positions = try c.decodeIfPresent(String.self, forKey: "position_embedding_type")
        if granite && positions != "rope" {
            rope = nil
        } else {
            rope = try PartialRope.decode(c, headDim: d.headDim, maxPosition: d.maxPosition, defaultTheta: 10000,
                                          defaultFactor: modelType == "bamba" ? 0.5 : 1)
        }
        attention = HybridAttentionShape(
            rope: rope, scale: granite ? try c.decodeIfPresent(Float.self, forKey: "attention_multiplier") ?? 1 : 1 / Float(d.headDim).squareRoot(),
            bias: try c.decodeIfPresent(Bool.self, forKey: "attention_bias") ?? false)

        var m = HybridMultipliers()
        func factor(_ key: String) throws -> Float { try c.decodeIfPresent(Float.self, forKey: ConfigKey(key)) ?? 1 }
        func factors(_ key: String, count: Int) throws -> [Float] {
            let values = try c.decodeIfPresent([Float].self, forKey: ConfigKey(key)) ?? Array(repeating: 1, count: count)
            guard values.count == count else { throw c.invalid(key, "needs \(count) values, got \(values.count)") }
            return values
        }
        if granite {
            m.embedding = try factor("embedding_multiplier")
            m.residual = try factor("residual_multiplier")
            let scaling = try factor("logits_scaling")
            guard scaling != 0 else { throw c.invalid("logits_scaling", "must not be 0") }
            m.logits = 1 / scaling
            let count = try c.decodeIfPresent(Int.self, forKey: "num_local_experts") ?? 8
            guard count >= 0 else { throw c.invalid("num_local_experts", "must not be negative, got \(count)") }
            let topK = try c.positiveIfPresent("num_experts_per_tok") ?? 2
            guard count == 0 || topK <= count else {
                throw c.invalid("num_experts_per_tok", "must be at most num_local_experts (\(count)), got \(topK)")
            }
            experts = HybridExperts(count: count, topK: topK, ff: d.intermediateSize,
                                    sharedFF: try c.positiveIfPresent("shared_intermediate_size") ?? 1024)
        } else if falcon {
            m.embedding = try factor("embedding_multiplier")
            m.logits = try factor("lm_head_multiplier")
            (m.attentionIn, m.key, m.attentionOut) = (try factor("attention_in_multiplier"), try factor("key_multiplier"),
                                                      try factor("attention_out_multiplier"))
            m.ssm = Mamba2Scales(inProjection: try factors("ssm_multipliers", count: 5), input: try factor("ssm_in_multiplier"),
                                 output: try factor("ssm_out_multiplier"))
            let mlp = try factors("mlp_multipliers", count: 2)
            (m.mlpGate, m.mlpDown) = (mlp[0], mlp[1])
            experts = nil
        } else {
            experts = nil
        }
        multipliers = m
    }
}

/// The attention settings a hybrid's config gives beyond its sizes.
public struct HybridAttentionShape: Sendable, Equatable {
    /// nil: no positional encoding.
    public var rope: PartialRope?
    public var scale: Float
    public var bias: Bool
}
