import IR

/// DeepSeek's multi-head latent attention (DeepSeek-V2/V3, MiniCPM3) as one layer's attention block of the Llama
/// forward pass (`LlamaSpec.attention`), with the latent KV cache and weight absorption.
///
/// q = q_b_proj(RMSNorm(q_a_proj(h))) (or q_proj(h)), per head `nope` then `rope` dims; kv_a_proj_with_mqa(h) gives a
/// latent c (RMS-normalised) and one rotary key shared by every head. transformers expands c by kv_b_proj into each
/// head's k_nope = W_UK·c and v = W_UV·c; here the expansion is absorbed instead: q_nope·k_nope = (W_UKᵀ·q_nope)·c,
/// and Σ_j p_j·v_j = W_UV·(Σ_j p_j·c_j). So one key head [k_rope | c] and one value head c per position are cached
/// (rope + 2·kv_lora_rank elements, against heads × (nope + rope + v_head_dim) expanded), every query head attends
/// over them as [q_rope | W_UKᵀ·q_nope] (multi-query attention), and each head's output goes through its W_UV
/// before o_proj. W_UK and W_UV are row blocks of kv_b_proj, applied per head.
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
    var kvWidth: Int { mla.ropeDim + mla.kvLoraRank }

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
        let qProjected = b.linear(qInput, weight: WeightRef(shape: qWeight.shape, transform: ropeFirst), name: name + qModule)
        let qRope = b.rope(qProjected, rope(heads, qk), name: name + "q_rope")

        // The latent and the shared rotary key.
        let compressed = try b.linear(h, module: p + "self_attn.kv_a_proj_with_mqa", rows: latent + ropeDim, bias: bias, weights: w,
                                      name: name + "kv_a_proj_with_mqa")
        let normed = b.rmsNorm(b.slice(compressed, start: 0, count: latent, name: name + "kv_latent"),
                               weight: try w(p + "self_attn.kv_a_layernorm.weight", [latent]), eps: loraEps, name: name + "kv_a_layernorm")
        let kRope = b.rope(b.slice(compressed, start: latent, count: ropeDim, name: name + "k_pe"), rope(1, ropeDim),
                           name: name + "k_rope")

        // kv_b_proj's rows go per head: W_UK (nope rows), then W_UV (v_head_dim rows), each `latent` wide.
        let expand = try w(p + "self_attn.kv_b_proj.weight", [heads * (nope + mla.valueDim), latent])
        func block(_ head: Int, start: Int, count: Int) -> WeightTransform {
            .sliceRows(expand.transform, start: head * (nope + mla.valueDim) + start, count: count)
        }
        let queries = (0..<heads).flatMap { head -> [ValueID] in
            let qNope = b.slice(qRope, start: head * qk + ropeDim, count: nope, name: name + "q_nope.\(head)")
            let absorbed = WeightRef(shape: [latent, nope], transform: .transposed(block(head, start: 0, count: nope), rows: nope, cols: latent))
            return [b.slice(qRope, start: head * qk, count: ropeDim, name: name + "q_pe.\(head)"),
                    b.linear(qNope, weight: absorbed, name: name + "q_latent.\(head)")]
        }
        let q = b.concat(queries, name: name + "q_absorbed")
        let k = b.concat([kRope, normed], name: name + "k")

        let spec = AttentionSpec(cacheSlot: layer, qHeads: heads, kvHeads: 1, headDim: ropeDim + latent, scale: scale, window: nil,
                                 valueHeadDim: latent)
        let attn = b.attention(q: q, k: k, v: normed, spec, name: name + "attention")
        let values = (0..<heads).map { head in
            b.linear(b.slice(attn, start: head * latent, count: latent, name: name + "attention.\(head)"),
                     weight: WeightRef(shape: [mla.valueDim, latent], transform: block(head, start: nope, count: mla.valueDim)),
                     name: name + "v.\(head)")
        }
        let merged = b.concat(values, name: name + "v")
        return try b.linear(merged, module: p + "self_attn.o_proj", rows: hidden, bias: bias, weights: w, name: name + "o_proj")
    }
}
