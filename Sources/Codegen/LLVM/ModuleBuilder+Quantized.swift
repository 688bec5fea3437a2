import CLLVM

/// Vector helpers of the quantized matmuls: bitwise ops, f16 loads, byte broadcasts and the u8×s8 four-way dot
/// product (AVX-512 VNNI `vpdpbusd`, or `vpmaddubsw` + `vpmaddwd` on AVX2).
extension ModuleBuilder {
    public var f16Type: LLVMTypeRef { LLVMHalfTypeInContext(context) }

    /// Loads `lanes` IEEE f16 values at `pointer` and widens them exactly to f32 (`vcvtph2ps`).
    public func loadF16AsF32(_ pointer: LLVMValueRef, _ lanes: Int) -> LLVMValueRef {
        LLVMBuildFPExt(builder, load(vectorType(f16Type, lanes), pointer, align: 2), f32Vector(lanes), "")
    }

    public func xor(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildXor(builder, a, b, "") }
    /// Logical (zero-filling) right shift.
    public func lshr(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildLShr(builder, a, b, "") }

    /// Number of lanes of a vector value.
    public func lanes(of vector: LLVMValueRef) -> Int { Int(LLVMGetVectorSize(LLVMTypeOf(vector))) }

    /// Calls a non-overloaded target intrinsic, bitcasting each argument to the declared parameter type (the
    /// x86 integer intrinsics take e.g. `<16 x i32>` where the bytes are meant).
    @discardableResult
    public func callTargetIntrinsic(_ name: String, _ args: [LLVMValueRef]) -> LLVMValueRef {
        let id = LLVMLookupIntrinsicID(name, name.utf8.count)
        precondition(id != 0, "unknown intrinsic \(name)")
        let fn = LLVMGetIntrinsicDeclaration(module, id, nil, 0)!
        let fnType = LLVMIntrinsicGetType(context, id, nil, 0)!
        var parameters = [LLVMTypeRef?](repeating: nil, count: Int(LLVMCountParamTypes(fnType)))
        parameters.withUnsafeMutableBufferPointer { LLVMGetParamTypes(fnType, $0.baseAddress) }
        var cast: [LLVMValueRef?] = zip(args, parameters).map { arg, type in
            guard let type, LLVMTypeOf(arg) != type else { return arg }
            return bitcast(arg, type)
        }
        return LLVMBuildCall2(builder, fnType, fn, &cast, UInt32(cast.count), "")
    }

    /// The 4 bytes at `pointer` (any alignment) broadcast to every i32 lane: `<4·lanes x i8>`.
    public func broadcastBytes4(_ pointer: LLVMValueRef, lanes: Int) -> LLVMValueRef {
        bitcast(splat(load(i32Type, pointer, align: 1), lanes), vectorType(i8Type, 4 * lanes))
    }

    /// `acc[l] + Σ_{i<4} u[4l+i]·s[4l+i]` for an `<L x i32>` accumulator, `u` unsigned and `s` signed bytes
    /// (`<4L x i8>`). L = 16 needs AVX-512 VNNI (`vpdpbusd`, exact). L = 8 uses AVX2 `vpmaddubsw` + `vpmaddwd`,
    /// exact only while every pair sum u[2j]·s[2j] + u[2j+1]·s[2j+1] fits in i16 (it saturates otherwise).
    public func dotBytes(_ acc: LLVMValueRef, _ u: LLVMValueRef, _ s: LLVMValueRef) -> LLVMValueRef {
        switch lanes(of: acc) {
        case 16:
            return callTargetIntrinsic("llvm.x86.avx512.vpdpbusd.512", [acc, u, s])
        case 8:
            let pairs = callTargetIntrinsic("llvm.x86.avx2.pmadd.ub.sw", [u, s])
            let ones = splatInt(i16Type, 1, 16)
            return add(acc, bitcast(callTargetIntrinsic("llvm.x86.avx2.pmadd.wd", [pairs, ones]), LLVMTypeOf(acc)))
        default:
            preconditionFailure("dotBytes supports 8 or 16 i32 lanes")
        }
    }

    /// `acc[l] + a[2l]·b[2l] + a[2l+1]·b[2l+1]` for an `<L x i32>` accumulator and `<2L x i16>` a and b (exact,
    /// barring the one pair -32768·-32768 twice): AVX-512 VNNI `vpdpwssd` for L = 16, AVX2 `vpmaddwd` for L = 8.
    public func dotWords(_ acc: LLVMValueRef, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        switch lanes(of: acc) {
        case 16:
            return callTargetIntrinsic("llvm.x86.avx512.vpdpwssd.512", [acc, a, b])
        case 8:
            return add(acc, bitcast(callTargetIntrinsic("llvm.x86.avx2.pmadd.wd", [a, b]), LLVMTypeOf(acc)))
        default:
            preconditionFailure("dotWords supports 8 or 16 i32 lanes")
        }
    }

    /// The 8 bytes at `pointer` (any alignment) broadcast to every pair of i32 lanes, as `<2·lanes x i16>`.
    public func broadcastWords4(_ pointer: LLVMValueRef, lanes: Int) -> LLVMValueRef {
        bitcast(splat(load(i64Type, pointer, align: 2), lanes / 2), vectorType(i16Type, 2 * lanes))
    }

    /// `a` with each byte negated where the matching byte of `sign` is negative and zeroed where it is zero
    /// (AVX2 `vpsignb`, `<32 x i8>`).
    public func signBytes(_ a: LLVMValueRef, by sign: LLVMValueRef) -> LLVMValueRef {
        bitcast(callTargetIntrinsic("llvm.x86.avx2.psign.b", [a, sign]), LLVMTypeOf(a))
    }

    /// |a| per lane (`llvm.abs`, with INT_MIN mapping to itself).
    public func iabs(_ a: LLVMValueRef) -> LLVMValueRef {
        callIntrinsic("llvm.abs", [LLVMTypeOf(a)], [a, constI1(false)])
    }

    /// Sum of the lanes of an integer vector.
    public func reduceAddInt(_ vector: LLVMValueRef) -> LLVMValueRef {
        callIntrinsic("llvm.vector.reduce.add", [LLVMTypeOf(vector)], [vector])
    }
}
