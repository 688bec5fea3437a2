import IR

/// Family F, GPT-2-like decoders with learned absolute positions: GPT-2 (Conv1D weights stored `[in, out]`, fused
/// c_attn), GPTBigCode (multi-query fused c_attn), OPT (position offset 2, pre- or post-LN, project_in/out);
/// GPT-2's sequence classifier ends its body in a `DecoderHead`.
public enum LearnedPositionRecipe: DispatchingRecipe {
    public static let family = "F: GPT-2-like"
    public static let builders: [(architecture: String, build: Builder)] = [
        ("GPT2LMHeadModel", gpt2), ("GPTBigCodeForCausalLM", gpt2), ("OPTForCausalLM", opt),
    ] + DecoderHead.poolingArchitectures(over: ["GPT2LMHeadModel", "GPTBigCodeForCausalLM"]).map { ($0, gpt2) }

    /// GPT-2 and GPTBigCode: x = wte + wpe; pre-LN blocks; tied head.
    private static func gpt2(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let head = DecoderHead(model)
        let c = try model.config(GPTConfig.self)
        let isGPT2 = c.modelType == "gpt2"
        var blocks = LayerNormBlocks(checkpoint: checkpoint, conv1D: isGPT2)
        let t = blocks.prefix(["transformer.", ""], holding: "wte.weight")
        let (tokens, embed) = try blocks.embedding(t + "wte", vocab: c.vocabSize, dim: c.hiddenSize)
        var x = blocks.b.positionEmbedding(tokens, table: try blocks.w(t + "wpe.weight", [c.maxPosition, c.hiddenSize]), name: t + "wpe")
        for l in 0..<c.layers {
            let p = t + "h.\(l)."
            var scale: Float = c.scaleAttentionWeights ? 1 / Float(c.headDim).squareRoot() : 1
            if c.scaleByInverseLayer { scale /= Float(l + 1) }
            // GPT-2's c_attn is [q | k | v]; GPTBigCode's is [q | k | v] with one kv head, per head [q, k, v] without.
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                           qkv: .fused(p + "attn.c_attn", isGPT2 ? .stacked : .grouped), qkvBias: true,
                                           output: p + "attn.c_proj", outputBias: true, rotary: nil, scale: scale)
            let mlp = MLPBlock(up: p + "mlp.c_fc", down: p + "mlp.c_proj", width: c.intermediateSize, activation: c.activation, bias: true)
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: .sequential,
                                                 attentionNorm: NormRef(module: p + "ln_1", eps: c.layerNormEps),
                                                 mlpNorm: NormRef(module: p + "ln_2", eps: c.layerNormEps),
                                                 attention: attention, mlp: mlp))
        }
        let info = blocks.modelInfo(architecture: model.architecture, vocabSize: c.vocabSize, dimensions: c.dimensions)
        let (w, d) = (blocks.w, c.hiddenSize)
        let lnF = (weight: try w(t + "ln_f.weight", [d]), bias: try w(t + "ln_f.bias", [d]))
        return try head.finish(&blocks.b, residual: x, model: model, checkpoint: checkpoint, info: info,
                               finalNorm: { b, rows in b.layerNorm(rows, weight: lnF.weight, bias: lnF.bias, eps: c.layerNormEps, name: t + "ln_f") },
                               lmHead: { b, normed in
                                   let tied = c.tiedEmbeddings && !checkpoint.contains("lm_head.weight")
                                   return b.linear(normed, weight: tied ? embed : try w("lm_head.weight", embed.shape), name: "lm_head")
                               })
    }

    /// OPT: x = project_in(embed) + positions[p + 2]; pre-LN (or post-LN) blocks; final norm; project_out; tied head.
    private static func opt(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(OPTConfig.self)
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        let m = blocks.prefix(["model.decoder.", "decoder."], holding: "embed_tokens.weight")
        // OPT's LayerNorms take nn.LayerNorm's default eps.
        func norm(_ module: String) -> NormRef { NormRef(module: module, eps: 1e-5, weight: c.layerNormAffine, bias: c.layerNormAffine) }
        let projected = c.embeddingSize != c.hiddenSize
        var (x, embed) = try blocks.embedding(m + "embed_tokens", vocab: c.vocabSize, dim: c.embeddingSize)
        if projected { x = try blocks.linear(x, m + "project_in", out: c.hiddenSize, bias: false) }
        let positions = try blocks.w(m + "embed_positions.weight", [c.maxPosition + 2, c.hiddenSize])
        x = blocks.b.positionEmbedding(x, table: positions, offset: 2, name: m + "embed_positions")
        for l in 0..<c.layers {
            let p = m + "layers.\(l)."
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.heads, headDim: c.headDim,
                                           qkv: .separate(q: p + "self_attn.q_proj", k: p + "self_attn.k_proj", v: p + "self_attn.v_proj"),
                                           qkvBias: c.bias, output: p + "self_attn.out_proj", outputBias: c.bias, rotary: nil,
                                           scale: 1 / Float(c.headDim).squareRoot())
            let mlp = MLPBlock(up: p + "fc1", down: p + "fc2", width: c.intermediateSize, activation: c.activation, bias: c.bias)
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: c.layerNormBefore ? .sequential : .postNorm,
                                                 attentionNorm: norm(p + "self_attn_layer_norm"), mlpNorm: norm(p + "final_layer_norm"),
                                                 attention: attention, mlp: mlp))
        }
        var last = blocks.b.lastRow(x, name: "last_hidden")
        if c.finalLayerNorm { last = try blocks.layerNorm(last, norm(m + "final_layer_norm")) }
        if projected { last = try blocks.linear(last, m + "project_out", out: c.embeddingSize, bias: false) }
        let logits = try blocks.lmHead(last, embedding: embed, tied: c.tiedEmbeddings)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }
}
