import IR

/// config.json of BLOOM: ALiBi, LayerNorm on the embeddings, fused per-head q/k/v.
public struct BloomConfig: Decodable, Sendable, DecoderDimensioned {
    /// The sizes; the MLP is 4 × hidden, the context is the training one (`seq_length`; ALiBi itself has no limit).
    public var dimensions: DecoderDimensions
    public var layerNormEps: Float
    /// The normed input, not the input, is each sublayer's residual.
    public var residualFromNorm: Bool

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        // transformers lets the older n_embed override hidden_size.
        dimensions = try DecoderDimensions(c, defaults: .init(intermediateMultiple: 4, maxPosition: 2048, tiedEmbeddings: true),
                                           keys: ["hidden_size": ["n_embed", "hidden_size"], "num_hidden_layers": ["n_layer", "num_hidden_layers"],
                                                  "num_attention_heads": ["n_head", "num_attention_heads"], "num_key_value_heads": [],
                                                  "head_dim": [], "intermediate_size": [], "max_position_embeddings": ["seq_length"]])
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        residualFromNorm = try c.decodeIfPresent(Bool.self, forKey: "apply_residual_connection_post_layernorm") ?? false
    }
}
