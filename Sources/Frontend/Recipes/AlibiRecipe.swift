import IR

/// Family G, ALiBi decoders: BLOOM (LayerNorm on the embeddings, fused per-head q/k/v with biases, GELU-tanh) and MPT
/// (LayerNorms without bias, no linear biases, exact GELU, clip_qkv).
public enum AlibiRecipe: DispatchingRecipe {
    public static let family = "G: ALiBi"
    public static let builders: [(architecture: String, build: Builder)] = [
        ("BloomForCausalLM", bloom), ("MPTForCausalLM", mpt), ("MptForCausalLM", mpt),
    ]

    private static func bloom(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(BloomConfig.self)
        func norm(_ module: String) -> NormRef { NormRef(module: module, eps: c.layerNormEps) }
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        let t = blocks.prefix(["transformer.", ""], holding: "word_embeddings.weight")
        let (tokens, embed) = try blocks.embedding(t + "word_embeddings", vocab: c.vocabSize, dim: c.hiddenSize)
        var x = try blocks.layerNorm(tokens, norm(t + "word_embeddings_layernorm"))
        let slopes = AlibiSlopes.bloom(heads: c.heads)
        for l in 0..<c.layers {
            let p = t + "h.\(l)."
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.heads, headDim: c.headDim,
                                           qkv: .fused(p + "self_attention.query_key_value", .grouped), qkvBias: true,
                                           output: p + "self_attention.dense", outputBias: true, rotary: nil,
                                           scale: 1 / Float(c.headDim).squareRoot(), alibiSlopes: slopes)
            // bloom_gelu_forward is the tanh approximation.
            let mlp = MLPBlock(up: p + "mlp.dense_h_to_4h", down: p + "mlp.dense_4h_to_h", width: 4 * c.hiddenSize,
                               activation: .geluTanh, bias: true)
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: c.residualFromNorm ? .residualFromNorm : .sequential,
                                                 attentionNorm: norm(p + "input_layernorm"), mlpNorm: norm(p + "post_attention_layernorm"),
                                                 attention: attention, mlp: mlp))
        }
        let logits = try blocks.lastLogits(x, finalNorm: norm(t + "ln_f"), embedding: embed, tied: c.tiedEmbeddings)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }

    private static func mpt(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(MPTConfig.self)
        func norm(_ module: String) -> NormRef { NormRef(module: module, eps: c.layerNormEps, bias: false) }
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        var (x, embed) = try blocks.embedding("transformer.wte", vocab: c.vocabSize, dim: c.hiddenSize)
        let slopes = AlibiSlopes.mpt(heads: c.heads, maxBias: 8)
        for l in 0..<c.layers {
            let p = "transformer.blocks.\(l)."
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.heads, headDim: c.headDim,
                                           qkv: .fused(p + "attn.Wqkv", .stacked), qkvBias: false, output: p + "attn.out_proj",
                                           outputBias: false, rotary: nil, scale: c.softmaxScale, clip: c.clipQKV,
                                           alibiSlopes: slopes)
            let mlp = MLPBlock(up: p + "ffn.up_proj", down: p + "ffn.down_proj", width: 4 * c.hiddenSize, activation: .gelu, bias: false)
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: .sequential, attentionNorm: norm(p + "norm_1"),
                                                 mlpNorm: norm(p + "norm_2"), attention: attention, mlp: mlp))
        }
        let logits = try blocks.lastLogits(x, finalNorm: norm("transformer.norm_f"), embedding: embed, tied: c.tiedEmbeddings)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }
}
