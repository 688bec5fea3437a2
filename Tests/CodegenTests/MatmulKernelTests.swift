import CBLAS
import Codegen
import XCTest

final class MatmulKernelTests: XCTestCase {
    /// Runs one kernel configuration for several row counts against a scalar f64 reference. The reference rounds
    /// bf16 weights to bf16 (nearest even) and, where the kernel computes in bf16 (bf16 weights, a target with AVX-512
    /// BF16, more than `decodeMaxRows` rows), x too; x holds some exact bf16 ties (rounded to even, not away).
    private func check(
        k: Int, n: Int, weight: WeightFormat, bias: Bool, accumulate: Bool, target: TargetSpec,
        rowCounts: [Int] = [1, 2, 3, 4, 5, 8, 17, 40]
    ) throws {
        let kernel = MatmulKernel(k: k, n: n, weight: weight, bias: bias, accumulate: accumulate)
        let harness = try KernelHarness(kernel, target: target)
        var random = TestRandom(seed: UInt64(k * 1000 + n))
        let w = random.array(n * k)
        let packed = AlignedBuffer(byteCount: MatmulKernel.packedBytes(k: k, n: n, weight: weight))
        w.withUnsafeBufferPointer { MatmulKernel.pack($0, k: k, n: n, weight: weight, into: packed.raw) }
        let wRef = weight == .bf16 ? w.map { BFloat16Bits.widen(BFloat16Bits.round($0)) } : w
        let biasValues = AlignedBuffer(floats: random.array(n))
        let context = "\(kernel.symbol) \(target.name)"

        for rows in rowCounts {
            let (ldx, ldy) = (k + 3, n + 5)
            var xValues = random.array(rows * ldx)
            for index in stride(from: 0, to: xValues.count, by: 7) {
                xValues[index] = Float(bitPattern: (xValues[index].bitPattern & 0xffff_0000) | 0x8000)
            }
            let x = AlignedBuffer(floats: xValues)
            let bf16Activations = weight == .bf16 && target.hasAVX512BF16 && rows > MatmulKernel.decodeMaxRows
            let xRef = bf16Activations ? xValues.map { BFloat16Bits.widen(BFloat16Bits.round($0)) } : xValues
            let y0 = random.array(rows * ldy)
            let y = AlignedBuffer(floats: y0)
            let args = [slot(x.raw), slot(ldx), slot(packed.raw), bias ? slot(biasValues.raw) : 0, slot(y.raw),
                        slot(ldy), slot(rows)]
            harness.run(rows: rows, args)

            var expected = [Double](), magnitude = [Double](), actual = [Float]()
            for r in 0..<rows {
                for j in 0..<ldy {
                    let old = Double(y0[r * ldy + j])
                    actual.append(y.floats[r * ldy + j])
                    guard j < n else {
                        expected.append(old)  // padding columns must stay untouched
                        magnitude.append(0)
                        continue
                    }
                    var sum = 0.0, size = 0.0
                    for kk in 0..<k {
                        let term = Double(xRef[r * ldx + kk]) * Double(wRef[j * k + kk])
                        sum += term
                        size += abs(term)
                    }
                    let b = bias ? Double(biasValues.floats[j]) : 0
                    expected.append(sum + b + (accumulate ? old : 0))
                    magnitude.append(size + abs(b) + (accumulate ? abs(old) : 0))
                }
            }
            assertClose(actual, expected, magnitude: magnitude, relative: 2e-6, "\(context) rows \(rows)")

            XCTAssertEqual(harness.rerunReversed(rows: rows, args, outputSlot: 4, initialOutput: y0, count: rows * ldy), actual,
                           "\(context) rows \(rows): task order changed results")
        }
    }

    func testSmallShapesBothTargets() throws {
        for target in testTargets {
            for weight in WeightFormat.allCases {
                try check(k: 1, n: 1, weight: weight, bias: false, accumulate: false, target: target)
                try check(k: 17, n: 33, weight: weight, bias: true, accumulate: false, target: target)
                try check(k: 33, n: 17, weight: weight, bias: false, accumulate: true, target: target)
                try check(k: 100, n: 100, weight: weight, bias: true, accumulate: true, target: target)
            }
        }
    }

    func testPanelGroupTailsAndManyTasks() throws {
        // n = 200: 13 panels (a partial 3-panel group on AVX-512); n = 16 * 40: more groups than tasks.
        for target in testTargets {
            try check(k: 64, n: 200, weight: .f32, bias: true, accumulate: false, target: target, rowCounts: [1, 4, 9, 23])
            try check(k: 48, n: 640, weight: .bf16, bias: false, accumulate: true, target: target, rowCounts: [2, 50])
        }
    }

