import Foundation
@testable import Frontend
import IR

/// Runs a graph over one prompt with plain f64 loops, as the IR documents each op: an independent reference for
/// recipes (compared with transformers' logits), needing no kernels. Weights are read with `Checkpoint.floats` and the
/// weight transforms are applied here as `WeightTransform` documents them.
struct ReferenceEvaluator {
    enum Failure: Error, CustomStringConvertible {
        case unsupported(String)
        var description: String {
            switch self {
            case .unsupported(let what): "reference evaluator: \(what)"
            }
        }
    }

    let graph: Graph
    let checkpoint: Checkpoint

    /// The graph's logits for `tokens` (the last position's).
    func logits(tokens: [Int]) throws -> [Double] {
        try values(tokens: tokens)[graph.logits!.index]
    }

    /// Every value of the graph for `tokens`, one sequence with token types `tokenTypes` (all 0 when nil).
    func values(tokens: [Int], tokenTypes: [Int]? = nil) throws -> [[Double]] {
        var values: [[Double]] = []
        for node in graph.nodes {
            values.append(try evaluate(node, values, tokens: tokens, types: tokenTypes ?? tokens.map { _ in 0 }))
        }
        return values
    }

    /// A weight as row-major values of its shape.
    func weight(_ ref: WeightRef) throws -> [Double] {
        try materialize(ref.transform, rowLength: ref.shape.count == 2 ? ref.shape[1] : 1)
    }

    private func materialize(_ t: WeightTransform, rowLength: Int) throws -> [Double] {
        switch t {
        case .tensor(let name):
            return try checkpoint.floats(name).map(Double.init)
        case .concatRows(let parts):
            return try parts.flatMap { try materialize($0, rowLength: rowLength) }
        case .sliceRows(let base, let start, let count):
            return Array(try materialize(base, rowLength: rowLength)[start * rowLength ..< (start + count) * rowLength])
        case .scaled(let base, let factor):
            return try materialize(base, rowLength: rowLength).map { $0 * Double(factor) }
        case .negatedExp(let base):
            return try materialize(base, rowLength: rowLength).map { -Foundation.exp($0) }
        case .rowNormalized(let base):
            let m = try materialize(base, rowLength: rowLength)
            return stride(from: 0, to: m.count, by: rowLength).flatMap { start in
                let row = m[start ..< start + rowLength]
                let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                return row.map { $0 / norm }
            }
        case .transposed(let base, let rows, let cols):
            let m = try materialize(base, rowLength: cols)
            return (0..<cols * rows).map { i in m[(i % rows) * cols + i / rows] }
        case .columnsScaled(let base, let vector):
            let factors = try materialize(vector, rowLength: 1)
            return try materialize(base, rowLength: rowLength).enumerated().map { $1 * factors[$0 % rowLength] }
        }
    }

