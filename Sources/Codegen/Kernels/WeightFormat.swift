import CLLVM

/// Storage format of a weight matrix in the packed blob.
public enum WeightFormat: String, Sendable, Hashable, CaseIterable {
    /// IEEE f32.
    case f32
    /// bfloat16 (upper 16 bits of f32, rounded to nearest even); widened exactly to f32 in registers.
    case bf16

    /// Bytes per stored element.
    public var bytes: Int {
        switch self {
        case .f32: 4
        case .bf16: 2
        }
    }

    /// Writes `value` in this format at element `index` of `dst`.
    @inline(__always)
    func store(_ value: Float, at index: Int, into dst: UnsafeMutableRawPointer) {
        switch self {
        case .f32: dst.storeBytes(of: value, toByteOffset: index * 4, as: Float.self)
        case .bf16: dst.storeBytes(of: BFloat16Bits.round(value), toByteOffset: index * 2, as: UInt16.self)
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
    func elementType(_ m: ModuleBuilder) -> LLVMTypeRef { self == .f32 ? m.f32Type : m.i16Type }
}
