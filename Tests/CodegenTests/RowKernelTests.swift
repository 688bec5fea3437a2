import Codegen
import Foundation
import IR
import XCTest

/// Row statistics and per-row block mixes against f64 references on odd widths and strided rows, on both targets.
final class RowKernelTests: XCTestCase {
    func testRowStatistics() throws {
        let statistics: [RowStatistic] = [.mean, .std, .rms(floor: 0), .rms(floor: 1e-5), .rms(floor: 4)]
        for target in testTargets {
            for statistic in statistics {
                for width in [1, 7, 16, 17, 33, 100] {
                    let harness = try KernelHarness(RowStatisticKernel(width: width, statistic: statistic), target: target)
                    var random = TestRandom(seed: UInt64(width) + 3)
                    for rows in [1, 3, 17] {
                        let (ldx, ldo) = (width + 5, 2)
                        // An offset makes the std a small difference of large values (the two-pass case).
                        let x0 = random.array(rows * ldx, scale: 3).map { $0 + 10 }
                        let x = AlignedBuffer(floats: x0)
                        let out0 = random.array(rows * ldo)
                        let out = AlignedBuffer(floats: out0)
                        harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(out.raw), slot(ldo), slot(rows)])
                        var expected = out0.map(Double.init), actual = out.floatArray(rows * ldo)
                        var magnitude = expected.map { abs($0) }
                        for r in 0..<rows {
                            let v = (0..<width).map { Double(x0[r * ldx + $0]) }
                            let mean = v.reduce(0, +) / Double(width)
                            expected[r * ldo] = switch statistic {
                            case .mean: mean
                            case .std: (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)).squareRoot()
                            case .rms(let floor): max(v.reduce(0) { $0 + $1 * $1 } / Double(width), Double(floor)).squareRoot()
                            }
                            // The std's rounding is relative to the values' size, not to the (small) deviation.
                            magnitude[r * ldo] = if case .std = statistic { 13 } else { abs(expected[r * ldo]) }
                        }
                        // Column 1 of each row lies past the output and must stay untouched.
                        for r in 0..<rows { XCTAssertEqual(actual[r * ldo + 1], out0[r * ldo + 1]) }
                        actual = (0..<rows).map { actual[$0 * ldo] }
                        assertClose(actual, (0..<rows).map { expected[$0 * ldo] }, magnitude: (0..<rows).map { magnitude[$0 * ldo] },
                                    relative: 3e-6, "\(statistic) width \(width) rows \(rows) \(target.name)")
                    }
                }
            }
        }
    }

    func testBlockMix() throws {
        for target in testTargets {
            for (width, blocks, outputs) in [(1, 1, 1), (17, 1, 1), (33, 1, 4), (32, 4, 4), (17, 3, 2), (100, 2, 5)] {
                let harness = try KernelHarness(BlockMixKernel(width: width, blocks: blocks, outputs: outputs), target: target)
                var random = TestRandom(seed: UInt64(width * 31 + blocks * 7 + outputs))
                for rows in [1, 3, 17] {
                    let (ldx, ldc, ldo) = (blocks * width + 3, outputs * blocks + 2, outputs * width + 1)
                    let x0 = random.array(rows * ldx, scale: 3), c0 = random.array(rows * ldc, scale: 2)
                    let out0 = random.array(rows * ldo)
                    let (x, c, out) = (AlignedBuffer(floats: x0), AlignedBuffer(floats: c0), AlignedBuffer(floats: out0))
                    harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(c.raw), slot(ldc), slot(out.raw), slot(ldo), slot(rows)])
                    var expected = out0.map(Double.init), magnitude = out0.map { abs(Double($0)) }
                    for r in 0..<rows {
                        for i in 0..<outputs {
                            for e in 0..<width {
                                let terms = (0..<blocks).map { j in Double(c0[r * ldc + i * blocks + j]) * Double(x0[r * ldx + j * width + e]) }
                                expected[r * ldo + i * width + e] = terms.reduce(0, +)
                                magnitude[r * ldo + i * width + e] = terms.reduce(0) { $0 + abs($1) }
                            }
                        }
                    }
                    assertClose(out.floatArray(rows * ldo), expected, magnitude: magnitude, relative: 1e-6,
                                "block mix width \(width) blocks \(blocks) outputs \(outputs) rows \(rows) \(target.name)")
                }
            }
        }
    }
}
