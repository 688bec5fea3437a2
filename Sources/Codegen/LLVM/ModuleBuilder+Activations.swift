import CLLVM

/// Activation functions of f32 vectors, as transformers computes them in f32.
extension ModuleBuilder {
    /// silu(x) = x / (1 + e^(-x)).
    public func silu(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        return fdiv(x, fadd(splatF32(1, lanes), exp(fneg(x))))
    }

    /// 1 / (1 + e^(-x)) for an f32 vector.
    public func sigmoid(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        return fdiv(splatF32(1, lanes), fadd(splatF32(1, lanes), exp(fneg(x))))
    }

    /// gelu_pytorch_tanh / gelu_new: 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), evaluated as
    /// x / (1 + e^(-2u)) (the same function, without tanh's cancellation near -1).
    public func geluTanh(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let cube = fmul(fmul(x, x), x)
        let inner = fmul(splatF32(0.7978845608028654, lanes), fadd(x, fmul(splatF32(0.044715, lanes), cube)))
        return fdiv(x, fadd(splatF32(1, lanes), exp(fmul(splatF32(-2, lanes), inner))))
    }

    /// relu(x) = x < 0 ? 0 : x (NaN and -0 pass through, as torch.relu).
    public func relu(_ x: LLVMValueRef) -> LLVMValueRef {
        let zero = LLVMConstNull(LLVMTypeOf(x))!
        return select(fcmp(LLVMRealOLT, x, zero), zero, x)
    }

    /// cap · tanh(x / cap) (Gemma 2's logit soft cap), in that order of operations like transformers.
    public func softcap(_ x: LLVMValueRef, cap: Float) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let capVector = splatF32(cap, lanes)
        return fmul(capVector, tanh(fdiv(x, capVector)))
    }

    /// softplus(x) = log(1 + eˣ), and x above 20 (torch's threshold), for an f32 vector: max(x, 0) + log1p(e^−|x|),
    /// with log1p(u) = 2·atanh(s), s = u / (2 + u) <= 1/3, as 2s·Σ s^2k / (2k + 1) (8 terms, truncation below
    /// 2e-9 relative), so there is no cancellation for small u. NaN propagates.
    public func softplus(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let c = { (value: Float) in self.splatF32(value, lanes) }
        let u = exp(fneg(fabs(x)))
        let s = fdiv(u, fadd(u, c(2)))
        let series = polynomial(fmul(s, s), (0..<8).map { 1 / Float(2 * $0 + 1) })
        let result = fma(fadd(s, s), series, fmax(x, c(0)))
        return select(fcmp(LLVMRealUGT, x, c(20)), x, result)
    }

    /// e^x − 1 for an f32 vector, accurate near 0 where exp(x) − 1 cancels: a degree-9 Taylor polynomial for
    /// |x| < 0.5 (truncation below 1e-8 relative), exp(x) − 1 elsewhere.
    public func expm1(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let factorials: [Float] = [1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880]
        let small = fmul(x, polynomial(x, factorials))
        let large = fsub(exp(x), splatF32(1, lanes))
        return select(fcmp(LLVMRealOLT, fabs(x), splatF32(0.5, lanes)), small, large)
    }
}
