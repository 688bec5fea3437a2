import IR

extension GraphBuilder {
    /// The embedding of each sequence: `hidden` pooled as `config` says, then L2-normalised when configured.
    /// STEP pooling has no per-sequence vector (the runtime picks step-tag rows of the token outputs).
    mutating func pooledEmbedding(_ hidden: ValueID, _ config: PoolingConfig, file: String) throws -> ValueID {
        guard let reduction = config.pooling.reduction else {
            throw FrontendError.badValue(file: file, key: "pooling", reason: "\(config.pooling.rawValue) pooling gives no embedding vector")
        }
        let pooled = pool(hidden, reduction, name: "pooler.\(reduction.rawValue)")
        return config.normalize ? l2Normalize(pooled, name: "pooler.normalize") : pooled
    }
}

extension PoolingTask {
    /// A sequence classifier with one output is a cross-encoder score, with more a classifier (vLLM's convention).
    static func sequenceHead(labels: Int) -> PoolingTask { labels == 1 ? .score : .classify }
}
