import IR

/// config.json of BLOOM: ALiBi, LayerNorm on the embeddings, fused per-head q/k/v.
public struct BloomConfig: Decodable, Sendable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    public var vocabSize: Int
    /// Training context (`seq_length`; ALiBi itself has no limit).
    public var maxPosition: Int
    public var layerNormEps: Float
    /// The normed input, not the input, is each sublayer's residual.
    public var residualFromNorm: Bool
    public var tiedEmbeddings: Bool

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        // transformers lets the older n_embed override hidden_size.
        hiddenSize = try c.positive(["n_embed", "hidden_size"])
        layers = try c.positive(["n_layer", "num_hidden_layers"])
        heads = try c.positive(["n_head", "num_attention_heads"])
        headDim = try c.headDim(hidden: hiddenSize, heads: heads, key: "n_head")
        vocabSize = try c.positive("vocab_size")
        maxPosition = try c.positiveIfPresent("seq_length") ?? 2048
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        residualFromNorm = try c.decodeIfPresent(Bool.self, forKey: "apply_residual_connection_post_layernorm") ?? false
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? true
    }
}
