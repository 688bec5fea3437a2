import IR

/// The one mixer of a Nemotron-H block.
public enum NemotronHBlock: String, Sendable, Equatable {
    case mamba = "linear_attention"
    case attention = "full_attention"
    case mlp
    case moe

    /// The block of an older config's hybrid_override_pattern character.
    init?(pattern: Character) {
        switch pattern {
        case "M": self = .mamba
        case "*": self = .attention
        case "-": self = .mlp
        case "E": self = .moe
        default: return nil
        }
    }
}

/// config.json of Nemotron-H (transformers' NemotronHConfig, `nemotron_h`): a stack of pre-norm blocks, each one
/// mixer (`layers_block_type`, or an older `hybrid_override_pattern` of M/*/-/E; the layer count is its length):
/// Mamba-2, attention without positional encoding, a non-gated MLP (`mlp_hidden_act`, ReLU² by default), or a MoE of
/// such MLPs (DeepSeek-V3 router: sigmoid with e_score_correction_bias, n_group / topk_group groups, top-k, optional
/// renormalisation, routed_scaling_factor; experts optionally in a `moe_latent_size` space; plus a shared MLP).
public struct NemotronHConfig: Decodable, Sendable, DecoderDimensioned {
    public var dimensions: DecoderDimensions
    public var blocks: [NemotronHBlock]
    public var normEps: Float
    public var mixer: Mamba2MixerShape
    public var attentionBias: Bool
    public var mlpActivation: UnaryOp
    public var mlpBias: Bool
    public var experts: Int
    public var expertsPerToken: Int
    public var expertSize: Int
    public var sharedExpertSize: Int
    /// Width the routed experts read and write (`moe_latent_size`), projected from and back to the hidden size by
    /// fc1_latent_proj / fc2_latent_proj; nil: the hidden size.
    public var latentSize: Int?
    public var routing: MoERouting

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        if let names = try c.decodeIfPresent([String].self, forKey: "layers_block_type") {
            blocks = try names.map {
                guard let block = NemotronHBlock(rawValue: $0 == "mamba" ? "linear_attention" : $0 == "attention" ? "full_attention" : $0) else {
                    throw c.invalid("layers_block_type", "'\($0)' is not linear_attention, full_attention, mlp or moe")
                }
                return block
            }
        } else if let pattern = try c.decodeIfPresent(String.self, forKey: "hybrid_override_pattern") {
            blocks = try pattern.map {
                guard let block = NemotronHBlock(pattern: $0) else { throw c.invalid("hybrid_override_pattern", "'\($0)' is not M, *, - or E") }
                return block
            }
        } else {
            blocks = [.mamba, .moe, .attention, .mlp]
        }
        guard !blocks.isEmpty else { throw c.invalid("layers_block_type", "has no layers") }
        let hidden = try c.positive("hidden_size")
        let heads = try c.positiveIfPresent("num_attention_heads") ?? 32
        let kvHeads = try c.positiveIfPresent("num_key_value_heads") ?? 8
        try c.checkGroups(heads: heads, kvHeads: kvHeads, key: "num_key_value_heads")
        dimensions = DecoderDimensions(hiddenSize: hidden, layers: blocks.count, heads: heads, kvHeads: kvHeads,
                                       headDim: try c.positiveIfPresent("head_dim") ?? 128,
                                       intermediateSize: try c.positiveIfPresent("intermediate_size") ?? 21504,
                                       vocabSize: try c.positive("vocab_size"), maxPosition: try c.positiveIfPresent("max_position_embeddings") ?? 4096,
                                       tiedEmbeddings: try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? false)
        normEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: "attention_bias") ?? false
        mlpActivation = try c.activation("mlp_hidden_act", default: "relu2")
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: "mlp_bias") ?? false

        let mambaHeads = try c.positiveIfPresent("mamba_num_heads") ?? 128
        let groups = try c.positiveIfPresent(["n_groups", "mamba_n_groups"]) ?? 8
        guard mambaHeads % groups == 0 else { throw c.invalid("n_groups", "\(mambaHeads) heads do not split into \(groups) groups") }
        let bias = try c.decodeIfPresent(Bool.self, forKey: "use_bias") ?? false
        mixer = Mamba2MixerShape(hiddenSize: hidden, heads: mambaHeads, headDim: try c.positiveIfPresent("mamba_head_dim") ?? 64, groups: groups,
                                 stateSize: try c.positiveIfPresent("ssm_state_size") ?? 128,
                                 convKernel: try c.positiveIfPresent(["conv_kernel", "mamba_d_conv"]) ?? 4, projectionBias: bias,
                                 outputBias: bias, convBias: try c.first(Bool.self, ["use_conv_bias", "mamba_conv_bias"]) ?? true,
                                 activation: try c.activation("mamba_hidden_act", default: "silu"), normEps: normEps)
        guard mixer.convKernel > 1 else { throw c.invalid("conv_kernel", "must be at least 2, got \(mixer.convKernel)") }
        try c.checkTimeStepLimit()

        experts = try c.positiveIfPresent("n_routed_experts") ?? 8
        expertsPerToken = try c.positiveIfPresent("num_experts_per_tok") ?? 2
        guard expertsPerToken <= experts else {
            throw c.invalid("num_experts_per_tok", "must be at most n_routed_experts (\(experts)), got \(expertsPerToken)")
        }
        expertSize = try c.positiveIfPresent("moe_intermediate_size") ?? 7688
        sharedExpertSize = try c.positiveIfPresent("moe_shared_expert_intermediate_size") ?? 7688
        if blocks.contains(.moe) {
            // The experts run as gated MLPs relu(u)·u with gate = up, which is relu²(u): only ReLU² experts map.
            guard mlpActivation == .reluSquared else { throw c.invalid("mlp_hidden_act", "Nemotron-H experts support relu2, got \(mlpActivation)") }
        }
        latentSize = try c.valueOrNull(Int.self, "moe_latent_size", default: nil)
        if let latentSize, latentSize <= 0 { throw c.invalid("moe_latent_size", "must be positive, got \(latentSize)") }
        routing = MoERouting(topK: expertsPerToken, scoring: .sigmoid, renormalize: try c.decodeIfPresent(Bool.self, forKey: "norm_topk_prob") ?? true,
                             scale: try c.decodeIfPresent(Float.self, forKey: "routed_scaling_factor") ?? 1,
                             groups: try c.positiveIfPresent("n_group") ?? 1, topGroups: try c.positiveIfPresent("topk_group") ?? 1)
        guard routing.validGroups(experts: experts) else {
            throw c.invalid("n_group", "\(routing.groups) groups (topk_group \(routing.topGroups)) do not split \(experts) experts "
                + "into groups of two or more with \(expertsPerToken) to pick")
        }
    }
}
