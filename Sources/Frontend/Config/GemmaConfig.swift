import Foundation
import IR

/// config.json of the Gemma decoders (Gemma 1, Gemma 2, Gemma 3 text): (1+w) RMSNorm, GeGLU, embeddings × √hidden,
/// with the Gemma 2/3 additions (sandwich norms, soft caps, query_pre_attn_scalar, local/global layers).
public struct GemmaConfig: Decodable, Sendable, DecoderDimensioned {
    /// Which config class the file is for (`model_type`); it decides the defaults and the block layout.
    public enum Generation: String, Sendable {
        case gemma1 = "gemma", gemma2 = "gemma2", gemma3 = "gemma3_text"

        /// The causal-LM class transformers builds for this model type.
        public var architecture: String {
            switch self {
            case .gemma1: "GemmaForCausalLM"
            case .gemma2: "Gemma2ForCausalLM"
            case .gemma3: "Gemma3ForCausalLM"
            }
        }
    }

    public var generation: Generation
    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    /// Bias on q/k/v/o.
    public var attentionBias: Bool
    public var activation: GatedActivation
    /// Softmax scale: query_pre_attn_scalar^-0.5 (Gemma 2/3) or head_dim^-0.5 (Gemma 1).
    public var attentionScale: Float
    /// Attention-logit soft cap (Gemma 2 only: Gemma 3 keeps the key but transformers never applies it).
    public var attentionSoftcap: Float?
    /// Final-logit soft cap.
    public var finalSoftcap: Float?
    public var layerTypes: [AttentionLayerType]
    public var slidingWindow: Int?
    public var rope: LayerTypeRope
    /// `use_bidirectional_attention` (EmbeddingGemma): no causal mask, and a sliding layer sees the keys within
    /// `slidingWindow` on either side, |q - k| < window.
    public var bidirectional: Bool

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", rmsNormEps = "rms_norm_eps", attentionBias = "attention_bias", hiddenAct = "hidden_act", hiddenActivation = "hidden_activation"
        case queryPreAttnScalar = "query_pre_attn_scalar", attnSoftcap = "attn_logit_softcapping"
        case finalSoftcap = "final_logit_softcapping", slidingWindow = "sliding_window", layerTypes = "layer_types"
        case slidingWindowPattern = "sliding_window_pattern", bidirectional = "use_bidirectional_attention"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling", ropeTheta = "rope_theta"
        case ropeLocalBaseFreq = "rope_local_base_freq"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decode(String.self, forKey: .modelType)
        guard let generation = Generation(rawValue: modelType) else {
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c,
                debugDescription: "'\(modelType)' is not a Gemma text model type (gemma, gemma2, gemma3_text)")
        }
        self.generation = generation
        let keys = try decoder.container(keyedBy: ConfigKey.self)
        // kv heads and context: the config classes' defaults.
        let d = try DecoderDimensions(keys, defaults: .init(kvHeads: generation == .gemma1 ? 16 : 4, headDim: 256,
                                                            maxPosition: generation == .gemma3 ? 131_072 : 8192, tiedEmbeddings: true))
        dimensions = d
        let (layers, headDim, maxPosition) = (d.layers, d.headDim, d.maxPosition)
        guard headDim % 2 == 0 else { throw keys.invalid("head_dim", "must be even for RoPE") }
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? false
        if bidirectional && generation != .gemma3 {
            throw DecodingError.dataCorruptedError(forKey: .bidirectional, in: c,
                debugDescription: "bidirectional attention is supported for Gemma 3 (EmbeddingGemma) only")
        }

        // Gemma 1 reads hidden_act and maps the legacy "gelu" to the tanh approximation; Gemma 2/3 read hidden_activation.
        let actKey: CodingKeys = generation == .gemma1 ? .hiddenAct : .hiddenActivation
        let act = try c.decodeIfPresent(String.self, forKey: actKey) ?? "gelu_pytorch_tanh"
        let tanhNames = generation == .gemma1 ? ["gelu", "gelu_pytorch_tanh", "gelu_new"] : ["gelu_pytorch_tanh", "gelu_new"]
        guard tanhNames.contains(act) else {
            throw DecodingError.dataCorruptedError(forKey: actKey, in: c,
                debugDescription: "activation '\(act)' is not supported (supported: \(tanhNames.joined(separator: ", ")))")
        }
        activation = .geluTanh

        switch generation {
        case .gemma1:
            attentionScale = Float(1 / Double(headDim).squareRoot())
            attentionSoftcap = nil
            finalSoftcap = nil
            layerTypes = Array(repeating: .full, count: layers)
            slidingWindow = nil
            rope = LayerTypeRope(try c.rope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .ropeTheta,
                                            defaultTheta: 10000, maxPosition: maxPosition))
        case .gemma2, .gemma3:
            let scalar = try c.decodeIfPresent(Double.self, forKey: .queryPreAttnScalar) ?? 256
            guard scalar > 0 else {
                throw DecodingError.dataCorruptedError(forKey: .queryPreAttnScalar, in: c, debugDescription: "must be positive")
            }
            attentionScale = Float(1 / scalar.squareRoot())
            attentionSoftcap = generation == .gemma2 ? try c.valueOrNull(Float.self, .attnSoftcap, default: 50) : nil
            finalSoftcap = try c.valueOrNull(Float.self, .finalSoftcap, default: generation == .gemma2 ? 30 : nil)
            for (key, cap) in [(CodingKeys.attnSoftcap, attentionSoftcap), (.finalSoftcap, finalSoftcap)] {
                if let cap, !(cap > 0) {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be positive or null")
                }
            }
            // Gemma 2 alternates sliding/full from layer 0; Gemma 3 has `sliding_window_pattern - 1` sliding per full.
            let pattern = generation == .gemma2 ? 2 : try c.positiveIfPresent(.slidingWindowPattern) ?? 6
            layerTypes = try c.layerTypes(.layerTypes, layers: layers) { ($0 + 1) % pattern == 0 ? .full : .sliding }
            let window = try c.valueOrNull(Int.self, .slidingWindow, default: 4096)
            if let window, window <= 0 {
                throw DecodingError.dataCorruptedError(forKey: .slidingWindow, in: c, debugDescription: "must be positive")
            }
            // Bidirectional, transformers' config turns the stored window w into w // 2 + 1, an exclusive bound on
            // |q - k| (and writes (window - 1) * 2 back on save).
            slidingWindow = try c.slidingWindow(.slidingWindow, for: layerTypes, window: bidirectional ? window.map { $0 / 2 + 1 } : window)
            rope = generation == .gemma2
                ? LayerTypeRope(try c.rope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .ropeTheta,
                                           defaultTheta: 10000, maxPosition: maxPosition))
                : try c.layerTypeRope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .ropeTheta,
                                      slidingTheta: .ropeLocalBaseFreq, defaultFull: 1_000_000, defaultSliding: 10000,
                                      maxPosition: maxPosition)
        }
    }

    /// The window each layer's attention uses (nil: full causal).
    public var layerWindows: [Int?] { layerTypes.windows(slidingWindow) }
}