    func testKBlocking() throws {
        // k above the 1024 k-block: the prefill path accumulates k blocks through y.
        for target in testTargets {
            try check(k: 2100, n: 40, weight: .f32, bias: true, accumulate: false, target: target, rowCounts: [1, 13])
            try check(k: 1500, n: 20, weight: .bf16, bias: true, accumulate: true, target: target, rowCounts: [3, 9])
        }
    }

    /// The bf16-compute prefill (`vdpbf16ps`) and the f32-activation decode on the AVX-512 BF16 target: odd k, n not
    /// a multiple of 16 (short last panel group), every row count from 1 to 37.
    func testBF16ComputeOddShapes() throws {
        guard TargetSpec.native.hasAVX512BF16 else { throw XCTSkip("this CPU lacks AVX-512 BF16") }
        let rows = Array(1...37)
        try check(k: 1, n: 1, weight: .bf16, bias: false, accumulate: false, target: .avx512BF16, rowCounts: rows)
        try check(k: 17, n: 33, weight: .bf16, bias: true, accumulate: false, target: .avx512BF16, rowCounts: rows)
        try check(k: 33, n: 200, weight: .bf16, bias: false, accumulate: true, target: .avx512BF16, rowCounts: rows)
        try check(k: 385, n: 70, weight: .bf16, bias: true, accumulate: true, target: .avx512BF16, rowCounts: rows)
        // f32 weights on the same target keep the f32 path.
        try check(k: 33, n: 17, weight: .f32, bias: true, accumulate: false, target: .avx512BF16, rowCounts: [3, 9])
    }

    /// Rows spanning several activation slices of a task (k = 1537: 3 KiB records, slices of 40 rows) and more row
    /// tiles than tasks.
    func testBF16ComputeSlices() throws {
        guard TargetSpec.native.hasAVX512BF16 else { throw XCTSkip("this CPU lacks AVX-512 BF16") }
        try check(k: 1537, n: 50, weight: .bf16, bias: true, accumulate: false, target: .avx512BF16, rowCounts: [5, 300])
    }

    func testAgainstOpenBLAS() throws {
        let (k, n, rows) = (100, 100, 17)
        var random = TestRandom(seed: 7)
        let w = random.array(n * k), x = random.array(rows * k)
        let packed = AlignedBuffer(byteCount: MatmulKernel.packedBytes(k: k, n: n, weight: .f32))
        w.withUnsafeBufferPointer { MatmulKernel.pack($0, k: k, n: n, weight: .f32, into: packed.raw) }
        var reference = [Float](repeating: 0, count: rows * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(k), 1, x, Int32(k), w,
                    Int32(k), 0, &reference, Int32(n))
        for target in testTargets {
            let harness = try KernelHarness(MatmulKernel(k: k, n: n, weight: .f32, bias: false, accumulate: false),
                                            target: target)
            let xBuffer = AlignedBuffer(floats: x), y = AlignedBuffer(byteCount: rows * n * 4)
            harness.run(rows: rows, [slot(xBuffer.raw), slot(k), slot(packed.raw), 0, slot(y.raw), slot(n), slot(rows)])
            let magnitude = reference.map { _ in Double(k) }
            assertClose(y.floatArray(rows * n), reference.map(Double.init), magnitude: magnitude, relative: 1e-6,
                        "vs cblas_sgemm \(target.name)")
        }
    }

    func testConcurrentRunMatchesSerial() throws {
        let kernel = MatmulKernel(k: 96, n: 300, weight: .bf16, bias: true, accumulate: true)
        let harness = try KernelHarness(kernel, target: .avx512)
        var random = TestRandom(seed: 3)
        let packed = AlignedBuffer(byteCount: MatmulKernel.packedBytes(k: 96, n: 300, weight: .bf16))
        random.array(96 * 300).withUnsafeBufferPointer {
            MatmulKernel.pack($0, k: 96, n: 300, weight: .bf16, into: packed.raw)
        }
        let bias = AlignedBuffer(floats: random.array(300))
        for rows in [1, 37] {
            let x = AlignedBuffer(floats: random.array(rows * 96)), y0 = random.array(rows * 300)
            let serial = AlignedBuffer(floats: y0), parallel = AlignedBuffer(floats: y0)
            let args = { (y: AlignedBuffer) in
                [slot(x.raw), slot(96), slot(packed.raw), slot(bias.raw), slot(y.raw), slot(300), slot(rows)]
            }
            harness.run(rows: rows, args(serial))
            harness.runConcurrently(rows: rows, args(parallel))
            XCTAssertEqual(serial.floatArray(rows * 300), parallel.floatArray(rows * 300), "rows \(rows)")
        }
    }

    func testBFloat16Rounding() {
        XCTAssertEqual(BFloat16Bits.round(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie → even
        XCTAssertEqual(BFloat16Bits.round(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie → even
        XCTAssertEqual(BFloat16Bits.round(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(BFloat16Bits.round(-2.5), 0xC020)
        XCTAssertEqual(BFloat16Bits.widen(0x3F82), 1.015625)
    }
}
