import IR

/// Family K3, MiniMax-Text-01 and MiniMax-M1 (transformers' MiniMaxForCausalLM): layers of lightning attention
/// (SiLU(q, k, v) per head from one qkv_proj, linear attention with a constant per-head decay exp(−slope), RMSNorm over
/// all heads, sigmoid output gate) or softmax GQA attention with RoPE over the whole head, each followed by a
/// Mixtral-style top-k mixture of experts; each sublayer's residual is its normed input scaled by alpha plus its output
/// scaled by beta (`MiniMaxConfig.Residual`).
public enum MiniMaxRecipe: Recipe {
    public static let family = "K3: linear attention / delta rule / short conv hybrids"
    public static let architectures = ["MiniMaxForCausalLM", "MiniMaxM1ForCausalLM", "MiniMaxText01ForCausalLM"]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let decoder = HybridDecoder(model, checkpoint: checkpoint)
        let c = try model.config(MiniMaxConfig.self)
        let w = decoder.weights
        let (d, hd, heads) = (c.hiddenSize, c.headDim, c.heads)
        let moe = MoEBlock(router: "gate", experts: .perExpert(experts: "experts", gate: "w1", up: "w3", down: "w2"), count: c.experts,
                           ff: c.intermediateSize, routing: MoERouting(topK: c.expertsPerToken, renormalize: true))

        var b = GraphBuilder()
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        var kvSlots = 0
        func residual(_ input: ValueID, _ output: ValueID, _ factors: MiniMaxConfig.Residual, name: String) -> ValueID {
            func scaled(_ value: ValueID, _ factor: Float, _ label: String) -> ValueID {
                factor == 1 ? value : b.scale(value, by: factor, name: name + label)
            }
            let (kept, added) = (scaled(input, factors.alpha, "_alpha"), scaled(output, factors.beta, "_beta"))
            return b.add(kept, added, name: name)
        }
        for l in 0..<c.layers {
            let (p, n) = ("model.layers.\(l).", "layers.\(l).")
            let h = b.rmsNorm(x, weight: try w(p + "input_layernorm.weight", [d]), eps: c.rmsNormEps, name: n + "input_layernorm")
            let mixed: ValueID
            if c.attentionLayers[l] {
                func projection(_ module: String, _ heads: Int) throws -> ValueID {
                    try b.linear(h, module: p + "self_attn." + module, rows: heads * hd, weights: w, name: n + module)
                }
                func rope(_ x: ValueID, _ heads: Int, _ label: String) -> ValueID {
                    b.rope(x, c.rope.spec(heads: heads, headDim: hd, rotaryDim: hd, style: .neox), name: n + label)
                }
                let spec = AttentionSpec(cacheSlot: kvSlots, qHeads: heads, kvHeads: c.kvHeads, headDim: hd, scale: 1 / Float(hd).squareRoot(),
                                         window: c.window, causal: decoder.head.causal)
                kvSlots += 1
                let (q, k) = (rope(try projection("q_proj", heads), heads, "q_rope"), rope(try projection("k_proj", c.kvHeads), c.kvHeads, "k_rope"))
                let attn = b.attention(q: q, k: k, v: try projection("v_proj", c.kvHeads), spec, name: n + "attention")
                mixed = try b.linear(attn, module: p + "self_attn.o_proj", rows: d, weights: w, name: n + "o_proj")
                x = residual(h, mixed, c.fullAttention, name: n + "attn_residual")
            } else {
                mixed = try b.lightningAttention(h, heads: heads, headDim: hd, logDecays: c.logDecays(layer: l), stateSlot: l,
                                                 module: p + "self_attn.", name: n + "self_attn.", weights: w)
                x = residual(h, mixed, c.linearAttention, name: n + "attn_residual")
            }
            let h2 = b.rmsNorm(x, weight: try w(p + "post_attention_layernorm.weight", [d]), eps: c.rmsNormEps,
                               name: n + "post_attention_layernorm")
            let fed = try moe.build(&b, h2, prefix: p + "block_sparse_moe.", name: n + "block_sparse_moe.", w: w)
            x = residual(h2, fed, c.mlp, name: n + "mlp_residual")
        }
        return try decoder.finish(&b, residual: x, dimensions: c.dimensions, kvSlots: kvSlots, embedding: embed,
                                  normTensor: "model.norm.weight", normName: "norm", eps: c.rmsNormEps)
    }
}

extension GraphBuilder {
    /// MiniMax's lightning attention (transformers' MiniMaxLightningAttention) of the checkpoint module `p`, nodes named
    /// under `n`, on the normed rows h: qkv_proj rows hold each head's q, k and v (regrouped at compile time), SiLU;
    /// o ← linear attention with decay exp(logDecay_h) per head and the plain k vᵀ update (state in recurrent state
    /// slot `stateSlot`); out_proj(RMSNorm(o) over all heads (eps 1e-6, the module's default) ⊙ sigmoid(output_gate(h))).
    mutating func lightningAttention(_ h: ValueID, heads: Int, headDim hd: Int, logDecays: [Float], stateSlot: Int, module p: String,
                                     name n: String, weights w: WeightBinder) throws -> ValueID {
        let (d, width) = (type(of: h).cols, heads * hd)
        let fused = try w(p + "qkv_proj.weight", [3 * width, d])
        let regrouped = WeightTransform.concatRows((0..<3).flatMap { part in
            (0..<heads).map { WeightTransform.sliceRows(fused.transform, start: (3 * $0 + part) * hd, count: hd) }
        })
        let qkv = unary(linear(h, weight: WeightRef(shape: fused.shape, transform: regrouped), name: n + "qkv_proj"), .silu, name: n + "qkv_act")
        let (q, k, v) = (slice(qkv, start: 0, count: width, name: n + "q"), slice(qkv, start: width, count: width, name: n + "k"),
                         slice(qkv, start: 2 * width, count: width, name: n + "v"))
        let spec = LinearAttentionSpec(stateSlot: stateSlot, keyHeads: heads, valueHeads: heads, keyDim: hd, valueDim: hd,
                                       decay: .constant(logDecay: logDecays), deltaRule: false)
        let attended = linearAttention(q: q, k: k, v: v, spec, name: n + "lightning")
        let normed = rmsNorm(attended, weight: try w(p + "norm.weight", [width]), eps: 1e-6, name: n + "norm")
        let gateLogits = try linear(h, module: p + "output_gate", rows: width, weights: w, name: n + "output_gate")
        let gated = mul(normed, unary(gateLogits, .sigmoid, name: n + "output_gate_sigmoid"), name: n + "gated")
        return try linear(gated, module: p + "out_proj", rows: d, weights: w, name: n + "out_proj")
    }
}
