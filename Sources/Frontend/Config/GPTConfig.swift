import IR

/// config.json with GPT-2's key names (`n_embd`, `n_layer`, `n_head`, `n_positions`, `n_inner`): GPT-2 and GPTBigCode
/// (family F) and GPT-J (family E). Newer spellings (`hidden_size`, ...) are accepted too.
public struct GPTConfig: Decodable, Sendable {
    public var modelType: String
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    /// MLP width (`n_inner`, 4 × hidden when null).
    public var innerSize: Int
    public var vocabSize: Int
    public var maxPosition: Int
    public var layerNormEps: Float
    public var activation: UnaryOp
    public var tiedEmbeddings: Bool
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
        hiddenSize = try c.positive(["n_embd", "hidden_size"])
        layers = try c.positive(["n_layer", "num_hidden_layers"])
        heads = try c.positive(["n_head", "num_attention_heads"])
        headDim = try c.headDim(hidden: hiddenSize, heads: heads, key: "n_head")
        innerSize = try c.positiveIfPresent("n_inner") ?? 4 * hiddenSize
        vocabSize = try c.positive("vocab_size")
        maxPosition = try c.positiveIfPresent(["n_positions", "max_position_embeddings"]) ?? (modelType == "gptj" ? 2048 : 1024)
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: "layer_norm_epsilon") ?? 1e-5
        activation = try c.activation("activation_function", default: modelType == "gpt_bigcode" ? "gelu_pytorch_tanh" : "gelu_new")
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? (modelType != "gptj")
        scaleAttentionWeights = try c.decodeIfPresent(Bool.self, forKey: "scale_attn_weights") ?? true
        scaleByInverseLayer = modelType == "gpt2" ? try c.decodeIfPresent(Bool.self, forKey: "scale_attn_by_inverse_layer_idx") ?? false : false
        multiQuery = modelType == "gpt_bigcode" ? try c.decodeIfPresent(Bool.self, forKey: "multi_query") ?? true : false
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
