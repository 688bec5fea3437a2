import Foundation
import IR

extension ReferenceEvaluator {
    /// `Op.moe` as `MoESpec` documents it (experts with their biases when they have them): softmax or sigmoid of each row's router logits, the top-k by those plus
    /// the selection bias within the best groups (ties to the lowest index), weighted by the probabilities, optionally renormalised, scaled;
    /// the sum of the weighted selected experts' gated MLPs.
    func mixtureOfExperts(_ x: [Double], router: [Double], _ spec: MoESpec, rows: Int) throws -> [Double] {
        let (hidden, ff, count) = (spec.hidden, spec.ff, spec.experts.count)
        let bias = try spec.selectionBias.map(weight) ?? Array(repeating: 0, count: count)
        var out = [Double](repeating: 0, count: rows * hidden)
        for r in 0..<rows {
            let logits = router[r * count ..< (r + 1) * count]
            let top = logits.max() ?? 0
            let probabilities = switch spec.routing.scoring {
            case .softmax: logits.map { exp($0 - top) / logits.reduce(0) { $0 + exp($1 - top) } }
            case .sigmoid: logits.map { 1 / (1 + exp(-$0)) }
            }
            var score = (0..<count).map { probabilities[$0] + bias[$0] }
            if spec.routing.groups > 1 {
                let size = count / spec.routing.groups
                let sums = (0..<spec.routing.groups).map { g in score[(g * size)..<((g + 1) * size)].sorted(by: >).prefix(spec.routing.groupTopScores).reduce(0, +) }
                let kept = Set(sums.indices.sorted { sums[$0] > sums[$1] || (sums[$0] == sums[$1] && $0 < $1) }.prefix(spec.routing.topGroups))
                for e in 0..<count where !kept.contains(e / size) { score[e] = -.infinity }
            }
            var order = Array(0..<count)
            order.sort { score[$0] > score[$1] || (score[$0] == score[$1] && $0 < $1) }
            let picks = order.prefix(spec.routing.topK)
            let total = spec.routing.renormalize ? picks.reduce(0) { $0 + probabilities[$1] } : 1
            let row = Array(x[r * hidden ..< (r + 1) * hidden])
            for e in picks {
                let (gateUp, down) = (try weight(spec.experts[e].gateUp), try weight(spec.experts[e].down))
                let biases = try spec.experts[e].biases.map { (gateUp: try weight($0.gateUp), down: try weight($0.down)) }
                let hiddenActivation = (0..<ff).map { i in
                    let dot = { (o: Int) in (0..<hidden).reduce(biases?.gateUp[o] ?? 0) { $0 + gateUp[o * hidden + $1] * row[$1] } }
                    return gated(spec.activation, gate: dot(i), up: dot(ff + i))
                }
                let factor = probabilities[e] / total * Double(spec.routing.scale)
                for o in 0..<hidden {
                    out[r * hidden + o] += factor * (0..<ff).reduce(biases?.down[o] ?? 0) { $0 + down[o * ff + $1] * hiddenActivation[$1] }
                }
            }
        }
        return out
    }
}
