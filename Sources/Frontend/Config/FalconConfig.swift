import IR

/// config.json of Falcon: Falcon-7B (multi-query, one shared LayerNorm), Falcon-40B/180B (`new_decoder_architecture`:
/// grouped kv heads, `ln_attn` + `ln_mlp`), Falcon-RW (ALiBi, sequential block).
public struct FalconConfig: Decodable, Sendable {
    /// How the two sublayers meet the residual stream and which LayerNorms feed them.
    public enum Block: Sendable, Equatable {
        /// x + attn(ln_attn(x)) + mlp(ln_mlp(x)).
        case parallelTwoNorms
        /// x + attn(input_layernorm(x)) + mlp(input_layernorm(x)).
        case parallelSharedNorm
        /// x += attn(input_layernorm(x)); x += mlp(post_attention_layernorm(x)).
        case sequential
    }

    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var ffnSize: Int
    public var vocabSize: Int
    public var maxPosition: Int
    public var layerNormEps: Float
    public var activation: UnaryOp
    public var bias: Bool
    public var alibi: Bool
    public var block: Block
    public var tiedEmbeddings: Bool
    public var rope: RopeConfig

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        hiddenSize = try c.positive(["n_embed", "hidden_size"])
        layers = try c.positive("num_hidden_layers")
        heads = try c.positive("num_attention_heads")
        headDim = try c.headDim(hidden: hiddenSize, heads: heads, key: "num_attention_heads")
        let newArchitecture = try c.decodeIfPresent(Bool.self, forKey: "new_decoder_architecture") ?? false
        let multiQuery = try c.decodeIfPresent(Bool.self, forKey: "multi_query") ?? true
        let parallel = try c.decodeIfPresent(Bool.self, forKey: "parallel_attn") ?? true
        if newArchitecture {
            kvHeads = try c.positiveIfPresent("num_kv_heads") ?? heads
            try c.checkGroups(heads: heads, kvHeads: kvHeads, key: "num_kv_heads")
        } else {
            kvHeads = multiQuery ? 1 : heads
        }
        // transformers' FalconDecoderLayer: new_decoder_architecture defaults to two norms; the old one shares one.
        let norms = try c.positiveIfPresent("num_ln_in_parallel_attn") ?? (newArchitecture ? 2 : 1)
        switch (parallel, norms) {
        case (false, _) where !newArchitecture: block = .sequential
        case (true, 2) where newArchitecture: block = .parallelTwoNorms
        case (true, 1): block = .parallelSharedNorm
        default:
            throw c.invalid("parallel_attn", "parallel_attn \(parallel) with num_ln_in_parallel_attn \(norms) and "
                            + "new_decoder_architecture \(newArchitecture) is a layout transformers cannot run")
        }
        ffnSize = try c.positiveIfPresent("ffn_hidden_size") ?? 4 * hiddenSize
        vocabSize = try c.positive("vocab_size")
        maxPosition = try c.positiveIfPresent("max_position_embeddings") ?? 2048
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        activation = try c.activation("activation", default: "gelu")
        bias = try c.decodeIfPresent(Bool.self, forKey: "bias") ?? false
        alibi = try c.decodeIfPresent(Bool.self, forKey: "alibi") ?? false
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? true
        rope = try PartialRope.decode(c, headDim: headDim, maxPosition: maxPosition, defaultTheta: 10000, defaultFactor: 1).rope
    }
}
