import IR

/// Family K3, LFM2 and LFM2-MoE (transformers' Lfm2ForCausalLM, Lfm2MoeForCausalLM): a pre-norm decoder (RMSNorm
/// `operator_norm` / `ffn_norm`, final `embedding_norm`) whose layers mix tokens either with GQA attention (per-head
/// q/k RMSNorm before RoPE) or with a gated short convolution (`Lfm2ShortConv`), then run a SwiGLU MLP (w1, w3, w2)
/// or, in LFM2-MoE's sparse layers, a mixture of experts scored by sigmoid, chosen with `expert_bias`, renormalised
/// and scaled by `routed_scaling_factor`.
public enum Lfm2Recipe: Recipe {
    public static let family = "K3: linear attention / delta rule / short conv hybrids"
    public static let architectures = ["Lfm2ForCausalLM", "Lfm2MoeForCausalLM"]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let decoder = HybridDecoder(model, checkpoint: checkpoint)
        let c = try model.config(Lfm2Config.self)
        let w = decoder.weights
        let (d, hd) = (c.hiddenSize, c.headDim)

        var b = GraphBuilder()
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        var kvSlots = 0
        for l in 0..<c.layers {
            let (p, n) = ("model.layers.\(l).", "layers.\(l).")
            let h = b.rmsNorm(x, weight: try w(p + "operator_norm.weight", [d]), eps: c.normEps, name: n + "operator_norm")
            let mixed: ValueID
            if c.attentionLayers[l] {
                func projection(_ module: String, _ heads: Int) throws -> ValueID {
                    try b.linear(h, module: p + "self_attn." + module, rows: heads * hd, weights: w, name: n + module)
                }
                func normed(_ x: ValueID, _ module: String, _ heads: Int) throws -> ValueID {
                    let normed = b.rmsNorm(x, weight: try w(p + "self_attn." + module + ".weight", [hd]), eps: c.normEps, groupSize: hd,
                                           name: n + module)
                    return b.rope(normed, c.rope.spec(heads: heads, headDim: hd, rotaryDim: hd, style: .neox), name: n + module + "_rope")
                }
                let spec = AttentionSpec(cacheSlot: kvSlots, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd,
                                         scale: 1 / Float(hd).squareRoot(), window: nil, causal: decoder.head.causal)
                kvSlots += 1
                let attn = b.attention(q: try normed(try projection("q_proj", c.heads), "q_layernorm", c.heads),
                                       k: try normed(try projection("k_proj", c.kvHeads), "k_layernorm", c.kvHeads),
                                       v: try projection("v_proj", c.kvHeads), spec, name: n + "attention")
                mixed = try b.linear(attn, module: p + "self_attn.out_proj", rows: d, weights: w, name: n + "out_proj")
            } else {
                mixed = try b.gatedShortConv(h, kernel: c.convKernel, bias: c.convBias, stateSlot: l, module: p + "conv.", name: n + "conv.",
                                             weights: w)
            }
            x = b.add(x, mixed, name: n + "mixer_residual")

            let h2 = b.rmsNorm(x, weight: try w(p + "ffn_norm.weight", [d]), eps: c.normEps, name: n + "ffn_norm")
            let fed: ValueID
            if let e = c.experts, l >= e.denseLayers {
                let moe = MoEBlock(router: "gate", experts: .perExpert(experts: "experts", gate: "w1", up: "w3", down: "w2"),
                                   count: e.count, ff: e.size,
                                   routing: MoERouting(topK: e.topK, scoring: .sigmoid, renormalize: e.renormalize, scale: e.scale),
                                   selectionBias: e.selectionBias ? ("expert_bias", [e.count]) : nil)
                fed = try moe.build(&b, h2, prefix: p + "feed_forward.", name: n + "feed_forward.", w: w)
            } else {
                fed = try decoder.swiGLU(&b, h2, module: p + "feed_forward.", names: ("w1", "w3", "w2"), ff: c.intermediateSize, name: n)
            }
            x = b.add(x, fed, name: n + "ff_residual")
        }

        return try decoder.finish(&b, residual: x, dimensions: c.dimensions, kvSlots: kvSlots, embedding: embed,
                                  normTensor: "model.embedding_norm.weight", normName: "embedding_norm", eps: c.normEps)
    }
}

extension GraphBuilder {
    /// LFM2's gated short convolution (transformers' Lfm2ShortConv) of the checkpoint module `p`, nodes named under
    /// `n`, on the normed rows h: in_proj → (B, C, x); y ← causal depthwise conv (`kernel` taps, no activation) of
    /// B ⊙ x, its window kept in recurrent state slot `stateSlot`; out_proj(C ⊙ y).
    mutating func gatedShortConv(_ h: ValueID, kernel: Int, bias: Bool, stateSlot: Int, module p: String, name n: String,
                                 weights w: WeightBinder) throws -> ValueID {
        let d = type(of: h).cols
        let projected = try linear(h, module: p + "in_proj", rows: 3 * d, bias: bias, weights: w, name: n + "in_proj")
        let gate = slice(projected, start: 0, count: d, name: n + "B")
        let out = slice(projected, start: d, count: d, name: n + "C")
        let x = slice(projected, start: 2 * d, count: d, name: n + "x")
        let conv = try ConvSpec(module: p + "conv", channels: d, kernel: kernel, bias: bias, activation: nil, stateSlot: stateSlot, weights: w)
        let convolved = causalConv1d(mul(gate, x, name: n + "Bx"), conv, name: n + "conv")
        return try linear(mul(out, convolved, name: n + "Cy"), module: p + "out_proj", rows: d, bias: bias, weights: w, name: n + "out_proj")
    }
}
