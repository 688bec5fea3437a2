import IR

/// DBRX's forward pass (`MoERecipe` dispatches here): LayerNorms without bias, one fused Wqkv whose q, k and v are
/// clamped to ±clip_qkv, GQA with rotary on the whole head, and on every layer a softmax top-k mixture of SwiGLU
/// experts stored as row stacks (w1 gate, v1 up, w2 down transposed), renormalised by the 1-norm.
enum DbrxForward {
    static func build(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(DbrxConfig.self)
        let norm = { (module: String) in NormRef(module: module, eps: 1e-5, bias: false) }
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        var (x, embed) = try blocks.embedding("transformer.wte", vocab: c.vocabSize, dim: c.hiddenSize)
        let experts = MoEBlock(router: "ffn.router.layer",
                               experts: .rowStacks(gate: "ffn.experts.mlp.w1", up: "ffn.experts.mlp.v1", downTransposed: "ffn.experts.mlp.w2"),
                               count: c.experts, ff: c.intermediateSize, routing: MoERouting(topK: c.topK, renormalize: c.renormalize))
        for l in 0..<c.layers {
            let p = "transformer.blocks.\(l).", n = "layers.\(l)"
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                           qkv: .fused(p + "norm_attn_norm.attn.Wqkv", .stacked), qkvBias: false,
                                           output: p + "norm_attn_norm.attn.out_proj", outputBias: false,
                                           rotary: Rotary(rotaryDim: c.headDim, style: .neox, rope: c.rope),
                                           scale: 1 / Float(c.headDim).squareRoot(), clip: c.clipQKV)
            let h = try blocks.layerNorm(x, norm(p + "norm_attn_norm.norm_1"))
            x = blocks.b.add(x, try blocks.attention(h, attention), name: n + ".attn_residual")
            let h2 = try blocks.layerNorm(x, norm(p + "norm_attn_norm.norm_2"))
            x = blocks.b.add(x, try experts.build(&blocks.b, h2, prefix: p, name: n + ".", w: blocks.w), name: n + ".mlp_residual")
        }
        let logits = try blocks.lastLogits(x, finalNorm: norm("transformer.norm_f"), embedding: embed, tied: c.tiedEmbeddings)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }
}
