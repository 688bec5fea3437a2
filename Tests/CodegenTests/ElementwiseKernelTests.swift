import Codegen
import Foundation
import IR
import XCTest

/// Embedding, copy, RMS norm and gated activation kernels against scalar references, on both targets.
final class ElementwiseKernelTests: XCTestCase {
    func testEmbeddingRowsAndPackedLayouts() throws {
        let tokens: [Int32] = [0, 5, 36, 17, 1, 36, 2, 9, 33, 20, 11, 4, 7, 30, 3, 16, 8]
        for target in testTargets {
            for (vocab, dim) in [(37, 1), (37, 17), (37, 100)] {
                var random = TestRandom(seed: UInt64(dim))
                let table = random.array(vocab * dim)
                for weight in WeightFormat.allCases {
                    let expectedTable = weight == .bf16 ? table.map { BFloat16Bits.widen(BFloat16Bits.round($0)) } : table
                    for layout in [EmbeddingLayout.rows, .matmulPacked] {
                        let kernel = EmbeddingKernel(vocab: vocab, dim: dim, weight: weight, layout: layout)
                        let harness = try KernelHarness(kernel, target: target)
                        let packed: AlignedBuffer
                        switch layout {
                        case .rows:
                            packed = AlignedBuffer(byteCount: EmbeddingKernel.packedBytes(vocab: vocab, dim: dim, weight: weight))
                            table.withUnsafeBufferPointer {
                                EmbeddingKernel.pack($0, vocab: vocab, dim: dim, weight: weight, into: packed.raw)
                            }
                        case .matmulPacked:
                            packed = AlignedBuffer(byteCount: MatmulKernel.packedBytes(k: dim, n: vocab, weight: weight))
                            table.withUnsafeBufferPointer {
                                MatmulKernel.pack($0, k: dim, n: vocab, weight: weight, into: packed.raw)
                            }
                        }
                        for rows in [1, 3, 17] {
                            let ldo = dim + 2
                            let out = AlignedBuffer(byteCount: rows * ldo * 4)
                            tokens.withUnsafeBufferPointer { ids in
                                harness.run(rows: rows, [slot(ids.baseAddress!), slot(packed.raw), slot(out.raw),
                                                         slot(ldo), slot(rows)])
                            }
                            for r in 0..<rows {
                                let t = Int(tokens[r])
                                XCTAssertEqual(Array(out.floatArray(rows * ldo)[(r * ldo)..<(r * ldo + dim)]),
                                               Array(expectedTable[(t * dim)..<((t + 1) * dim)]),
                                               "\(kernel.symbol) \(target.name) row \(r)")
                            }
                        }
                    }
                }
            }
        }
    }

    func testCopyRows() throws {
        for target in testTargets {
            for width in [1, 17, 100] {
                let harness = try KernelHarness(CopyRowsKernel(width: width), target: target)
                var random = TestRandom(seed: 11)
                for rows in [1, 3, 17] {
                    let (lds, ldd) = (width + 5, width + 1)
                    let src = AlignedBuffer(floats: random.array(rows * lds))
                    let dst0 = random.array(rows * ldd)
                    let dst = AlignedBuffer(floats: dst0)
                    harness.run(rows: rows, [slot(src.raw), slot(lds), slot(dst.raw), slot(ldd), slot(rows)])
                    var expected = dst0
                    for r in 0..<rows { for i in 0..<width { expected[r * ldd + i] = src.floats[r * lds + i] } }
                    XCTAssertEqual(dst.floatArray(rows * ldd), expected, "width \(width) rows \(rows) \(target.name)")
                }
            }
        }
    }

    func testRMSNorm() throws {
        let shapes: [(Int, Int, Float, Bool)] = [(1, 1, 0, true), (17, 3, 0, true), (33, 1, 1, true), (100, 2, 0, true),
                                                 (64, 4, 1, true), (1, 1, 0, false), (17, 3, 0, false), (33, 2, 1, false)]
        for target in testTargets {
            for (dim, heads, offset, affine) in shapes {
                let eps: Float = 1e-6
                let harness = try KernelHarness(RMSNormKernel(dim: dim, eps: eps, weightOffset: offset, affine: affine),
                                                target: target)
                var random = TestRandom(seed: UInt64(dim * 7 + heads))
                let weight = AlignedBuffer(floats: random.array(dim, scale: 2))
                for rows in [1, 3, 17] {
                    for inPlace in [false, true] {
                        let ldx = heads * dim + 3
                        let ldo = inPlace ? ldx : heads * dim + 1
                        let x0 = random.array(rows * ldx, scale: 3)
                        let x = AlignedBuffer(floats: x0)
                        let out = inPlace ? x : AlignedBuffer(byteCount: rows * ldo * 4)
                        // Without affine the weight slot is null: the kernel must not read it.
                        harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(heads), affine ? slot(weight.raw) : 0,
                                                 slot(out.raw), slot(ldo), slot(rows)])
                        var expected = [Double](), actual = [Float]()
                        for r in 0..<rows {
                            for h in 0..<heads {
                                let v = (0..<dim).map { Double(x0[r * ldx + h * dim + $0]) }
                                let meanSquare = v.reduce(0) { $0 + $1 * $1 } / Double(dim)
                                let inverse = 1 / (meanSquare + Double(eps)).squareRoot()
                                for i in 0..<dim {
                                    expected.append(v[i] * inverse * (affine ? Double(weight.floats[i]) + Double(offset) : 1))
                                    actual.append(out.floats[r * ldo + h * dim + i])
                                }
                            }
                        }
                        assertClose(actual, expected, magnitude: expected.map { abs($0) }, relative: 3e-6,
                                    "rmsnorm dim \(dim) heads \(heads) affine \(affine) rows \(rows) inPlace \(inPlace) \(target.name)")
                    }
                }
            }
        }
    }

    func testGatedActivations() throws {
        for target in testTargets {
            for activation in [GatedActivation.silu, .geluTanh, .gelu, .relu, .clampedSwiGLU(alpha: 1.702, limit: 7)] {
                for ff in [1, 17, 100] {
                    let harness = try KernelHarness(GatedActivationKernel(ff: ff, activation: activation), target: target)
                    var random = TestRandom(seed: UInt64(ff))
                    for rows in [1, 3, 17] {
                        let (ld, ldu, ldo) = (ff + 4, ff + 2, ff + 1)
                        var gateValues = random.array(rows * ld, scale: 12)
                        let specials: [Float] = [0, -0.5, 90, -90, 1e-3, -20, 20]
                        for (i, s) in specials.enumerated() where i < gateValues.count { gateValues[i] = s }
                        let gate = AlignedBuffer(floats: gateValues), up = AlignedBuffer(floats: random.array(rows * ldu, scale: 2))
                        let out = AlignedBuffer(byteCount: rows * ldo * 4)
                        harness.run(rows: rows, [slot(gate.raw), slot(ld), slot(up.raw), slot(ldu), slot(out.raw), slot(ldo), slot(rows)])
                        var expected = [Double](), actual = [Float]()
                        for r in 0..<rows {
                            for i in 0..<ff {
                                expected.append(ActivationReference.gated(activation, gate: Double(gate.floats[r * ld + i]),
                                                                          up: Double(up.floats[r * ldu + i])))
                                actual.append(out.floats[r * ldo + i])
                            }
                        }
                        assertClose(actual, expected, magnitude: expected.map { abs($0) }, relative: 2e-6, absolute: 1e-9,
                                    "\(activation) ff \(ff) rows \(rows) \(target.name)")
                    }
                }
            }
        }
    }
}