    private func evaluate(_ node: Node, _ v: [[Double]], tokens: [Int], types: [Int]) throws -> [Double] {
        let cols = node.type.cols
        let rows = node.type.rows == .tokens ? tokens.count : 1
        func input(_ id: ValueID) -> [Double] { v[id.index] }
        switch node.op {
        case .tokenIDs:
            return tokens.map(Double.init)
        case .embedding(let ids, let table):
            let t = try weight(table)
            return input(ids).flatMap { id in t[Int(id) * cols ..< (Int(id) + 1) * cols] }
        case .positionEmbedding(let x, let table, let offset):
            let t = try weight(table)
            return input(x).enumerated().map { i, value in value + t[(i / cols + offset) * cols + i % cols] }
        case .rmsNorm(let x, let w, let eps, let group, let offset):
            let weights = try w.map(weight)
            return groups(input(x), group, cols: cols) { start, g in
                let inv = 1 / (g.reduce(0) { $0 + $1 * $1 } / Double(group) + Double(eps)).squareRoot()
                return g.enumerated().map { i, value in
                    value * inv * (weights.map { $0[start % $0.count + i] + Double(offset) } ?? 1)
                }
            }
        case .layerNorm(let x, let w, let b, let eps, let group, let offset):
            let weights = try w.map(weight)
            let biases = try b.map(weight)
            // Parameters are [group] (shared) or [cols] (one slice per group).
            return groups(input(x), group, cols: cols) { start, g in
                let mean = g.reduce(0, +) / Double(group)
                let variance = g.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(group)
                let inv = 1 / (variance + Double(eps)).squareRoot()
                return g.enumerated().map { i, value in
                    (value - mean) * inv * (weights.map { $0[start % $0.count + i] + Double(offset) } ?? 1)
                        + (biases.map { $0[start % $0.count + i] } ?? 0)
                }
            }
        case .linear(let x, let w, let b, let accumulate):
            let (m, inputs) = (try weight(w), input(x))
            let bias = try b.map(weight)
            let k = m.count / cols
            var out = [Double](repeating: 0, count: rows * cols)
            for r in 0..<rows {
                for o in 0..<cols {
                    var sum = bias?[o] ?? 0
                    for i in 0..<k { sum += inputs[r * k + i] * m[o * k + i] }
                    out[r * cols + o] = sum + (accumulate.map { input($0)[r * cols + o] } ?? 0)
                }
            }
            return out
        case .rope(let x, let spec):
            var out = input(x)
            // The prompt is positions 0 ..< rows: LongRoPE's long table applies when that is past its threshold.
            let invFreq = spec.longContext.flatMap { rows > $0.threshold ? $0.invFreq : nil } ?? spec.invFreq
            for r in 0..<rows {
                for h in 0..<spec.heads {
                    for i in 0..<spec.rotaryDim / 2 {
                        let base = r * cols + h * spec.headDim
                        let (a, b) = spec.style == .neox ? (base + i, base + i + spec.rotaryDim / 2) : (base + 2 * i, base + 2 * i + 1)
                        let angle = Double(Float(r) * invFreq[i])
                        let (c, s) = (cos(angle) * Double(spec.attentionScaling), sin(angle) * Double(spec.attentionScaling))
                        (out[a], out[b]) = (out[a] * c - out[b] * s, out[b] * c + out[a] * s)
                    }
                }
            }
            return out
        case .attention(let q, let k, let vv, let spec):
            // Without k and v: those of the earlier attention that filled the same cache slot (KV sharing).
            let producer = graph.nodes.lazy.compactMap { node -> (ValueID, ValueID)? in
                if case .attention(_, let k?, let v?, let s) = node.op, s.cacheSlot == spec.cacheSlot { (k, v) } else { nil }
            }.first
            guard let (keys, values) = k.flatMap({ k in vv.map { (k, $0) } }) ?? producer else {
                throw Failure.unsupported("attention \(node.name) reads cache slot \(spec.cacheSlot) that no layer fills")
            }
            return attention(input(q), input(keys), input(values), spec, sinks: try spec.sinks.map(weight), rows: rows)
        case .gatedActivation(let gate, let up, let act):
            return zip(input(gate), input(up)).map { gated(act, gate: $0, up: $1) }
        case .unary(let x, let f):
            return input(x).map { apply(f, $0) }
        case .add(let a, let b):
            return broadcast(input(a), input(b), cols: cols, +)
        case .mul(let a, let b):
            return broadcast(input(a), input(b), cols: cols, *)
        case .div(let a, let b):
            return broadcast(input(a), input(b), cols: cols, /)
        case .rowStatistic(let x, let statistic):
            let all = input(x)
            let width = all.count / rows
            return (0..<rows).map { r in
                let row = all[r * width ..< (r + 1) * width]
                let mean = row.reduce(0, +) / Double(width)
                return switch statistic {
                case .mean: mean
                case .std: (row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)).squareRoot()
                case .rms(let floor): max(row.reduce(0) { $0 + $1 * $1 } / Double(width), Double(floor)).squareRoot()
                }
            }
        case .blockMix(let x, let c, let blocks):
            let (xs, cs) = (input(x), input(c))
            let (width, outputs) = (xs.count / rows / blocks, cs.count / rows / blocks)
            return (0..<rows).flatMap { r in
                (0..<outputs * width).map { o in
                    (0..<blocks).reduce(0) { sum, j in
                        sum + cs[r * outputs * blocks + o / width * blocks + j] * xs[r * blocks * width + j * width + o % width]
                    }
                }
            }
        case .concat(let parts):
            let values = parts.map(input)
            return (0..<rows).flatMap { r in
                values.flatMap { v in v[r * (v.count / rows) ..< (r + 1) * (v.count / rows)] }
            }
        case .scale(let x, let factor):
            return input(x).map { $0 * Double(factor) }
        case .slice(let x, let start, let count):
            let all = input(x)
            let width = all.count / rows
            return (0..<rows).flatMap { r in all[r * width + start ..< r * width + start + count] }
        case .lastRow(let x):
            return Array(input(x).suffix(cols))
        case .tokenTypes:
            return types.map(Double.init)
        case .pool(let x, let reduction):  // the whole call is one sequence
            let all = input(x)
            let column = { (c: Int) in stride(from: c, to: all.count, by: cols).map { all[$0] } }
            return (0..<cols).map { c in
                switch reduction {
                case .first: all[c]
                case .last: all[all.count - cols + c]
                case .mean: column(c).reduce(0, +) / Double(tokens.count)
                case .spladeMax: log1p(max(column(c).max() ?? 0, 0))
                }
            }
        case .l2Normalize(let x):
            let all = input(x)
            let norm = max(all.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return all.map { $0 / norm }
        case .causalConv1d(let x, let spec):  // one sequence from position 0
            let (values, taps, bias) = (input(x), try weight(spec.weight), try spec.bias.map(weight))
            let (width, k) = (spec.channels, spec.kernel)
            return (0..<rows * width).map { i in
                let (t, channel) = (i / width, i % width)
                let sum = (0..<k).filter { t - (k - 1) + $0 >= 0 }.reduce(bias?[channel] ?? 0) { sum, tap in
                    sum + taps[tap * width + channel] * values[(t - (k - 1) + tap) * width + channel]
                }
                return spec.activation.map { apply($0, sum) } ?? sum
            }
        case .selectiveScan(let x, let dt, let b, let c, let spec):  // one sequence from a zero state
            return try scan(input(x), input(dt), input(b), input(c), spec, rows: rows)
        case .moe(let x, let router, let spec):
            return try mixtureOfExperts(input(x), router: input(router), spec, rows: rows)
        case .linearAttention(let q, let k, let v, let decay, let beta, let spec):  // one sequence from a zero state
            return try linearAttention(q: input(q), k: input(k), v: input(v), decay: decay.map(input), beta: beta.map(input), spec, rows: rows)
        }
    }

