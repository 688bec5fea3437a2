import IR

/// config.json of Falcon: Falcon-7B (multi-query, one shared LayerNorm), Falcon-40B/180B (`new_decoder_architecture`:
/// grouped kv heads, `ln_attn` + `ln_mlp`), Falcon-RW (ALiBi, sequential block).
public struct FalconConfig: Decodable, Sendable, DecoderDimensioned {
    /// How the two sublayers meet the residual stream and which LayerNorms feed them.
    public enum Block: Sendable, Equatable {
        /// x + attn(ln_attn(x)) + mlp(ln_mlp(x)).
        case parallelTwoNorms
        /// x + attn(input_layernorm(x)) + mlp(input_layernorm(x)).
        case parallelSharedNorm
        /// x += attn(input_layernorm(x)); x += mlp(post_attention_layernorm(x)).
        case sequential
    }

    /// The sizes: multi-query (one key/value head) unless `new_decoder_architecture` reads `num_kv_heads`; the MLP is
    /// `ffn_hidden_size` (4 × hidden when absent).
    public var dimensions: DecoderDimensions
    public var layerNormEps: Float
    public var activation: UnaryOp
    public var bias: Bool
    public var alibi: Bool
    public var block: Block
    public var rope: RopeConfig

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let newArchitecture = try c.decodeIfPresent(Bool.self, forKey: "new_decoder_architecture") ?? false
        let multiQuery = try c.decodeIfPresent(Bool.self, forKey: "multi_query") ?? true
        let parallel = try c.decodeIfPresent(Bool.self, forKey: "parallel_attn") ?? true
        let d = try DecoderDimensions(c, defaults: .init(kvHeads: !newArchitecture && multiQuery ? 1 : nil, intermediateMultiple: 4,
                                                         maxPosition: 2048, tiedEmbeddings: true),
                                      keys: ["hidden_size": ["n_embed", "hidden_size"], "head_dim": [],
                                             "num_key_value_heads": newArchitecture ? ["num_kv_heads"] : [],
                                             "intermediate_size": ["ffn_hidden_size"]])
        dimensions = d
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
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        activation = try c.activation("activation", default: "gelu")
        bias = try c.decodeIfPresent(Bool.self, forKey: "bias") ?? false
        alibi = try c.decodeIfPresent(Bool.self, forKey: "alibi") ?? false
        rope = try PartialRope.decode(c, headDim: d.headDim, maxPosition: d.maxPosition, defaultTheta: 10000, defaultFactor: 1).rope
    }
}
