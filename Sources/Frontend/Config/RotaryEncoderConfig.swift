import Foundation
import IR

/// config.json of the post-LN rotary encoders with a gated MLP: GTE (GteConfig, `gte`), Alibaba-NLP's remote "new"
/// model that GTE ports (NewConfig, `new`) and NomicBERT (NomicBertConfig, `nomic_bert`), with transformers' defaults.
struct RotaryEncoderConfig: Decodable {
    /// Which checkpoint layout the model has.
    enum Layout {
        /// `embeddings.*`, `encoder.layer.N.attention.qkv_proj` (with bias), `mlp.up_gate_proj` = [up; gate], `attn_ln`.
        case gte
        /// `emb_ln`, `encoder.layers.N.attn.Wqkv` (no bias), `mlp.fc11` (up) / `fc12` (gate) / `fc2`, `norm1`/`norm2`.
        case nomic
    }

    var layout: Layout
    var vocabSize: Int
    var hiddenSize: Int
    var layers: Int
    var heads: Int
    var headDim: Int
    var intermediateSize: Int
    var activation: UnaryOp
    var maxPosition: Int
    /// Rows of the token type table (0: none, GTE's `type_vocab_size` may be 0).
    var typeVocabSize: Int
    var layerNormEps: Float
    var rope: RopeConfig
    /// Class names by id (id2label), in id order; empty when the config has none.
    var labels: [String]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layers = "num_hidden_layers"
        case heads = "num_attention_heads"
        case headDim = "head_dim"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPosition = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling", ropeTheta = "rope_theta"
        case id2label
        // The remote "new" model's switches; only its defaults (what GTE ports) are supported.
        case positionEmbeddingType = "position_embedding_type"
        case packQKV = "pack_qkv"
        case layerNormType = "layer_norm_type"
        case lognAttentionScale = "logn_attention_scale"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "gte"
        switch modelType {
        case "gte", "new": layout = .gte
        case "nomic_bert": layout = .nomic
        default:
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c,
                                                   debugDescription: "'\(modelType)' is not a rotary encoder (gte, new, nomic_bert)")
        }
        vocabSize = try c.positive(.vocabSize)
        hiddenSize = try c.positive(.hiddenSize)
        layers = try c.positive(.layers)
        heads = try c.positive(.heads)
        headDim = try c.positiveIfPresent(.headDim) ?? c.headDim(hiddenSize: hiddenSize, heads: heads, .heads)
        intermediateSize = try c.positive(.intermediateSize)
        activation = try c.activation(.hiddenAct, default: layout == .nomic ? "silu" : "gelu")
        maxPosition = try c.positiveIfPresent(.maxPosition) ?? (layout == .nomic ? 2048 : 8192)
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? (layout == .nomic ? 2 : 1)
        guard typeVocabSize >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .typeVocabSize, in: c, debugDescription: "must not be negative, got \(typeVocabSize)")
        }
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12
        rope = try c.rope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .ropeTheta,
                          defaultTheta: layout == .nomic ? 1000 : 160_000, maxPosition: maxPosition)
        labels = try c.labels(.id2label)
        try Self.require(c, .positionEmbeddingType, "rope", "only rotary positions are supported")
        try Self.require(c, .packQKV, true, "only the packed qkv_proj is supported")
        try Self.require(c, .layerNormType, "layer_norm", "only LayerNorm is supported")
        try Self.require(c, .lognAttentionScale, false, "log-n attention scaling is not supported")
    }

    /// Fails naming `key` when it is present with another value than `supported`.
    private static func require<T: Decodable & Equatable>(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys,
                                                          _ supported: T, _ reason: String) throws {
        guard let value = try c.decodeIfPresent(T.self, forKey: key), value != supported else { return }
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(reason), got '\(value)'")
    }
}