    /// The selective scan of `ScanSpec` in f64, one channel at a time.
    private func scan(_ x: [Double], _ dt: [Double], _ b: [Double], _ c: [Double], _ s: ScanSpec, rows: Int) throws -> [Double] {
        let (a, d, bias) = (try weight(s.a), try s.d.map(weight), try s.dtBias.map(weight))
        let (channels, n, width) = (s.channels, s.stateSize, s.groups * s.stateSize)
        var out = [Double](repeating: 0, count: rows * channels)
        for channel in 0..<channels {
            let head = channel / s.headDim
            let group = head / (s.heads / s.groups)
            var h = [Double](repeating: 0, count: n)
            for t in 0..<rows {
                let raw = dt[t * s.heads + head] + (bias?[head] ?? 0)
                let (step, value) = (s.dtSoftplus ? apply(.softplus, raw) : raw, x[t * channels + channel])
                var y = (d?[head] ?? 0) * value
                for j in 0..<n {
                    let decay = exp(step * (s.aPerState ? a[j * s.heads + head] : a[head]))
                    h[j] = decay * h[j] + step * value * b[t * width + group * n + j]
                    y += c[t * width + group * n + j] * h[j]
                }
                out[t * channels + channel] = y
            }
        }
        return out
    }

    /// a op b elementwise, b either of a's shape or one value per row.
    private func broadcast(_ a: [Double], _ b: [Double], cols: Int, _ op: (Double, Double) -> Double) -> [Double] {
        a.count == b.count ? zip(a, b).map(op) : a.enumerated().map { op($1, b[$0 / cols]) }
    }

