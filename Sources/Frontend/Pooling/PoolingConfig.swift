import Foundation
import IR

/// `llmc compile --pooling / --normalize / --step-tag-id / --returned-token-ids`: overrides of the pooling a model
/// directory configures (vLLM's pooler config).
public struct PoolingOverride: Sendable, Equatable {
    public var pooling: PoolingKind?
    public var normalize: Bool?
    /// STEP pooling: the token ending a step (nil: every token is a step).
    public var stepTagID: Int?
    /// STEP pooling over LM logits: the token ids whose probabilities (softmax over just them) form a step's reward.
    public var returnedTokenIDs: [Int]?

    public init(pooling: PoolingKind? = nil, normalize: Bool? = nil, stepTagID: Int? = nil, returnedTokenIDs: [Int]? = nil) {
        self.pooling = pooling
        self.normalize = normalize
        self.stepTagID = stepTagID
        self.returnedTokenIDs = returnedTokenIDs
    }
}

/// The pooling of an embedding model, resolved in this order: the compile-time override, the sentence-transformers
/// files (modules.json → its Pooling module's config.json, and whether a Normalize module follows), the
/// architecture's default (vLLM's).
public struct PoolingConfig: Sendable, Equatable {
    public var pooling: PoolingKind
    public var normalize: Bool

    public init(pooling: PoolingKind, normalize: Bool) {
        self.pooling = pooling
        self.normalize = normalize
    }

    public static func resolve(_ model: ModelDirectory, default fallback: PoolingConfig) throws -> PoolingConfig {
        var config = try sentenceTransformers(model) ?? fallback
        if let pooling = model.poolingOverride.pooling { config.pooling = pooling }
        if let normalize = model.poolingOverride.normalize { config.normalize = normalize }
        return config
    }

    /// sentence-transformers' `max_seq_length` (sentence_bert_config.json): it cuts inputs there, below the position
    /// table's length; nil without that file.
    public static func maxSequenceLength(_ model: ModelDirectory) throws -> Int? {
        let url = model.url.appendingPathComponent("sentence_bert_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try ConfigDecoding.decode(SentenceBertConfig.self, from: url).maxSeqLength
    }

    /// The pooling sentence-transformers would apply, or nil without modules.json.
    static func sentenceTransformers(_ model: ModelDirectory) throws -> PoolingConfig? {
        let modulesURL = model.url.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return nil }
        let modules = try ConfigDecoding.decode([SentenceTransformerModule].self, from: modulesURL)
        guard let pooling = modules.first(where: { $0.type.hasSuffix(".Pooling") }) else { return nil }
        let configURL = model.url.appendingPathComponent(pooling.path).appendingPathComponent("config.json")
        let modes = try ConfigDecoding.decode(PoolingModes.self, from: configURL)
        let kind = try modes.kind(file: configURL.path)
        return PoolingConfig(pooling: kind, normalize: modules.contains { $0.type.hasSuffix(".Normalize") })
    }
}

/// sentence-transformers' sentence_bert_config.json.
private struct SentenceBertConfig: Decodable {
    var maxSeqLength: Int?

    enum CodingKeys: String, CodingKey {
        case maxSeqLength = "max_seq_length"
    }
}

/// One entry of sentence-transformers' modules.json.
private struct SentenceTransformerModule: Decodable {
    var type: String
    var path: String
}

/// sentence-transformers' 1_Pooling/config.json flags.
private struct PoolingModes: Decodable {
    var cls: Bool?
    var mean: Bool?
    var max: Bool?
    var last: Bool?
    var meanSqrt: Bool?

    enum CodingKeys: String, CodingKey {
        case cls = "pooling_mode_cls_token"
        case mean = "pooling_mode_mean_tokens"
        case max = "pooling_mode_max_tokens"
        case last = "pooling_mode_lasttoken"
        case meanSqrt = "pooling_mode_mean_sqrt_len_tokens"
    }

    /// The single pooling mode set (concatenations of several modes are not supported).
    func kind(file: String) throws -> PoolingKind {
        let set: [(Bool?, PoolingKind?)] = [(cls, .cls), (mean, .mean), (last, .last), (max, nil), (meanSqrt, nil)]
        let chosen = set.filter { $0.0 == true }
        guard chosen.count == 1, let kind = chosen[0].1 else {
            throw FrontendError.badValue(file: file, key: "pooling_mode_*",
                                         reason: "exactly one of cls, mean or lasttoken pooling must be set")
        }
        return kind
    }
}
