import IR

/// config.json of DBRX (`DbrxConfig`): sizes at the top level (`d_model`, `n_heads`, `n_layers`, `max_seq_len`),
/// attention keys under `attn_config` and mixture-of-experts keys under `ffn_config`, with the config classes'
/// defaults.
struct DbrxConfig: Decodable, DecoderDimensioned {
    var dimensions: DecoderDimensions
    var rope: RopeConfig
    /// q, k and v clamped to ±clip (`attn_config.clip_qkv`).
    var clipQKV: Float?
    var experts: Int
    var topK: Int
    /// `ffn_config.moe_normalize_expert_weights`: 1 divides the picked weights by their sum; null keeps them.
    var renormalize: Bool

    /// `ffn_config.ffn_act_fn`: `{"name": ...}`.
    private struct Activation: Decodable {
        var name: String?
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let hidden = try c.positiveIfPresent("d_model") ?? 2048, heads = try c.positiveIfPresent("n_heads") ?? 16
        let layers = try c.positiveIfPresent("n_layers") ?? 24, maxPosition = try c.positiveIfPresent("max_seq_len") ?? 2048
        let attention = try c.contains("attn_config") ? c.nestedContainer(keyedBy: ConfigKey.self, forKey: "attn_config") : nil
        let ffn = try c.contains("ffn_config") ? c.nestedContainer(keyedBy: ConfigKey.self, forKey: "ffn_config") : nil
        let kvHeads = try attention?.positiveIfPresent("kv_n_heads") ?? 1
        try c.checkGroups(heads: heads, kvHeads: kvHeads, key: "attn_config.kv_n_heads")
        let headDim = try c.headDim(hidden: hidden, heads: heads, key: "n_heads")
        dimensions = DecoderDimensions(
            hiddenSize: hidden, layers: layers, heads: heads, kvHeads: kvHeads, headDim: headDim,
            intermediateSize: try ffn?.positiveIfPresent("ffn_hidden_size") ?? 3584, vocabSize: try c.positiveIfPresent("vocab_size") ?? 32000,
            maxPosition: maxPosition, tiedEmbeddings: try c.decodeIfPresent(Bool.self, forKey: "tie_word_embeddings") ?? false)
        rope = try c.rope(parameters: "rope_parameters", scaling: "rope_scaling", theta: "rope_theta",
                          defaultTheta: try attention?.decodeIfPresent(Float.self, forKey: "rope_theta") ?? 10000, maxPosition: maxPosition)
        clipQKV = try attention?.decodeIfPresent(Float.self, forKey: "clip_qkv")
        if let clip = clipQKV, let attention, !(clip > 0) { throw attention.invalid("clip_qkv", "must be positive, got \(clip)") }
        experts = try ffn?.positiveIfPresent("moe_num_experts") ?? 4
        topK = try ffn?.positiveIfPresent("moe_top_k") ?? 1
        guard topK <= experts else { throw c.invalid("ffn_config.moe_top_k", "\(topK) experts per token but only \(experts) experts") }
        // Absent: the config class's 1.0; null: no renormalisation.
        var norm: Float? = 1
        if let ffn, ffn.contains("moe_normalize_expert_weights") {
            norm = try ffn.decodeIfPresent(Float.self, forKey: "moe_normalize_expert_weights")
        }
        guard norm == nil || norm == 1 else {
            throw c.invalid("ffn_config.moe_normalize_expert_weights", "only the 1-norm (1) or none (null) is supported, got \(norm ?? 0)")
        }
        renormalize = norm != nil
        let activation = try ffn?.decodeIfPresent(Activation.self, forKey: "ffn_act_fn")?.name ?? "silu"
        guard activation == "silu" else {
            throw c.invalid("ffn_config.ffn_act_fn.name", "activation '\(activation)' is not supported (supported: silu)")
        }
    }
}
