import IR

/// ChatGLM2/3 and GLM-4 (THUDM remote code, model_type chatglm): GLM's math (`GlmForCausalLM`, as vLLM runs it) —
/// RMSNorm, fused q|k|v with bias, GPT-J-interleaved rotary on the first half of each head with base
/// 10000·rope_ratio, fused gate|up SwiGLU — under its own config keys and tensor names.
extension LlamaVariants {
    static let chatGLM = LlamaVariant(["ChatGLMModel", "ChatGLMForConditionalGeneration", "ChatGLMForCausalLM"],
                                      config: ChatGLMConfig.self) { s, glm, _ in
        s.names = .chatGLM
        s.qkv = .fused
        s.gateUpFused = true
        s.ropeStyle = glm.originalRope ? .interleaved : .neox
    }
}

extension LlamaWeightNames {
    static let chatGLM = LlamaWeightNames(
        embed: "transformer.embedding.word_embeddings", finalNorm: "transformer.encoder.final_layernorm",
        lmHead: "transformer.output_layer", layerPrefix: { "transformer.encoder.layers.\($0)." },
        qkv: "self_attention.query_key_value", o: "self_attention.dense",
        gateUp: "mlp.dense_h_to_4h", down: "mlp.dense_4h_to_h")
}

/// config.json of the ChatGLM remote code (`configuration_chatglm.py` defaults), translated to `LlamaConfig`.
struct ChatGLMConfig: LlamaConfigSource {
    var llama: LlamaConfig
    /// GPT-J-interleaved pairs (true in every released checkpoint); false means half-split (neox).
    var originalRope: Bool

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", layers = "num_layers", heads = "num_attention_heads", kvChannels = "kv_channels"
        case multiQuery = "multi_query_attention", groups = "multi_query_group_num", ffn = "ffn_hidden_size"
        case vocab = "padded_vocab_size", eps = "layernorm_epsilon", rmsnorm, addBiasLinear = "add_bias_linear"
        case addQKVBias = "add_qkv_bias", residualAfterNorm = "apply_residual_connection_post_layernorm"
        case postLayerNorm = "post_layer_norm", originalRope = "original_rope", ropeRatio = "rope_ratio"
        case seqLength = "seq_length", tied = "tie_word_embeddings"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func flag(_ key: CodingKeys, _ fallback: Bool) throws -> Bool { try c.decodeIfPresent(Bool.self, forKey: key) ?? fallback }
        func unsupported(_ key: CodingKeys, _ reason: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: reason)
        }
        guard try flag(.rmsnorm, true) else { throw unsupported(.rmsnorm, "LayerNorm ChatGLM (rmsnorm false) is not supported") }
        guard try !flag(.residualAfterNorm, false) else {
            throw unsupported(.residualAfterNorm, "residuals taken after the norm are not supported")
        }
        guard try flag(.postLayerNorm, true) else { throw unsupported(.postLayerNorm, "a model without final norm is not supported") }

        let hidden = try c.positiveIfPresent(.hiddenSize) ?? 4096
        let heads = try c.positiveIfPresent(.heads) ?? 32
        let multiQuery = try flag(.multiQuery, false)
        let kvHeads = multiQuery ? try c.positiveIfPresent(.groups) ?? 1 : heads
        guard heads % kvHeads == 0 else {
            throw unsupported(.groups, "\(heads) attention heads are not a multiple of \(kvHeads) key/value groups")
        }
        let headDim = try c.positiveIfPresent(.kvChannels) ?? hidden / heads
        let layers = try c.positiveIfPresent(.layers) ?? 28
        let biasLinear = try flag(.addBiasLinear, false)
        let ratio = try c.decodeIfPresent(Double.self, forKey: .ropeRatio) ?? 1
        // The remote code's RotaryEmbedding(kv_channels // 2): the first half of each head rotates.
        let rotaryDim = headDim / 2
        guard rotaryDim % 2 == 0 else { throw unsupported(.kvChannels, "\(headDim) / 2 rotary dims must be even") }
        originalRope = try flag(.originalRope, true)
        llama = LlamaConfig(
            modelType: "chatglm",
            dimensions: DecoderDimensions(
                hiddenSize: hidden, layers: layers, heads: heads, kvHeads: kvHeads, headDim: headDim,
                intermediateSize: try c.positiveIfPresent(.ffn) ?? 13696, vocabSize: try c.positiveIfPresent(.vocab) ?? 65024,
                maxPosition: try c.positiveIfPresent(.seqLength) ?? 2048, tiedEmbeddings: try flag(.tied, false)),
            rmsNormEps: try c.decodeIfPresent(Float.self, forKey: .eps) ?? 1e-5,
            attentionBias: try biasLinear || flag(.addQKVBias, false), outputBias: biasLinear, mlpBias: biasLinear,
            activation: .gated(.silu), layerWindows: Array(repeating: nil, count: layers),
            rope: RopeConfig(theta: Float(10000 * ratio), scaling: .none), rotaryDim: rotaryDim,
            ropeLayers: Array(repeating: true, count: layers))
    }
}
