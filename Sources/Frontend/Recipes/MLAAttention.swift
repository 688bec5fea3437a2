import IR

/// DeepSeek's multi-head latent attention (DeepSeek-V2/V3, MiniCPM3) as one layer's attention block of the Llama
/// forward pass (`LlamaSpec.attention`).
///
/// q = q_b_proj(RMSNorm(q_a_proj(h))) (or q_proj(h)), per head `nope` then `rope` dims; kv_a_proj_with_mqa(h) gives a
/// latent (RMS-normalised, then expanded by kv_b_proj into each head's k_nope and v) and one rotary key shared by
/// every head. Rotary acts on the rope dims only. Scores are q_nope·k_nope + q_rope·k_rope, so each query head and
/// each key head is laid out `rope` dims first (q's weight rows are permuted once, keys are assembled that way):
/// one attention op with heads of nope + rope dims, values of v_head_dim, caches the expanded keys and values.
struct MLAAttention {
    let mla: MLAConfig
    let heads: Int
    let hidden: Int
    /// Bias on q_a_proj, kv_a_proj_with_mqa and o_proj (`attention_bias`).
    let bias: Bool
    /// Rotary embedding of `heads` heads laid out rope dims first (`rotaryDim` = the rope dims).
    let rope: (_ heads: Int, _ headDim: Int) -> RopeSpec
    /// Softmax scale: `MLAConfig.softmaxFactor` / sqrt(nope + rope).
    var scale: Float { mla.softmaxFactor / Float(mla.qkDim).squareRoot() }
    /// Elements of one position's cached keys.
    var kvWidth: Int { heads * mla.qkDim }

    /// The attention output of layer `layer` (after o_proj) for its normalised input `h`.
    func build(_ b: inout GraphBuilder, _ h: ValueID, layer: Int, prefix p: String, name: String, w: WeightBinder) throws -> ValueID {
        let (qk, nope, ropeDim, latent) = (mla.qkDim, mla.nopeDim, mla.ropeDim, mla.kvLoraRank)
        // LoRA norms use the RMSNorm class default eps (1e-6), not rms_norm_eps.
        let loraEps: Float = 1e-6

        // Queries, each head's rows permuted to rope dims first.
        let qInput: ValueID, qModule: String
        if let rank = mla.qLoraRank {
            let a = try b.linear(h, module: p + "self_attn.q_a_proj", rows: rank, bias: bias, weights: w, name: name + "q_a_proj")
            qInput = b.rmsNorm(a, weight: try w(p + "self_attn.q_a_layernorm.weight", [rank]), eps: loraEps, name: name + "q_a_layernorm")
            qModule = "self_attn.q_b_proj"
        } else {
            (qInput, qModule) = (h, "self_attn.q_proj")
        }
        let qWeight = try w(p + qModule + ".weight", [heads * qk, b.type(of: qInput).cols])
        let ropeFirst = WeightTransform.concatRows((0..<heads).flatMap { head in
            [WeightTransform.sliceRows(qWeight.transform, start: head * qk + nope, count: ropeDim),
             .sliceRows(qWeight.transform, start: head * qk, count: nope)]
        })
        let q = b.linear(qInput, weight: WeightRef(shape: qWeight.shape, transform: ropeFirst), name: name + qModule)
        let qRope = b.rope(q, rope(heads, qk), name: name + "q_rope")

        // The latent and the shared rotary key.
        let compressed = try b.linear(h, module: p + "self_attn.kv_a_proj_with_mqa", rows: latent + ropeDim, bias: bias, weights: w,
                                      name: name + "kv_a_proj_with_mqa")
        let normed = b.rmsNorm(b.slice(compressed, start: 0, count: latent, name: name + "kv_latent"),
                               weight: try w(p + "self_attn.kv_a_layernorm.weight", [latent]), eps: loraEps, name: name + "kv_a_layernorm")
        let kRope = b.rope(b.slice(compressed, start: latent, count: ropeDim, name: name + "k_pe"), rope(1, ropeDim),
                           name: name + "k_rope")

        // kv_b_proj's rows go per head: nope key dims, then value dims; split into a key and a value projection.
        let expand = try w(p + "self_attn.kv_b_proj.weight", [heads * (nope + mla.valueDim), latent])
        func rows(start: Int, count: Int) -> WeightRef {
            WeightRef(shape: [heads * count, latent], transform: .concatRows((0..<heads).map {
                .sliceRows(expand.transform, start: $0 * (nope + mla.valueDim) + start, count: count)
            }))
        }
        let kNope = b.linear(normed, weight: rows(start: 0, count: nope), name: name + "k_nope")
        let v = b.linear(normed, weight: rows(start: nope, count: mla.valueDim), name: name + "v")
        let k = b.concat((0..<heads).flatMap { [kRope, b.slice(kNope, start: $0 * nope, count: nope, name: name + "k_nope.\($0)")] },
                         name: name + "k")

        let spec = AttentionSpec(cacheSlot: layer, qHeads: heads, kvHeads: heads, headDim: qk, scale: scale, window: nil,
                                 valueHeadDim: mla.valueDim)
        let attn = b.attention(q: qRope, k: k, v: v, spec, name: name + "attention")
        return try b.linear(attn, module: p + "self_attn.o_proj", rows: hidden, bias: bias, weights: w, name: name + "o_proj")
    }
}
