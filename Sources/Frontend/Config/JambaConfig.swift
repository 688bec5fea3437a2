import IR

/// config.json of Jamba (transformers' JambaConfig): a decoder whose layer i is attention when
/// i % attn_layer_period == attn_layer_offset and a Mamba-1 mixer otherwise, and whose feed-forward is a mixture of
/// experts when i % expert_layer_period == expert_layer_offset (and num_experts > 1), else a dense SwiGLU MLP.
/// Attention has no positional encoding; the mixer's sizes come from the `mamba_*` keys; every activation is SiLU.
public struct JambaConfig: Decodable, Sendable, DecoderDimensioned {
    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    /// Per layer: attention (true) or Mamba mixer (false).
    public var attentionLayers: [Bool]
    /// Per layer: mixture-of-experts feed-forward (true) or dense MLP (false).
    public var expertLayers: [Bool]
    public var experts: Int
    public var expertsPerToken: Int
    /// The Mamba layers' mixer (mamba_d_state, mamba_d_conv, mamba_expand × hidden_size channels, mamba_dt_rank,
    /// mamba_conv_bias, mamba_proj_bias).
    public var mixer: MambaMixerShape

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let d = try DecoderDimensions(c, defaults: .init(kvHeads: nil, maxPosition: 262144, tiedEmbeddings: false))
        dimensions = d
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: "rms_norm_eps") ?? 1e-6
        // hidden_act is the MLP's gate activation and the mixer's conv and gate activation; every Jamba uses SiLU.
        let act = try c.decodeIfPresent(String.self, forKey: "hidden_act") ?? "silu"
        guard act == "silu" else { throw c.invalid("hidden_act", "Jamba supports silu, got '\(act)'") }
        func periodic(_ key: String, _ offsetKey: String, default defaults: (period: Int, offset: Int)) throws -> [Bool] {
            let period = try c.positiveIfPresent(ConfigKey(key)) ?? defaults.period
            let offset = try c.decodeIfPresent(Int.self, forKey: ConfigKey(offsetKey)) ?? defaults.offset
            guard (0..<period).contains(offset) else {
                throw c.invalid(offsetKey, "must be in 0 ..< \(key) (\(period)), got \(offset)")
            }
            return (0..<d.layers).map { $0 % period == offset }
        }
        attentionLayers = try periodic("attn_layer_period", "attn_layer_offset", default: (8, 4))
        experts = try c.positiveIfPresent("num_experts") ?? 16
        expertsPerToken = try c.positiveIfPresent("num_experts_per_tok") ?? 2
        guard experts == 1 || expertsPerToken <= experts else {
            throw c.invalid("num_experts_per_tok", "must be at most num_experts (\(experts)), got \(expertsPerToken)")
        }
        let experts = experts
        expertLayers = try periodic("expert_layer_period", "expert_layer_offset", default: (2, 1)).map { $0 && experts > 1 }
        mixer = MambaMixerShape(
            hiddenSize: d.hiddenSize, intermediateSize: (try c.positiveIfPresent("mamba_expand") ?? 2) * d.hiddenSize,
            stateSize: try c.positiveIfPresent("mamba_d_state") ?? 16, convKernel: try c.positiveIfPresent("mamba_d_conv") ?? 4,
            timeStepRank: try c.timeStepRank("mamba_dt_rank", hidden: d.hiddenSize),
            projectionBias: try c.decodeIfPresent(Bool.self, forKey: "mamba_proj_bias") ?? false,
            convBias: try c.decodeIfPresent(Bool.self, forKey: "mamba_conv_bias") ?? true, activation: .silu)
        guard mixer.convKernel > 1 else { throw c.invalid("mamba_d_conv", "must be at least 2, got \(mixer.convKernel)") }
    }
}
