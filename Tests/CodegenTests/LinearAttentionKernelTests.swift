import Codegen
import Foundation
import IR
import XCTest

/// LinearAttentionKernel (the gated delta rule of Gated DeltaNet; lightning attention's constant decay and plain
/// k vᵀ update) against an f64 reference of whole sequences from a zero state, on odd shapes (grouped value heads,
/// value widths that leave a partial vector, tiny key widths), and the state contract of `SSMKernelTests`: one call ==
/// two chunks == token by token, position 0 ignores the saved state, a packed batch == separate calls.
final class LinearAttentionKernelTests: XCTestCase {
    /// (key heads, value heads, key dim, value dim)
    private static let shapes = [(2, 4, 16, 16), (1, 3, 5, 20), (2, 2, 8, 37), (1, 1, 3, 7)]

    func testGatedDeltaRuleAgainstReference() throws {
        try check(constantDecay: false, deltaRule: true)
    }

    func testLightningAttentionAgainstReference() throws {
        try check(constantDecay: true, deltaRule: false)
    }

    private func check(constantDecay: Bool, deltaRule: Bool) throws {
        for target in testTargets {
            for (keyHeads, valueHeads, keyDim, valueDim) in Self.shapes {
                let rule = LinearAttentionFixture(keyHeads: keyHeads, valueHeads: valueHeads, keyDim: keyDim, valueDim: valueDim,
                                                  constantDecay: constantDecay, deltaRule: deltaRule, seed: UInt64(valueHeads * 100 + valueDim))
                let make = { (source: PositionSource) in
                    LinearAttentionKernel(keyHeads: keyHeads, valueHeads: valueHeads, keyDim: keyDim, valueDim: valueDim,
                                          queryScale: rule.queryScale, keyScale: rule.keyScale,
                                          decay: constantDecay ? .constant(rule.a.floatArray(valueHeads)) : .gated, deltaRule: deltaRule,
                                          source: source)
                }
                let context = "linear attention hk\(keyHeads) hv\(valueHeads) dk\(keyDim) dv\(valueDim) constant \(constantDecay) "
                    + "delta \(deltaRule) \(target.name)"
                try checkStateContract(rule, single: try KernelHarness(make(.consecutive), target: target),
                                       batch: try KernelHarness(make(.perToken), target: target), context: context)
            }
        }
    }
}

/// Linear attention: q, k, v, the decay inputs a and the β logits b as column blocks of one row buffer (as slices
/// of a projection would be), A (negative: the rate of a gated decay, else the constant log decay) and dt bias per
/// value head, output rows of stride valueHeads·valueDim + 1.
struct LinearAttentionFixture: SequenceFixture {
    let keyHeads: Int, valueHeads: Int, keyDim: Int, valueDim: Int, constantDecay: Bool, deltaRule: Bool
    let a: AlignedBuffer, bias: AlignedBuffer

    init(keyHeads: Int, valueHeads: Int, keyDim: Int, valueDim: Int, constantDecay: Bool, deltaRule: Bool, seed: UInt64) {
        (self.keyHeads, self.valueHeads, self.keyDim, self.valueDim) = (keyHeads, valueHeads, keyDim, valueDim)
        (self.constantDecay, self.deltaRule) = (constantDecay, deltaRule)
        var random = TestRandom(seed: seed)
        a = AlignedBuffer(floats: random.array(valueHeads).map { -Foundation.exp($0) })
        bias = AlignedBuffer(floats: random.array(valueHeads))
    }

    /// k scaled to about unit norm (as the l2-normed keys of the model), q by a factor of its own.
    var keyScale: Float { 1 / Float(keyDim).squareRoot() }
    var queryScale: Float { 0.7 }
    var keyWidth: Int { keyHeads * keyDim }
    var valueWidth: Int { valueHeads * valueDim }
    /// Row layout: q | k | v | a | b | pad.
    var kAt: Int { keyWidth }
    var vAt: Int { 2 * keyWidth }
    var aAt: Int { vAt + valueWidth }
    var bAt: Int { aAt + valueHeads }
    var ld: Int { bAt + valueHeads + 1 }
    var outputWidth: Int { valueWidth + 1 }
    var stateCount: Int { valueHeads * keyDim * valueDim }
    func stateValues(_ state: AlignedBuffer) -> [Float] { state.floatArray(stateCount) }

    func inputs(rows: Int) -> AlignedBuffer {
        var random = TestRandom(seed: UInt64(rows) + 11)
        return AlignedBuffer(floats: random.array(rows * ld, scale: 1.5))
    }

    func run(_ harness: KernelHarness, _ rowsBuffer: AlignedBuffer, rows: Range<Int>, position: RowPositions,
             state: AlignedBuffer, concurrently: Bool) -> [Float] {
        let out = AlignedBuffer(byteCount: rows.count * outputWidth * 4)
        let base = rowsBuffer.floats + rows.lowerBound * ld
        harness.run(rows: rows.count, concurrently: concurrently,
                    [slot(base), slot(ld), slot(base + kAt), slot(ld), slot(base + vAt), slot(ld),
                     slot(constantDecay ? nil : UnsafeRawPointer(base + aAt)), slot(ld), slot(deltaRule ? UnsafeRawPointer(base + bAt) : nil), slot(ld),
                     slot(constantDecay ? nil : a.raw), slot(constantDecay ? nil : bias.raw), slot(out.raw), slot(outputWidth),
                     slot(state.raw), position.argument, slot(rows.count)])
        return out.floatArray(rows.count * outputWidth)
    }

    /// Per value head: S ← decay·S, u = β(v − Sᵀk) (delta rule) or v, S ← S + k uᵀ, o = Sᵀq, in f64.
    func reference(_ v: AlignedBuffer, rows: Range<Int>) -> [Double] {
        let value = { (row: Int, column: Int) in Double(v.floats[row * ld + column]) }
        var out = [Double](repeating: 0, count: rows.count * outputWidth)
        for head in 0..<valueHeads {
            let keyColumn = head / (valueHeads / keyHeads) * keyDim
            var s = [[Double]](repeating: [Double](repeating: 0, count: valueDim), count: keyDim)
            for (i, t) in rows.enumerated() {
                let step = constantDecay ? 1 : ActivationReference.unary(.softplus, value(t, aAt + head) + Double(bias.floats[head]))
                let decay = Foundation.exp(Double(a.floats[head]) * step)
                let beta = ActivationReference.unary(.sigmoid, value(t, bAt + head))
                let k = (0..<keyDim).map { value(t, kAt + keyColumn + $0) * Double(keyScale) }
                let q = (0..<keyDim).map { value(t, keyColumn + $0) * Double(queryScale) }
                s = s.map { $0.map { $0 * decay } }
                for j in 0..<valueDim {
                    let recalled = (0..<keyDim).reduce(0) { $0 + s[$1][j] * k[$1] }
                    let v = value(t, vAt + head * valueDim + j)
                    let update = deltaRule ? beta * (v - recalled) : v
                    for r in 0..<keyDim { s[r][j] += k[r] * update }
                    out[i * outputWidth + head * valueDim + j] = (0..<keyDim).reduce(0) { $0 + s[$1][j] * q[$1] }
                }
            }
        }
        return out
    }
}
