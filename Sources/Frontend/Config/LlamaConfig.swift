import Foundation

/// config.json of the Llama-like decoders (Llama, Mistral, Qwen2, Qwen3): pre-norm RMSNorm, RoPE, GQA, SwiGLU,
/// with the knobs that tell them apart.
public struct LlamaConfig: Decodable, Sendable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var intermediateSize: Int
    public var vocabSize: Int
    public var rmsNormEps: Float
    public var maxPosition: Int
    public var tiedEmbeddings: Bool
    public var attentionBias: Bool
    public var mlpBias: Bool
    public var hiddenAct: String
    /// Window of each layer's attention (nil = full causal), from `layer_types` / `sliding_window`.
    public var layerWindows: [Int?]
    public var rope: RopeConfig

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", layers = "num_hidden_layers", heads = "num_attention_heads"
        case kvHeads = "num_key_value_heads", headDim = "head_dim", intermediateSize = "intermediate_size"
        case vocabSize = "vocab_size", rmsNormEps = "rms_norm_eps", maxPosition = "max_position_embeddings"
        case tiedEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias", mlpBias = "mlp_bias"
        case hiddenAct = "hidden_act", slidingWindow = "sliding_window", useSlidingWindow = "use_sliding_window"
        case maxWindowLayers = "max_window_layers", layerTypes = "layer_types"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        case modelType = "model_type"
    }

    /// Defaults that differ by model type (transformers' config classes).
    struct Defaults {
        var attentionBias = false
        var slidingByDefault = false
        var rmsNormEps: Float = 1e-6
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
        let defaults: Defaults = switch modelType {
        case "qwen2": Defaults(attentionBias: true)
        case "mistral": Defaults(slidingByDefault: true, rmsNormEps: 1e-6)
        default: Defaults()
        }
        hiddenSize = try c.positive(.hiddenSize)
        layers = try c.positive(.layers)
        heads = try c.positive(.heads)
        kvHeads = try c.positiveIfPresent(.kvHeads) ?? heads
        guard heads % kvHeads == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .kvHeads, in: c,
                debugDescription: "num_attention_heads (\(heads)) must be a multiple of num_key_value_heads (\(kvHeads))")
        }
        if let explicit = try c.positiveIfPresent(.headDim) {
            headDim = explicit
        } else {
            guard hiddenSize % heads == 0 else {
                throw DecodingError.dataCorruptedError(forKey: .heads, in: c,
                    debugDescription: "hidden_size (\(hiddenSize)) is not a multiple of num_attention_heads and head_dim is absent")
            }
            headDim = hiddenSize / heads
        }
        guard headDim % 2 == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .headDim, in: c, debugDescription: "head_dim must be even for RoPE")
        }
        intermediateSize = try c.positive(.intermediateSize)
        vocabSize = try c.positive(.vocabSize)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? defaults.rmsNormEps
        maxPosition = try c.positiveIfPresent(.maxPosition) ?? 2048
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tiedEmbeddings) ?? false
        // Qwen2 has biased q/k/v and no attention_bias key; elsewhere attention_bias covers q/k/v/o.
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? defaults.attentionBias
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        guard hiddenAct == "silu" else {
            throw DecodingError.dataCorruptedError(forKey: .hiddenAct, in: c,
                debugDescription: "activation '\(hiddenAct)' is not supported by this family (supported: silu)")
        }

        let window = try c.positiveIfPresent(.slidingWindow)
        let useSliding = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? defaults.slidingByDefault
        if let types = try c.decodeIfPresent([String].self, forKey: .layerTypes) {
            guard types.count == layers else {
                throw DecodingError.dataCorruptedError(forKey: .layerTypes, in: c,
                    debugDescription: "has \(types.count) entries for \(layers) layers")
            }
            layerWindows = try types.map { type in
                switch type {
                case "full_attention": return nil
                case "sliding_attention":
                    guard let window else {
                        throw DecodingError.dataCorruptedError(forKey: .slidingWindow, in: c,
                            debugDescription: "layer_types has sliding_attention but sliding_window is missing")
                    }
                    return window
                default:
                    throw DecodingError.dataCorruptedError(forKey: .layerTypes, in: c,
                        debugDescription: "layer type '\(type)' is not supported")
                }
            }
        } else {
            let maxWindowLayers = try c.decodeIfPresent(Int.self, forKey: .maxWindowLayers) ?? 0
            layerWindows = (0..<layers).map { useSliding && $0 >= maxWindowLayers ? window : nil }
        }

        let ropeJSON = try c.decodeIfPresent(RopeParametersJSON.self, forKey: .ropeParameters)
            ?? c.decodeIfPresent(RopeParametersJSON.self, forKey: .ropeScaling)
        let theta = try ropeJSON?.ropeTheta ?? c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? 10000
        let ropeKey = c.contains(.ropeParameters) ? "rope_parameters" : "rope_scaling"
        rope = try (ropeJSON ?? RopeParametersJSON()).resolve(theta: theta, key: ropeKey, file: "config.json")
    }
}
