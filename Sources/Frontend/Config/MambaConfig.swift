import IR

/// The sizes and options of one Mamba-1 mixer, shared by the pure-SSM decoders and hybrids that embed the mixer
/// (Jamba).
public struct MambaMixerShape: Sendable, Equatable {
    public var hiddenSize: Int
    /// Channels of the SSM (expand × hidden).
    public var intermediateSize: Int
    public var stateSize: Int
    public var convKernel: Int
    /// Width of the low-rank step-size projection (dt_proj's input).
    public var timeStepRank: Int
    /// Bias on in_proj and out_proj (`use_bias`).
    public var projectionBias: Bool
    /// Bias on the depthwise conv (`use_conv_bias`).
    public var convBias: Bool
    /// The activation after the conv (`hidden_act`; the output gate is always SiLU).
    public var activation: UnaryOp

    public init(hiddenSize: Int, intermediateSize: Int, stateSize: Int, convKernel: Int, timeStepRank: Int,
                projectionBias: Bool, convBias: Bool, activation: UnaryOp) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.stateSize = stateSize
        self.convKernel = convKernel
        self.timeStepRank = timeStepRank
        self.projectionBias = projectionBias
        self.convBias = convBias
        self.activation = activation
    }
}

/// config.json of the Mamba-1 decoders: MambaConfig (`mamba`) and FalconMambaConfig (`falcon_mamba`, which adds
/// weightless RMSNorms of eps `mixer_rms_eps` on dt, B and C). intermediate_size is always expand × hidden_size
/// (the config classes derive it), time_step_rank "auto" is ⌈hidden_size / 16⌉.
public struct MambaConfig: Decodable, Sendable {
    public var mixer: MambaMixerShape
    public var layers: Int
    public var vocabSize: Int
    /// RMSNorm eps of the block norms and the final norm (`layer_norm_epsilon`).
    public var normEps: Float
    public var tiedEmbeddings: Bool
    /// Eps of Falcon-Mamba's weightless dt/B/C norms; nil for Mamba.
    public var innerNormEps: Float?

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let hidden = try c.positive("hidden_size")
        let expand = try c.decodeIfPresent(Double.self, forKey: "expand") ?? 2
        guard expand > 0, (expand * Double(hidden)).rounded(.towardZero) >= 1 else {
            throw c.invalid("expand", "must be positive, got \(expand)")
        }
        let rank = try c.timeStepRank("time_step_rank", hidden: hidden)
        mixer = MambaMixerShape(
            hiddenSize: hidden, intermediateSize: Int(expand * Double(hidden)), stateSize: try c.positiveIfPresent("state_size") ?? 16,
            convKernel: try c.positiveIfPresent("conv_kernel") ?? 4, timeStepRank: rank,
            projectionBias: try c.decodeIfPresent(Bool.self, forKey: "use_bias") ?? false,
            convBias: try c.decodeIfPresent(Bool.self, forKey: "use_conv_bias") ?? true,
            activation: try c.activation("hidden_act", default: "silu"))
        guard mixer.convKernel > 1 else { throw c.invalid("conv_kernel", "must be at least 2, got \(mixer.convKernel)") }
        layers = try c.positive("num_hidden_layers")
        vocabSize = try c.positive("vocab_size")
        normEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? true
        let modelType = try c.decode(String.self, forKey: "model_type")
        switch modelType {
        case "mamba": innerNormEps = nil
        case "falcon_mamba": innerNormEps = try c.decodeIfPresent(Float.self, forKey: "mixer_rms_eps") ?? 1e-6
        default: throw c.invalid("model_type", "'\(modelType)' is not a Mamba-1 model type (mamba, falcon_mamba)")
        }
    }
}

extension KeyedDecodingContainer where Key == ConfigKey {
    /// A Mamba-1 time-step rank under `key`: a positive integer, or "auto" (also when absent) for ⌈hidden / 16⌉.
    func timeStepRank(_ key: String, hidden: Int) throws -> Int {
        if let text = try? decodeIfPresent(String.self, forKey: ConfigKey(key)) {
            guard text == "auto" else { throw invalid(key, "must be a positive integer or \"auto\", got '\(text)'") }
            return (hidden + 15) / 16
        }
        return try positiveIfPresent(ConfigKey(key)) ?? (hidden + 15) / 16
    }
}
