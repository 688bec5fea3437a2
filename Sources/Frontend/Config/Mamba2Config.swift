import Foundation
import IR

/// The sizes and options of one Mamba-2 mixer (transformers' Mamba2Mixer).
public struct Mamba2MixerShape: Sendable, Equatable {
    public var hiddenSize: Int
    public var heads: Int
    public var headDim: Int
    /// Groups of heads sharing B and C (`n_groups`).
    public var groups: Int
    public var stateSize: Int
    public var convKernel: Int
    /// Bias on in_proj (`use_bias`).
    public var projectionBias: Bool
    /// Bias on out_proj (`use_bias`; Falcon-H1: `projectors_bias`).
    public var outputBias: Bool
    /// Bias on the depthwise conv (`use_conv_bias`).
    public var convBias: Bool
    /// The activation after the conv (`hidden_act`; the gate of the output norm is always SiLU).
    public var activation: UnaryOp
    /// Eps of the gated RMSNorm (`layer_norm_epsilon`).
    public var normEps: Float
    /// Where the output gate sits relative to the norm.
    public var gatedNorm = Mamba2GatedNorm.gateThenNorm

    /// Channels of the SSM (heads × headDim).
    public var channels: Int { heads * headDim }
    /// Channels of the conv: x, B and C.
    public var convChannels: Int { channels + 2 * groups * stateSize }
}

/// config.json of Mamba2ForCausalLM (`mamba2`): hidden_size × expand must equal num_heads × head_dim, and heads
/// split into n_groups. Only the default time_step_limit (0, ∞), a no-op after softplus, is supported.
public struct Mamba2Config: Decodable, Sendable {
    public var mixer: Mamba2MixerShape
    public var layers: Int
    public var vocabSize: Int
    /// RMSNorm eps of the block norms, the final norm and the mixers' gated norms.
    public var normEps: Float
    public var tiedEmbeddings: Bool

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let modelType = try c.decode(String.self, forKey: "model_type")
        guard modelType == "mamba2" else { throw c.invalid("model_type", "'\(modelType)' is not mamba2") }
        let hidden = try c.positive("hidden_size")
        let heads = try c.positiveIfPresent("num_heads") ?? 128
        let headDim = try c.positiveIfPresent("head_dim") ?? 64
        let expand = try c.positiveIfPresent("expand") ?? 2
        guard hidden * expand == heads * headDim else {
            throw c.invalid("num_heads", "hidden_size × expand (\(hidden * expand)) must equal num_heads × head_dim (\(heads * headDim))")
        }
        let groups = try c.positiveIfPresent("n_groups") ?? 8
        guard heads % groups == 0 else { throw c.invalid("n_groups", "\(heads) heads do not split into \(groups) groups") }
        normEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        let bias = try c.decodeIfPresent(Bool.self, forKey: "use_bias") ?? false
        mixer = Mamba2MixerShape(hiddenSize: hidden, heads: heads, headDim: headDim, groups: groups,
                                 stateSize: try c.positiveIfPresent("state_size") ?? 128, convKernel: try c.positiveIfPresent("conv_kernel") ?? 4,
                                 projectionBias: bias, outputBias: bias,
                                 convBias: try c.decodeIfPresent(Bool.self, forKey: "use_conv_bias") ?? true,
                                 activation: try c.activation("hidden_act", default: "silu"), normEps: normEps)
        guard mixer.convKernel > 1 else { throw c.invalid("conv_kernel", "must be at least 2, got \(mixer.convKernel)") }
        try c.checkTimeStepLimit()
        layers = try c.positive("num_hidden_layers")
        vocabSize = try c.positive("vocab_size")
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? false
    }
}

extension KeyedDecodingContainer where Key == ConfigKey {
    /// `time_step_limit`, when present, must be the default (0, ∞): a clamp of dt that is a no-op after softplus.
    func checkTimeStepLimit() throws {
        if let limit = try decodeIfPresent([ConfigFloat].self, forKey: "time_step_limit") {
            guard limit.count == 2, limit[0].value <= 0, limit[1].value == .infinity else {
                throw invalid("time_step_limit", "only (0, inf) is supported, got \(limit.map(\.value))")
            }
        }
    }
}

/// A float of config.json, which transformers writes as a number or, for non-finite values, as
/// `{"__float__": "Infinity"}`.
struct ConfigFloat: Decodable {
    var value: Double

    private enum Keys: String, CodingKey { case float = "__float__" }

    init(from decoder: Decoder) throws {
        if let number = try? decoder.singleValueContainer().decode(Double.self) {
            value = number
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        let text = try c.decode(String.self, forKey: .float)
        guard let parsed = Double(text.replacingOccurrences(of: "Infinity", with: "inf")) else {
            throw DecodingError.dataCorruptedError(forKey: .float, in: c, debugDescription: "'\(text)' is not a float")
        }
        value = parsed
    }
}
