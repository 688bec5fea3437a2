import IR

/// config.json of Zamba2 (transformers' Zamba2Config, `zamba2`): a Mamba-2 backbone (`layers_block_type`:
/// linear_attention / mamba) in which "hybrid" layers first run a shared transformer block on concat(hidden, original
/// embeddings) (2 × hidden_size wide, heads of 2 × hidden_size / num_attention_heads, rotary when `use_mem_rope`,
/// per-invocation LoRA adapters of `adapter_rank` on q/k/v and the gated MLP when `use_shared_attention_adapter`),
/// project its output back to hidden_size and add it to that layer's Mamba-2 input. `num_mem_blocks` blocks are
/// shared round-robin over the hybrid layers.
public struct Zamba2Config: Decodable, Sendable, DecoderDimensioned {
    /// The backbone's width and the shared block's heads: headDim is 2 × hidden_size / num_attention_heads.
    public var dimensions: DecoderDimensions
    public var hybridLayers: [Bool]
    public var rmsNormEps: Float
    public var mixer: Mamba2MixerShape
    /// The shared block's MLP activation (`hidden_act`).
    public var activation: GatedActivation
    public var memoryBlocks: Int
    /// LoRA rank of the per-invocation adapters (nil: no adapters).
    public var adapterRank: Int?
    /// nil: the shared attention has no positional encoding.
    public var rope: RopeConfig?
    /// Bias on the shared MLP's projections and the mixers' in/out projections (`add_bias_linear`).
    public var linearBias: Bool

    /// Width of the shared block's input (hidden state and embeddings side by side).
    public var attentionWidth: Int { 2 * dimensions.hiddenSize }

    /// transformers' default layer list (Zamba2-2.7B): 54 layers, 9 of them hybrid.
    static let defaultLayers: [String] = ["linear_attention"] + Array(repeating: Array(repeating: "linear_attention", count: 5) + ["hybrid"], count: 7).flatMap { $0 }
        + Array(repeating: "linear_attention", count: 4) + ["hybrid"] + Array(repeating: "linear_attention", count: 3) + ["hybrid"]
        + Array(repeating: "linear_attention", count: 2)

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let hidden = try c.positive("hidden_size")
        let heads = try c.positiveIfPresent("num_attention_heads") ?? 32
        let kvHeads = try c.positiveIfPresent("num_key_value_heads") ?? heads
        try c.checkGroups(heads: heads, kvHeads: kvHeads, key: "num_key_value_heads")
        let headDim = try c.headDim(hidden: 2 * hidden, heads: heads, key: "num_attention_heads")
        let names = try c.decodeIfPresent([String].self, forKey: "layers_block_type") ?? Self.defaultLayers
        hybridLayers = try names.map {
            switch $0 {
            case "linear_attention", "mamba": false
            case "hybrid": true
            default: throw c.invalid("layers_block_type", "'\($0)' is not linear_attention or hybrid")
            }
        }
        let longContext = try c.decodeIfPresent(Bool.self, forKey: "use_long_context") ?? false
        dimensions = DecoderDimensions(
            hiddenSize: hidden, layers: hybridLayers.count, heads: heads, kvHeads: kvHeads, headDim: headDim,
            intermediateSize: try c.positiveIfPresent("intermediate_size") ?? 4 * hidden, vocabSize: try c.positive("vocab_size"),
            maxPosition: longContext ? 16384 : try c.positiveIfPresent("max_position_embeddings") ?? 4096,
            tiedEmbeddings: try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? true)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: "rms_norm_eps") ?? 1e-5
        let name = try c.decodeIfPresent(String.self, forKey: "hidden_act") ?? "gelu"
        switch name {
        case "gelu": activation = .gelu
        case "gelu_pytorch_tanh", "gelu_new": activation = .geluTanh
        case "silu", "swish": activation = .silu
        default: throw c.invalid("hidden_act", "'\(name)' is not gelu, gelu_pytorch_tanh, gelu_new or silu")
        }
        memoryBlocks = try c.positiveIfPresent("num_mem_blocks") ?? 1
        let adapters = try c.decodeIfPresent(Bool.self, forKey: "use_shared_attention_adapter") ?? false
        adapterRank = adapters ? try c.positiveIfPresent("adapter_rank") ?? 128 : nil
        linearBias = try c.decodeIfPresent(Bool.self, forKey: "add_bias_linear") ?? false
        if try c.decodeIfPresent(Bool.self, forKey: "use_mem_rope") ?? false {
            let partial = try PartialRope.decode(c, headDim: headDim, maxPosition: dimensions.maxPosition, defaultTheta: 10000,
                                                 defaultFactor: 1, factorKey: nil)
            rope = partial.rope
        } else {
            rope = nil
        }

        let channels = (try c.positiveIfPresent("mamba_expand") ?? 2) * hidden
        let mambaHeads = try c.positiveIfPresent("n_mamba_heads") ?? 8
        guard channels % mambaHeads == 0 else {
            throw c.invalid("n_mamba_heads", "mamba_expand × hidden_size (\(channels)) is not a multiple of \(mambaHeads) heads")
        }
        let groups = try c.positiveIfPresent("mamba_ngroups") ?? 1
        guard mambaHeads % groups == 0 else { throw c.invalid("mamba_ngroups", "\(mambaHeads) heads do not split into \(groups) groups") }
        // The conv always has a bias and the gated norm's eps is 1e-5, whatever use_conv_bias and rms_norm_eps say.
        mixer = Mamba2MixerShape(hiddenSize: hidden, heads: mambaHeads, headDim: channels / mambaHeads, groups: groups,
                                 stateSize: try c.positiveIfPresent("mamba_d_state") ?? 64, convKernel: try c.positiveIfPresent("mamba_d_conv") ?? 4,
                                 projectionBias: linearBias, outputBias: linearBias, convBias: true, activation: .silu, normEps: 1e-5)
        guard mixer.convKernel > 1 else { throw c.invalid("mamba_d_conv", "must be at least 2, got \(mixer.convKernel)") }
    }
}