    /// `f(start column within the row, values)` over consecutive groups of `size` columns.
    private func groups(_ x: [Double], _ size: Int, cols: Int, _ f: (Int, [Double]) -> [Double]) -> [Double] {
        stride(from: 0, to: x.count, by: size).flatMap { f($0 % cols, Array(x[$0 ..< $0 + size])) }
    }

    private func apply(_ f: UnaryOp, _ x: Double) -> Double {
        switch f {
        case .gelu: 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .geluTanh: 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .relu: max(x, 0)
        case .reluSquared: max(x, 0) * max(x, 0)
        case .silu: x / (1 + exp(-x))
        case .softcap(let cap): Double(cap) * tanh(x / Double(cap))
        case .scale(let factor): x * Double(factor)
        case .clamp(let limit): min(max(x, -Double(limit)), Double(limit))
        case .xielu(let alphaP, let alphaN, let beta, let eps):
            x > 0 ? Double(alphaP) * x * x + Double(beta) * x : (expm1(min(x, Double(eps))) - x) * Double(alphaN) + Double(beta) * x
        case .tanh: tanh(x)
        case .shift(let constant): x + Double(constant)
        case .softplus: x > 20 ? x : log1p(exp(x))
        case .sigmoid: 1 / (1 + exp(-x))
        }
    }

    /// A gated MLP's activation of one (gate, up) pair: act(gate) · up, or GPT-OSS's clamped SwiGLU
    /// min(g, limit) · sigmoid(alpha · min(g, limit)) · (clamp(u, ±limit) + 1).
    func gated(_ act: GatedActivation, gate: Double, up: Double) -> Double {
        switch act {
        case .silu: apply(.silu, gate) * up
        case .geluTanh: apply(.geluTanh, gate) * up
        case .gelu: apply(.gelu, gate) * up
        case .relu: apply(.relu, gate) * up
        case .clampedSwiGLU(let alpha, let limit):
            min(gate, Double(limit)) / (1 + exp(-Double(alpha) * min(gate, Double(limit)))) * (min(max(up, -Double(limit)), Double(limit)) + 1)
        }
    }

    /// Causal (optionally windowed, soft-capped, ALiBi-biased, with sinks) attention of every position over the prompt.
    private func attention(_ q: [Double], _ k: [Double], _ v: [Double], _ s: AttentionSpec, sinks: [Double]?, rows: Int) -> [Double] {
        let (hd, qWidth, kvWidth) = (s.headDim, s.qHeads * s.headDim, s.kvHeads * s.headDim)
        let (vd, outWidth, vWidth) = (s.valueHeadDim, s.qHeads * s.valueHeadDim, s.kvHeads * s.valueHeadDim)
        var out = [Double](repeating: 0, count: rows * outWidth)
        for p in 0..<rows {
            for h in 0..<s.qHeads {
                let kvHead = h / (s.qHeads / s.kvHeads)
                let visible = (0..<rows).filter { j in
                    (!s.causal || j <= p) && (s.window.map { s.causal ? p - $0 < j : abs(p - j) < $0 } ?? true)
                }
                let logits = visible.map { j -> Double in
                    var dot = 0.0
                    for d in 0..<hd { dot += q[p * qWidth + h * hd + d] * k[j * kvWidth + kvHead * hd + d] }
                    var logit = dot * Double(s.scale)
                    if let cap = s.softcap { logit = Double(cap) * tanh(logit / Double(cap)) }
                    if let slopes = s.alibiSlopes { logit += Double(slopes[h]) * Double(j - p) }
                    return logit
                }
                let sink = sinks.map { $0[h] }
                let top = max(logits.max() ?? 0, sink ?? -.infinity)
                let weights = logits.map { exp($0 - top) }
                let total = weights.reduce(0, +) + (sink.map { exp($0 - top) } ?? 0)
                for (j, weight) in zip(visible, weights) {
                    for d in 0..<vd { out[p * outWidth + h * vd + d] += weight / total * v[j * vWidth + kvHead * vd + d] }
                }
            }
        }
        return out
    }
}
