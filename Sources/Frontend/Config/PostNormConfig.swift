import Foundation
import IR

/// config.json of the post-norm / sandwich-norm RMSNorm decoders: OLMo 2, OLMo 3, EXAONE 4, GLM-4-0414, and FlexOlmo
/// (OLMo 2 with a mixture-of-experts MLP, read by `MoEConfig`).
public struct PostNormConfig: Decodable, Sendable, DecoderDimensioned {
    /// Which config class the file is for (`model_type`); it decides the defaults and the block layout.
    public enum Variant: String, Sendable, CaseIterable {
        case olmo2, olmo3, exaone4, glm4
        case flexOlmo = "flex_olmo"

        /// The `architectures` names of this model type: transformers' class, and vLLM's OLMo spellings.
        public var architectures: [String] {
            switch self {
            case .olmo2: ["Olmo2ForCausalLM", "OLMo2ForCausalLM"]
            case .olmo3: ["Olmo3ForCausalLM", "OLMo3ForCausalLM"]
            case .exaone4: ["Exaone4ForCausalLM"]
            case .glm4: ["Glm4ForCausalLM"]
            case .flexOlmo: ["FlexOlmoForCausalLM"]
            }
        }

        /// True for GLM-4's sandwich (a norm before and after each sublayer); the others only norm the sublayer's
        /// output before the residual add (x + RMSNorm(f(x))).
        public var sandwich: Bool { self == .glm4 }

        /// How q and k are normalised after their projections.
        public var qkNorm: QKNorm {
            switch self {
            case .olmo2, .olmo3, .flexOlmo: .fullWidth
            case .exaone4: .perHead
            case .glm4: .none
            }
        }

        /// GLM-4 stores gate and up as one `gate_up_proj` (gate rows first).
        public var fusedGateUp: Bool { self == .glm4 }

        /// GLM-4 rotates adjacent pairs (GPT-J); the others rotate half-split pairs.
        public var ropeStyle: RopeStyle { self == .glm4 ? .interleaved : .neox }
    }

    public enum QKNorm: Sendable {
        case none
        /// One RMSNorm over all heads of q (weight heads·head_dim) and of k (kv_heads·head_dim).
        case fullWidth
        /// One RMSNorm per head (weight head_dim), shared by the heads.
        case perHead
    }

