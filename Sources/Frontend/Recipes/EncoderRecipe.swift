import IR

/// Family L, BERT-like encoders: BERT, RoBERTa, XLM-RoBERTa (modeling_bert.py / modeling_roberta.py). Word + learned
/// position (RoBERTa: from padding_idx + 1) + token type embeddings, embedding LayerNorm, post-LN blocks with
/// bidirectional attention and a GELU MLP; heads: embedding pooling (`*Model`), pooler tanh(dense(CLS)) + classifier
/// (`BertForSequenceClassification`), RoBERTa's classification head dense → tanh → out_proj on <s>, per-token classifier
/// (`*ForTokenClassification`), masked-LM head + SPLADE max pooling (`BertForMaskedLM`, vLLM's
/// `BertSpladeSparseEmbeddingModel`). Every graph is pooling-only (the `encode` entry point).
public enum EncoderRecipe: DispatchingRecipe {
    public static let family = "L: encoder-only"
    public static let builders: [(architecture: String, build: Builder)] = [
        ("BertModel", embedder), ("RobertaModel", embedder), ("XLMRobertaModel", embedder),
        ("BertForSequenceClassification", bertClassifier), ("RobertaForSequenceClassification", robertaClassifier),
        ("XLMRobertaForSequenceClassification", robertaClassifier),
        ("BertForTokenClassification", tokenClassifier), ("RobertaForTokenClassification", tokenClassifier),
        ("XLMRobertaForTokenClassification", tokenClassifier),
        ("BertForMaskedLM", splade), ("BertSpladeSparseEmbeddingModel", splade),
    ]

    /// `*Model`: the pooled (by default CLS, as vLLM) and L2-normalised last hidden state.
    private static func embedder(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try Encoder(model, checkpoint)
        let hidden = try e.hiddenStates()
        let config = try PoolingConfig.resolve(model, default: PoolingConfig(pooling: .cls, normalize: true))
        let pooled = try e.blocks.b.pooledEmbedding(hidden, config, file: model.path("config.json"))
        return try e.finish(PoolingOutputs(hidden: hidden, pooled: pooled), task: .embed, config, labels: [])
    }

    /// BERT cross-encoders and classifiers: classifier(tanh(pooler.dense(CLS))).
    private static func bertClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try Encoder(model, checkpoint)
        let hidden = try e.hiddenStates()
        let cls = e.blocks.b.pool(hidden, .first, name: "cls")
        let dense = try e.blocks.linear(cls, e.prefix + "pooler.dense", out: e.c.hiddenSize, bias: true)
        let pooler = e.blocks.b.unary(dense, .softcap(1), name: e.prefix + "pooler.tanh")  // cap 1: tanh
        let labels = try e.labels(of: "classifier")
        let logits = try e.blocks.linear(pooler, "classifier", out: labels.count, bias: true)
        return try e.finish(PoolingOutputs(hidden: hidden, sequenceLogits: logits), task: .sequenceHead(labels: labels.count),
                        PoolingConfig(pooling: .cls, normalize: false), labels: labels)
    }

    /// RoBERTa / XLM-R classification head: out_proj(tanh(dense(<s>))).
    private static func robertaClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try Encoder(model, checkpoint)
        let hidden = try e.hiddenStates()
        let first = e.blocks.b.pool(hidden, .first, name: "cls")
        let projected = try e.blocks.linear(first, "classifier.dense", out: e.c.hiddenSize, bias: true)
        let dense = e.blocks.b.unary(projected, .softcap(1), name: "classifier.tanh")
        let labels = try e.labels(of: "classifier.out_proj")
        let logits = try e.blocks.linear(dense, "classifier.out_proj", out: labels.count, bias: true)
        return try e.finish(PoolingOutputs(hidden: hidden, sequenceLogits: logits), task: .sequenceHead(labels: labels.count),
                        PoolingConfig(pooling: .cls, normalize: false), labels: labels)
    }

    /// Per-token classifier on the last hidden state.
    private static func tokenClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try Encoder(model, checkpoint)
        let hidden = try e.hiddenStates()
        let labels = try e.labels(of: "classifier")
        let logits = try e.blocks.linear(hidden, "classifier", out: labels.count, bias: true)
        return try e.finish(PoolingOutputs(hidden: hidden, tokenLogits: logits), task: .tokenClassify,
                        PoolingConfig(pooling: .cls, normalize: false), labels: labels)
    }

    /// SPLADE over a masked-LM: MLM logits = decoder(LayerNorm(act(dense(h)))) with the decoder tied to the word
    /// embeddings (plus `cls.predictions.bias`); the sparse embedding is log1p(relu(max over tokens)).
    private static func splade(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try Encoder(model, checkpoint)
        let hidden = try e.hiddenStates()
        let p = "cls.predictions."
        let projected = try e.blocks.linear(hidden, p + "transform.dense", out: e.c.hiddenSize, bias: true)
        let activated = e.blocks.b.unary(projected, e.c.activation, name: p + "transform.act")
        let transformed = try e.blocks.layerNorm(activated, NormRef(module: p + "transform.LayerNorm", eps: e.c.layerNormEps))
        let decoder = checkpoint.contains(p + "decoder.weight")
            ? try e.blocks.w(p + "decoder.weight", [e.c.vocabSize, e.c.hiddenSize]) : e.wordEmbeddings
        let bias = try e.blocks.w(p + "bias", [e.c.vocabSize])
        let logits = e.blocks.b.linear(transformed, weight: decoder, bias: bias, name: p + "decoder")
        let config = try PoolingConfig.resolve(model, default: PoolingConfig(pooling: .spladeMax, normalize: false))
        let pooled = try e.blocks.b.pooledEmbedding(logits, config, file: model.path("config.json"))
        return try e.finish(PoolingOutputs(hidden: hidden, pooled: pooled, tokenLogits: logits), task: .embed, config, labels: [])
    }
}

