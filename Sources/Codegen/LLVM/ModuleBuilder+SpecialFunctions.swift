import CLLVM

/// Vector tanh, erf and the Gaussian CDF pieces of erf-gelu in f32, built on `exp`. Accuracy measured against
/// f64 references by VectorHelperTests.
extension ModuleBuilder {
    /// tanh(x) for an f32 vector (about 1.5 ulp): for |x| < 0.625 the odd polynomial |x| + |x|³·P(x²) of Cephes'
    /// tanhf, else 1 − 2 / (e^(2|x|) + 1) (no cancellation: the result is above 0.55); the sign of x is copied on
    /// (tanh(-0) = -0). ±1 once e^(2|x|) overflows; NaN propagates.
    public func tanh(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let one = splatF32(1, lanes)
        let a = fabs(x)
        let z = fmul(x, x)
        let small = fma(fmul(a, z), polynomial(z, [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2,
                                                   2.06390887954e-2, -5.70498872745e-3]), a)
        let large = fsub(one, fdiv(splatF32(2, lanes), fadd(exp(fadd(a, a)), one)))
        return copySign(select(fcmp(LLVMRealOLT, a, splatF32(0.625, lanes)), small, large), x)
    }

    /// erf(x) for an f32 vector (about 1.3 ulp): `erfNearZero` for |x| < 1, else 1 − erfc(|x|) with `erfcTail`
    /// (|x| clamped to 10.5, where erfc has long underflowed); the sign of x is copied on. NaN propagates.
    public func erf(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let one = splatF32(1, lanes)
        let a = fmin(fabs(x), splatF32(10.5, lanes))
        let square = fmul(a, a)
        let tail = erfcTail(a, squareHigh: square, squareLow: fma(a, a, fneg(square)))
        let result = copySign(select(fcmp(LLVMRealOLT, fabs(x), one), erfNearZero(x), fsub(one, tail)), x)
        return select(fcmp(LLVMRealUNO, x, x), x, result)
    }

    /// x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (transformers' "gelu") for an f32 vector, without the cancellation of
    /// 1 + erf(z) for negative x: `erfNearZero(z)` for -0.5 < z = x/√2 < 1; else erfc(|z|) from `erfcTail` with
    /// x²/2 passed exactly as a float pair, giving x·(1 - erfc(z)/2) for x > 0 and -|x|/2·erfc(|z|) for x < 0
    /// (|x| clamped to 14.85, where erfc has underflowed: gelu(-inf) = -0, gelu(inf) = inf). About 2 ulp near
    /// zero and for x > 0, about 6 ulp for x < -0.7 (erfc's several roundings). NaN propagates.
    public func geluErf(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let c = { (value: Float) in self.splatF32(value, lanes) }
        let half = fmul(x, c(0.5))
        let z = fmul(x, c(0.70710678118654752))
        let nearZero = fma(half, erfNearZero(z), half)
        let a = fmin(fabs(x), c(14.85))
        let square = fmul(a, a)
        let tail = erfcTail(fmul(a, c(0.70710678118654752)), squareHigh: fmul(square, c(0.5)),
                            squareLow: fmul(fma(a, a, fneg(square)), c(0.5)))
        let far = select(fcmp(LLVMRealOGE, x, c(0)), fmul(x, fma(c(-0.5), tail, c(1))), fmul(fmul(a, c(-0.5)), tail))
        let near = and(fcmp(LLVMRealOGT, z, c(-0.5)), fcmp(LLVMRealOLT, z, c(1)))
        return select(fcmp(LLVMRealUNO, x, x), x, select(near, nearZero, far))
    }

    /// erf(z) for |z| < 1 (about 1 ulp): z·(2/√π + z²·P(z²)) with 2/√π as a float pair, so the leading term is
    /// rounded once. P is a relative-error fit of (erf(z)/z − 2/√π)/z² on [0, 1] (1.5e-8).
    private func erfNearZero(_ z: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(z)))
        let u = fmul(z, z)
        let p = polynomial(u, [-0.37612638, 0.112837516, -0.026861535, 0.005204124, -0.00081568275, 8.359255e-05])
        return fma(z, splatF32(1.1283792, lanes), fmul(z, fma(u, p, splatF32(-5.8635383e-08, lanes))))
    }

    /// erfc(a) for 0.5 <= a <= 10.5 with relative accuracy: e^(-a²)·t·R(t), t = 1 / (1 + 0.47a), where a² is
    /// given as squareHigh + squareLow (e^(-hi-lo) is taken as e^(-hi)·(1 - lo)). R is a relative-error fit of
    /// erfc(a)·e^(a²)/t on that range (1.5e-9).
    private func erfcTail(_ a: LLVMValueRef, squareHigh: LLVMValueRef, squareLow: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(a)))
        let one = splatF32(1, lanes)
        let t = fdiv(one, fma(splatF32(0.47, lanes), a, one))
        let r = polynomial(t, [0.2651665508747101, 0.26522818207740784, 0.2353413850069046, 0.1795799881219864,
                               0.09692791104316711, 7.660996925551444e-05, 0.06890672445297241, -0.26755669713020325,
                               0.2097044736146927, -0.05339141935110092])
        let scale = fmul(exp(fneg(squareHigh)), fsub(one, squareLow))
        return fmul(scale, fmul(t, r))
    }
}
