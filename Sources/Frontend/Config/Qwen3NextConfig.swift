import IR

/// The sizes of one Gated DeltaNet mixer (Qwen3-Next's `linear_*` keys).
public struct GatedDeltaNetShape: Sendable, Equatable {
    public var keyHeads: Int
    public var valueHeads: Int
    public var keyDim: Int
    public var valueDim: Int
    public var convKernel: Int

    /// Channels of the causal conv: q and k of every key head, then v of every value head.
    public var convChannels: Int { 2 * keyHeads * keyDim + valueHeads * valueDim }
}

/// config.json of Qwen3-Next (`qwen3_next`, transformers' Qwen3NextConfig): a decoder whose layers are Gated DeltaNet
/// (`linear_attention`) or gated full attention (`full_attention`) per `layer_types` (else every
/// `full_attention_interval`-th layer attends), with partial RoPE, (1 + w) RMSNorms, and a softmax-routed mixture of
/// experts with a sigmoid-gated shared expert (dense SwiGLU where `num_experts` is 0 or `mlp_only_layers` says).
/// Defaults follow transformers 5.24.
public struct Qwen3NextConfig: Decodable, Sendable, DecoderDimensioned {
    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    /// Per layer: full attention (true) or Gated DeltaNet (false).
    public var attentionLayers: [Bool]
    public var attentionBias: Bool
    public var rope: PartialRope
    public var linear: GatedDeltaNetShape
    var moe: MoEConfig?

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let d = try DecoderDimensions(c, defaults: .init(kvHeads: 2, headDim: 256, maxPosition: 32768, tiedEmbeddings: false))
        dimensions = d
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: "rms_norm_eps") ?? 1e-6
        let act = try c.decodeIfPresent(String.self, forKey: "hidden_act") ?? "silu"
        guard act == "silu" else { throw c.invalid("hidden_act", "Qwen3-Next supports silu, got '\(act)'") }
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: "attention_bias") ?? false
        rope = try PartialRope.decode(c, headDim: d.headDim, maxPosition: d.maxPosition, defaultTheta: 10000, defaultFactor: 0.25)
        linear = GatedDeltaNetShape(keyHeads: try c.positiveIfPresent("linear_num_key_heads") ?? 16,
                                    valueHeads: try c.positiveIfPresent("linear_num_value_heads") ?? 32,
                                    keyDim: try c.positiveIfPresent("linear_key_head_dim") ?? 128,
                                    valueDim: try c.positiveIfPresent("linear_value_head_dim") ?? 128,
                                    convKernel: try c.positiveIfPresent("linear_conv_kernel_dim") ?? 4)
        guard linear.valueHeads % linear.keyHeads == 0 else {
            throw c.invalid("linear_num_value_heads", "\(linear.valueHeads) is not a multiple of \(linear.keyHeads) key heads")
        }
        guard linear.convKernel > 1 else { throw c.invalid("linear_conv_kernel_dim", "must be at least 2, got \(linear.convKernel)") }
        if let types = try c.attentionLayers(layers: d.layers, other: "linear_attention") {
            attentionLayers = types
        } else {
            let interval = try c.positiveIfPresent("full_attention_interval") ?? 4
            attentionLayers = (0..<d.layers).map { ($0 + 1) % interval == 0 }
        }
        moe = try c.decodeIfPresent(Int.self, forKey: "num_experts") == 0 ? nil : MoEConfig(from: decoder)
    }
}
