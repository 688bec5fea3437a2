import IR

/// Family K2, Jamba (transformers' JambaForCausalLM and its sequence classifier): a pre-norm decoder whose layers
/// mix tokens either with attention (GQA, no positional encoding: the Mamba layers carry order) or with a Mamba-1
/// mixer whose dt, B and C are RMS-normed with weights, and whose feed-forward is a dense SwiGLU MLP or a mixture of
/// SwiGLU experts (softmax router, top-k, weights not renormalised). Which layer is which comes from the config's
/// periods and offsets (`JambaConfig`).
public enum JambaRecipe: Recipe {
    public static let family = "K2: Mamba + attention hybrids"
    public static let architectures = ["JambaForCausalLM"] + DecoderHead.poolingArchitectures(over: ["JambaForCausalLM"])

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let decoder = HybridDecoder(model, checkpoint: checkpoint)
        let c = try model.config(JambaConfig.self)
        let w = decoder.weights
        let (d, hd, ff) = (c.hiddenSize, c.headDim, c.intermediateSize)
        let innerNorms = MambaInnerNorms(eps: c.rmsNormEps, weighted: true)
        let moe = MoEBlock(router: "router", experts: .perExpert(experts: "experts", gate: "gate_proj", up: "up_proj", down: "down_proj"),
                           count: c.experts, ff: ff, routing: MoERouting(topK: c.expertsPerToken, renormalize: false))

        let attention = HybridAttention(heads: c.heads, kvHeads: c.kvHeads, headDim: hd, rope: nil, scale: 1 / Float(hd).squareRoot())

        var b = GraphBuilder()
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        var kvSlots = 0
        for l in 0..<c.layers {
            let (p, n) = ("model.layers.\(l).", "layers.\(l).")
            let h = b.rmsNorm(x, weight: try w(p + "input_layernorm.weight", [d]), eps: c.rmsNormEps, name: n + "input_layernorm")
            let mixed: ValueID
            if c.attentionLayers[l] {
                mixed = try attention.build(&b, h, cacheSlot: kvSlots, causal: decoder.head.causal, module: p + "self_attn.", name: n, w: w)
                kvSlots += 1
            } else {
                mixed = try b.mambaMixer(h, c.mixer, innerNorms: innerNorms, stateSlot: l, module: p + "mamba.", name: n + "mamba.", weights: w)
            }
            x = b.add(x, mixed, name: n + "mixer_residual")

            let h2 = b.rmsNorm(x, weight: try w(p + "pre_ff_layernorm.weight", [d]), eps: c.rmsNormEps, name: n + "pre_ff_layernorm")
            let fed = c.expertLayers[l]
                ? try moe.build(&b, h2, prefix: p + "feed_forward.", name: n + "feed_forward.", w: w)
                : try decoder.swiGLU(&b, h2, module: p + "feed_forward.", names: ("gate_proj", "up_proj", "down_proj"), ff: ff, name: n)
            x = b.add(x, fed, name: n + "ff_residual")
        }

        return try decoder.finish(&b, residual: x, dimensions: c.dimensions, kvSlots: kvSlots, embedding: embed,
                                  normTensor: "model.final_layernorm.weight", normName: "final_layernorm", eps: c.rmsNormEps)
    }
}
