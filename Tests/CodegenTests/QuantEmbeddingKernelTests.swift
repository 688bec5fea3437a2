import Codegen
import XCTest

/// `QuantEmbeddingKernel` rows against the packed matrix read back through the documented layout.
final class QuantEmbeddingKernelTests: XCTestCase {
    func testRowsMatchDequantizedTable() throws {
        for target in testTargets {
            for format in WeightFormat.quantizedCases {
                for (vocab, dim) in [(1, 1), (17, 33), (40, 100), (33, 64), (20, 130)] {
                    var random = TestRandom(seed: UInt64(vocab * 100 + dim))
                    let table = QuantizedWeights(random.array(vocab * dim), k: dim, n: vocab, format: format)
                    let kernel = QuantEmbeddingKernel(vocab: vocab, dim: dim, weight: format)
                    let harness = try KernelHarness(kernel, target: target)
                    var tokens: [Int32] = [Int32(vocab - 1), 0, -1, Int32(vocab), Int32(vocab / 2)]
                    tokens += (0..<12).map { Int32($0 * 7 % vocab) }
                    let ldo = dim + 3
                    let out0 = random.array(tokens.count * ldo)
                    let out = AlignedBuffer(floats: out0)
                    tokens.withUnsafeMutableBufferPointer { ids in
                        harness.run(rows: ids.count, [slot(ids.baseAddress!), slot(table.packed.raw), slot(out.raw),
                                                      slot(ldo), slot(ids.count)])
                    }
                    var expected = [Double](), magnitude = [Double]()
                    for token in tokens {
                        let row = token >= 0 && Int(token) < vocab ? Int(token) : 0
                        for d in 0..<ldo {
                            guard d < dim else {
                                expected.append(Double(out0[expected.count]))
                                magnitude.append(0)
                                continue
                            }
                            let (value, size) = dequantized(table, row, d)
                            expected.append(value)
                            magnitude.append(size)
                        }
                    }
                    assertClose(out.floatArray(tokens.count * ldo), expected, magnitude: magnitude, relative: 2e-7,
                                absolute: 0, "\(kernel.symbol) \(target.name)")
                }
            }
        }
    }

    /// W[j][kk] as the packing stores it, and the magnitude of its terms.
    private func dequantized(_ table: QuantizedWeights, _ j: Int, _ kk: Int) -> (Double, Double) {
        if table.format == .int8 {
            let value = table.int8Scale(j, kk / 32) * Double(table.int8Code(j, kk))
            return (value, abs(value))
        }
        let group = table.int4Group(j, kk / 32)
        let product = group.scale * Double(table.int4Code(j, kk))
        return (group.minimum + product, abs(group.minimum) + abs(product))
    }
}
