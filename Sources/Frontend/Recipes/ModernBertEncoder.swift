import IR

/// The ModernBERT body (modeling_modernbert.py): word embeddings and their LayerNorm, then pre-LN layers
/// x += attn(attn_norm(x)) (layer 0 has no attn_norm), x += mlp(mlp_norm(x)), and a final LayerNorm. Attention has a
/// fused `Wqkv`, neox RoPE with the layer type's base, and is bidirectional: global layers see the whole sequence,
/// local ones the keys at most local_attention / 2 away. The MLP is GeGLU with `Wi` = [input; gate]:
/// Wo(act(input) · gate). LayerNorms have no bias unless `norm_bias`.
enum ModernBertEncoder {
    static func body(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> EncoderBody {
        let c = try model.config(ModernBertConfig.self)
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        let prefix = blocks.prefix(["model.", ""], holding: "embeddings.tok_embeddings.weight")
        let norm = { (module: String) in NormRef(module: prefix + module, eps: c.normEps, bias: c.normBias) }
        let (tokens, table) = try blocks.embedding(prefix + "embeddings.tok_embeddings", vocab: c.vocabSize, dim: c.hiddenSize)
        var x = try blocks.layerNorm(tokens, norm("embeddings.norm"))
        for (l, type) in c.layerTypes.enumerated() {
            let m = "layers.\(l)."
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.heads, headDim: c.headDim,
                                           qkv: .fused(prefix + m + "attn.Wqkv", .stacked), qkvBias: c.attentionBias,
                                           output: prefix + m + "attn.Wo", outputBias: c.attentionBias,
                                           rotary: Rotary(rotaryDim: c.headDim, style: .neox, rope: c.rope[type]),
                                           scale: 1 / Float(c.headDim).squareRoot(), window: type == .sliding ? c.window : nil,
                                           causal: false)
            let mlp = MLPBlock(up: prefix + m + "mlp.Wi", down: prefix + m + "mlp.Wo", width: c.intermediateSize,
                               activation: c.activation, bias: c.mlpBias, fusedHalves: .gateFirst)
            let h = l == 0 ? x : try blocks.layerNorm(x, norm(m + "attn_norm"))
            x = blocks.b.add(x, try blocks.attention(h, attention), name: m + "attn_residual")
            x = blocks.b.add(x, try blocks.mlp(try blocks.layerNorm(x, norm(m + "mlp_norm")), mlp), name: m + "mlp_residual")
        }
        x = try blocks.layerNorm(x, norm("final_norm"))
        return EncoderBody(model: model, blocks: blocks, prefix: prefix, hidden: x, wordEmbeddings: table, vocabSize: c.vocabSize,
                           hiddenSize: c.hiddenSize, layers: c.layers, maxTokens: c.maxPosition, tokenTypes: false,
                           configLabels: c.labels)
    }

    /// The prediction head of the task models: norm(act(dense(h))) (`head.dense`, `head.norm`).
    static func predictionHead(_ body: inout EncoderBody, _ h: ValueID) throws -> ValueID {
        let c = try body.model.config(ModernBertConfig.self)
        let dense = try body.blocks.linear(h, "head.dense", out: c.hiddenSize, bias: c.classifierBias)
        let activated = body.blocks.b.unary(dense, c.classifierActivation, name: "head.act")
        return try body.blocks.layerNorm(activated, NormRef(module: "head.norm", eps: c.normEps, bias: c.normBias))
    }
}
