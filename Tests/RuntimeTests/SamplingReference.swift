import Foundation
import RuntimeLib

/// A straightforward (full-sort) Swift transcription of Hugging Face's logits processors, used as the oracle for
/// the C sampler: RepetitionPenalty -> Temperature -> TopK -> TopP -> MinP, each as its HF class computes it.
enum SamplingReference {
    /// Surviving token ids best first (ties: lower id first) with their renormalised probabilities.
    static func candidates(logits: [Float], params p: llmc_sampling_params, history: [Int32]) -> [(Int32, Double)] {
        var scores = logits
        if p.repetition_penalty != 1 {
            for id in Set(history) {
                let v = scores[Int(id)]
                scores[Int(id)] = v < 0 ? v * p.repetition_penalty : v / p.repetition_penalty
            }
        }
        if p.temperature == 0 {
            let best = scores.indices.max { a, b in scores[a] < scores[b] || (scores[a] == scores[b] && a > b) }!
            return [(Int32(best), 1)]
        }
        scores = scores.map { $0 / p.temperature }
        if p.top_k > 0 && Int(p.top_k) < scores.count {
            let kth = scores.sorted(by: >)[Int(p.top_k) - 1]
            scores = scores.map { $0 < kth ? -.infinity : $0 }
        }
        if p.top_p < 1 {
            let probs = softmax(scores)
            // ascending order; among equal values the higher id comes first (so that best-first breaks ties by id)
            let ascending = probs.indices.sorted { a, b in probs[a] < probs[b] || (probs[a] == probs[b] && a > b) }
            var cumulative = 0.0
            for (rank, i) in ascending.enumerated() {
                cumulative += probs[i]
                if cumulative <= 1 - Double(p.top_p) && rank < ascending.count - 1 { scores[i] = -.infinity }
            }
        }
        if p.min_p > 0 {
            let probs = softmax(scores)
            let cut = Double(p.min_p) * probs.max()!
            for i in probs.indices where probs[i] < cut { scores[i] = -.infinity }
        }
        let probs = softmax(scores)
        return probs.indices.filter { probs[$0] > 0 }
            .sorted { a, b in probs[a] > probs[b] || (probs[a] == probs[b] && a < b) }
            .map { (Int32($0), probs[$0]) }
    }

    static func softmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let e = x.map { exp(Double($0) - m) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    static func logSoftmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let lse = m + log(x.map { exp(Double($0) - m) }.reduce(0, +))
        return x.map { Double($0) - lse }
    }
}

/// Deterministic pseudo-random numbers for test inputs.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