    public var variant: Variant
    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    /// Bias on q/k/v (and on o for OLMo; GLM-4's o_proj never has one; EXAONE 4 has none).
    public var attentionBias: Bool
    public var layerTypes: [AttentionLayerType]
    public var slidingWindow: Int?
    public var rope: LayerTypeRope
    /// Leading dims of each head that rotate (GLM-4: head_dim × partial_rotary_factor).
    public var rotaryDim: Int

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", rmsNormEps = "rms_norm_eps", attentionBias = "attention_bias", hiddenAct = "hidden_act", slidingWindow = "sliding_window"
        case slidingWindowPattern = "sliding_window_pattern", layerTypes = "layer_types"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling", ropeTheta = "rope_theta"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decode(String.self, forKey: .modelType)
        guard let variant = Variant(rawValue: modelType) else {
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c,
                debugDescription: "'\(modelType)' is not a post-norm model type (olmo2, olmo3, exaone4, glm4, flex_olmo)")
        }
        self.variant = variant
        let keys = try decoder.container(keyedBy: ConfigKey.self)
        let defaultKVHeads: Int? = switch variant {  // the config classes' defaults
        case .olmo2, .olmo3, .flexOlmo: nil
        case .exaone4: 32
        case .glm4: 2
        }
        // Glm4Config's head_dim defaults to 128, not hidden/heads.
        let d = try DecoderDimensions(keys, defaults: .init(kvHeads: defaultKVHeads, headDim: variant == .glm4 ? 128 : nil,
                                                            maxPosition: variant == .glm4 ? 131_072 : 2048, tiedEmbeddings: false))
        dimensions = d
        let (layers, headDim, maxPosition) = (d.layers, d.headDim, d.maxPosition)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? (variant == .glm4 ? 1.5625e-7 : 1e-5)
        attentionBias = variant == .exaone4 ? false
            : try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? (variant == .glm4)
        let act = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        guard act == "silu" else {
            throw DecodingError.dataCorruptedError(forKey: .hiddenAct, in: c,
                debugDescription: "activation '\(act)' is not supported by this family (supported: silu)")
        }

        let window = try c.valueOrNull(Int.self, .slidingWindow, default: variant == .olmo3 || variant == .exaone4 ? 4096 : nil)
        if let window, window <= 0 {
            throw DecodingError.dataCorruptedError(forKey: .slidingWindow, in: c, debugDescription: "must be positive")
        }
        switch variant {
        case .olmo2, .glm4, .flexOlmo:
            layerTypes = Array(repeating: .full, count: layers)
        case .olmo3:
            layerTypes = try c.layerTypes(.layerTypes, layers: layers) { ($0 + 1) % 4 == 0 ? .full : .sliding }
        case .exaone4:
            let pattern = try Self.exaonePattern(c, window: window)
            layerTypes = try c.layerTypes(.layerTypes, layers: layers) { pattern[$0 % pattern.count] }
        }
        slidingWindow = [.olmo2, .glm4, .flexOlmo].contains(variant) ? nil
            : try c.slidingWindow(.slidingWindow, for: layerTypes, window: window)

        switch variant {
        case .olmo3:
            rope = try c.layerTypeRope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .ropeTheta, slidingTheta: nil,
                                       defaultFull: 500_000, defaultSliding: 500_000, maxPosition: maxPosition)
            rotaryDim = headDim
        case .glm4:
            // rope_parameters.partial_rotary_factor (transformers 5), else the top-level key, else Glm4Config's 0.5.
            let partial = try PartialRope.decode(keys, headDim: headDim, maxPosition: maxPosition, defaultTheta: 10000,
                                                 defaultFactor: 0.5)
            rope = LayerTypeRope(partial.rope)
            rotaryDim = partial.rotaryDim(headDim: headDim)
        case .olmo2, .exaone4, .flexOlmo:
            rope = LayerTypeRope(try c.rope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .ropeTheta,
                                            defaultTheta: 10000, maxPosition: maxPosition))
            rotaryDim = headDim
        }
        guard rotaryDim % 2 == 0 else { throw keys.invalid("head_dim", "must be even for RoPE") }
    }

    /// EXAONE 4's layer pattern when `layer_types` is absent: every `sliding_window_pattern`-th layer is global
    /// (an int, default 4), or a string of L (local) / G (global) repeated from layer 0; all global without a window.
    private static func exaonePattern(_ c: KeyedDecodingContainer<CodingKeys>, window: Int?) throws -> [AttentionLayerType] {
        guard window != nil else { return [.full] }
        if let text = try? c.decodeIfPresent(String.self, forKey: .slidingWindowPattern) {
            guard !text.isEmpty else {
                throw DecodingError.dataCorruptedError(forKey: .slidingWindowPattern, in: c, debugDescription: "is empty")
            }
            return try text.map { letter in
                switch letter {
                case "L": return .sliding
                case "G": return .full
                default:
                    throw DecodingError.dataCorruptedError(forKey: .slidingWindowPattern, in: c,
                        debugDescription: "'\(text)' may only contain L (local) and G (global)")
                }
            }
        }
        let every = try c.positiveIfPresent(.slidingWindowPattern) ?? 4
        return (0..<every).map { $0 == every - 1 ? .full : .sliding }
    }

    /// The window each layer's attention uses (nil: full causal).
    public var layerWindows: [Int?] { layerTypes.windows(slidingWindow) }

    /// True when the layer rotates q and k: EXAONE 4 leaves its global layers without positions (NoPE) when it has
    /// sliding layers.
    public func usesRope(layer: Int) -> Bool {
        !(variant == .exaone4 && slidingWindow != nil && layerTypes[layer] == .full)
    }
}
