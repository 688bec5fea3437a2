import IR

/// config.json of OPT: learned positions with offset 2, pre-LN (or post-LN when `do_layer_norm_before` is false, as
/// opt-350m), embeddings of `word_embed_proj_dim` projected in and out of the model width.
public struct OPTConfig: Decodable, Sendable, DecoderDimensioned {
    /// The sizes (the MLP width is `ffn_dim`).
    public var dimensions: DecoderDimensions
    /// Width of the token embeddings (and of the LM head input); `project_in`/`project_out` when != hidden.
    public var embeddingSize: Int
    public var layerNormBefore: Bool
    /// Final LayerNorm after the layers (pre-LN models that do not set `_remove_final_layer_norm`).
    public var finalLayerNorm: Bool
    /// LayerNorms have weight and bias (`layer_norm_elementwise_affine`).
    public var layerNormAffine: Bool
    public var bias: Bool
    public var activation: UnaryOp

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let d = try DecoderDimensions(c, defaults: .init(maxPosition: 2048, tiedEmbeddings: true),
                                      keys: ["num_key_value_heads": [], "head_dim": [], "intermediate_size": ["ffn_dim"]])
        dimensions = d
        embeddingSize = try c.positiveIfPresent("word_embed_proj_dim") ?? d.hiddenSize
        layerNormBefore = try c.decodeIfPresent(Bool.self, forKey: "do_layer_norm_before") ?? true
        let removeFinal = try c.decodeIfPresent(Bool.self, forKey: "_remove_final_layer_norm") ?? false
        finalLayerNorm = layerNormBefore && !removeFinal
        layerNormAffine = try c.decodeIfPresent(Bool.self, forKey: "layer_norm_elementwise_affine") ?? true
        bias = try c.decodeIfPresent(Bool.self, forKey: "enable_bias") ?? true
        activation = try c.activation("activation_function", default: "relu")
    }
}
