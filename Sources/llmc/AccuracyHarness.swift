import Foundation

/// Measures how closely compiled binaries of one model follow its f32 binary, by running them (`generate --json` and
/// `score-tokens --json`, see the produced binary's --help):
/// - teacher-forced top-1 agreement: the reference generates `generated` greedy tokens after each prompt; every
///   candidate is fed the same prompt + continuation and its argmax at each continuation position is compared with
///   the reference's token there (prompt prefilled as one batch, continuation one decode step per token, like
///   generation);
/// - perplexity over the first `textTokens` tokens of a text, scored in chunks of `chunk` tokens (each chunk starts a
///   fresh context; its first token is context only).
struct AccuracyHarness {
    var prompts: [String]
    var generated: Int
    var text: String
    var textTokens: Int
    var chunk: Int
    var timeout: TimeInterval = 1800

    /// What the reference binary fixes for every candidate: the prompt + continuation sequences and the text chunks.
    struct Reference {
        /// Prompt ids followed by the reference's greedy continuation, with the prompt length.
        var sequences: [(ids: [Int], promptLength: Int)]
        var chunks: [[Int]]
    }

    /// One binary's figures.
    struct Measurement: Encodable {
        var label: String
        /// Continuation positions where the argmax equals the reference's token, of `positions` (nil for the
        /// reference itself, whose continuation is its own greedy output).
        var agreeing: Int?
        var positions: Int?
        var perplexity: Double
        /// Perplexity tokens scored (text tokens minus one per chunk).
        var scoredTokens: Int

        var agreement: Double? {
            guard let agreeing, let positions, positions > 0 else { return nil }
            return Double(agreeing) / Double(positions)
        }

        enum CodingKeys: String, CodingKey { case label, agreeing, positions, agreement, perplexity, scoredTokens = "scored_tokens" }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(label, forKey: .label)
            try c.encode(agreeing, forKey: .agreeing)
            try c.encode(positions, forKey: .positions)
            try c.encode(agreement, forKey: .agreement)
            try c.encode(perplexity, forKey: .perplexity)
            try c.encode(scoredTokens, forKey: .scoredTokens)
        }
    }

    /// Runs the reference binary: greedy continuations of the prompts and the tokenized text.
    func reference(binary: String) throws -> Reference {
        var sequences: [(ids: [Int], promptLength: Int)] = []
        for prompt in prompts {
            let run: Generation = try runJSON(binary, ["-p", prompt, "-n", "\(generated)", "--temperature", "0",
                                                        "--ignore-eos", "--json"])
            sequences.append((run.prompt_ids + run.output_ids, run.prompt_ids.count))
        }
        // English prose takes about 4.5 characters per token: tokenize a prefix somewhat longer than needed.
        let prefix = String(text.prefix(6 * textTokens))
        let tokenized: Generation = try runJSON(binary, ["-p", prefix, "-n", "0", "--json"])
        guard tokenized.prompt_ids.count >= textTokens else {
            throw AccuracyError.textTooShort(tokens: tokenized.prompt_ids.count, needed: textTokens)
        }
        let ids = Array(tokenized.prompt_ids.prefix(textTokens))
        let chunks = stride(from: 0, to: ids.count, by: chunk).map { Array(ids[$0..<min(ids.count, $0 + chunk)]) }
            .filter { $0.count >= 2 }
        return Reference(sequences: sequences, chunks: chunks)
    }

    /// Scores one binary against the reference (`isReference`: the reference binary itself, whose perplexity is
    /// all that is measured).
    func measure(label: String, binary: String, reference: Reference, isReference: Bool = false) throws -> Measurement {
        var agreeing: Int?, positions: Int?
        if !isReference {
            var agree = 0, total = 0
            for (ids, promptLength) in reference.sequences {
                let scored = try score(binary, ids, from: promptLength)
                total += scored.argmax.count
                agree += zip(scored.argmax, ids[promptLength...]).filter { $0 == $1 }.count
            }
            (agreeing, positions) = (agree, total)
        }
        var logLikelihood = 0.0, scoredTokens = 0
        for chunk in reference.chunks {
            let scored = try score(binary, chunk, from: 1)
            logLikelihood += scored.logprobs.reduce(0) { $0 + ($1 ?? -.infinity) }
            scoredTokens += scored.logprobs.count
        }
        return Measurement(label: label, agreeing: agreeing, positions: positions,
                           perplexity: exp(-logLikelihood / Double(max(1, scoredTokens))), scoredTokens: scoredTokens)
    }

    // MARK: - Running binaries

    private struct Generation: Decodable {
        var prompt_ids: [Int]
        var output_ids: [Int]
    }

    private struct Score: Decodable {
        var argmax: [Int]
        /// null where the log-probability is not finite.
        var logprobs: [Double?]
    }

    private func score(_ binary: String, _ ids: [Int], from: Int) throws -> Score {
        try runJSON(binary, ["score-tokens", "--prompt-ids", ids.map(String.init).joined(separator: ","), "--score-from", "\(from)",
                             "--max-context", "\(ids.count)", "--json"])
    }

    private func runJSON<T: Decodable>(_ binary: String, _ arguments: [String]) throws -> T {
        let result = try Subprocess.run(binary, arguments, timeout: timeout)
        guard result.status == 0, !result.timedOut else {
            let reason = result.timedOut ? "timed out after \(Int(timeout)) s" : result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw AccuracyError.binaryFailed(binary: binary, command: arguments.first ?? "", reason: reason)
        }
        do {
            return try JSONDecoder().decode(T.self, from: result.stdout)
        } catch {
            throw AccuracyError.badOutput(binary: binary, reason: "\(error)")
        }
    }
}

/// Failures of `llmc accuracy`, naming the binary or input at fault.
enum AccuracyError: Error, CustomStringConvertible {
    case textTooShort(tokens: Int, needed: Int)
    case binaryFailed(binary: String, command: String, reason: String)
    case badOutput(binary: String, reason: String)
    case unreadableText(path: String, reason: String)

    var description: String {
        switch self {
        case .textTooShort(let tokens, let needed):
            "the perplexity text has \(tokens) tokens, fewer than --tokens \(needed)"
        case .binaryFailed(let binary, let command, let reason): "\(binary) (\(command)) failed: \(reason)"
        case .badOutput(let binary, let reason): "\(binary) printed unexpected JSON: \(reason)"
        case .unreadableText(let path, let reason): "cannot read the perplexity text \(path): \(reason)"
        }
    }
}
