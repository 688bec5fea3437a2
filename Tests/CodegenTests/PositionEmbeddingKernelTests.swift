import Codegen
import Foundation
import XCTest

/// PositionEmbeddingKernel against direct table lookups (f32 and bf16 tables, OPT's offset, fused accumulation).
final class PositionEmbeddingKernelTests: XCTestCase {
    func testLookupOffsetAndAccumulate() throws {
        let positions = 40
        for target in testTargets {
            for dim in [1, 17, 33, 100] {
                var random = TestRandom(seed: UInt64(dim) * 3)
                let table = random.array(positions * dim)
                for weight in WeightFormat.allCases {
                    let packed = AlignedBuffer(byteCount: EmbeddingKernel.packedBytes(vocab: positions, dim: dim, weight: weight))
                    table.withUnsafeBufferPointer {
                        EmbeddingKernel.pack($0, vocab: positions, dim: dim, weight: weight, into: packed.raw)
                    }
                    let stored = weight == .bf16 ? table.map { BFloat16Bits.widen(BFloat16Bits.round($0)) } : table
                    for offset in [0, 2] {
                        for accumulate in [false, true] {
                            let kernel = PositionEmbeddingKernel(positions: positions, dim: dim, weight: weight, offset: offset,
                                                                 accumulate: accumulate)
                            let harness = try KernelHarness(kernel, target: target)
                            // (pos0, rows); the last case runs past the table and must read row 0 there.
                            for (pos0, rows) in [(0, 1), (5, 3), (20, 17), (0, 17), (30, 9)] {
                                let ldo = dim + 3
                                let out0 = random.array(rows * ldo)
                                let out = AlignedBuffer(floats: out0)
                                harness.run(rows: rows, [slot(packed.raw), slot(out.raw), slot(ldo), slot(pos0), slot(rows)])
                                var expected = out0
                                for r in 0..<rows {
                                    let index = pos0 + r + offset < positions ? pos0 + r + offset : 0
                                    for i in 0..<dim {
                                        let value = stored[index * dim + i]
                                        expected[r * ldo + i] = accumulate ? out0[r * ldo + i] + value : value
                                    }
                                }
                                XCTAssertEqual(out.floatArray(rows * ldo), expected,
                                               "\(kernel.symbol) pos0 \(pos0) rows \(rows) \(target.name)")
                            }
                        }
                    }
                }
            }
        }
    }
}
