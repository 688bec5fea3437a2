import IR

/// config.json of MPT as transformers runs it: ALiBi always, with slopes for alibi_bias_max 8, LayerNorms without bias,
/// no linear biases, a 4 × d_model GELU MLP. transformers ignores `attn_config.alibi` and `alibi_bias_max` (MptModel
/// builds the bias with the default 8; every released MPT uses 8), `expansion_ratio`, `no_bias` and `qk_ln`.
public struct MPTConfig: Decodable, Sendable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    public var vocabSize: Int
    public var maxPosition: Int
    public var layerNormEps: Float
    /// Softmax scale (`attn_config.softmax_scale`, 1/sqrt(head_dim) when null).
    public var softmaxScale: Float
    /// The fused q/k/v output clamped to ±clip (`attn_config.clip_qkv`).
    public var clipQKV: Float?
    public var tiedEmbeddings: Bool

    private struct Attention: Decodable {
        var softmaxScale: Float?
        var clipQKV: Float?
        enum CodingKeys: String, CodingKey {
            case softmaxScale = "softmax_scale", clipQKV = "clip_qkv"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        hiddenSize = try c.positive(["d_model", "hidden_size"])
        layers = try c.positive(["n_layers", "num_hidden_layers"])
        heads = try c.positive(["n_heads", "num_attention_heads"])
        headDim = try c.headDim(hidden: hiddenSize, heads: heads, key: "n_heads")
        vocabSize = try c.positive("vocab_size")
        maxPosition = try c.positiveIfPresent("max_seq_len") ?? 2048
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        let attention = try c.decodeIfPresent(Attention.self, forKey: "attn_config")
        // transformers clamps when clip_qkv is truthy (not null, not 0).
        clipQKV = attention?.clipQKV.flatMap { $0 == 0 ? nil : $0 }
        if let clip = clipQKV, clip < 0 { throw c.invalid("attn_config.clip_qkv", "must be positive, got \(clip)") }
        softmaxScale = attention?.softmaxScale ?? 1 / Float(headDim).squareRoot()
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? true
    }
}
