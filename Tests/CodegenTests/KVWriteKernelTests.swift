import Codegen
import XCTest

/// The KV write kernel against the scalar reference of each cache format (bit-exact), and the round-trip error
/// bounds of the lossy formats.
final class KVWriteKernelTests: XCTestCase {
    /// Rows with varied magnitudes per head, an all-zero head and a head with one outlier.
    private func rows(_ count: Int, kvHeads: Int, headDim: Int, ld: Int) -> [Float] {
        var random = TestRandom(seed: UInt64(count * 131 + kvHeads * 7 + headDim))
        var values = [Float](repeating: 0, count: count * ld)
        for r in 0..<count {
            for h in 0..<kvHeads where (r + h) % 5 != 3 {
                let magnitude = Float(pow(10.0, Double((r + 2 * h) % 6) - 3))
                for d in 0..<headDim {
                    values[r * ld + h * headDim + d] = (r + h) % 4 == 1 && d == headDim / 2 ? 60 * magnitude : random.next() * magnitude
                }
            }
        }
        return values
    }

    private func write(_ format: KVCacheFormat, kvHeads: Int, headDim: Int, rows count: Int, target: TargetSpec) throws
        -> (source: [Float], written: KVCacheReference, expected: KVCacheReference) {
        let width = kvHeads * headDim, ld = width + 3, stride = count + 4
        let source = rows(count, kvHeads: kvHeads, headDim: headDim, ld: ld)
        let packed = (0..<count).flatMap { source[($0 * ld)..<($0 * ld + width)] }
        let expected = KVCacheReference(packed, format: format, kvHeads: kvHeads, headDim: headDim, scaleStride: stride)
        let written = KVCacheReference([Float](repeating: 0, count: count * width), format: format, kvHeads: kvHeads,
                                       headDim: headDim, scaleStride: stride)
        let input = AlignedBuffer(floats: source)
        let harness = try KernelHarness(KVWriteKernel(kvHeads: kvHeads, headDim: headDim, format: format), target: target)
        harness.run(rows: count, [slot(input.raw), slot(ld), slot(written.codes.raw), slot(written.scales.raw), slot(stride), slot(count)],
                    reverse: true)
        return (packed, written, expected)
    }

    private let shapes = [(kvHeads: 1, headDim: 7), (kvHeads: 3, headDim: 33), (kvHeads: 2, headDim: 64), (kvHeads: 5, headDim: 16)]

    func testWritesTheReferenceEncodingBitExactly() throws {
        for target in testTargets {
            for format in KVCacheFormat.allCases {
                for (kvHeads, headDim) in shapes {
                    for count in [1, 5, 17] {
                        let (_, written, expected) = try write(format, kvHeads: kvHeads, headDim: headDim, rows: count, target: target)
                        let context = "\(format) \(target.name) heads \(kvHeads) dim \(headDim) rows \(count)"
                        let bytes = count * kvHeads * headDim * format.elementBytes
                        XCTAssertEqual(Array(UnsafeRawBufferPointer(start: written.codes.raw, count: bytes)),
                                       Array(UnsafeRawBufferPointer(start: expected.codes.raw, count: bytes)), "codes, \(context)")
                        let scaleCount = kvHeads * (count + 4)
                        XCTAssertEqual(written.scales.floatArray(scaleCount), expected.scales.floatArray(scaleCount), "scales, \(context)")
                    }
                }
            }
        }
    }

    /// |x - stored| <= scale / 2 per int8 element (half a quantization step of its head), <= 2^-8 |x| for bf16 (half a
    /// unit in the last place of an 8-bit significand).
    func testRoundTripErrorBounds() throws {
        for (kvHeads, headDim) in shapes {
            for format in [KVCacheFormat.bf16, .int8] {
                let (source, _, expected) = try write(format, kvHeads: kvHeads, headDim: headDim, rows: 17, target: .avx512)
                for (index, x) in source.enumerated() {
                    let error = abs(Double(x) - expected.decoded[index])
                    let bound: Double
                    if format == .bf16 {
                        bound = abs(Double(x)) / 256
                    } else {
                        let (p, h) = (index / expected.width, index % expected.width / headDim)
                        bound = Double(expected.scales.floats[h * expected.scaleStride + p]) / 2 * (1 + 1e-6)
                    }
                    XCTAssertLessThanOrEqual(error, bound, "\(format) heads \(kvHeads) dim \(headDim) element \(index) = \(x)")
                }
            }
        }
    }
}
