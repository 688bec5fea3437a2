import IR

/// Qwen (1.0, remote code, model_type qwen): Qwen2's math — fused c_attn with q/k/v bias, o_proj without, SwiGLU whose
/// gate is `w2` and up `w1`, partial neox rotary (`rotary_pct`) — under its own keys and names.
/// The remote code's dynamic NTK and log-n attention only act beyond `seq_length` tokens, so the context is capped there
/// when either is on and the model stays exact (vLLM, which ignores both, serves longer contexts that differ).
extension LlamaVariants {
    static let qwen = LlamaVariant(["QWenLMHeadModel"], config: QWenConfig.self) { s, _, _ in
        s.names = .qwen
        s.qkv = .fused
    }
}

extension LlamaWeightNames {
    static let qwen = LlamaWeightNames(
        embed: "transformer.wte", finalNorm: "transformer.ln_f", layerPrefix: { "transformer.h.\($0)." },
        attentionNorm: "ln_1", mlpNorm: "ln_2", qkv: "attn.c_attn", o: "attn.c_proj",
        gate: "mlp.w2", up: "mlp.w1", down: "mlp.c_proj")
}

/// config.json of Qwen-1 (`configuration_qwen.py` defaults), translated to `LlamaConfig`.
struct QWenConfig: LlamaConfigSource {
    var llama: LlamaConfig

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", layers = "num_hidden_layers", heads = "num_attention_heads"
        case kvChannels = "kv_channels", intermediate = "intermediate_size", vocab = "vocab_size"
        case eps = "layer_norm_epsilon", maxPosition = "max_position_embeddings", seqLength = "seq_length"
        case base = "rotary_emb_base", pct = "rotary_pct", noBias = "no_bias", tied = "tie_word_embeddings"
        case dynamicNTK = "use_dynamic_ntk", lognAttention = "use_logn_attn"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func flag(_ key: CodingKeys, _ fallback: Bool) throws -> Bool { try c.decodeIfPresent(Bool.self, forKey: key) ?? fallback }
        let hidden = try c.positiveIfPresent(.hiddenSize) ?? 4096
        let heads = try c.positiveIfPresent(.heads) ?? 32
        let headDim = try c.positiveIfPresent(.kvChannels) ?? 128
        let layers = try c.positiveIfPresent(.layers) ?? 32
        // Each of w1 and w2 has intermediate_size / 2 rows.
        let intermediate = try c.positiveIfPresent(.intermediate) ?? 22016
        guard intermediate % 2 == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .intermediate, in: c, debugDescription: "must be even (w1 and w2 each have half)")
        }
        let pct = try c.decodeIfPresent(Double.self, forKey: .pct) ?? 1
        let rotaryDim = Int(Double(headDim) * pct)
        guard pct > 0, pct <= 1, rotaryDim > 0, rotaryDim % 2 == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .pct, in: c,
                debugDescription: "\(pct) of kv_channels \(headDim) gives \(rotaryDim) rotary dims; an even count is needed")
        }
        var maxPosition = try c.positiveIfPresent(.maxPosition) ?? 8192
        if try flag(.dynamicNTK, true) || flag(.lognAttention, true) {
            maxPosition = min(maxPosition, try c.positiveIfPresent(.seqLength) ?? maxPosition)
        }
        let outputBias = try !flag(.noBias, true)
        llama = LlamaConfig(
            modelType: "qwen",
            dimensions: DecoderDimensions(
                hiddenSize: hidden, layers: layers, heads: heads, kvHeads: heads, headDim: headDim,
                intermediateSize: intermediate / 2, vocabSize: try c.positiveIfPresent(.vocab) ?? 151936,
                maxPosition: maxPosition, tiedEmbeddings: try flag(.tied, false)),
            rmsNormEps: try c.decodeIfPresent(Float.self, forKey: .eps) ?? 1e-6, attentionBias: true, outputBias: outputBias, mlpBias: outputBias,
            activation: .gated(.silu), layerWindows: Array(repeating: nil, count: layers),
            rope: RopeConfig(theta: try c.decodeIfPresent(Float.self, forKey: .base) ?? 10000, scaling: .none),
            rotaryDim: rotaryDim, ropeLayers: Array(repeating: true, count: layers))
    }
}
