import IR

/// The BERT / RoBERTa / XLM-R body (modeling_bert.py, modeling_roberta.py): word + learned position (RoBERTa: from
/// padding_idx + 1) + token type embeddings, embedding LayerNorm, post-LN blocks with bidirectional attention and a
/// GELU MLP.
enum BertEncoder {
    static func body(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> EncoderBody {
        let c = try model.config(EncoderConfig.self)
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        let prefix = blocks.prefix([c.modelType == "bert" ? "bert." : "roberta.", ""], holding: "embeddings.word_embeddings.weight")
        let p = prefix + "embeddings."
        let (tokens, table) = try blocks.wordAndTypeEmbeddings(p + "word_embeddings", vocab: c.vocabSize, dim: c.hiddenSize,
                                                          typeModule: p + "token_type_embeddings", typeRows: c.typeVocabSize)
        var x = blocks.b.positionEmbedding(tokens, table: try blocks.w(p + "position_embeddings.weight", [c.maxPosition, c.hiddenSize]),
                                       offset: c.positionOffset, name: p + "position_embeddings")
        x = try blocks.layerNorm(x, NormRef(module: p + "LayerNorm", eps: c.layerNormEps))
        for l in 0..<c.layers {
            let m = prefix + "encoder.layer.\(l)."
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.heads, headDim: c.headDim,
                                           qkv: .separate(q: m + "attention.self.query", k: m + "attention.self.key",
                                                          v: m + "attention.self.value"),
                                           qkvBias: true, output: m + "attention.output.dense", outputBias: true, rotary: nil,
                                           scale: 1 / Float(c.headDim).squareRoot(), causal: false)
            let mlp = MLPBlock(up: m + "intermediate.dense", down: m + "output.dense", width: c.intermediateSize,
                               activation: c.activation, bias: true)
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: .postNorm,
                                                 attentionNorm: NormRef(module: m + "attention.output.LayerNorm", eps: c.layerNormEps),
                                                 mlpNorm: NormRef(module: m + "output.LayerNorm", eps: c.layerNormEps),
                                                 attention: attention, mlp: mlp))
        }
        return EncoderBody(model: model, blocks: blocks, prefix: prefix, hidden: x, wordEmbeddings: table, vocabSize: c.vocabSize,
                           hiddenSize: c.hiddenSize, layers: c.layers, maxTokens: c.maxPosition - c.positionOffset,
                           tokenTypes: c.typeVocabSize > 1, configLabels: c.labels)
    }
}
