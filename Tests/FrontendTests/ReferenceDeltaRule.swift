import Foundation
import IR

extension ReferenceEvaluator {
    /// The gated delta rule of `GatedDeltaRuleSpec` in f64 over one sequence: per value head a `[keyDim][valueDim]`
    /// state, decayed, corrected towards v along k, then read by q.
    func deltaRule(q: [Double], k: [Double], v: [Double], decay: [Double], beta: [Double], _ s: GatedDeltaRuleSpec,
                   rows: Int) throws -> [Double] {
        let (a, dtBias) = (try weight(s.a), try weight(s.dtBias))
        let (keyWidth, valueWidth) = (s.keyHeads * s.keyDim, s.valueHeads * s.valueDim)
        var out = [Double](repeating: 0, count: rows * valueWidth)
        for h in 0..<s.valueHeads {
            let keyStart = h / (s.valueHeads / s.keyHeads) * s.keyDim
            var state = [Double](repeating: 0, count: s.keyDim * s.valueDim)  // [i][j] at i · valueDim + j
            for t in 0..<rows {
                let raw = decay[t * s.valueHeads + h] + dtBias[h]
                let g = a[h] * (raw > 20 ? raw : log1p(exp(raw)))
                let b = 1 / (1 + exp(-beta[t * s.valueHeads + h]))
                let key = (0..<s.keyDim).map { k[t * keyWidth + keyStart + $0] * Double(s.keyScale) }
                let query = (0..<s.keyDim).map { q[t * keyWidth + keyStart + $0] * Double(s.queryScale) }
                for index in state.indices { state[index] *= exp(g) }
                let recalled = (0..<s.valueDim).map { j in (0..<s.keyDim).reduce(0.0) { $0 + state[$1 * s.valueDim + j] * key[$1] } }
                for i in 0..<s.keyDim {
                    for j in 0..<s.valueDim {
                        state[i * s.valueDim + j] += key[i] * b * (v[t * valueWidth + h * s.valueDim + j] - recalled[j])
                    }
                }
                for j in 0..<s.valueDim {
                    out[t * valueWidth + h * s.valueDim + j] = (0..<s.keyDim).reduce(0.0) { $0 + state[$1 * s.valueDim + j] * query[$1] }
                }
            }
        }
        return out
    }
}
