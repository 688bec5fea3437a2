import Foundation

/// What transformers produced for a pooling case (golden/corpus/*/expected.json, task embed/score/classify/reward/
/// token_classify): a padded batch of sequences and the outputs of the first (per token) or of all (per sequence).
struct ExpectedPooling: Decodable {
    var task: String
    var input_ids: [[Int]]
    var attention_mask: [[Int]]?
    var token_type_ids: [[Int]]?
    var pooling: String?
    var normalize: Bool?
    /// First sequence, `[tokens][hidden]`.
    var last_hidden_state: [[Double]]
    /// First sequence's embedding.
    var pooled: [Double]?
    /// `[batch][labels]`.
    var logits: [[Double]]?
    /// First sequence, `[tokens][labels]`.
    var token_logits: [[Double]]?
    /// Reward of each sequence (`[batch][1]`, the value head at its last token).
    var score: [[Double]]?
    /// Process rewards: the step tag, the ids whose LM-logit probabilities are a step's reward (none: the head's
    /// classes), and per step of the first sequence its probabilities.
    var step_tag_id: Int?
    var returned_token_ids: [Int]?
    var step_scores: [[Double]]?

    /// Each sequence's tokens without padding, and their token types.
    var sequences: [(ids: [Int], types: [Int]?)] {
        input_ids.indices.map { s in
            let count = attention_mask?[s].reduce(0, +) ?? input_ids[s].count
            return (Array(input_ids[s].prefix(count)), token_type_ids.map { Array($0[s].prefix(count)) })
        }
    }

    /// The produced binary's command for this task.
    var command: String {
        switch task {
        case "embed": "embed"
        case "score": "score"
        case "reward": "reward"
        default: "classify"
        }
    }

    /// `llmc compile` flags that make the compiled model pool as transformers did.
    var compileFlags: [String] {
        (pooling.map { ["--pooling", $0] } ?? []) + (normalize.map { ["--normalize", String($0)] } ?? [])
            + (step_tag_id.map { ["--step-tag-id", String($0)] } ?? [])
            + (returned_token_ids.map { ["--returned-token-ids", $0.map(String.init).joined(separator: ",")] } ?? [])
    }
}

/// One line of a pooling command's `--json --hidden --logits` output.
struct ProducedPooling: Decodable {
    var embedding: [Double]?
    var logits: [Double]?
    var token_logits: [[Double]]?
    var hidden: [[Double]]?
    /// A sequence's reward.
    var reward: Double?
    /// A process reward: the probabilities of each step (printed under `reward` too).
    var stepRewards: [[Double]]?

    enum CodingKeys: String, CodingKey {
        case embedding, logits, token_logits, hidden, reward
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        embedding = try c.decodeIfPresent([Double].self, forKey: .embedding)
        logits = try c.decodeIfPresent([Double].self, forKey: .logits)
        token_logits = try c.decodeIfPresent([[Double]].self, forKey: .token_logits)
        hidden = try c.decodeIfPresent([[Double]].self, forKey: .hidden)
        reward = try? c.decodeIfPresent(Double.self, forKey: .reward)
        stepRewards = reward == nil ? try c.decodeIfPresent([[Double]].self, forKey: .reward) : nil
    }
}

/// Cosine similarity of two vectors.
func cosine(_ a: [Double], _ b: [Double]) -> Double {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let norms = (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
    return dot / max(norms, 1e-30)
}

/// Bounds of the pooling rule: f32 must match transformers to NMSE 1e-4 and cosine 0.9999; lower-precision weights
/// get looser bounds.
struct PoolingBounds {
    var nmse: Double
    var cosine: Double

    init(dtype: String) {
        (nmse, cosine) = dtype == "f32" ? (1e-4, 0.9999) : (2e-2, 0.99)
    }
}

/// Nil when the produced lines (one per sequence) match: hidden states of the first sequence, its embedding (embed
/// cases), every sequence's logits, the first sequence's token logits, the reward. Otherwise the first mismatch.
func poolingMismatch(expected: ExpectedPooling, produced: [ProducedPooling], bounds: PoolingBounds) -> String? {
    guard produced.count == expected.input_ids.count else {
        return "printed \(produced.count) results for \(expected.input_ids.count) sequences"
    }
    let first = produced[0]
    guard let hidden = first.hidden, hidden.count == expected.last_hidden_state.count,
          zip(hidden, expected.last_hidden_state).allSatisfy({ $0.count == $1.count }) else {
        return "last hidden state missing or of the wrong shape"
    }
    let hiddenError = nmse(hidden.flatMap { $0 }, expected.last_hidden_state.flatMap { $0 })
    if hiddenError > bounds.nmse { return String(format: "last hidden state NMSE %.3g > %.0e", hiddenError, bounds.nmse) }
    if expected.task == "embed", let want = expected.pooled {
        guard let got = first.embedding, got.count == want.count else { return "embedding missing or of the wrong length" }
        let similarity = cosine(got, want)
        if similarity < bounds.cosine { return String(format: "embedding cosine %.6f < %.4f", similarity, bounds.cosine) }
    }
    if let want = expected.logits {
        let got = produced.map { $0.logits ?? [] }
        guard zip(got, want).allSatisfy({ $0.count == $1.count }) else { return "logits missing or of the wrong length" }
        let error = nmse(got.flatMap { $0 }, want.flatMap { $0 })
        if error > bounds.nmse { return String(format: "logits NMSE %.3g > %.0e", error, bounds.nmse) }
    }
    if let want = expected.token_logits {
        guard let got = first.token_logits, got.count == want.count, zip(got, want).allSatisfy({ $0.count == $1.count }) else {
            return "token logits missing or of the wrong shape"
        }
        let error = nmse(got.flatMap { $0 }, want.flatMap { $0 })
        if error > bounds.nmse { return String(format: "token logits NMSE %.3g > %.0e", error, bounds.nmse) }
    }
    if let want = expected.step_scores {
        guard let got = first.stepRewards, got.count == want.count, zip(got, want).allSatisfy({ $0.count == $1.count }) else {
            return "step rewards missing or of the wrong shape"
        }
        let error = nmse(got.flatMap { $0 }, want.flatMap { $0 })
        if error > bounds.nmse { return String(format: "step rewards NMSE %.3g > %.0e", error, bounds.nmse) }
    }
    if let want = expected.score {
        let got = produced.compactMap(\.reward)
        guard got.count == want.count else { return "reward missing" }
        let error = nmse(got, want.flatMap { $0 })
        if error > bounds.nmse { return String(format: "rewards NMSE %.3g > %.0e", error, bounds.nmse) }
    }
    return nil
}
