import IR

/// config.json of the LayerNorm + RoPE decoders that use transformers' standard key names: StableLM, StarCoder2,
/// Persimmon, Nemotron, OLMo-1, Jais-2 and Orion (remote code, StableLM math) of family D; GPT-NeoX, Phi-1/2, Cohere
/// and Cohere2 of family E. Key spellings and defaults follow each model type's config class.
public struct LayerNormDecoderConfig: Decodable, Sendable, DecoderDimensioned {
    public var modelType: String
    public var dimensions: DecoderDimensions
    public var normEps: Float
    public var activation: UnaryOp
    /// Biases of the q/k/v projections, of the attention output projection, of the MLP linears.
    public var qkvBias: Bool
    public var outputBias: Bool
    public var mlpBias: Bool
    /// Per-head q/k LayerNorm (`qk_layernorm`, Cohere's `use_qk_norm`).
    public var qkNorm: Bool
    /// x + attn(ln(x)) + mlp(ln(x)) instead of two sequential sublayers (`use_parallel_residual`).
    public var parallelResidual: Bool
    /// Sliding window of each layer (nil: full causal).
    public var layerWindows: [Int?]
    /// Whether each layer applies RoPE (Cohere2's full-attention layers do not).
    public var layerRope: [Bool]
    /// Logits multiplier (Cohere's `logit_scale`).
    public var logitScale: Float?
    /// OLMo-1: q, k and v clamped to ±clip_qkv.
    public var clipQKV: Float?
    public var rope: PartialRope

    /// What differs between the model types: key spellings and the config classes' defaults.
    struct Profile {
        var epsKey: String? = "layer_norm_eps"
        var activation = "silu"
        var theta: Float = 10000
        var partialFactor = 1.0
        var thetaKey = "rope_theta"
        var factorKey = "partial_rotary_factor"
        /// Key switching q/k/v (and o, when `outputBiasFollows`) biases, with its default; nil: `fixedBias`.
        var attentionBiasKey: String?
        var attentionBiasDefault = false
        var outputBiasFollows = true
        var mlpBiasKey: String?
        var mlpBiasDefault = false
        /// Every linear has a bias (Persimmon, Phi).
        var fixedBias = false
        var headDimKey = true
        var qkNormKey: String?
        var qkNormDefault = false
        var parallelKey: String?
        var parallelDefault = false
        var tied = false
        var maxPosition = 2048
        var logitScale: Float?
    }

    static func profile(_ modelType: String) -> Profile? {
        switch modelType {
        case "stablelm":
            Profile(partialFactor: 0.25, attentionBiasKey: "use_qkv_bias", outputBiasFollows: false, headDimKey: false,
                    qkNormKey: "qk_layernorm", parallelKey: "use_parallel_residual", maxPosition: 4096)
        case "starcoder2":
            Profile(epsKey: "norm_epsilon", activation: "gelu_pytorch_tanh", attentionBiasKey: "use_bias",
                    attentionBiasDefault: true, mlpBiasKey: "use_bias", mlpBiasDefault: true, tied: true, maxPosition: 4096)
        case "persimmon":
            Profile(activation: "relu2", partialFactor: 0.5, fixedBias: true, headDimKey: false, qkNormKey: "qk_layernorm",
                    qkNormDefault: true, maxPosition: 16384)
        case "nemotron":
            Profile(epsKey: "norm_eps", activation: "relu2", partialFactor: 0.5, attentionBiasKey: "attention_bias",
                    mlpBiasKey: "mlp_bias", maxPosition: 4096)
        case "olmo":
            Profile(epsKey: nil, attentionBiasKey: "attention_bias")
        case "orion":
            // OrionStar's remote code: a Llama block with biased LayerNorms, eps under rms_norm_eps.
            Profile(epsKey: "rms_norm_eps", attentionBiasKey: "attention_bias", headDimKey: false, maxPosition: 4096)
        case "jais2":
            Profile(activation: "relu2", attentionBiasKey: "attention_bias", attentionBiasDefault: true,
                    mlpBiasKey: "mlp_bias", mlpBiasDefault: true, maxPosition: 8192)
        case "gpt_neox":
            Profile(activation: "gelu", partialFactor: 0.25, thetaKey: "rotary_emb_base", factorKey: "rotary_pct",
                    attentionBiasKey: "attention_bias", attentionBiasDefault: true, mlpBiasDefault: true,
                    headDimKey: false, parallelKey: "use_parallel_residual", parallelDefault: true)
        case "phi":
            Profile(activation: "gelu_new", partialFactor: 0.5, fixedBias: true, qkNormKey: "qk_layernorm",
                    parallelDefault: true)
        case "cohere":
            Profile(theta: 500000, attentionBiasKey: "attention_bias", qkNormKey: "use_qk_norm", parallelDefault: true,
                    tied: true, maxPosition: 8192, logitScale: 0.0625)
        case "cohere2":
            Profile(attentionBiasKey: "attention_bias", headDimKey: false, parallelDefault: true, tied: true,
                    maxPosition: 8192, logitScale: 0.0625)
        default: nil
        }
    }

