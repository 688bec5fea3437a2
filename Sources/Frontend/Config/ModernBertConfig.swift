import Foundation
import IR

/// config.json of ModernBERT (ModernBertConfig), with transformers' defaults; older checkpoints' keys
/// (`global_attn_every_n_layers`, `global_rope_theta`, `local_rope_theta`) are read as transformers converts them.
struct ModernBertConfig: Decodable {
    var vocabSize: Int
    var hiddenSize: Int
    var layers: Int
    var heads: Int
    var headDim: Int
    var intermediateSize: Int
    var activation: UnaryOp
    var maxPosition: Int
    var normEps: Float
    var normBias: Bool
    var attentionBias: Bool
    var mlpBias: Bool
    var layerTypes: [AttentionLayerType]
    /// `local_attention`: the whole local window; a query sees keys at most half of it away on either side.
    var localAttention: Int
    var rope: LayerTypeRope
    /// The prediction head of the task models: dense (with `classifierBias`) → activation → norm.
    var classifierBias: Bool
    var classifierActivation: UnaryOp
    /// Class names by id (id2label), in id order; empty when the config has none.
    var labels: [String]

    /// The symmetric window of local layers as `AttentionSpec.window` counts it: |p - j| < window, i.e. keys at most
    /// local_attention / 2 away (transformers' `sliding_window`; flash attention's window_size on both sides).
    var window: Int { localAttention / 2 + 1 }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layers = "num_hidden_layers"
        case heads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenActivation = "hidden_activation"
        case maxPosition = "max_position_embeddings"
        case normEps = "norm_eps"
        case normBias = "norm_bias"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case layerTypes = "layer_types"
        case globalAttentionEvery = "global_attn_every_n_layers"
        case localAttention = "local_attention"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling"
        case globalRopeTheta = "global_rope_theta", localRopeTheta = "local_rope_theta"
        case classifierBias = "classifier_bias"
        case classifierActivation = "classifier_activation"
        case id2label
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.positive(.vocabSize)
        hiddenSize = try c.positive(.hiddenSize)
        layers = try c.positive(.layers)
        heads = try c.positive(.heads)
        headDim = try c.headDim(hiddenSize: hiddenSize, heads: heads, .heads)
        intermediateSize = try c.positive(.intermediateSize)
        activation = try c.activation(.hiddenActivation, default: "gelu")
        maxPosition = try c.positiveIfPresent(.maxPosition) ?? 8192
        normEps = try c.decodeIfPresent(Float.self, forKey: .normEps) ?? 1e-5
        normBias = try c.decodeIfPresent(Bool.self, forKey: .normBias) ?? false
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        let every = try c.positiveIfPresent(.globalAttentionEvery) ?? 3
        layerTypes = try c.layerTypes(.layerTypes, layers: layers) { $0 % every == 0 ? .full : .sliding }
        localAttention = try c.positiveIfPresent(.localAttention) ?? 128
        rope = try c.layerTypeRope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .globalRopeTheta,
                                   slidingTheta: .localRopeTheta, defaultFull: 160_000, defaultSliding: 10000,
                                   maxPosition: maxPosition)
        classifierBias = try c.decodeIfPresent(Bool.self, forKey: .classifierBias) ?? false
        classifierActivation = try c.activation(.classifierActivation, default: "gelu")
        labels = try c.labels(.id2label)
    }
}
