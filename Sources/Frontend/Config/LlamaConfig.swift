import Foundation
import IR

/// config.json of the Llama-like decoders (family A): pre-norm RMSNorm, RoPE, GQA, SwiGLU, with the knobs that tell
/// them apart. Defaults and key spellings follow the config class of `model_type` (`LlamaModelType`).
public struct LlamaConfig: Decodable, Sendable, DecoderDimensioned {
    public var modelType: String
    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    /// Bias on q/k/v.
    public var attentionBias: Bool
    /// Bias on o_proj.
    public var outputBias: Bool
    public var mlpBias: Bool
    public var activation: LlamaActivation
    /// Window of each layer's attention (nil = full causal), from `layer_types` / `sliding_window`.
    public var layerWindows: [Int?]
    public var rope: RopeConfig
    /// Rotated dims at the start of each head (`partial_rotary_factor` where the model honours it).
    public var rotaryDim: Int
    /// Per layer: whether q and k are rotated (SmolLM3's `no_rope_layers` marks NoPE layers with 0).
    public var ropeLayers: [Bool]
}

extension LlamaConfig {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        modelType = try c.decodeIfPresent(String.self, forKey: "model_type") ?? "llama"
        let type = LlamaModelType.named(modelType)
        let spellings = Dictionary(uniqueKeysWithValues: type.aliases.map { ($0.key, [$0.key, $0.value]) })
        func key(_ name: String) -> ConfigKey { c.spelling(spellings[name] ?? [name]) }
        func invalid(_ name: String, _ reason: String) -> DecodingError { c.invalid(key(name).stringValue, reason) }

        let d = try DecoderDimensions(c, defaults: .init(kvHeads: type.kvHeads, headDim: type.headDim, maxPosition: type.maxPosition,
                                                         tiedEmbeddings: type.tiedEmbeddings), keys: spellings)
        dimensions = d
        let (layers, headDim, maxPosition) = (d.layers, d.headDim, d.maxPosition)
        guard headDim % 2 == 0 else { throw invalid("head_dim", "head_dim must be even for RoPE") }
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: key("rms_norm_eps")) ?? type.rmsNormEps

        func flag(_ name: String, _ fallback: Bool) throws -> Bool { try c.decodeIfPresent(Bool.self, forKey: key(name)) ?? fallback }
        mlpBias = try flag("mlp_bias", false)
        switch type.bias {
        case .attentionKey(let fallback):
            attentionBias = try flag("attention_bias", fallback)
            outputBias = attentionBias
        case .qkvFromAttentionKey(let fallback):
            attentionBias = try flag("attention_bias", fallback)
            outputBias = false
        case .qkvAlways:
            (attentionBias, outputBias) = (true, false)
        case .never:
            (attentionBias, outputBias) = (false, false)
        case .separateOutput(let qkv, let output):
            attentionBias = try flag("attention_bias", qkv)
            outputBias = try flag("attention_out_bias", output)
        case .useBias:
            attentionBias = try flag("use_bias", false)
            (outputBias, mlpBias) = (attentionBias, attentionBias)
        }

        let act = try c.decodeIfPresent(String.self, forKey: key("hidden_act")) ?? type.hiddenAct
        let gated = type.hiddenAct == "silu"
        guard let activation = LlamaActivation(name: act, gated: gated) else {
            throw invalid("hidden_act", "activation '\(act)' is not supported for model type '\(modelType)' "
                + "(supported: \(gated ? "silu" : "relu, relu2, silu, gelu, gelu_pytorch_tanh, xielu"))")
        }
        self.activation = activation

        let useSliding = try c.decodeIfPresent(Bool.self, forKey: key("use_sliding_window")) ?? type.slidingByDefault
        // Qwen2-MoE's config class writes sliding_window 0 when use_sliding_window is off.
        let zeroWindow = try c.decodeIfPresent(Int.self, forKey: key("sliding_window")) == 0
        let window = !useSliding && zeroWindow ? nil : try c.positiveIfPresent(key("sliding_window"))
        // Without layer_types, layers from max_window_layers on slide when use_sliding_window and a window are set.
        let maxWindowLayers = try c.decodeIfPresent(Int.self, forKey: key("max_window_layers")) ?? 0
        let types = try c.layerTypes(key("layer_types"), layers: layers) {
            useSliding && window != nil && $0 >= maxWindowLayers ? .sliding : .full
        }
        layerWindows = types.windows(try c.slidingWindow(key("sliding_window"), for: types, window: window))

        // Only model types whose class honours partial_rotary_factor rotate part of each head.
        let partial = try PartialRope.decode(
            c, headDim: headDim, maxPosition: maxPosition, defaultTheta: type.ropeTheta, defaultFactor: type.partialRotary ?? 1,
            factorKey: type.partialRotary == nil ? nil : "partial_rotary_factor", defaultParameters: type.defaultRope,
            typeRenames: type.ropeTypeRenames,
            originalMaxPosition: try c.positiveIfPresent("original_max_position_embeddings") ?? type.originalMaxPosition,
            ntkAlpha: modelType == "hunyuan_v1_dense")
        rope = partial.rope
        rotaryDim = partial.rotaryDim(headDim: headDim)

        if let flags = try c.decodeIfPresent([Int].self, forKey: "no_rope_layers") {
            guard flags.count == layers else { throw invalid("no_rope_layers", "has \(flags.count) entries for \(layers) layers") }
            ropeLayers = flags.map { $0 != 0 }
        } else if modelType == "smollm3" {
            let interval = try c.positiveIfPresent("no_rope_layer_interval") ?? 4
            ropeLayers = (0..<layers).map { ($0 + 1) % interval != 0 }
        } else {
            ropeLayers = Array(repeating: true, count: layers)
        }
    }
}

/// The MLP of a Llama-like layer.
public enum LlamaActivation: Equatable, Sendable {
    /// down(act(gate(x)) · up(x)) (SwiGLU).
    case gated(GatedActivation)
    /// down(act(up(x))) (Arcee's ReLU²).
    case plain(UnaryOp)
    /// down(xIELU(up(x))) with learned per-layer parameters (Apertus).
    case xielu

    /// The MLP for `hidden_act`; `gated` says whether the model type's MLP has a gate projection.
    init?(name: String, gated: Bool) {
        if gated {
            guard name == "silu" else { return nil }
            self = .gated(.silu)
            return
        }
        switch name {
        case "xielu": self = .xielu
        case "relu": self = .plain(.relu)
        case "relu2": self = .plain(.reluSquared)
        case "silu", "swish": self = .plain(.silu)
        case "gelu": self = .plain(.gelu)
        case "gelu_pytorch_tanh", "gelu_new": self = .plain(.geluTanh)
        default: return nil
        }
    }
}
