import Foundation
import IR

/// config.json of LFM2 (`lfm2`, transformers' Lfm2Config) and LFM2-MoE (`lfm2_moe`): a pre-norm decoder whose layers
/// mix tokens with GQA attention (per-head q/k RMSNorm, RoPE) or a gated short convolution, each followed by a SwiGLU
/// MLP or, in LFM2-MoE past its first `num_dense_layers` layers, a sigmoid-routed mixture of experts.
/// Key spellings and defaults follow transformers 5.24 (`tie_embedding` and `block_ff_dim` are older spellings).
public struct Lfm2Config: Decodable, Sendable, DecoderDimensioned {
    /// The MoE layers' settings (LFM2-MoE only).
    public struct Experts: Sendable, Equatable {
        public var count: Int
        public var topK: Int
        /// Width of one expert (`moe_intermediate_size`).
        public var size: Int
        /// Layers before this index keep the dense MLP (`num_dense_layers`).
        public var denseLayers: Int
        /// `expert_bias` is added to the sigmoid scores to choose experts (`use_expert_bias`).
        public var selectionBias: Bool
        public var renormalize: Bool
        public var scale: Float
    }

    /// Sizes; `intermediateSize` is the dense MLP's width after LFM2's `block_auto_adjust_ff_dim` rounding.
    public var dimensions: DecoderDimensions
    public var normEps: Float
    /// Per layer: attention (true) or gated short conv (false).
    public var attentionLayers: [Bool]
    /// Taps of the short conv (`conv_L_cache`).
    public var convKernel: Int
    /// Bias on the short conv and its in/out projections (`conv_bias`).
    public var convBias: Bool
    public var rope: RopeConfig
    public var experts: Experts?

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let moe = try c.decodeIfPresent(String.self, forKey: "model_type") == "lfm2_moe"
        var d = try DecoderDimensions(c, defaults: .init(kvHeads: nil, maxPosition: 128_000, tiedEmbeddings: true),
                                      keys: ["intermediate_size": ["block_ff_dim", "intermediate_size"],
                                             "tie_word_embeddings": ["tie_embedding", "tie_word_embeddings"]])
        if !moe, try c.decodeIfPresent(Bool.self, forKey: "block_auto_adjust_ff_dim") ?? true {
            d.intermediateSize = try Self.adjustedWidth(d.intermediateSize, c)
        }
        dimensions = d
        normEps = try c.decodeIfPresent(Float.self, forKey: "norm_eps") ?? 1e-5
        convKernel = try c.positiveIfPresent("conv_L_cache") ?? 3
        guard convKernel > 1 else { throw c.invalid("conv_L_cache", "must be at least 2, got \(convKernel)") }
        convBias = try c.decodeIfPresent(Bool.self, forKey: "conv_bias") ?? false
        attentionLayers = try Self.layerKinds(c, layers: d.layers, requireTypes: moe)
        rope = try c.rope(parameters: "rope_parameters", scaling: "rope_scaling", theta: "rope_theta", defaultTheta: 1e6,
                          maxPosition: d.maxPosition)
        experts = moe ? try Self.experts(c) : nil
    }

    /// LFM2's MLP width: ⌊2·ff/3⌋, times `block_ffn_dim_multiplier` (floored) and rounded up to `block_multiple_of`
    /// when the multiplier is set.
    private static func adjustedWidth(_ ff: Int, _ c: KeyedDecodingContainer<ConfigKey>) throws -> Int {
        var width = 2 * ff / 3
        guard let multiplier = try c.valueOrNull(Double.self, "block_ffn_dim_multiplier", default: 1.0) else { return width }
        let multiple = try c.positiveIfPresent("block_multiple_of") ?? 256
        width = Int(multiplier * Double(width))
        width = multiple * ((width + multiple - 1) / multiple)
        guard width > 0 else { throw c.invalid("block_ffn_dim_multiplier", "gives an MLP width of \(width)") }
        return width
    }

    /// `layer_types` ("conv" / "full_attention"), else `full_attn_idxs` (LFM2 only; absent: every layer attends).
    private static func layerKinds(_ c: KeyedDecodingContainer<ConfigKey>, layers: Int, requireTypes: Bool) throws -> [Bool] {
        if let types = try c.attentionLayers(layers: layers, other: "conv") { return types }
        guard !requireTypes else { throw c.invalid("layer_types", "is required") }
        let indices = try c.decodeIfPresent([Int].self, forKey: "full_attn_idxs") ?? Array(0..<layers)
        guard indices.allSatisfy({ (0..<layers).contains($0) }) else {
            throw c.invalid("full_attn_idxs", "\(indices) has indices outside 0 ..< \(layers)")
        }
        return (0..<layers).map(indices.contains)
    }

    private static func experts(_ c: KeyedDecodingContainer<ConfigKey>) throws -> Experts {
        let count = try c.positiveIfPresent("num_experts") ?? 32
        let topK = try c.positiveIfPresent("num_experts_per_tok") ?? 4
        guard topK <= count else { throw c.invalid("num_experts_per_tok", "\(topK) experts per token but only \(count) experts") }
        let dense = try c.decodeIfPresent(Int.self, forKey: "num_dense_layers") ?? 2
        guard dense >= 0 else { throw c.invalid("num_dense_layers", "must not be negative, got \(dense)") }
        return Experts(count: count, topK: topK, size: try c.positiveIfPresent("moe_intermediate_size") ?? 1792, denseLayers: dense,
                       selectionBias: try c.decodeIfPresent(Bool.self, forKey: "use_expert_bias") ?? true,
                       renormalize: try c.decodeIfPresent(Bool.self, forKey: "norm_topk_prob") ?? true,
                       scale: try c.decodeIfPresent(Float.self, forKey: "routed_scaling_factor") ?? 1)
    }
}
