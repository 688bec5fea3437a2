import CLLVM

/// bf16 pairs in vectors: the layout of `MatmulPacking`'s bf16 panels, where each 32-bit lane holds two bf16 values
/// (the even-k one in the low half), and the AVX-512 BF16 instructions that consume it.
extension ModuleBuilder {
    /// The two f32 vectors of a `<lanes x i32>` of bf16 pairs, widened exactly: the low halves (bits << 16) and the
    /// high halves (bits & 0xffff0000).
    public func widenBF16Pairs(_ pairs: LLVMValueRef) -> (low: LLVMValueRef, high: LLVMValueRef) {
        let lanes = self.lanes(of: pairs)
        let low = shl(pairs, splatInt(i32Type, 16, lanes))
        let high = and(pairs, splatInt(i32Type, -65536, lanes))
        return (bitcast(low, f32Vector(lanes)), bitcast(high, f32Vector(lanes)))
    }

    /// Rounds two `<16 x f32>` vectors to bf16 (nearest even; denormal inputs read as zero, like every AVX-512 BF16
    /// instruction) as the 32 consecutive values low[0..15], high[0..15], returned as the `<16 x i32>` whose lane l
    /// is the pair of values 2l, 2l+1 (`vcvtne2ps2bf16`).
    public func roundToBF16(low: LLVMValueRef, high: LLVMValueRef) -> LLVMValueRef {
        // vcvtne2ps2bf16 puts its second operand in the low half of the result.
        bitcast(callTargetIntrinsic("llvm.x86.avx512bf16.cvtne2ps2bf16.512", [high, low]), vectorType(i32Type, 16))
    }

    /// `acc[l] + a.low[l]·b.low[l] + a.high[l]·b.high[l]` for a `<16 x f32>` accumulator and `<16 x i32>` vectors of
    /// bf16 pairs (`vdpbf16ps`: bf16 products are exact, each addition rounds to nearest even; denormals are
    /// treated as zero).
    public func dotBF16Pairs(_ acc: LLVMValueRef, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        callTargetIntrinsic("llvm.x86.avx512bf16.dpbf16ps.512", [acc, a, b])
    }
}
