/// Packed layouts and quantization rules of the quantized matmul formats. Like `MatmulPacking`, the [n][k] matrix
/// is cut into panels of 16 output columns, stored one after the other, so a GEMV task streams a contiguous range
/// of panels once; each panel keeps its scales next to its codes. k is padded to `paddedK` (a multiple of 32):
/// padded codes are zero and never contribute (the kernels' quantized activations are zero there).
///
/// - int8 panel (`64 + paddedK·16` bytes): 16 f32 column scales s_j = max_k |W[j][k]| / 127, then paddedK/4
///   chunks of 64 bytes; chunk t holds, for column c = 0..<16, the four codes q[c][4t ..< 4t+4] (int8,
///   round(w / s) in [-127, 127]): a 64-byte chunk is one `vpdpbusd` operand of 16 columns × 4 k.
/// - int4 panel (`paddedK/32 · 320` bytes): per group g of 32 k, 16 f16 scales d, 16 f16 minimums m, then 4
///   chunks of 64 bytes; byte i of column c in chunk t holds q[c][32g + 4t + i] in its low nibble and
///   q[c][32g + 16 + 4t + i] in its high nibble, with w ≈ m + q·d, q in [0, 15]. m is the group minimum rounded
///   down to f16 and d = (max − m)/15 rounded up, so every w of the group is within d/2 of its code. Group
///   statistics cover the real k only (the tail group of k % 32 values); |w| must stay below f16's 65504.
public enum QuantPacking {
    /// k per int4 group and per activation-quantization block of the kernels.
    public static let block = 32
    /// Bytes of one int4 (panel, group) block: scales, minimums and 256 bytes of codes.
    static let int4GroupBytes = 320
    /// Bytes of the int8 panel header (16 f32 column scales).
    static let int8HeaderBytes = 64

    /// k rounded up to a multiple of `block`.
    public static func paddedK(_ k: Int) -> Int { (k + block - 1) / block * block }

    /// Bytes of one 16-column panel of a quantized format.
    static func panelBytes(k: Int, format: WeightFormat) -> Int {
        precondition(format.isQuantized, "QuantPacking lays out int8 and int4 only")
        return format == .int8 ? int8HeaderBytes + paddedK(k) * MatmulPacking.panelWidth
            : paddedK(k) / block * int4GroupBytes
    }

    /// Quantizes a row-major [n][k] f32 matrix into `dst` (which must hold `MatmulPacking.bytes` bytes).
    static func pack(
        _ src: UnsafeBufferPointer<Float>, k: Int, n: Int, format: WeightFormat, into dst: UnsafeMutableRawPointer
    ) {
        precondition(format.isQuantized, "QuantPacking packs int8 and int4 only")
        let panelBytes = panelBytes(k: k, format: format)
        dst.initializeMemory(as: UInt8.self, repeating: 0, count: MatmulPacking.panels(n: n) * panelBytes)
        for j in 0..<n {
            let column = UnsafeBufferPointer(rebasing: src[(j * k)..<((j + 1) * k)])
            let panel = dst + (j / MatmulPacking.panelWidth) * panelBytes
            let lane = j % MatmulPacking.panelWidth
            if format == .int8 {
                packInt8(column, lane: lane, into: panel)
            } else {
                packInt4(column, lane: lane, into: panel)
            }
        }
    }

    private static func packInt8(_ w: UnsafeBufferPointer<Float>, lane: Int, into panel: UnsafeMutableRawPointer) {
        let (scale, codes) = Int8Quantizer.quantize(w)
        panel.storeBytes(of: scale, toByteOffset: lane * 4, as: Float.self)
        for (kk, code) in codes.enumerated() {
            let offset = int8HeaderBytes + (kk / 4) * 64 + lane * 4 + kk % 4
            panel.storeBytes(of: code, toByteOffset: offset, as: Int8.self)
        }
    }

    private static func packInt4(_ w: UnsafeBufferPointer<Float>, lane: Int, into panel: UnsafeMutableRawPointer) {
        for group in 0..<((w.count + block - 1) / block) {
            let values = UnsafeBufferPointer(rebasing: w[(group * block)..<min(w.count, (group + 1) * block)])
            let (scale, minimum, codes) = Int4Quantizer.quantize(values)
            let base = panel + group * int4GroupBytes
            base.storeBytes(of: scale.bitPattern, toByteOffset: lane * 2, as: UInt16.self)
            base.storeBytes(of: minimum.bitPattern, toByteOffset: 32 + lane * 2, as: UInt16.self)
            for (index, code) in codes.enumerated() {
                let half = index / 16, within = index % 16
                let offset = 64 + (within / 4) * 64 + lane * 4 + within % 4
                let old = base.load(fromByteOffset: offset, as: UInt8.self)
                base.storeBytes(of: old | (code << (4 * half)), toByteOffset: offset, as: UInt8.self)
            }
        }
    }
}

/// Symmetric per-column int8 quantization: s = max|w| / 127 (in f32), q = round(w / s) (ties away from zero)
/// clamped to [-127, 127]; an all-zero column gets s = 0 and q = 0.
enum Int8Quantizer {
    static func quantize(_ w: UnsafeBufferPointer<Float>) -> (scale: Float, codes: [Int8]) {
        let maximum = w.reduce(Float(0)) { max($0, abs($1)) }
        let scale = maximum / 127
        guard scale > 0 else { return (0, [Int8](repeating: 0, count: w.count)) }
        let codes = w.map { Int8(max(-127, min(127, (Double($0) / Double(scale)).rounded()))) }
        return (scale, codes)
    }
}

/// Asymmetric 4-bit quantization of one group: m = min rounded down to f16, d = (max − m) / 15 rounded up to f16,
/// q = round((w − m) / d) (ties away from zero) clamped to [0, 15]; d = 0 gives q = 0.
enum Int4Quantizer {
    static func quantize(_ w: UnsafeBufferPointer<Float>) -> (scale: Float16, minimum: Float16, codes: [UInt8]) {
        let low = w.min() ?? 0, high = w.max() ?? 0
        var minimum = Float16(low)
        if Float(minimum) > low { minimum = minimum.nextDown }
        let exactScale = (Double(high) - Double(minimum)) / 15
        var scale = Float16(exactScale)
        if Double(scale) < exactScale { scale = scale.nextUp }
        guard scale > 0 else { return (scale, minimum, [UInt8](repeating: 0, count: w.count)) }
        let codes = w.map { UInt8(max(0, min(15, ((Double($0) - Double(minimum)) / Double(scale)).rounded()))) }
        return (scale, minimum, codes)
    }
}
