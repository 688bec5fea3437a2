import Codegen
import Foundation
import IR
import XCTest

/// Unary and binary elementwise kernels against f64 references on odd widths, in place and out of place, on both
/// targets; columns past the width must stay untouched.
final class UnaryBinaryKernelTests: XCTestCase {
    private let widths = [1, 17, 33, 100]
    private let rowCounts = [1, 3, 17]

    func testUnaryOps() throws {
        let ops: [UnaryOp] = [.gelu, .geluTanh, .relu, .reluSquared, .silu, .softcap(30), .softcap(0.75), .scale(0.3),
                              .clamp(3), .xielu(alphaP: 0.8788, alphaN: 0.7609, beta: 0.5, eps: -1e-6), .tanh, .shift(1),
                              .shift(-2.5), .softplus, .sigmoid]
        for target in testTargets {
            for op in ops {
                for width in widths {
                    let harness = try KernelHarness(UnaryKernel(width: width, op: op), target: target)
                    var random = TestRandom(seed: UInt64(width))
                    for rows in rowCounts {
                        for inPlace in [false, true] {
                            let ldx = width + 3
                            let ldo = inPlace ? ldx : width + 1
                            var x0 = random.array(rows * ldx, scale: 12)
                            for (i, s) in [Float(0), -0.5, 90, -90, 1e-3, -20, 20, -3].enumerated() where i < width { x0[i] = s }
                            let x = AlignedBuffer(floats: x0)
                            let out0 = inPlace ? x0 : random.array(rows * ldo)
                            let out = inPlace ? x : AlignedBuffer(floats: out0)
                            harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(out.raw), slot(ldo), slot(rows)])
                            var expected = out0.map(Double.init), magnitude = out0.map { abs(Double($0)) }
                            for r in 0..<rows {
                                for i in 0..<width {
                                    let value = Double(x0[r * ldx + i])
                                    expected[r * ldo + i] = ActivationReference.unary(op, value)
                                    magnitude[r * ldo + i] = abs(expected[r * ldo + i]) * ActivationReference.conditioning(op, value)
                                }
                            }
                            assertClose(out.floatArray(rows * ldo), expected, magnitude: magnitude, relative: 2e-6,
                                        absolute: 1e-37, "\(op) width \(width) rows \(rows) inPlace \(inPlace) \(target.name)")
                        }
                    }
                }
            }
        }
    }

    func testBinaryOps() throws {
        for target in testTargets {
            for op in [BinaryOp.add, .mul, .div] {
                for width in widths {
                    let harness = try KernelHarness(BinaryKernel(width: width, op: op), target: target)
                    var random = TestRandom(seed: UInt64(width) + 7)
                    for rows in rowCounts {
                        for aliasing in ["none", "a", "b"] {
                            let (lda, ldb) = (width + 2, width + 5)
                            let a0 = random.array(rows * lda, scale: 4), b0 = random.array(rows * ldb, scale: 4)
                            let a = AlignedBuffer(floats: a0), b = AlignedBuffer(floats: b0)
                            let ldo = aliasing == "a" ? lda : aliasing == "b" ? ldb : width + 1
                            let out0 = aliasing == "a" ? a0 : aliasing == "b" ? b0 : random.array(rows * ldo)
                            let out = aliasing == "a" ? a : aliasing == "b" ? b : AlignedBuffer(floats: out0)
                            harness.run(rows: rows, [slot(a.raw), slot(lda), slot(b.raw), slot(ldb), slot(out.raw), slot(ldo), slot(rows)])
                            var expected = out0
                            for r in 0..<rows {
                                for i in 0..<width {
                                    let (x, y) = (a0[r * lda + i], b0[r * ldb + i])
                                    expected[r * ldo + i] = Self.apply(op, x, y)
                                }
                            }
                            XCTAssertEqual(out.floatArray(rows * ldo), expected,
                                           "\(op) width \(width) rows \(rows) out = \(aliasing) \(target.name)")
                        }
                    }
                }
            }
        }
    }

    /// b holds one value per row (column 0 of a strided [rows, 1] value), broadcast along a's row.
    func testBinaryOpsWithRowValue() throws {
        for target in testTargets {
            for op in [BinaryOp.add, .mul, .div] {
                for width in widths {
                    let harness = try KernelHarness(BinaryKernel(width: width, op: op, broadcastB: true), target: target)
                    var random = TestRandom(seed: UInt64(width) + 11)
                    for rows in rowCounts {
                        for inPlace in [false, true] {
                            let (lda, ldb) = (width + 2, 3)
                            let a0 = random.array(rows * lda, scale: 4), b0 = random.array(rows * ldb, scale: 4)
                            let a = AlignedBuffer(floats: a0), b = AlignedBuffer(floats: b0)
                            let ldo = inPlace ? lda : width + 1
                            let out0 = inPlace ? a0 : random.array(rows * ldo)
                            let out = inPlace ? a : AlignedBuffer(floats: out0)
                            harness.run(rows: rows, [slot(a.raw), slot(lda), slot(b.raw), slot(ldb), slot(out.raw), slot(ldo), slot(rows)])
                            var expected = out0
                            for r in 0..<rows {
                                for i in 0..<width { expected[r * ldo + i] = Self.apply(op, a0[r * lda + i], b0[r * ldb]) }
                            }
                            XCTAssertEqual(out.floatArray(rows * ldo), expected,
                                           "\(op) row value width \(width) rows \(rows) inPlace \(inPlace) \(target.name)")
                        }
                    }
                }
            }
        }
    }

    private static func apply(_ op: BinaryOp, _ x: Float, _ y: Float) -> Float {
        switch op {
        case .add: x + y
        case .mul: x * y
        case .div: x / y
        }
    }
}
