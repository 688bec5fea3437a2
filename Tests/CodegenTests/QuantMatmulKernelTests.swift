import Codegen
import XCTest

/// int8/int4 `MatmulKernel` paths against scalar f64 references that apply the same quantization: weights as
/// packed (read back through the documented layout), activations quantized per 32-block as the kernels do
/// (int16 codes for int8 decode, int8 codes otherwise).
final class QuantMatmulKernelTests: XCTestCase {
    /// The expected y[r][j] (and the magnitude of its terms) before bias and accumulation.
    private func reference(
        _ weights: QuantizedWeights, column j: Int, quantizedRow q: QuantizedRow
    ) -> (value: Double, magnitude: Double) {
        var sum = 0.0, size = 0.0
        for block in 0..<(weights.paddedK / 32) {
            var dot = 0, dotSize = 0
            for kk in (block * 32)..<((block + 1) * 32) {
                let code = weights.format == .int8 ? weights.int8Code(j, kk) : weights.int4Code(j, kk)
                dot += code * q.codes[kk]
                dotSize += abs(code * q.codes[kk])
            }
            if weights.format == .int8 {
                let scale = weights.int8Scale(j, block) * q.scales[block]
                sum += scale * Double(dot)
                size += abs(scale) * Double(dotSize)
            } else {
                let group = weights.int4Group(j, block)
                sum += group.scale * q.scales[block] * Double(dot) + group.minimum * q.sums[block]
                size += abs(group.scale * q.scales[block]) * Double(dotSize) + abs(group.minimum * q.sums[block])
            }
        }
        return (sum, size)
    }

    private func check(
        k: Int, n: Int, format: WeightFormat, bias: Bool, accumulate: Bool, target: TargetSpec,
        rowCounts: [Int] = [1, 3, 4, 5, 17]
    ) throws {
        let kernel = MatmulKernel(k: k, n: n, weight: format, bias: bias, accumulate: accumulate)
        let harness = try KernelHarness(kernel, target: target)
        var random = TestRandom(seed: UInt64(k * 1000 + n))
        let weights = QuantizedWeights(random.array(n * k), k: k, n: n, format: format)
        let biasValues = AlignedBuffer(floats: random.array(n))
        let context = "\(kernel.symbol) \(target.name)"

        for rows in rowCounts {
            let (ldx, ldy) = (k + 3, n + 5)
            let xValues = random.array(rows * ldx, scale: 4)
            let x = AlignedBuffer(floats: xValues)
            let y0 = random.array(rows * ldy)
            let y = AlignedBuffer(floats: y0)
            let args = [slot(x.raw), slot(ldx), slot(weights.packed.raw), bias ? slot(biasValues.raw) : 0, slot(y.raw),
                        slot(ldy), slot(rows)]
            harness.run(rows: rows, args)

            let maximumCode: Float = format == .int8 && rows <= 4 ? 32767 : 127
            var expected = [Double](), magnitude = [Double](), actual = [Float]()
            for r in 0..<rows {
                let quantizedRow = QuantizedRow(xValues[(r * ldx)..<(r * ldx + k)], paddedK: weights.paddedK,
                                                maximumCode: maximumCode)
                for j in 0..<ldy {
                    let old = Double(y0[r * ldy + j])
                    actual.append(y.floats[r * ldy + j])
                    guard j < n else {
                        expected.append(old)  // padding columns must stay untouched
                        magnitude.append(0)
                        continue
                    }
                    let product = reference(weights, column: j, quantizedRow: quantizedRow)
                    let b = bias ? Double(biasValues.floats[j]) : 0
                    expected.append(product.value + b + (accumulate ? old : 0))
                    magnitude.append(product.magnitude + abs(b) + (accumulate ? abs(old) : 0))
                }
            }
            assertClose(actual, expected, magnitude: magnitude, relative: 2e-6, "\(context) rows \(rows)")

            XCTAssertEqual(harness.rerunReversed(rows: rows, args, outputSlot: 4, initialOutput: y0, count: rows * ldy), actual,
                           "\(context) rows \(rows): task order changed results")
        }
    }

    func testOddShapesBothTargets() throws {
        let shapes = [(1, 1), (17, 33), (33, 17), (100, 100), (1, 100), (100, 1), (33, 33), (17, 17)]
        for target in testTargets {
            for format in WeightFormat.quantizedCases {
                for (index, (k, n)) in shapes.enumerated() {
                    try check(k: k, n: n, format: format, bias: index % 2 == 1, accumulate: index % 4 >= 2,
                              target: target)
                }
            }
        }
    }

    func testPanelGroupTailsManyTasksAndSlices() throws {
        for target in testTargets {
            for format in WeightFormat.quantizedCases {
                // 13 panels: partial panel groups; 40 panels: more groups than tasks.
                try check(k: 64, n: 200, format: format, bias: true, accumulate: false, target: target,
                          rowCounts: [2, 9, 23])
                try check(k: 48, n: 640, format: format, bias: false, accumulate: true, target: target, rowCounts: [50])
                // Large k: a task's rows span several quantized slices.
                try check(k: 4000, n: 20, format: format, bias: true, accumulate: true, target: target,
                          rowCounts: [1, 300])
            }
        }
    }

    func testConcurrentRunMatchesSerial() throws {
        for format in WeightFormat.quantizedCases {
            let kernel = MatmulKernel(k: 96, n: 300, weight: format, bias: true, accumulate: true)
            let harness = try KernelHarness(kernel, target: .avx512)
            var random = TestRandom(seed: 3)
            let weights = QuantizedWeights(random.array(96 * 300), k: 96, n: 300, format: format)
            let bias = AlignedBuffer(floats: random.array(300))
            for rows in [1, 37] {
                let x = AlignedBuffer(floats: random.array(rows * 96)), y0 = random.array(rows * 300)
                let serial = AlignedBuffer(floats: y0), parallel = AlignedBuffer(floats: y0)
                let args = { (y: AlignedBuffer) in
                    [slot(x.raw), slot(96), slot(weights.packed.raw), slot(bias.raw), slot(y.raw), slot(300), slot(rows)]
                }
                harness.run(rows: rows, args(serial))
                harness.runConcurrently(rows: rows, args(parallel))
                XCTAssertEqual(serial.floatArray(rows * 300), parallel.floatArray(rows * 300), "\(format) rows \(rows)")
            }
        }
    }
}
