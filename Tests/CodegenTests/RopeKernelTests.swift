import Codegen
import Foundation
import IR
import XCTest

final class RopeKernelTests: XCTestCase {
    private func inverseFrequencies(_ rotaryDim: Int, base: Double = 10000) -> [Float] {
        (0..<(rotaryDim / 2)).map { Float(1 / pow(base, Double(2 * $0) / Double(rotaryDim))) }
    }

    /// The table transformers would build (f32 angle, then cos/sin), evaluated in f64.
    private func referenceTable(rotaryDim: Int, invFreq: [Float], scaling: Float, pos0: Int, rows: Int) -> [Double] {
        var table = [Double](repeating: 0, count: rows * rotaryDim)
        for r in 0..<rows {
            for i in 0..<(rotaryDim / 2) {
                let angle = Double(Float(pos0 + r) * invFreq[i])
                table[r * rotaryDim + i] = Double(Float(cos(angle))) * Double(scaling)
                table[r * rotaryDim + rotaryDim / 2 + i] = Double(Float(sin(angle))) * Double(scaling)
            }
        }
        return table
    }

    func testRopeTable() throws {
        for target in testTargets {
            for (rotaryDim, scaling) in [(2, Float(1)), (34, 1), (64, 1.25)] {
                let invFreq = inverseFrequencies(rotaryDim)
                let kernel = RopeTableKernel(rotaryDim: rotaryDim, invFreq: invFreq, attentionScaling: scaling)
                let harness = try KernelHarness(kernel, target: target)
                for (pos0, rows) in [(0, 1), (5, 3), (1000, 17), (70000, 2)] {
                    let out = AlignedBuffer(byteCount: rows * rotaryDim * 4)
                    harness.run(rows: rows, [slot(out.raw), slot(pos0), slot(rows)])
                    let expected = referenceTable(rotaryDim: rotaryDim, invFreq: invFreq, scaling: scaling, pos0: pos0, rows: rows)
                    assertClose(out.floatArray(rows * rotaryDim), expected, magnitude: expected.map { _ in 1 },
                                relative: 2e-7, absolute: 0, "rope table rd \(rotaryDim) pos0 \(pos0) \(target.name)")
                }
            }
        }
    }

    /// LongRoPE: a call whose sequence (pos0 + rows) passes the threshold uses the long table, otherwise the short one.
    func testRopeTableSwitchesToLongContextFrequencies() throws {
        let rotaryDim = 34
        let short = inverseFrequencies(rotaryDim)
        let long = short.enumerated().map { $1 / Float(1 + $0) }
        let kernel = RopeTableKernel(rotaryDim: rotaryDim, invFreq: short, attentionScaling: 1.2,
                                     longContext: RopeSpec.LongContext(invFreq: long, threshold: 16))
        for target in testTargets {
            let harness = try KernelHarness(kernel, target: target)
            for (pos0, rows, useLong) in [(0, 16, false), (0, 17, true), (15, 1, false), (16, 1, true), (10, 7, true)] {
                let out = AlignedBuffer(byteCount: rows * rotaryDim * 4)
                harness.run(rows: rows, [slot(out.raw), slot(pos0), slot(rows)])
                let expected = referenceTable(rotaryDim: rotaryDim, invFreq: useLong ? long : short, scaling: 1.2, pos0: pos0, rows: rows)
                assertClose(out.floatArray(rows * rotaryDim), expected, magnitude: expected.map { _ in 1.2 },
                            relative: 2e-7, absolute: 0, "long-context table pos0 \(pos0) rows \(rows) \(target.name)")
            }
        }
    }

    func testRopeStyles() throws {
        for target in testTargets {
            for (headDim, rotaryDim, heads) in [(2, 2, 1), (34, 34, 3), (64, 32, 2), (100, 100, 2), (64, 64, 4)] {
                for style in [RopeStyle.neox, .interleaved] {
                    let harness = try KernelHarness(RopeKernel(headDim: headDim, rotaryDim: rotaryDim, heads: heads, style: style),
                                                    target: target)
                    var random = TestRandom(seed: UInt64(headDim + heads))
                    for rows in [1, 3, 17] {
                        for inPlace in [false, true] {
                            let table = referenceTable(rotaryDim: rotaryDim, invFreq: inverseFrequencies(rotaryDim), scaling: 1,
                                                       pos0: 3, rows: rows).map { Float($0) }
                            let tableBuffer = AlignedBuffer(floats: table)
                            let ldx = heads * headDim + 2
                            let ldo = inPlace ? ldx : heads * headDim
                            let x0 = random.array(rows * ldx)
                            let x = AlignedBuffer(floats: x0)
                            let out = inPlace ? x : AlignedBuffer(byteCount: rows * ldo * 4)
                            harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(tableBuffer.raw), slot(out.raw), slot(ldo), slot(rows)])
                            var expected = [Double](), actual = [Float]()
                            for r in 0..<rows {
                                for h in 0..<heads {
                                    let v = (0..<headDim).map { Double(x0[r * ldx + h * headDim + $0]) }
                                    var result = v
                                    let half = rotaryDim / 2
                                    for i in 0..<half {
                                        let (c, s) = (Double(table[r * rotaryDim + i]), Double(table[r * rotaryDim + half + i]))
                                        let (ia, ib) = style == .neox ? (i, i + half) : (2 * i, 2 * i + 1)
                                        result[ia] = v[ia] * c - v[ib] * s
                                        result[ib] = v[ib] * c + v[ia] * s
                                    }
                                    for i in 0..<headDim {
                                        expected.append(result[i])
                                        actual.append(out.floats[r * ldo + h * headDim + i])
                                    }
                                }
                            }
                            assertClose(actual, expected, magnitude: expected.map { _ in 1 }, relative: 5e-7, absolute: 0,
                                        "rope \(style) hd \(headDim) rd \(rotaryDim) rows \(rows) inPlace \(inPlace) \(target.name)")
                        }
                    }
                }
            }
        }
    }
}
