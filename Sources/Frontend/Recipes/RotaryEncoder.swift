import IR

/// The post-LN rotary encoders with a gated MLP (modeling_gte.py, modeling_nomic_bert.py): word (+ token type)
/// embeddings and their LayerNorm, no position table; each layer x = LN(x + attn(x)), x = LN(x + mlp(x)) with a fused
/// q/k/v projection, neox RoPE over whole heads at every token's position in its sequence, bidirectional attention and
/// down(act(gate(x)) · up(x)). GTE (and the remote "new" model it ports): `qkv_proj` with bias, `up_gate_proj` =
/// [up; gate] without bias, `down_proj` with bias, GELU. NomicBERT: `Wqkv`, `fc11` (up), `fc12` (gate), `fc2`, no
/// biases, SiLU.
enum RotaryEncoder {
    static func body(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> EncoderBody {
        let c = try model.config(RotaryEncoderConfig.self)
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        let nomic = c.layout == .nomic
        // The remote "new" model's task checkpoints (NewForSequenceClassification) hold it under `new.`.
        let prefix = nomic ? "" : blocks.prefix(["new.", ""], holding: "embeddings.word_embeddings.weight")
        let p = prefix + "embeddings."
        let (tokens, table) = try blocks.wordAndTypeEmbeddings(p + "word_embeddings", vocab: c.vocabSize, dim: c.hiddenSize,
                                                          typeModule: p + "token_type_embeddings", typeRows: c.typeVocabSize)
        var x = try blocks.layerNorm(tokens, NormRef(module: prefix + (nomic ? "emb_ln" : "embeddings.LayerNorm"), eps: c.layerNormEps))
        let rotary = Rotary(rotaryDim: c.headDim, style: .neox, rope: c.rope)
        for l in 0..<c.layers {
            let m = prefix + (nomic ? "encoder.layers.\(l)." : "encoder.layer.\(l).")
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.heads, headDim: c.headDim,
                                           qkv: .fused(m + (nomic ? "attn.Wqkv" : "attention.qkv_proj"), .stacked),
                                           qkvBias: !nomic, output: m + (nomic ? "attn.out_proj" : "attention.o_proj"),
                                           outputBias: !nomic, rotary: rotary, scale: 1 / Float(c.headDim).squareRoot(),
                                           causal: false)
            let mlp = nomic
                ? MLPBlock(up: m + "mlp.fc11", down: m + "mlp.fc2", gate: m + "mlp.fc12", width: c.intermediateSize,
                           activation: c.activation, bias: false)
                : MLPBlock(up: m + "mlp.up_gate_proj", down: m + "mlp.down_proj", width: c.intermediateSize,
                           activation: c.activation, bias: false, fusedHalves: .upFirst, downBias: true)
            let norm = { (name: String) in NormRef(module: m + name, eps: c.layerNormEps) }
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: .postNorm,
                                                 attentionNorm: norm(nomic ? "norm1" : "attn_ln"),
                                                 mlpNorm: norm(nomic ? "norm2" : "mlp_ln"), attention: attention, mlp: mlp))
        }
        return EncoderBody(model: model, blocks: blocks, prefix: prefix, hidden: x, wordEmbeddings: table, vocabSize: c.vocabSize,
                           hiddenSize: c.hiddenSize, layers: c.layers, maxTokens: c.maxPosition,
                           tokenTypes: c.typeVocabSize > 1, configLabels: c.labels)
    }
}
