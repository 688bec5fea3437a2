import Codegen
import Foundation
import IR
import XCTest

/// Pooling over packed sequences and L2 normalisation against f64 references, on odd widths and uneven sequences.
final class PoolKernelTests: XCTestCase {
    private let widths = [1, 17, 40]
    /// Sequence lengths of one packed batch (a 1-token sequence included).
    private let lengths = [5, 1, 12, 3]

    func testPoolReductions() throws {
        let starts = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let tokens = starts.last!
        let seqStart = starts.map(Int64.init)
        for target in testTargets {
            for reduction in [PoolReduction.first, .last, .mean, .spladeMax] {
                for width in widths {
                    let harness = try KernelHarness(PoolKernel(width: width, reduction: reduction), target: target)
                    var random = TestRandom(seed: UInt64(width) * 3 + 1)
                    let (ldx, ldo) = (width + 3, width + 1)
                    let x0 = random.array(tokens * ldx, scale: 3)
                    let x = AlignedBuffer(floats: x0)
                    let out0 = random.array(lengths.count * ldo)
                    let out = AlignedBuffer(floats: out0)
                    seqStart.withUnsafeBufferPointer { starts in
                        harness.run(rows: lengths.count, [slot(x.raw), slot(ldx), slot(starts.baseAddress!), slot(out.raw), slot(ldo),
                                                          slot(lengths.count)])
                    }
                    var expected = out0.map(Double.init)
                    for s in lengths.indices {
                        let rows = starts[s]..<starts[s + 1]
                        for c in 0..<width {
                            let column = rows.map { Double(x0[$0 * ldx + c]) }
                            expected[s * ldo + c] = switch reduction {
                            case .first: column[0]
                            case .last: column[column.count - 1]
                            case .mean: column.reduce(0, +) / Double(column.count)
                            case .spladeMax: column.map { Foundation.log1p(max($0, 0)) }.max()!
                            }
                        }
                    }
                    assertClose(out.floatArray(lengths.count * ldo), expected, magnitude: expected.map(abs), relative: 1e-6,
                                "\(reduction) width \(width) \(target.name)")
                }
            }
        }
    }

    func testL2Normalize() throws {
        for target in testTargets {
            for width in widths {
                let harness = try KernelHarness(L2NormalizeKernel(width: width), target: target)
                var random = TestRandom(seed: UInt64(width) + 11)
                let rows = 3, ldx = width + 2
                var x0 = random.array(rows * ldx, scale: 5)
                for c in 0..<width { x0[2 * ldx + c] = 0 }  // a zero row stays zero (norm clamped to 1e-12)
                let x = AlignedBuffer(floats: x0)
                harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(x.raw), slot(ldx), slot(rows)])
                var expected = x0.map(Double.init)
                for r in 0..<rows {
                    let row = (0..<width).map { Double(x0[r * ldx + $0]) }
                    let norm = max(row.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
                    for c in 0..<width { expected[r * ldx + c] = row[c] / norm }
                }
                assertClose(x.floatArray(rows * ldx), expected, magnitude: expected.map(abs), relative: 1e-6,
                            "l2 normalize width \(width) \(target.name)")
            }
        }
    }
}
