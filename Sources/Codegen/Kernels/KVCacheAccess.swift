import CLLVM

/// Reading and writing KV cache elements in a `KVCacheFormat`: addresses, loads widened to f32, and the encoders
/// the write kernel uses.
extension KVCacheFormat {
    /// The LLVM type of one stored element: f32, the i16 bits of a bf16, or an i8 code.
    func elementType(_ m: ModuleBuilder) -> LLVMTypeRef {
        switch self {
        case .f32: m.f32Type
        case .bf16: m.i16Type
        case .int8: m.i8Type
        }
    }

    /// The address of element `index` (i64) of a cache region starting at `base`.
    func element(_ m: ModuleBuilder, _ base: LLVMValueRef, _ index: LLVMValueRef) -> LLVMValueRef {
        m.gep(elementType(m), base, index)
    }

    /// Loads `lanes` consecutive elements at `pointer` as f32 (codes, not yet scaled); disabled lanes of `mask` are 0.
    func loadVector(_ m: ModuleBuilder, _ pointer: LLVMValueRef, lanes: Int, mask: LLVMValueRef? = nil) -> LLVMValueRef {
        switch self {
        case .f32: return m.loadF32Vector(pointer, lanes, mask: mask)
        case .bf16: return m.loadBF16AsF32(pointer, lanes, mask: mask)
        case .int8:
            let type = m.vectorType(m.i8Type, lanes)
            let raw = mask.map { m.maskedLoad(type, pointer, mask: $0, passthrough: LLVMConstNull(type), align: 1) }
                ?? m.load(type, pointer, align: 1)
            return m.sitofp(raw, m.f32Vector(lanes))
        }
    }

    /// Loads the element at `pointer` as an f32 scalar (a code, not yet scaled).
    func loadScalar(_ m: ModuleBuilder, _ pointer: LLVMValueRef) -> LLVMValueRef {
        switch self {
        case .f32: m.load(m.f32Type, pointer)
        case .bf16: m.widenBF16(m.load(m.i16Type, pointer, align: 2))
        case .int8: m.sitofp(m.load(m.i8Type, pointer, align: 1), m.f32Type)
        }
    }
}

extension ModuleBuilder {
    /// f32 lanes → their bf16 bits (`<lanes x i16>`), rounded to nearest even, NaN kept a quiet NaN: the vector
    /// form of `BFloat16Bits.round`.
    func roundToBF16(_ value: LLVMValueRef) -> LLVMValueRef {
        let lanes = self.lanes(of: value)
        let bits = bitcast(value, vectorType(i32Type, lanes))
        let high = lshr(bits, splatInt(i32Type, 16, lanes))
        let rounding = add(splatInt(i32Type, 0x7fff, lanes), and(high, splatInt(i32Type, 1, lanes)))
        let rounded = lshr(add(bits, rounding), splatInt(i32Type, 16, lanes))
        let quietNaN = or(high, splatInt(i32Type, 0x40, lanes))
        return trunc(select(fcmp(LLVMRealUNO, value, value), quietNaN, rounded), vectorType(i16Type, lanes))
    }
}
