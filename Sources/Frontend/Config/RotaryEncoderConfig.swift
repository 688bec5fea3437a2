import Foundation
import IR

/// config.json of the post-LN rotary encoders with a gated MLP: GTE (GteConfig, `gte`), Alibaba-NLP's remote "new"
/// model that GTE ports (NewConfig, `new`) and NomicBERT (NomicBertConfig, `nomic_bert`), with transformers' defaults.
/// NomicBERT's own checkpoints (nomic-embed-text-v1/v1.5) spell the settings as the remote NomicBertConfig, a GPT-2
/// config, does (`n_embd`, `n_layer`, `n_head`, `n_inner`, `activation_function`, `rotary_emb_base`, ...); those are
/// read too, the way vLLM maps them, and the remote model's other switches must keep the layout transformers ports.
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
        // The remote NomicBertConfig's spellings.
        case nEmbd = "n_embd", nLayer = "n_layer", nHead = "n_head", nInner = "n_inner"
        case activationFunction = "activation_function", layerNormEpsilon = "layer_norm_epsilon"
        case rotaryEmbBase = "rotary_emb_base", maxTrainedPositions = "max_trained_positions", nPositions = "n_positions"
        case rotaryEmbFraction = "rotary_emb_fraction", rotaryEmbInterleaved = "rotary_emb_interleaved"
        case rotaryScalingFactor = "rotary_scaling_factor", rotaryEmbScaleBase = "rotary_emb_scale_base"
        case qkvProjBias = "qkv_proj_bias", mlpFc1Bias = "mlp_fc1_bias", mlpFc2Bias = "mlp_fc2_bias"
        case prenorm, useRMSNorm = "use_rms_norm", parallelBlock = "parallel_block", causal
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
        hiddenSize = try c.positive(.hiddenSize, alias: .nEmbd)
        layers = try c.positive(.layers, alias: .nLayer)
        heads = try c.positive(.heads, alias: .nHead)
        headDim = try c.positiveIfPresent(.headDim) ?? c.headDim(hiddenSize: hiddenSize, heads: heads, .heads)
        intermediateSize = try c.positive(.intermediateSize, alias: .nInner)
        if c.contains(.activationFunction) {
            try Self.require(c, .activationFunction, "swiglu", "only the SwiGLU MLP is supported")
            activation = .silu
        } else {
            activation = try c.activation(.hiddenAct, default: layout == .nomic ? "silu" : "gelu")
        }
        maxPosition = try c.positiveIfPresent(.maxPosition) ?? c.positiveIfPresent(.maxTrainedPositions)
            ?? c.positiveIfPresent(.nPositions) ?? (layout == .nomic ? 2048 : 8192)
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? (layout == .nomic ? 2 : 1)
        guard typeVocabSize >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .typeVocabSize, in: c, debugDescription: "must not be negative, got \(typeVocabSize)")
        }
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps)
            ?? c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        let theta = try c.decodeIfPresent(Float.self, forKey: .rotaryEmbBase) ?? (layout == .nomic ? 1000 : 160_000)
        rope = try c.rope(parameters: .ropeParameters, scaling: .ropeScaling, theta: .ropeTheta, defaultTheta: theta,
                          maxPosition: maxPosition)
        labels = try c.labels(.id2label)
        try Self.require(c, .positionEmbeddingType, "rope", "only rotary positions are supported")
        try Self.require(c, .packQKV, true, "only the packed qkv_proj is supported")
        try Self.require(c, .layerNormType, "layer_norm", "only LayerNorm is supported")
        try Self.require(c, .lognAttentionScale, false, "log-n attention scaling is not supported")
        if c.contains(.nEmbd) {
            // The remote NomicBertConfig's defaults differ from nomic-embed-text's values: they must be set.
            for key in [CodingKeys.qkvProjBias, .mlpFc1Bias, .mlpFc2Bias] {
                try Self.require(c, key, false, "biases are not supported", absent: true)
            }
            try Self.require(c, .rotaryEmbFraction, Float(1), "only rotary embeddings of whole heads are supported", absent: 0)
        }
        try Self.require(c, .rotaryEmbInterleaved, false, "only the half-split (neox) rotary layout is supported")
        try Self.require(c, .prenorm, false, "only post-LN blocks are supported")
        try Self.require(c, .parallelBlock, false, "only sequential blocks are supported")
        try Self.require(c, .causal, false, "only bidirectional attention is supported")
        try Self.require(c, .useRMSNorm, false, "only LayerNorm is supported")
        for key in [CodingKeys.rotaryScalingFactor, .rotaryEmbScaleBase] {
            guard try c.decodeNilIfPresent(key) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "rotary scaling is not supported, must be null")
            }
        }
    }

    /// Fails naming `key` when its value (`absent` when the key is missing; nil: nothing to check) is not `supported`.
    private static func require<T: Decodable & Equatable>(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys,
                                                          _ supported: T, _ reason: String, absent: T? = nil) throws {
        guard let value = try c.decodeIfPresent(T.self, forKey: key) ?? absent, value != supported else { return }
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(reason), got '\(value)'")
    }
}

private extension KeyedDecodingContainer {
    /// A required positive integer under `key`, or under `alias` (another spelling of the same setting) when only
    /// that is present; a missing value is reported under `key`.
    func positive(_ key: Key, alias: Key) throws -> Int {
        !contains(key) && contains(alias) ? try positive(alias) : try positive(key)
    }

    /// True when `key` is absent or null.
    func decodeNilIfPresent(_ key: Key) throws -> Bool {
        try !contains(key) || decodeNil(forKey: key)
    }
}
