import Codegen
import XCTest

/// Quantize/dequantize round trips of the int8 and int4 packings, read back through the documented layout.
final class QuantPackingTests: XCTestCase {
    /// Columns of varied magnitude, a zero column, a constant column and an outlier.
    private func matrix(k: Int, n: Int) -> [Float] {
        var random = TestRandom(seed: UInt64(k * 31 + n))
        var w = [Float]()
        for j in 0..<n {
            let scale = Float(pow(10.0, Double(j % 5) - 3))
            for kk in 0..<k {
                switch j % 7 {
                case 3: w.append(0)
                case 5: w.append(0.3)
                default: w.append(kk == j % k ? 40 * scale : random.next() * scale + (j % 2 == 0 ? 0 : scale))
                }
            }
        }
        return w
    }

    func testInt8RoundTripWithinHalfAStepPerGroup() {
        for (k, n) in [(1, 1), (17, 33), (100, 17), (576, 40)] {
            let w = matrix(k: k, n: n)
            let packed = QuantizedWeights(w, k: k, n: n, format: .int8)
            for j in 0..<n {
                for g in 0..<(packed.paddedK / 32) {
                    let values = w[(j * k + g * 32)..<(j * k + min(k, (g + 1) * 32))].map(Double.init)
                    let scale = packed.int8Scale(j, g)
                    // max|w| / 127 rounded up to the next f16: never below it, at most one f16 step (2^-10) above.
                    let exact = values.reduce(0) { max($0, abs($1)) } / 127
                    XCTAssertGreaterThanOrEqual(scale, exact, "k \(k) column \(j) group \(g) scale")
                    XCTAssertLessThanOrEqual(scale, exact * (1 + 1.0 / 1024) + 6e-8, "k \(k) column \(j) group \(g) scale")
                    for kk in (g * 32)..<((g + 1) * 32) {
                        let code = packed.int8Code(j, kk)
                        guard kk < k else {
                            XCTAssertEqual(code, 0, "k \(k) column \(j): padding code at \(kk)")
                            continue
                        }
                        XCTAssertLessThanOrEqual(abs(code), 127)
                        let error = abs(Double(w[j * k + kk]) - Double(code) * scale)
                        XCTAssertLessThanOrEqual(error, scale / 2 * (1 + 1e-6), "k \(k) w[\(j)][\(kk)]")
                    }
                }
            }
            // Padding columns of the last panel are zero.
            if n % 16 != 0 { XCTAssertEqual(packed.int8Scale(n, 0), 0) }
        }
    }

    func testInt4RoundTripWithinHalfAStepPerGroup() {
        for (k, n) in [(1, 1), (17, 33), (100, 17), (576, 40)] {
            let w = matrix(k: k, n: n)
            let packed = QuantizedWeights(w, k: k, n: n, format: .int4)
            for j in 0..<n {
                for g in 0..<(packed.paddedK / 32) {
                    let (scale, minimum) = packed.int4Group(j, g)
                    let values = w[(j * k + g * 32)..<(j * k + min(k, (g + 1) * 32))].map(Double.init)
                    XCTAssertGreaterThanOrEqual(scale, 0)
                    XCTAssertLessThanOrEqual(minimum, values.min()!, "k \(k) column \(j) group \(g) minimum")
                    XCTAssertGreaterThanOrEqual(minimum + 15 * scale, values.max()!, "k \(k) column \(j) group \(g) range")
                    for kk in (g * 32)..<((g + 1) * 32) {
                        let code = packed.int4Code(j, kk)
                        guard kk < k else {
                            XCTAssertEqual(code, 0, "k \(k) column \(j): padding code at \(kk)")
                            continue
                        }
                        let error = abs(Double(w[j * k + kk]) - (minimum + Double(code) * scale))
                        XCTAssertLessThanOrEqual(error, scale / 2 * (1 + 1e-6) + 1e-12, "k \(k) w[\(j)][\(kk)]")
                    }
                }
            }
        }
    }

    func testPackedSizes() {
        // int8: a 64-byte line of f16 scales per pair of groups of 32 k + 16 columns × paddedK codes per panel;
        // int4: 320 bytes per group of 32 k.
        XCTAssertEqual(MatmulKernel.packedBytes(k: 576, n: 960, weight: .int8), 60 * (9 * 64 + 576 * 16))
        XCTAssertEqual(MatmulKernel.packedBytes(k: 100, n: 17, weight: .int8), 2 * (2 * 64 + 128 * 16))
        XCTAssertEqual(MatmulKernel.packedBytes(k: 33, n: 1, weight: .int8), 64 + 64 * 16)
        XCTAssertEqual(MatmulKernel.packedBytes(k: 576, n: 960, weight: .int4), 60 * 18 * 320)
        XCTAssertEqual(MatmulKernel.packedBytes(k: 33, n: 1, weight: .int4), 2 * 320)
    }
}
