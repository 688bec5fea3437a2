import Codegen
import Foundation

/// Scalar reference of how a KV cache format stores rows of kvHeads × headDim f32 values (`KVCacheFormat`):
/// the stored codes and scales, laid out as the kernels read them, and the f32 values they stand for.
struct KVCacheReference {
    let format: KVCacheFormat
    let kvHeads: Int
    let headDim: Int
    let positions: Int
    /// Elements between one head's scales and the next head's (max_ctx in a model).
    let scaleStride: Int
    /// positions × kvHeads × headDim elements in `format` (f32, bf16 bits, int8 codes).
    let codes: AlignedBuffer
    /// [kvHeads][scaleStride] f32 (int8 only; zeros otherwise).
    let scales: AlignedBuffer
    /// What each stored element stands for: the value itself (f32), its bf16 rounding, or code · scale.
    private(set) var decoded: [Double] = []

    var width: Int { kvHeads * headDim }

    init(_ values: [Float], format: KVCacheFormat, kvHeads: Int, headDim: Int, scaleStride: Int? = nil) {
        self.format = format
        self.kvHeads = kvHeads
        self.headDim = headDim
        positions = values.count / (kvHeads * headDim)
        self.scaleStride = scaleStride ?? positions
        codes = AlignedBuffer(byteCount: values.count * format.elementBytes)
        scales = AlignedBuffer(byteCount: kvHeads * self.scaleStride * 4)
        for p in 0..<positions {
            for h in 0..<kvHeads {
                let first = p * width + h * headDim
                let head = Array(values[first..<(first + headDim)])
                switch format {
                case .f32:
                    for (d, x) in head.enumerated() { codes.raw.storeBytes(of: x, toByteOffset: (first + d) * 4, as: Float.self) }
                    decoded += head.map(Double.init)
                case .bf16:
                    for (d, x) in head.enumerated() {
                        let bits = BFloat16Bits.round(x)
                        codes.raw.storeBytes(of: bits, toByteOffset: (first + d) * 2, as: UInt16.self)
                        decoded.append(Double(BFloat16Bits.widen(bits)))
                    }
                case .int8:
                    let (headCodes, scale) = Self.quantize(head)
                    scales.floats[h * self.scaleStride + p] = scale
                    for (d, code) in headCodes.enumerated() {
                        codes.raw.storeBytes(of: code, toByteOffset: first + d, as: Int8.self)
                        decoded.append(Double(code) * Double(scale))
                    }
                }
            }
        }
    }

    /// int8 codes of one head: scale = max|x| / 127, code = rint(x · (127 / max|x|)), all 0 for a zero head.
    static func quantize(_ head: [Float]) -> (codes: [Int8], scale: Float) {
        let amax = head.reduce(Float(0)) { max($0, abs($1)) }
        let inverse = amax > 0 ? 127 / amax : 0
        return (head.map { Int8(($0 * inverse).rounded(.toNearestOrEven)) }, amax / 127)
    }
}
