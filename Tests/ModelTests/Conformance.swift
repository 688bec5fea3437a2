import Foundation

/// What transformers produced for a prompt (golden/**/expected*.json).
struct Expected: Decodable {
    var prompt_ids: [Int]
    var output_ids: [Int]
    var top_logprobs: [[[Double]]]
    var last_logits: [Double]?
    var text: String?
}

/// What a produced binary prints with `--json`.
struct Produced: Decodable {
    var prompt_ids: [Int]
    var output_ids: [Int]
    var text: String?
    var top_logprobs: [[[Double]]]?
    var last_logits: [Double]?
}

/// vLLM's consistency rule and the logits bound: greedy ids equal, or at the first divergence each side's token is
/// in the other's top-5; last-position logits NMSE ≤ bound. Returns nil on success, else the first mismatch.
func conformanceFailure(expected: Expected, produced: Produced, nmseBound: Double = 1e-4) -> String? {
    guard produced.prompt_ids == expected.prompt_ids else { return "prompt ids differ: \(produced.prompt_ids)" }
    if let want = expected.last_logits {
        guard let got = produced.last_logits, got.count == want.count else { return "last_logits missing or wrong length" }
        let error = zip(got, want).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let norm = want.reduce(0) { $0 + $1 * $1 }
        let nmse = error / max(norm, 1e-30)
        if nmse > nmseBound { return "last_logits NMSE \(nmse) > \(nmseBound)" }
    }
    guard produced.output_ids.count == expected.output_ids.count else {
        return "generated \(produced.output_ids.count) tokens, expected \(expected.output_ids.count)"
    }
    guard let step = zip(produced.output_ids, expected.output_ids).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
    else { return nil }
    let ours = produced.output_ids[step]
    let theirs = expected.output_ids[step]
    let theirTop = expected.top_logprobs[step].map { Int($0[0]) }
    let ourTop = produced.top_logprobs?[step].map { Int($0[0]) } ?? []
    if theirTop.contains(ours) && ourTop.contains(theirs) { return nil }
    return "step \(step): llmc chose \(ours) (transformers' top-5 \(theirTop)), transformers chose \(theirs) (llmc's top-5 \(ourTop))"
}
