import CLLVM

/// Storage format of a weight matrix in the packed blob.
public enum WeightFormat: String, Sendable, Hashable, CaseIterable {
    /// IEEE f32.
    case f32
    /// bfloat16 (upper 16 bits of f32, rounded to nearest even); widened exactly to f32 in registers, or multiplied
    /// with activations rounded to bf16 by the prefill GEMM on targets with AVX-512 BF16 (`BF16PrefillMatmul`).
    case bf16
    /// Symmetric int8 with one f16 scale per group of 32 inputs and output column (max|w| / 127, like llama.cpp's
    /// Q8_0); matmul weights only (`QuantPacking`).
    case int8
    /// 4-bit codes in groups of 32 along k with an f16 scale and minimum per group and column (w ≈ min + q·scale,
    /// like llama.cpp's Q4_1); matmul weights only (`QuantPacking`).
    case int4

    /// The formats every weight layout supports (matmul panels, embedding tables): f32 and bf16. The quantized
    /// formats exist for matmul weights only and are listed in `quantizedCases`; embedding kernels and their
    /// tests iterate this list.
    public static let allCases: [WeightFormat] = [.f32, .bf16]

    /// The matmul-only quantized formats.
    public static let quantizedCases: [WeightFormat] = [.int8, .int4]

    /// Whether the format is block- or channel-quantized (stored in `QuantPacking` layouts, matmul weights only).
    public var isQuantized: Bool { self == .int8 || self == .int4 }

    /// Bytes per stored element of an element-wise format (f32, bf16). Quantized formats have no per-element
    /// size: their matrices' sizes come from `MatmulKernel.packedBytes`.
    public var bytes: Int {
        switch self {
        case .f32: 4
        case .bf16: 2
        case .int8, .int4: preconditionFailure("\(rawValue) weights are matmul-only; they have no element-wise layout")
        }
    }

    /// Writes `value` in this format at element `index` of `dst`.
    @inline(__always)
    func store(_ value: Float, at index: Int, into dst: UnsafeMutableRawPointer) {
        switch self {
        case .f32: dst.storeBytes(of: value, toByteOffset: index * 4, as: Float.self)
        case .bf16: dst.storeBytes(of: BFloat16Bits.round(value), toByteOffset: index * 2, as: UInt16.self)
        case .int8, .int4: preconditionFailure("\(rawValue) weights are matmul-only; they have no element-wise layout")
        }
    }
}

/// bfloat16 conversions on raw bit patterns.
public enum BFloat16Bits {
    /// f32 → bf16 bits with round-to-nearest-even (NaN stays a quiet NaN), like torch's `.to(torch.bfloat16)`.
    public static func round(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x40) }
        let rounding = 0x7fff + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// bf16 bits → f32 (exact).
    public static func widen(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}

extension WeightFormat {
    /// The LLVM type of one stored element: f32, or the i16 bits of a bf16.
    func elementType(_ m: ModuleBuilder) -> LLVMTypeRef {
        precondition(!isQuantized, "\(rawValue) weights are matmul-only; they have no element-wise layout")
        return self == .f32 ? m.f32Type : m.i16Type
    }
}
