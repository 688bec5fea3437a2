import Codegen
import IR
import XCTest

/// `MoEKernel` (routing, expert-order gather, per-expert matmuls, gated activation, combine) JIT-compiled and run
/// through llmc_parallel_for, against a scalar f64 mixture of experts: softmax over each row's router logits, the
/// top-k with ties to the lowest expert index, optional renormalisation and scale, Σ weight · down(act(gate x) · up x).
final class MoEKernelTests: XCTestCase {
    private struct Case {
        var hidden = 37
        var ff = 21
        var experts = 5
        var routing = MoERouting(topK: 2, renormalize: true)
        /// Selection bias per expert (nil: none).
        var bias: [Float]? = nil
        var activation = GatedActivation.silu
        /// Biases on every expert's gate|up and down matmuls (GPT-OSS).
        var expertBiases = false
        var format = WeightFormat.f32
        var rows = [1, 3, 37]
        /// Relative tolerance on each output (of the sum of its terms' magnitudes).
        var tolerance = 1e-5
    }

    /// Expert 4 never wins (its logit is far below), so its weights are NaN: any read of them would show.
    private static let unusedExpert = 4

    private func check(_ c: Case, target: TargetSpec) throws {
        let capacity = c.rows.max() ?? 1
        let kernel = MoEKernel(hidden: c.hidden, ff: c.ff, experts: c.experts, routing: c.routing, biased: c.bias != nil,
                               expertBiases: c.expertBiases, activation: c.activation, gateUpFormat: c.format, downFormat: c.format, capacity: capacity)
        let harness = try KernelHarness(kernel, target: target)
        var random = TestRandom(seed: UInt64(c.hidden * 100 + c.ff + c.routing.topK))
        let context = "\(kernel.symbol) \(target.name)"

        // Expert weights, packed one after another at 64-byte aligned offsets (gate|up matrices, then down ones).
        let gateUps = (0..<c.experts).map { _ in random.array(2 * c.ff * c.hidden, scale: 0.5) }
        let downs = (0..<c.experts).map { _ in random.array(c.hidden * c.ff, scale: 0.5) }
        let matrices = zip(gateUps, Array(repeating: (c.hidden, 2 * c.ff), count: c.experts)).map { ($0, $1) }
            + zip(downs, Array(repeating: (c.ff, c.hidden), count: c.experts)).map { ($0, $1) }
        var offsets: [Int] = [], end = 0
        for (_, (k, n)) in matrices {
            offsets.append(end)
            end += (MatmulKernel.packedBytes(k: k, n: n, weight: c.format) + 63) & ~63
        }
        // Expert biases (f32 vectors) after the matrices: gate|up ones, then down ones.
        let biases = c.expertBiases ? (0..<c.experts).map { _ in random.array(2 * c.ff, scale: 1) }
            + (0..<c.experts).map { _ in random.array(c.hidden, scale: 1) } : []
        for vector in biases {
            offsets.append(end)
            end += (4 * vector.count + 63) & ~63
        }
        let packed = AlignedBuffer(byteCount: end)
        for (index, vector) in biases.enumerated() {
            for (i, value) in vector.enumerated() {
                packed.raw.storeBytes(of: value, toByteOffset: offsets[matrices.count + index] + 4 * i, as: Float.self)
            }
        }
        let gateUpBias = { (e: Int) in c.expertBiases ? biases[e].map(Double.init) : Array(repeating: 0, count: 2 * c.ff) }
        let downBias = { (e: Int) in c.expertBiases ? biases[c.experts + e].map(Double.init) : Array(repeating: 0, count: c.hidden) }
        for (index, (values, (k, n))) in matrices.enumerated() {
            let poisoned = index % c.experts == Self.unusedExpert ? values.map { _ in Float.nan } : values
            poisoned.withUnsafeBufferPointer {
                MatmulKernel.pack($0, k: k, n: n, weight: c.format, into: packed.raw + offsets[index])
            }
        }
        // What the kernel multiplies by: bf16-rounded weights for bf16; int8 is checked against f32 with a tolerance.
        let stored = { (values: [Float]) in
            values.map { c.format == .bf16 ? Double(BFloat16Bits.widen(BFloat16Bits.round($0))) : Double($0) }
        }
        let (gateUpValues, downValues) = (gateUps.map(stored), downs.map(stored))
        let table = AlignedBuffer(byteCount: 8 * offsets.count)
        for (i, offset) in offsets.enumerated() { table.raw.storeBytes(of: Int64(offset), toByteOffset: 8 * i, as: Int64.self) }
        let scratch = AlignedBuffer(byteCount: kernel.scratchBytes)
        let bias = c.bias.map { AlignedBuffer(floats: $0) }

        for rows in c.rows {
            let (ldx, ldr, ldo) = (c.hidden + 3, c.experts + 1, c.hidden + 5)
            let xValues = random.array(rows * ldx, scale: 2)
            var logits = random.array(rows * ldr, scale: 3)
            for r in 0..<rows {
                logits[r * ldr + Self.unusedExpert] = -40
                // Ties: row 0 has equal logits for experts 1..3, row 1 for every usable expert.
                if r == 0 { for e in 1...3 { logits[r * ldr + e] = 0.75 } }
                if r == 1 { for e in 0..<Self.unusedExpert { logits[r * ldr + e] = -0.5 } }
            }
            let (x, router) = (AlignedBuffer(floats: xValues), AlignedBuffer(floats: logits))
            let out = AlignedBuffer(floats: Array(repeating: .nan, count: rows * ldo))
            harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(router.raw), slot(ldr), slot(packed.raw), slot(table.raw),
                                     slot(bias?.raw), slot(scratch.raw), slot(out.raw), slot(ldo), slot(rows)])

