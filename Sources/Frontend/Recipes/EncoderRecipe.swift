import IR

/// Family L, encoder-only models. Bodies: BERT / RoBERTa / XLM-R (`BertEncoder`), GTE / the remote "new" model /
/// NomicBERT (`RotaryEncoder`), ModernBERT (`ModernBertEncoder`). Heads: embedding pooling (`*Model`, `NewModel`),
/// pooler tanh(dense(CLS)) + classifier (`BertForSequenceClassification`, `NewForSequenceClassification`), RoBERTa's
/// classification head dense → tanh → out_proj on <s>, per-token classifier (`*ForTokenClassification`; ModernBERT's
/// after its prediction head), masked-LM head + SPLADE max pooling (`BertForMaskedLM`, vLLM's
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
        ("GteModel", embedder), ("NewModel", embedder), ("NomicBertModel", embedder), ("NewForSequenceClassification", bertClassifier),
        ("ModernBertModel", embedder), ("ModernBertForTokenClassification", modernBertTokenClassifier),
    ]

    /// The body of a model directory, chosen by its `model_type`.
    private static func encoder(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> EncoderBody {
        switch model.modelType {
        case "modernbert": try ModernBertEncoder.body(model, checkpoint)
        case "gte", "new", "nomic_bert": try RotaryEncoder.body(model, checkpoint)
        default: try BertEncoder.body(model, checkpoint)
        }
    }

    /// `*Model`: the pooled (by default CLS, as vLLM) and L2-normalised last hidden state.
    private static func embedder(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try encoder(model, checkpoint)
        let hidden = e.hidden
        let config = try PoolingConfig.resolve(model, default: PoolingConfig(pooling: .cls, normalize: true))
        let pooled = try e.blocks.b.pooledEmbedding(hidden, config, file: model.path("config.json"))
        return try e.finish(PoolingOutputs(hidden: hidden, pooled: pooled), task: .embed, config, labels: [])
    }

    /// BERT cross-encoders and classifiers: classifier(tanh(pooler.dense(CLS))).
    private static func bertClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        try firstTokenClassifier(model, checkpoint, pooler: "pooler", classifier: "classifier", bodyPooler: true)
    }

    /// RoBERTa / XLM-R classification head: out_proj(tanh(dense(<s>))).
    private static func robertaClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        try firstTokenClassifier(model, checkpoint, pooler: "classifier", classifier: "classifier.out_proj",
                                 bodyPooler: false)
    }

    /// `classifier(tanh(<pooler>.dense(first token)))`; `bodyPooler` when the pooler sits under the body's prefix.
    private static func firstTokenClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint, pooler: String,
                                             classifier: String, bodyPooler: Bool) throws -> Graph {
        var e = try encoder(model, checkpoint)
        let hidden = e.hidden
        let pooler = (bodyPooler ? e.prefix : "") + pooler
        let first = e.blocks.b.pool(hidden, .first, name: "cls")
        let dense = try e.blocks.linear(first, pooler + ".dense", out: e.hiddenSize, bias: true)
        let pooled = e.blocks.b.unary(dense, .tanh, name: pooler + ".tanh")
        let labels = try e.labels(of: classifier)
        let logits = try e.blocks.linear(pooled, classifier, out: labels.count, bias: true)
        return try e.finish(PoolingOutputs(hidden: hidden, sequenceLogits: logits), task: .sequenceHead(labels: labels.count),
                        PoolingConfig(pooling: .cls, normalize: false), labels: labels)
    }

    /// ModernBERT's token classifier: classifier(head(h)) on every token.
    private static func modernBertTokenClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try encoder(model, checkpoint)
        let head = try ModernBertEncoder.predictionHead(&e, e.hidden)
        let labels = try e.labels(of: "classifier")
        let logits = try e.blocks.linear(head, "classifier", out: labels.count, bias: true)
        return try e.finish(PoolingOutputs(hidden: e.hidden, tokenLogits: logits), task: .tokenClassify,
                        PoolingConfig(pooling: .cls, normalize: false), labels: labels)
    }

    /// Per-token classifier on the last hidden state.
    private static func tokenClassifier(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try encoder(model, checkpoint)
        let hidden = e.hidden
        let labels = try e.labels(of: "classifier")
        let logits = try e.blocks.linear(hidden, "classifier", out: labels.count, bias: true)
        return try e.finish(PoolingOutputs(hidden: hidden, tokenLogits: logits), task: .tokenClassify,
                        PoolingConfig(pooling: .cls, normalize: false), labels: labels)
    }

    /// SPLADE over a masked-LM: MLM logits = decoder(LayerNorm(act(dense(h)))) with the decoder tied to the word
    /// embeddings (plus `cls.predictions.bias`); the sparse embedding is log1p(relu(max over tokens)).
    private static func splade(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        var e = try encoder(model, checkpoint)
        let hidden = e.hidden
        let p = "cls.predictions."
        let projected = try e.blocks.linear(hidden, p + "transform.dense", out: e.hiddenSize, bias: true)
        let c = try model.config(EncoderConfig.self)
        let activated = e.blocks.b.unary(projected, c.activation, name: p + "transform.act")
        let transformed = try e.blocks.layerNorm(activated, NormRef(module: p + "transform.LayerNorm", eps: c.layerNormEps))
        let decoder = checkpoint.contains(p + "decoder.weight")
            ? try e.blocks.w(p + "decoder.weight", [e.vocabSize, e.hiddenSize]) : e.wordEmbeddings
        let bias = try e.blocks.w(p + "bias", [e.vocabSize])
        let logits = e.blocks.b.linear(transformed, weight: decoder, bias: bias, name: p + "decoder")
        let config = try PoolingConfig.resolve(model, default: PoolingConfig(pooling: .spladeMax, normalize: false))
        let pooled = try e.blocks.b.pooledEmbedding(logits, config, file: model.path("config.json"))
        return try e.finish(PoolingOutputs(hidden: hidden, pooled: pooled, tokenLogits: logits), task: .embed, config, labels: [])
    }
}
