import CLLVM

/// Packed layouts and quantization rules of the quantized matmul formats. Like `MatmulPacking`, the [n][k] matrix
/// is cut into panels of 16 output columns, stored one after the other, so a GEMV task streams a contiguous range
/// of panels once; each panel keeps its scales next to its codes. k is padded to `paddedK` (a multiple of 32):
/// padded codes are zero and never contribute (the kernels' quantized activations are zero there).
///
/// - int8 panel (`int8PanelBytes`): the groups of 32 k in pairs; pair p is one 64-byte line of f16 scales (row
///   h = 0, 1 holds s[c][2p + h] = max |W[c][32(2p+h) ..< 32(2p+h)+32]| / 127 rounded up to f16, for column
///   c = 0..<16; a missing second group is zero), then the 8 chunks of 64 bytes of each of its groups; chunk t of
///   group g holds, for column c, the four codes q[c][32g + 4t ..< 32g + 4t + 4] (int8, round(w / s) in
///   [-127, 127]): a 64-byte chunk is one `vpdpbusd` operand of 16 columns × 4 k. A panel is read front to back
///   in one stream (scales kept in a header apart from the codes measured 2.5× slower in decode). Scales per group
///   of 32 k (like llama.cpp's Q8_0) follow the weights better than one scale per column (teacher-forced top-1
///   agreement with f32 on SmolLM2 97.1% → 99%) for 6% more bytes.
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
    /// Bytes of an int8 pair of groups: a line of scales and 2 × 512 bytes of codes.
    static let int8PairBytes = 64 + 2 * 512

    /// Offset of group g's scale row (16 f16) in an int8 panel.
    static func int8ScaleOffset(group g: Int) -> Int { g / 2 * int8PairBytes + g % 2 * 32 }
    /// Offset of group g's first code chunk in an int8 panel.
    static func int8CodeOffset(group g: Int) -> Int { g / 2 * int8PairBytes + 64 + g % 2 * 512 }

    /// `int8ScaleOffset` and `int8CodeOffset` for a run-time group (i64).
    static func int8Offsets(group g: LLVMValueRef, _ m: ModuleBuilder) -> (scales: LLVMValueRef, codes: LLVMValueRef) {
        let pair = m.mul(m.lshr(g, m.constI64(1)), m.constI64(int8PairBytes))
        let odd = m.and(g, m.constI64(1))
        return (m.add(pair, m.mul(odd, m.constI64(32))), m.add(pair, m.add(m.constI64(64), m.mul(odd, m.constI64(512)))))
    }

    /// k rounded up to a multiple of `block`.
    public static func paddedK(_ k: Int) -> Int { (k + block - 1) / block * block }

    /// Bytes of one 16-column panel of a quantized format.
    static func panelBytes(k: Int, format: WeightFormat) -> Int {
        precondition(format.isQuantized, "QuantPacking lays out int8 and int4 only")
        return format == .int8 ? (paddedK(k) / block + 1) / 2 * 64 + paddedK(k) * MatmulPacking.panelWidth
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
        for group in 0..<((w.count + block - 1) / block) {
            let first = group * block
            let (scale, codes) = Int8Quantizer.quantize(UnsafeBufferPointer(rebasing: w[first..<min(w.count, first + block)]))
            panel.storeBytes(of: scale.bitPattern, toByteOffset: int8ScaleOffset(group: group) + lane * 2, as: UInt16.self)
            let chunks = panel + int8CodeOffset(group: group)
            for (index, code) in codes.enumerated() {
                chunks.storeBytes(of: code, toByteOffset: (index / 4) * 64 + lane * 4 + index % 4, as: Int8.self)
            }
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

/// Symmetric int8 quantization of one group: s = max|w| / 127 rounded up to f16, q = round(w / s) (ties away from
/// zero) clamped to [-127, 127], so every w is within s/2 of q·s; an all-zero group gets s = 0 and q = 0.
/// |w| must stay below 127 · 65504.
enum Int8Quantizer {
    static func quantize(_ w: UnsafeBufferPointer<Float>) -> (scale: Float16, codes: [Int8]) {
        let exactScale = Double(w.reduce(Float(0)) { max($0, abs($1)) }) / 127
        var scale = Float16(exactScale)
        if Double(scale) < exactScale { scale = scale.nextUp }
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