            var expected: [Double] = [], magnitude: [Double] = [], actual: [Float] = []
            for r in 0..<rows {
                let row = xValues[(r * ldx)..<(r * ldx + c.hidden)].map(Double.init)
                let picks = route(logits[(r * ldr)..<(r * ldr + c.experts)].map(Double.init), c.routing, bias: c.bias)
                var sums = [Double](repeating: 0, count: c.hidden), sizes = sums
                for (e, weight) in picks {
                    let (value, size) = expert(row, gateUp: gateUpValues[e], down: downValues[e], biases: (gateUpBias(e), downBias(e)),
                                                   ff: c.ff, c.activation)
                    for o in 0..<c.hidden {
                        sums[o] += weight * value[o]
                        sizes[o] += abs(weight) * size[o]
                    }
                }
                expected += sums
                magnitude += sizes
                actual += out.floatArray(rows * ldo)[(r * ldo)..<(r * ldo + c.hidden)]
            }
            assertClose(actual, expected, magnitude: magnitude, relative: c.tolerance, "\(context) rows \(rows)")
            let padding = (0..<rows).flatMap { r in out.floatArray(rows * ldo)[(r * ldo + c.hidden)..<((r + 1) * ldo)] }
            XCTAssertTrue(padding.allSatisfy(\.isNaN), "\(context) rows \(rows): wrote past the row width")
        }
    }

    /// (expert, weight) pairs of one token, in pick order.
    private func route(_ logits: [Double], _ routing: MoERouting, bias: [Float]?) -> [(Int, Double)] {
        let top = logits.max() ?? 0
        let p = switch routing.scoring {
        case .softmax: logits.map { Foundation.exp($0 - top) / logits.reduce(0) { $0 + Foundation.exp($1 - top) } }
        case .sigmoid: logits.map { 1 / (1 + Foundation.exp(-$0)) }
        }
        var score = p.indices.map { p[$0] + Double(bias?[$0] ?? 0) }
        if routing.groups > 1 {
            // Groups ranked by the sum of their groupTopScores best scores; experts outside the best topGroups drop out.
            let size = p.count / routing.groups
            let sums = (0..<routing.groups).map { g in score[(g * size)..<((g + 1) * size)].sorted(by: >).prefix(routing.groupTopScores).reduce(0, +) }
            let kept = Set(sums.indices.sorted { sums[$0] > sums[$1] || (sums[$0] == sums[$1] && $0 < $1) }.prefix(routing.topGroups))
            for e in score.indices where !kept.contains(e / size) { score[e] = -.infinity }
        }
        let order = p.indices.sorted { score[$0] > score[$1] || (score[$0] == score[$1] && $0 < $1) }
        let picks = order.prefix(routing.topK)
        let denominator = routing.renormalize ? picks.reduce(0) { $0 + p[$1] } : 1
        return picks.map { ($0, p[$0] / denominator * Double(routing.scale)) }
    }

    /// down(act(gate · x + b) · (up · x + b)) + b and the magnitude of its terms.
    private func expert(_ x: [Double], gateUp: [Double], down: [Double], biases: (gateUp: [Double], down: [Double]), ff: Int,
                        _ activation: GatedActivation) -> (value: [Double], size: [Double]) {
        let hidden = x.count
        let dot = { (row: Int) in (0..<hidden).reduce(biases.gateUp[row]) { $0 + gateUp[row * hidden + $1] * x[$1] } }
        let dotSize = { (row: Int) in (0..<hidden).reduce(abs(biases.gateUp[row])) { $0 + abs(gateUp[row * hidden + $1] * x[$1]) } }
        let h = (0..<ff).map { ActivationReference.gated(activation, gate: dot($0), up: dot(ff + $0)) }
        let hSize = (0..<ff).map { (abs(ActivationReference.gated(activation, gate: dot($0), up: 1)) + dotSize($0)) * (dotSize(ff + $0) + 1) }
        return ((0..<hidden).map { o in (0..<ff).reduce(biases.down[o]) { $0 + down[o * ff + $1] * h[$1] } },
                (0..<hidden).map { o in (0..<ff).reduce(abs(biases.down[o])) { $0 + abs(down[o * ff + $1]) * hSize[$1] } })
    }

    func testExpertBiasesWithClampedSwiGLU() throws {
        // GPT-OSS: softmax over the top-k logits, biases on both expert matmuls, clamped SwiGLU (limit low enough
        // that both clamps act on these values), f32 and bf16 experts.
        for format in [WeightFormat.f32, .bf16] {
            let c = Case(activation: .clampedSwiGLU(alpha: 1.702, limit: 1.5), expertBiases: true, format: format)
            for target in testTargets { try check(c, target: target) }
        }
    }

    func testF32TopTwoRenormalised() throws {
        for target in testTargets { try check(Case(), target: target) }
    }

    func testBF16TopOneWithoutRenormalisation() throws {
        // Jamba-style routing (softmax, top-k, not renormalised) with a routed scaling factor.
        let c = Case(hidden: 40, ff: 19, routing: MoERouting(topK: 1, renormalize: false, scale: 2.5), activation: .geluTanh,
                     format: .bf16)
        for target in testTargets { try check(c, target: target) }
    }

    func testBF16TopTwoWithoutRenormalisation() throws {
        let c = Case(hidden: 33, ff: 24, routing: MoERouting(topK: 2, renormalize: false), format: .bf16)
        for target in testTargets { try check(c, target: target) }
    }

    func testSigmoidWithSelectionBias() throws {
        // MiniMax-M2-style routing: sigmoid, choice by p + bias (the bias makes expert 3 win over larger logits),
        // weights from p, renormalised.
        let c = Case(routing: MoERouting(topK: 2, scoring: .sigmoid, renormalize: true), bias: [0, 0.1, -0.2, 0.6, 0])
        for target in testTargets { try check(c, target: target) }
    }

    func testGroupLimitedSigmoidRouting() throws {
        // DeepSeek-V3-style routing (GLM-4.5, dots.llm1): 6 experts in 3 groups of 2, the best group kept, its two
        // experts picked (even when the runner-up overall is in another group), renormalised and scaled. Group 2
        // (experts 4 and 5) never wins: expert 4's logit is far below and expert 5's bias is −2.
        let c = Case(experts: 6, routing: MoERouting(topK: 2, scoring: .sigmoid, renormalize: true, scale: 2.5, groups: 3, topGroups: 1),
                     bias: [0.05, -0.1, 0.2, 0, 0, -2])
        for target in testTargets { try check(c, target: target) }
    }

    func testGroupLimitedGreedyRouting() throws {
        // DeepSeek-V2's group_limited_greedy: softmax, groups ranked by their best probability alone, 8 experts in 4
        // groups of 2, the best 2 groups kept, top-3 of their 4 experts, not renormalised, scaled (over 37 random
        // rows, ranking groups by their top-2 sum instead keeps other groups on some).
        let c = Case(experts: 8, routing: MoERouting(topK: 3, renormalize: false, scale: 1.5, groups: 4, topGroups: 2, groupTopScores: 1))
        for target in testTargets { try check(c, target: target) }
    }

    func testInt8Experts() throws {
        let c = Case(hidden: 70, ff: 40, routing: MoERouting(topK: 2, renormalize: true), format: .int8, tolerance: 2e-2)
        for target in testTargets { try check(c, target: target) }
    }

    func testInt4Experts() throws {
        let c = Case(hidden: 64, ff: 32, routing: MoERouting(topK: 2, renormalize: true), format: .int4, tolerance: 8e-2)
        try check(c, target: .avx512)
    }
}
