import IR

/// config.json with GPT-2's key names (`n_embd`, `n_layer`, `n_head`, `n_positions`, `n_inner`): GPT-2 and GPTBigCode
/// (family F) and GPT-J (family E). Newer spellings (`hidden_size`, ...) are accepted too.
public struct GPTConfig: Decodable, Sendable, DecoderDimensioned {
    public var modelType: String
    /// The sizes: the MLP width is `n_inner` (4 × hidden when null), one key/value head when `multiQuery`.
    public var dimensions: DecoderDimensions
    public var layerNormEps: Float
    public var activation: UnaryOp
    /// Softmax scale 1/sqrt(head_dim) (`scale_attn_weights`), further divided by layer + 1 when
    /// `scale_attn_by_inverse_layer_idx`.
    public var scaleAttentionWeights: Bool
    public var scaleByInverseLayer: Bool
    /// GPTBigCode: one key/value head (`multi_query`).
    public var multiQuery: Bool
    /// GPT-J: rotated dims at the start of each head (`rotary_dim`; the whole head when null).
    public var rotaryDim: Int

    static let modelTypes = ["gpt2", "gpt_bigcode", "gptj"]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        modelType = try c.decode(String.self, forKey: "model_type")
        guard Self.modelTypes.contains(modelType) else {
            throw c.invalid("model_type", "'\(modelType)' is not one of \(Self.modelTypes.joined(separator: ", "))")
        }
        multiQuery = modelType == "gpt_bigcode" ? try c.decodeIfPresent(Bool.self, forKey: "multi_query") ?? true : false
        let d = try DecoderDimensions(
            c, defaults: .init(kvHeads: multiQuery ? 1 : nil, intermediateMultiple: 4, maxPosition: modelType == "gptj" ? 2048 : 1024,
                               tiedEmbeddings: modelType != "gptj"),
            keys: ["hidden_size": ["n_embd", "hidden_size"], "num_hidden_layers": ["n_layer", "num_hidden_layers"],
                   "num_attention_heads": ["n_head", "num_attention_heads"], "num_key_value_heads": [], "head_dim": [],
                   "intermediate_size": ["n_inner"], "max_position_embeddings": ["n_positions", "max_position_embeddings"]])
        dimensions = d
        let headDim = d.headDim
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        activation = try c.activation("activation_function", default: modelType == "gpt_bigcode" ? "gelu_pytorch_tanh" : "gelu_new")
        scaleAttentionWeights = try c.decodeIfPresent(Bool.self, forKey: "scale_attn_weights") ?? true
        scaleByInverseLayer = modelType == "gpt2" ? try c.decodeIfPresent(Bool.self, forKey: "scale_attn_by_inverse_layer_idx") ?? false : false
        if try c.decodeIfPresent(Bool.self, forKey: "add_cross_attention") == true {
            throw c.invalid("add_cross_attention", "cross-attention (encoder-decoder use) is not supported")
        }
        if modelType == "gptj", c.contains("rotary_dim"), try !c.decodeNil(forKey: "rotary_dim") {
            rotaryDim = try c.positive("rotary_dim")
        } else {
            rotaryDim = headDim
        }
        guard rotaryDim % 2 == 0, rotaryDim <= headDim else {
            throw c.invalid("rotary_dim", "\(rotaryDim) must be even and at most the head size \(headDim)")
        }
    }
}
