import IR

/// The last hidden state of an encoder (any family-L body) and what its heads need to know of the model.
struct EncoderBody {
    let model: ModelDirectory
    var blocks: LayerNormBlocks
    /// Prefix of the base model's tensors in task checkpoints (`bert.`, `roberta.`, `new.`, `model.`); empty when the
    /// base model was saved on its own.
    let prefix: String
    /// The last hidden state of every token, `[T, hiddenSize]`.
    let hidden: ValueID
    /// The word embedding table (a tied masked-LM decoder reads it).
    let wordEmbeddings: WeightRef
    let vocabSize: Int
    let hiddenSize: Int
    let layers: Int
    /// Most tokens of one sequence (position table rows past any offset, or max_position_embeddings).
    let maxTokens: Int
    /// The model reads token type ids (a type table of more than one row).
    let tokenTypes: Bool
    /// Class names by id from the config (id2label), empty when it has none.
    let configLabels: [String]

    /// The class names of a classifier `module` (id2label, else LABEL_i for each of its output rows).
    func labels(of module: String) throws -> [String] {
        let rows = try blocks.checkpoint.shape(of: module + ".weight").first ?? 0
        guard rows > 0 else { throw FrontendError.badValue(file: model.path("config.json"), key: "id2label", reason: "\(module) has no rows") }
        if configLabels.count == rows { return configLabels }
        return (0..<rows).map { "LABEL_\($0)" }
    }

    /// The pooling graph with `outputs`, its task and pooling settings; sequences are cut at `maxTokens`, or at
    /// sentence-transformers' max_seq_length when that is shorter.
    func finish(_ outputs: PoolingOutputs, task: PoolingTask, _ config: PoolingConfig, labels: [String]) throws -> Graph {
        let cut = min(maxTokens, try PoolingConfig.maxSequenceLength(model) ?? maxTokens)
        let info = PoolingInfo(task: task, pooling: config.pooling, normalize: config.normalize, labels: labels,
                               tokenTypes: tokenTypes, maxTokens: cut)
        return blocks.b.finish(pooling: outputs, info: ModelInfo(
            architecture: model.architecture, vocabSize: vocabSize, hiddenSize: hiddenSize, layers: layers,
            maxPosition: maxTokens, kvWidths: blocks.kvWidths, pooling: info))
    }
}

extension LayerNormBlocks {
    /// Word embeddings of `module` plus, with a type table of `typeRows` > 0 rows, the token type embeddings of
    /// `typeModule`; a one-row table is added to every token (token types 0).
    mutating func wordAndTypeEmbeddings(_ module: String, vocab: Int, dim: Int, typeModule: String,
                                        typeRows: Int) throws -> (ValueID, WeightRef) {
        let (tokens, table) = try embedding(module, vocab: vocab, dim: dim)
        guard typeRows > 0 else { return (tokens, table) }
        let typeTable = try w(typeModule + ".weight", [typeRows, dim])
        let types = b.embedding(b.tokenTypes(), table: typeTable, name: typeModule)
        return (b.add(tokens, types, name: module + "_and_types"), table)
    }
}
