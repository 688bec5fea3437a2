import Foundation
import IR

/// config.json of BERT-like encoders (BertConfig, RobertaConfig, XLMRobertaConfig), with transformers' defaults.
struct EncoderConfig: Decodable {
    var modelType: String
    var vocabSize: Int
    var hiddenSize: Int
    var layers: Int
    var heads: Int
    var intermediateSize: Int
    var activation: UnaryOp
    var maxPosition: Int
    var typeVocabSize: Int
    var layerNormEps: Float
    var padTokenId: Int?
    /// Class names by id (id2label), in id order; empty when the config has none.
    var labels: [String]

    var headDim: Int { hiddenSize / heads }
    /// RoBERTa and XLM-R count positions from padding_idx + 1 (create_position_ids_from_input_ids).
    var positionOffset: Int { modelType == "bert" ? 0 : (padTokenId ?? 1) + 1 }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layers = "num_hidden_layers"
        case heads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPosition = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case padTokenId = "pad_token_id"
        case positionEmbeddingType = "position_embedding_type"
        case id2label
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "bert"
        vocabSize = try c.positive(.vocabSize)
        hiddenSize = try c.positive(.hiddenSize)
        layers = try c.positive(.layers)
        heads = try c.positive(.heads)
        _ = try c.headDim(hiddenSize: hiddenSize, heads: heads, .heads)
        intermediateSize = try c.positive(.intermediateSize)
        activation = try c.activation(.hiddenAct, default: "gelu")
        maxPosition = try c.positiveIfPresent(.maxPosition) ?? 512
        typeVocabSize = try c.positiveIfPresent(.typeVocabSize) ?? 2
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        let positions = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
        guard positions == "absolute" else {
            throw DecodingError.dataCorruptedError(forKey: .positionEmbeddingType, in: c,
                                                   debugDescription: "only absolute position embeddings are supported, got '\(positions)'")
        }
        labels = try c.labels(.id2label)
    }
}