    /// Model types this config reads.
    static let modelTypes = ["cohere", "cohere2", "gpt_neox", "jais2", "nemotron", "olmo", "orion", "persimmon", "phi",
                             "stablelm", "starcoder2"]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        modelType = try c.decode(String.self, forKey: "model_type")
        guard let p = Self.profile(modelType) else {
            throw c.invalid("model_type", "'\(modelType)' is not one of \(Self.modelTypes.joined(separator: ", "))")
        }
        let d = try DecoderDimensions(c, defaults: .init(maxPosition: p.maxPosition, tiedEmbeddings: p.tied),
                                      keys: p.headDimKey ? [:] : ["head_dim": []])
        dimensions = d
        normEps = try p.epsKey.flatMap { try c.decodeIfPresent(Float.self, forKey: ConfigKey($0)) } ?? 1e-5
        activation = try c.activation("hidden_act", default: p.activation)

        func flag(_ key: String?, _ fallback: Bool) throws -> Bool {
            guard let key else { return fallback }
            return try c.decodeIfPresent(Bool.self, forKey: ConfigKey(key)) ?? fallback
        }
        let attentionBias = try flag(p.attentionBiasKey, p.fixedBias || p.attentionBiasDefault)
        qkvBias = p.fixedBias || attentionBias
        outputBias = p.fixedBias || (p.outputBiasFollows && attentionBias)
        mlpBias = try p.fixedBias || flag(p.mlpBiasKey, p.mlpBiasDefault)
        qkNorm = try flag(p.qkNormKey, p.qkNormDefault)
        parallelResidual = try flag(p.parallelKey, p.parallelDefault)
        logitScale = p.logitScale == nil ? nil : try c.decodeIfPresent(Float.self, forKey: "logit_scale") ?? p.logitScale

        clipQKV = modelType == "olmo" ? try c.decodeIfPresent(Float.self, forKey: "clip_qkv") : nil
        if let clip = clipQKV, clip <= 0 { throw c.invalid("clip_qkv", "must be positive, got \(clip)") }

        (layerWindows, layerRope) = try Self.layerTypes(c, modelType: modelType, layers: d.layers)
        rope = try PartialRope.decode(c, headDim: d.headDim, maxPosition: d.maxPosition, defaultTheta: p.theta, defaultFactor: p.partialFactor,
                                      thetaKey: p.thetaKey, factorKey: p.factorKey)
    }

    /// StarCoder2: one `sliding_window` for every layer. Cohere2: `layer_types` (or every `sliding_window_pattern`-th
    /// layer full), sliding layers rotate, full layers do not.
    private static func layerTypes(_ c: KeyedDecodingContainer<ConfigKey>, modelType: String,
                                   layers: Int) throws -> ([Int?], [Bool]) {
        switch modelType {
        case "starcoder2":
            let window = try c.positiveIfPresent("sliding_window")
            return (Array(repeating: window, count: layers), Array(repeating: true, count: layers))
        case "cohere2":
            let window = try c.positiveIfPresent("sliding_window") ?? 4096
            let pattern = try c.positiveIfPresent("sliding_window_pattern") ?? 4
            let sliding = try c.layerTypes("layer_types", layers: layers) { ($0 + 1) % pattern == 0 ? .full : .sliding }
                .map { $0 == .sliding }
            return (sliding.map { $0 ? window : nil }, sliding)
        default:
            return (Array(repeating: nil, count: layers), Array(repeating: true, count: layers))
        }
    }
}
