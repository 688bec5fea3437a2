import IR

/// config.json of MPT as transformers runs it: ALiBi always, with slopes for alibi_bias_max 8, LayerNorms without bias,
/// no linear biases, a 4 × d_model GELU MLP. transformers ignores `attn_config.alibi` and `alibi_bias_max` (MptModel
/// builds the bias with the default 8; every released MPT uses 8), `expansion_ratio`, `no_bias` and `qk_ln`.
public struct MPTConfig: Decodable, Sendable, DecoderDimensioned {
    /// The sizes (the MLP is 4 × d_model).
    public var dimensions: DecoderDimensions
    public var layerNormEps: Float
    /// Softmax scale (`attn_config.softmax_scale`, 1/sqrt(head_dim) when null).
    public var softmaxScale: Float
    /// The fused q/k/v output clamped to ±clip (`attn_config.clip_qkv`).
    public var clipQKV: Float?

    private struct Attention: Decodable {
        var softmaxScale: Float?
        var clipQKV: Float?
        enum CodingKeys: String, CodingKey {
            case softmaxScale = "softmax_scale", clipQKV = "clip_qkv"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let d = try DecoderDimensions(c, defaults: .init(intermediateMultiple: 4, maxPosition: 2048, tiedEmbeddings: true),
                                      keys: ["hidden_size": ["d_model", "hidden_size"], "num_hidden_layers": ["n_layers", "num_hidden_layers"],
                                             "num_attention_heads": ["n_heads", "num_attention_heads"], "num_key_value_heads": [],
                                             "head_dim": [], "intermediate_size": [], "max_position_embeddings": ["max_seq_len"]])
        dimensions = d
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        let attention = try c.decodeIfPresent(Attention.self, forKey: "attn_config")
        // transformers clamps when clip_qkv is truthy (not null, not 0).
        clipQKV = attention?.clipQKV.flatMap { $0 == 0 ? nil : $0 }
        if let clip = clipQKV, clip < 0 { throw c.invalid("attn_config.clip_qkv", "must be positive, got \(clip)") }
        softmaxScale = attention?.softmaxScale ?? 1 / Float(d.headDim).squareRoot()
    }
}
