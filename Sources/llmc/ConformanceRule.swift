import Foundation

/// What transformers produced for a generative case (golden/**/expected.json).
struct ExpectedGeneration: Decodable {
    var prompt_ids: [Int]
    var output_ids: [Int]
    var top_logprobs: [[[Double]]]
    var last_logits: [Double]?
}

/// What a produced binary prints with `--json`.
struct ProducedGeneration: Decodable {
    var prompt_ids: [Int]
    var output_ids: [Int]
    var text: String?
    var top_logprobs: [[[Double]]]?
    var last_logits: [Double]?
}

/// Normalised mean squared error ‖a − b‖² / ‖b‖².
func nmse(_ a: [Double], _ b: [Double]) -> Double {
    let error = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    return error / max(b.reduce(0) { $0 + $1 * $1 }, 1e-30)
}

/// vLLM's consistency rule plus the logits bound: greedy ids equal, or at the first divergence each side's token is
/// in the other's top-5; last-position logits NMSE ≤ `nmseBound` when both are given. Nil on success, else the first
/// mismatch in words.
func generationMismatch(expected: ExpectedGeneration, produced: ProducedGeneration, nmseBound: Double? = 1e-4) -> String? {
    guard produced.prompt_ids == expected.prompt_ids else { return "prompt ids differ" }
    if let bound = nmseBound, let want = expected.last_logits {
        guard let got = produced.last_logits, got.count == want.count else { return "last_logits missing or of the wrong length" }
        let error = nmse(got, want)
        if error > bound { return String(format: "last-position logits NMSE %.3g > %.0e", error, bound) }
    }
    guard produced.output_ids.count == expected.output_ids.count else {
        return "generated \(produced.output_ids.count) tokens, expected \(expected.output_ids.count)"
    }
    guard let step = produced.output_ids.indices.first(where: { produced.output_ids[$0] != expected.output_ids[$0] }) else { return nil }
    let ours = produced.output_ids[step]
    let theirs = expected.output_ids[step]
    let theirTop = expected.top_logprobs[step].map { Int($0[0]) }
    let ourTop = produced.top_logprobs?[step].map { Int($0[0]) } ?? []
    if theirTop.contains(ours) && ourTop.contains(theirs) { return nil }
    return "step \(step): llmc chose \(ours) (transformers' top-5 \(theirTop)), transformers chose \(theirs) (llmc's top-5 \(ourTop))"
}
