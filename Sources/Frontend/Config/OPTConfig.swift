import IR

/// config.json of OPT: learned positions with offset 2, pre-LN (or post-LN when `do_layer_norm_before` is false, as
/// opt-350m), embeddings of `word_embed_proj_dim` projected in and out of the model width.
public struct OPTConfig: Decodable, Sendable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    public var ffnSize: Int
    public var vocabSize: Int
    public var maxPosition: Int
    /// Width of the token embeddings (and of the LM head input); `project_in`/`project_out` when != hidden.
    public var embeddingSize: Int
    public var layerNormBefore: Bool
    /// Final LayerNorm after the layers (pre-LN models that do not set `_remove_final_layer_norm`).
    public var finalLayerNorm: Bool
    /// LayerNorms have weight and bias (`layer_norm_elementwise_affine`).
    public var layerNormAffine: Bool
    public var bias: Bool
    public var activation: UnaryOp
    public var tiedEmbeddings: Bool

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        hiddenSize = try c.positive("hidden_size")
        layers = try c.positive("num_hidden_layers")
        heads = try c.positive("num_attention_heads")
        headDim = try c.headDim(hidden: hiddenSize, heads: heads, key: "num_attention_heads")
        ffnSize = try c.positive("ffn_dim")
        vocabSize = try c.positive("vocab_size")
        maxPosition = try c.positiveIfPresent("max_position_embeddings") ?? 2048
        embeddingSize = try c.positiveIfPresent("word_embed_proj_dim") ?? hiddenSize
        layerNormBefore = try c.decodeIfPresent(Bool.self, forKey: "do_layer_norm_before") ?? true
        let removeFinal = try c.decodeIfPresent(Bool.self, forKey: "_remove_final_layer_norm") ?? false
        finalLayerNorm = layerNormBefore && !removeFinal
        layerNormAffine = try c.decodeIfPresent(Bool.self, forKey: "layer_norm_elementwise_affine") ?? true
        bias = try c.decodeIfPresent(Bool.self, forKey: "enable_bias") ?? true
        activation = try c.activation("activation_function", default: "relu")
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? true
    }
}
