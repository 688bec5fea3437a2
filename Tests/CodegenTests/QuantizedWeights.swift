import Codegen

/// Reads a packed int8/int4 matrix back through the layout `QuantPacking` documents, and the scalar reference of
/// the kernels' activation quantization; used by the quantized matmul tests.
struct QuantizedWeights {
    let format: WeightFormat
    let k: Int
    let n: Int
    let packed: AlignedBuffer

    init(_ w: [Float], k: Int, n: Int, format: WeightFormat) {
        self.format = format
        self.k = k
        self.n = n
        packed = AlignedBuffer(byteCount: MatmulKernel.packedBytes(k: k, n: n, weight: format))
        w.withUnsafeBufferPointer { MatmulKernel.pack($0, k: k, n: n, weight: format, into: packed.raw) }
    }

    var paddedK: Int { (k + 31) / 32 * 32 }
    /// int8: groups in pairs of 1088 bytes: a 64-byte line of two rows of 16 f16 scales, then each group's 512
    /// bytes of codes.
    private var panelBytes: Int { format == .int8 ? (paddedK / 32 + 1) / 2 * 64 + paddedK * 16 : paddedK / 32 * 320 }
    private func panel(_ j: Int) -> UnsafeMutableRawPointer { packed.raw + (j / 16) * panelBytes }

    /// int8: the scale of column j's group g.
    func int8Scale(_ j: Int, _ g: Int) -> Double {
        Double(Float16(bitPattern: panel(j).load(fromByteOffset: g / 2 * 1088 + g % 2 * 32 + (j % 16) * 2, as: UInt16.self)))
    }

    /// int8: the code of W[j][kk] (kk < paddedK).
    func int8Code(_ j: Int, _ kk: Int) -> Int {
        let g = kk / 32, within = kk % 32
        return Int(panel(j).load(fromByteOffset: g / 2 * 1088 + 64 + g % 2 * 512 + (within / 4) * 64 + (j % 16) * 4 + within % 4,
                                 as: Int8.self))
    }

    /// int4: (scale, minimum) of column j's group g.
    func int4Group(_ j: Int, _ g: Int) -> (scale: Double, minimum: Double) {
        let base = panel(j) + g * 320
        let scale = Float16(bitPattern: base.load(fromByteOffset: (j % 16) * 2, as: UInt16.self))
        let minimum = Float16(bitPattern: base.load(fromByteOffset: 32 + (j % 16) * 2, as: UInt16.self))
        return (Double(scale), Double(minimum))
    }

    /// int4: the code of W[j][kk] (kk < paddedK).
    func int4Code(_ j: Int, _ kk: Int) -> Int {
        let within = kk % 32, quarter = within % 16
        let byte = panel(j).load(fromByteOffset: (kk / 32) * 320 + 64 + (quarter / 4) * 64 + (j % 16) * 4 + quarter % 4,
                                 as: UInt8.self)
        return Int(byte >> (4 * (within / 16))) & 15
    }
}

/// The kernels' activation quantization of one row: blocks of 32 (zero-padded), amax = max|x|,
/// q = rint(x · (Q / amax)) in f32 with ties to even, scale amax / Q, where Q = 127 (int8 codes) or 32767
/// (int16 codes).
struct QuantizedRow {
    var codes: [Int] = []
    var scales: [Double] = []
    /// f32 x summed per block (exact in f64).
    var sums: [Double] = []

    init(_ x: ArraySlice<Float>, paddedK: Int, maximumCode: Float) {
        let values = Array(x) + [Float](repeating: 0, count: paddedK - x.count)
        for block in 0..<(paddedK / 32) {
            let part = values[(block * 32)..<((block + 1) * 32)]
            let amax = part.reduce(Float(0)) { max($0, abs($1)) }
            let inverse: Float = amax > 0 ? maximumCode / amax : 0
            codes += part.map { Int(($0 * inverse).rounded(.toNearestOrEven)) }
            scales.append(Double(amax / maximumCode))
            sums.append(part.reduce(0.0) { $0 + Double($1) })
        }
    }
}