/// The shared encoder body of one model directory.
private struct Encoder {
    let model: ModelDirectory
    let c: EncoderConfig
    var blocks: LayerNormBlocks
    /// `bert.` / `roberta.` in task checkpoints; empty when the base model was saved on its own.
    let prefix: String
    private(set) var wordEmbeddings = WeightRef("", shape: [0, 0])

    init(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws {
        self.model = model
        c = try model.config(EncoderConfig.self)
        blocks = LayerNormBlocks(checkpoint: checkpoint)
        let base = c.modelType == "bert" ? "bert." : "roberta."
        prefix = blocks.prefix([base, ""], holding: "embeddings.word_embeddings.weight")
    }

    /// Embeddings and every layer: the last hidden state of each token.
    mutating func hiddenStates() throws -> ValueID {
        let p = prefix + "embeddings."
        let (tokens, table) = try blocks.embedding(p + "word_embeddings", vocab: c.vocabSize, dim: c.hiddenSize)
        wordEmbeddings = table
        let typeTable = try blocks.w(p + "token_type_embeddings.weight", [c.typeVocabSize, c.hiddenSize])
        let types = blocks.b.embedding(blocks.b.tokenTypes(), table: typeTable, name: p + "token_type_embeddings")
        var x = blocks.b.add(tokens, types, name: p + "word_and_type")
        x = blocks.b.positionEmbedding(x, table: try blocks.w(p + "position_embeddings.weight", [c.maxPosition, c.hiddenSize]),
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
        return x
    }

    /// The class names of a classifier `module` (id2label, else LABEL_i for each of its output rows).
    func labels(of module: String) throws -> [String] {
        let rows = try blocks.checkpoint.shape(of: module + ".weight").first ?? 0
        guard rows > 0 else { throw FrontendError.badValue(file: model.path("config.json"), key: "id2label", reason: "\(module) has no rows") }
        if c.labels.count == rows { return c.labels }
        return (0..<rows).map { "LABEL_\($0)" }
    }

    /// The pooling graph; sequences are cut at the position table's length, or at sentence-transformers'
    /// max_seq_length when that is shorter.
    func finish(_ outputs: PoolingOutputs, task: PoolingTask, _ config: PoolingConfig, labels: [String]) throws -> Graph {
        let positions = c.maxPosition - c.positionOffset
        let maxTokens = min(positions, try PoolingConfig.maxSequenceLength(model) ?? positions)
        let info = PoolingInfo(task: task, pooling: config.pooling, normalize: config.normalize, labels: labels,
                               tokenTypes: c.typeVocabSize > 1, maxTokens: maxTokens)
        return blocks.b.finish(pooling: outputs, info: ModelInfo(
            architecture: model.architecture, vocabSize: c.vocabSize, hiddenSize: c.hiddenSize, layers: c.layers,
            maxPosition: c.maxPosition - c.positionOffset, kvWidths: blocks.kvWidths, pooling: info))
    }
}
