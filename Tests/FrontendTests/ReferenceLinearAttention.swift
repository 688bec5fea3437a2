import Foundation
import IR

extension ReferenceEvaluator {
    /// The linear attention of `LinearAttentionSpec` in f64 over one sequence: per value head a `[keyDim][valueDim]`
    /// state, decayed, then moved towards v along k (delta rule) or added k vᵀ, then read by q.
    func linearAttention(q: [Double], k: [Double], v: [Double], decay: [Double]?, beta: [Double]?, _ s: LinearAttentionSpec,
                         rows: Int) throws -> [Double] {
        let (keyWidth, valueWidth) = (s.keyHeads * s.keyDim, s.valueHeads * s.valueDim)
        let logDecay: (Int, Int) throws -> Double  // (token, head)
        switch s.decay {
        case .gated(let aRef, let biasRef):
            let (a, dtBias, input) = (try weight(aRef), try weight(biasRef), decay ?? [])
            logDecay = { t, h in
                let raw = input[t * s.valueHeads + h] + dtBias[h]
                return a[h] * (raw > 20 ? raw : log1p(exp(raw)))
            }
        case .constant(let table):
            logDecay = { _, h in Double(table[h]) }
        }
        var out = [Double](repeating: 0, count: rows * valueWidth)
        for h in 0..<s.valueHeads {
            let keyStart = h / (s.valueHeads / s.keyHeads) * s.keyDim
            var state = [Double](repeating: 0, count: s.keyDim * s.valueDim)  // [i][j] at i · valueDim + j
            for t in 0..<rows {
                let g = try logDecay(t, h)
                let key = (0..<s.keyDim).map { k[t * keyWidth + keyStart + $0] * Double(s.keyScale) }
                let query = (0..<s.keyDim).map { q[t * keyWidth + keyStart + $0] * Double(s.queryScale) }
                for index in state.indices { state[index] *= exp(g) }
                let recalled = (0..<s.valueDim).map { j in (0..<s.keyDim).reduce(0.0) { $0 + state[$1 * s.valueDim + j] * key[$1] } }
                let b = beta.map { 1 / (1 + exp(-$0[t * s.valueHeads + h])) }
                for i in 0..<s.keyDim {
                    for j in 0..<s.valueDim {
                        let value = v[t * valueWidth + h * s.valueDim + j]
                        state[i * s.valueDim + j] += key[i] * (b.map { $0 * (value - recalled[j]) } ?? value)
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
