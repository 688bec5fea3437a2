/// How `Op.pool` reduces the token rows of each sequence to one row.
public enum PoolReduction: String, Sendable, Hashable, Codable {
    /// The sequence's first token (BERT's [CLS], RoBERTa's <s>).
    case first
    /// The sequence's last token (decoder embedders, score heads of causal models).
    case last
    /// The mean over the sequence's tokens (sentence-transformers' mean pooling; padding is never packed in).
    case mean
    /// SPLADE: log(1 + relu(max over the sequence's tokens)), per column — equal to the max of log1p(relu(x)) since
    /// both functions are monotonic.
    case spladeMax = "splade_max"
}

/// What a pooling model is served for (vLLM's `LLM.embed / classify / score / reward / encode`).
public enum PoolingTask: String, Sendable, Hashable, Codable, CaseIterable {
    /// One vector per input (`pooled`).
    case embed
    /// Class logits per input (`sequenceLogits`), reported as labels with probabilities.
    case classify
    /// Relevance of a (query, document) pair: the single logit of a cross-encoder (`sequenceLogits`, 1 column).
    case score
    /// A reward per input: the value head at the last token (`sequenceLogits`), or per step tag (`tokenLogits`).
    case reward
    /// Class logits per token (`tokenLogits`).
    case tokenClassify = "token_classify"
}

/// The pooling as configured (sentence-transformers files, per-architecture defaults, `llmc compile --pooling`):
/// the kind of pooling a model uses, whatever reduction implements it.
public enum PoolingKind: String, Sendable, Hashable, Codable, CaseIterable {
    case cls, mean, last, step
    case spladeMax = "splade_max"

    /// The graph reduction computing this pooling (STEP pooling is done by the runtime over per-token outputs).
    public var reduction: PoolReduction? {
        switch self {
        case .cls: .first
        case .mean: .mean
        case .last: .last
        case .spladeMax: .spladeMax
        case .step: nil
        }
    }
}

/// Facts about a pooling model that the runtime needs besides the ops: stored in ModelInfo and the blob's info JSON.
public struct PoolingInfo: Sendable, Codable, Equatable {
    public var task: PoolingTask
    public var pooling: PoolingKind
    /// The pooled vector is L2-normalised.
    public var normalize: Bool
    /// Class names by id (config.json's id2label), one per column of the sequence or token logits.
    public var labels: [String]
    /// The model reads token type ids (BERT segments): sentence pairs are encoded with types 0 / 1.
    public var tokenTypes: Bool
    /// Most tokens of one sequence (the position table's length after any offset).
    public var maxTokens: Int
    /// STEP pooling: the token marking the end of a step, and the ids whose probabilities form a step's reward.
    public var stepTagID: Int?
    public var stepReturnedIDs: [Int]?

    enum CodingKeys: String, CodingKey {
        case task, pooling, normalize, labels
        case tokenTypes = "token_types"
        case maxTokens = "max_tokens"
        case stepTagID = "step_tag_id"
        case stepReturnedIDs = "step_returned_ids"
    }

    public init(task: PoolingTask, pooling: PoolingKind, normalize: Bool, labels: [String], tokenTypes: Bool, maxTokens: Int,
                stepTagID: Int? = nil, stepReturnedIDs: [Int]? = nil) {
        self.task = task
        self.pooling = pooling
        self.normalize = normalize
        self.labels = labels
        self.tokenTypes = tokenTypes
        self.maxTokens = maxTokens
        self.stepTagID = stepTagID
        self.stepReturnedIDs = stepReturnedIDs
    }
}

/// The values a pooling graph's `encode` entry point writes (see llmc_abi.h `llmc_encode_outputs`); nil: not produced.
public struct PoolingOutputs: Sendable, Equatable {
    /// Last hidden state of every token, `[T, hidden]`.
    public var hidden: ValueID?
    /// Pooled (and normalised) vector per sequence, `[S, pooled]`.
    public var pooled: ValueID?
    /// Head output per sequence (classifier, score, reward), `[S, labels]`.
    public var sequenceLogits: ValueID?
    /// Head output per token (token classifier, MLM logits of SPLADE, process reward logits), `[T, labels]`.
    public var tokenLogits: ValueID?

    public init(hidden: ValueID? = nil, pooled: ValueID? = nil, sequenceLogits: ValueID? = nil, tokenLogits: ValueID? = nil) {
        self.hidden = hidden
        self.pooled = pooled
        self.sequenceLogits = sequenceLogits
        self.tokenLogits = tokenLogits
    }

    /// The produced values, in ABI order (hidden, pooled, sequence logits, token logits).
    public var values: [ValueID] { [hidden, pooled, sequenceLogits, tokenLogits].compactMap { $0 } }

    /// The same outputs renamed through `map`.
    public func remapped(_ map: (ValueID) -> ValueID) -> PoolingOutputs {
        PoolingOutputs(hidden: hidden.map(map), pooled: pooled.map(map), sequenceLogits: sequenceLogits.map(map),
                       tokenLogits: tokenLogits.map(map))
    }
}
