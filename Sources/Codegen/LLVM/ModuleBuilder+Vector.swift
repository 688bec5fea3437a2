import CLLVM

/// Vector helpers: splats, lane masks, masked memory access, FMA, reductions, bf16 widening and a vector exp.
extension ModuleBuilder {
    /// `<lanes x f32>`.
    public func f32Vector(_ lanes: Int) -> LLVMTypeRef { vectorType(f32Type, lanes) }

    /// Broadcasts a scalar to all `lanes` lanes.
    public func splat(_ scalar: LLVMValueRef, _ lanes: Int) -> LLVMValueRef {
        let vector = LLVMGetPoison(vectorType(LLVMTypeOf(scalar), lanes))!
        let first = insertElement(vector, scalar, 0)
        return shuffle(first, LLVMGetPoison(LLVMTypeOf(first)), Array(repeating: 0, count: lanes))
    }

    /// A constant f32 vector with every lane `value`.
    public func splatF32(_ value: Float, _ lanes: Int) -> LLVMValueRef {
        constVector(Array(repeating: constF32(value), count: lanes))
    }

    /// A constant integer vector with every lane `value`.
    public func splatInt(_ type: LLVMTypeRef, _ value: Int, _ lanes: Int) -> LLVMValueRef {
        constVector(Array(repeating: constInt(type, value), count: lanes))
    }

    /// `<i1 x lanes>` with lane l set iff `l < valid` (valid is an i64, constant or not; may be <= 0 or >= lanes).
    public func laneMask(valid: LLVMValueRef, _ lanes: Int) -> LLVMValueRef {
        let iota = constVector((0..<lanes).map { constI64($0) })
        return icmp(LLVMIntSLT, iota, splat(valid, lanes))
    }

    /// `<i1 x lanes>` with lane l set iff `l < valid` for a compile-time count.
    public func constLaneMask(valid: Int, _ lanes: Int) -> LLVMValueRef {
        constVector((0..<lanes).map { constI1($0 < valid) })
    }

    /// Loads `<lanes x f32>` from `pointer`; masked (zero in disabled lanes) when `mask` is given.
    public func loadF32Vector(_ pointer: LLVMValueRef, _ lanes: Int, mask: LLVMValueRef? = nil) -> LLVMValueRef {
        let type = f32Vector(lanes)
        guard let mask else { return load(type, pointer, align: 4) }
        return maskedLoad(type, pointer, mask: mask, passthrough: LLVMConstNull(type), align: 4)
    }

    /// `llvm.masked.load`.
    public func maskedLoad(
        _ type: LLVMTypeRef, _ pointer: LLVMValueRef, mask: LLVMValueRef, passthrough: LLVMValueRef, align: Int
    ) -> LLVMValueRef {
        callIntrinsic("llvm.masked.load", [type, ptrType], [pointer, constI32(align), mask, passthrough])
    }

    /// Stores a vector; masked when `mask` is given.
    public func storeVector(_ value: LLVMValueRef, _ pointer: LLVMValueRef, mask: LLVMValueRef? = nil, align: Int = 4) {
        guard let mask else {
            store(value, pointer, align: align)
            return
        }
        callIntrinsic(
            "llvm.masked.store", [LLVMTypeOf(value), ptrType], [value, pointer, constI32(align), mask])
    }

    /// `llvm.masked.gather` of `<lanes x element>` from a vector of pointers.
    public func maskedGather(
        _ element: LLVMTypeRef, _ pointers: LLVMValueRef, lanes: Int, mask: LLVMValueRef, align: Int
    ) -> LLVMValueRef {
        let type = vectorType(element, lanes)
        return callIntrinsic(
            "llvm.masked.gather", [type, vectorType(ptrType, lanes)],
            [pointers, constI32(align), mask, LLVMConstNull(type)])
    }

    /// Loads `lanes` bf16 values (raw u16) at `pointer` and widens them exactly to f32 (bits << 16).
    public func loadBF16AsF32(_ pointer: LLVMValueRef, _ lanes: Int, mask: LLVMValueRef? = nil) -> LLVMValueRef {
        let rawType = vectorType(i16Type, lanes)
        let raw = mask.map { maskedLoad(rawType, pointer, mask: $0, passthrough: LLVMConstNull(rawType), align: 2) }
            ?? load(rawType, pointer, align: 2)
        return widenBF16(raw)
    }

    /// Widens a `<lanes x i16>` (or scalar i16) of bf16 bits to f32.
    public func widenBF16(_ raw: LLVMValueRef) -> LLVMValueRef {
        let type = LLVMTypeOf(raw)!
        if LLVMGetTypeKind(type) == LLVMVectorTypeKind {
            let lanes = Int(LLVMGetVectorSize(type))
            let wide = zext(raw, vectorType(i32Type, lanes))
            return bitcast(shl(wide, splatInt(i32Type, 16, lanes)), f32Vector(lanes))
        }
        return bitcast(shl(zext(raw, i32Type), constInt(i32Type, 16)), f32Type)
    }

    /// `a * b + c` with a single rounding (`llvm.fma`), scalar or vector.
    public func fma(_ a: LLVMValueRef, _ b: LLVMValueRef, _ c: LLVMValueRef) -> LLVMValueRef {
        callIntrinsic("llvm.fma", [LLVMTypeOf(a)], [a, b, c])
    }

    /// `a > b ? a : b` (one max instruction; if either operand is NaN the result is `b`).
    public func fmax(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        select(fcmp(LLVMRealOGT, a, b), a, b)
    }

    /// `a < b ? a : b` (one min instruction; if either operand is NaN the result is `b`).
    public func fmin(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        select(fcmp(LLVMRealOLT, a, b), a, b)
    }

    /// Correctly rounded square root (`llvm.sqrt`).
    public func sqrt(_ a: LLVMValueRef) -> LLVMValueRef { callIntrinsic("llvm.sqrt", [LLVMTypeOf(a)], [a]) }

    /// Sum of all lanes (reassociated into a shuffle tree).
    public func reduceAdd(_ vector: LLVMValueRef) -> LLVMValueRef {
        let call = callIntrinsic("llvm.vector.reduce.fadd", [LLVMTypeOf(vector)], [constF32(-0.0), vector])
        LLVMSetFastMathFlags(call, LLVMFastMathFlags(LLVMFastMathAllowReassoc))
        return call
    }

    /// Maximum of all lanes (a shuffle tree of `fmax`).
    public func reduceMax(_ vector: LLVMValueRef) -> LLVMValueRef {
        var value = vector
        var width = Int(LLVMGetVectorSize(LLVMTypeOf(vector)))
        while width > 1 {
            width /= 2
            let upper = shuffle(value, value, (0..<Int(LLVMGetVectorSize(LLVMTypeOf(vector)))).map { $0 < width ? $0 + width : -1 })
            value = fmax(value, upper)
        }
        return extractElement(value, 0)
    }

    /// Adds vectors pairwise in a balanced tree (fixed order, so results are deterministic).
    public func sumTree(_ values: [LLVMValueRef]) -> LLVMValueRef {
        precondition(!values.isEmpty, "sumTree needs at least one value")
        var level = values
        while level.count > 1 {
            var next: [LLVMValueRef] = []
            for index in stride(from: 0, to: level.count, by: 2) {
                next.append(index + 1 < level.count ? fadd(level[index], level[index + 1]) : level[index])
            }
            level = next
        }
        return level[0]
    }

    /// |a| (`llvm.fabs`), scalar or vector.
    public func fabs(_ a: LLVMValueRef) -> LLVMValueRef { callIntrinsic("llvm.fabs", [LLVMTypeOf(a)], [a]) }

    /// |magnitude| with the sign of `sign` (`llvm.copysign`), scalar or vector.
    public func copySign(_ magnitude: LLVMValueRef, _ sign: LLVMValueRef) -> LLVMValueRef {
        callIntrinsic("llvm.copysign", [LLVMTypeOf(magnitude)], [magnitude, sign])
    }

    /// c[0] + x·(c[1] + x·(c[2] + ...)) by Horner's rule with FMAs, for an f32 vector x and constant coefficients.
    public func polynomial(_ x: LLVMValueRef, _ coefficients: [Float]) -> LLVMValueRef {
        precondition(!coefficients.isEmpty, "a polynomial needs a coefficient")
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        return coefficients.dropLast().reversed().reduce(splatF32(coefficients[coefficients.count - 1], lanes)) {
            fma($0, x, splatF32($1, lanes))
        }
    }

    /// e^x for an f32 vector: Cephes-style range reduction and degree-6 polynomial (about 1 ulp). The input is
    /// clamped to [-104, 89], where the two-step scaling by 2^n yields +inf above 88.72, gradual underflow and 0
    /// below -103.3 by itself; NaN propagates.
    public func exp(_ x: LLVMValueRef) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
        let c = { (value: Float) in self.splatF32(value, lanes) }
        let clamped = fmin(fmax(x, c(-104)), c(89))
        let n = callIntrinsic("llvm.rint", [LLVMTypeOf(x)], [fmul(clamped, c(1.44269504088896341))])
        var r = fma(n, c(-0.693359375), clamped)
        r = fma(n, c(2.12194440e-4), r)
        var p = polynomial(r, [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3,
                               1.9875691500e-4])
        p = fadd(fma(p, fmul(r, r), r), c(1))
        // 2^n as two factors 2^(n>>1) * 2^(n - n>>1) so that n = 128 and the subnormal range stay representable.
        let i32Vec = vectorType(i32Type, lanes)
        let ni = fptosi(n, i32Vec)
        let half = LLVMBuildAShr(builder, ni, splatInt(i32Type, 1, lanes), "")!
        let rest = sub(ni, half)
        let pow2 = { (e: LLVMValueRef) in
            self.bitcast(self.shl(self.add(e, self.splatInt(self.i32Type, 127, lanes)),
                                  self.splatInt(self.i32Type, 23, lanes)), self.f32Vector(lanes))
        }
        let scaled = fmul(fmul(p, pow2(half)), pow2(rest))
        return select(fcmp(LLVMRealUNO, x, x), x, scaled)
    }
}

extension ModuleBuilder {
    /// Combines two vectors whose lanes hold partial sums in segments of `segment` lanes (segment i of `a` belongs
    /// to item i, of `b` to item lanes/segment + i) into one vector with segments of segment/2 lanes in the same
    /// item order: the step of a transpose-and-sum tree.
    public func combineSegments(_ a: LLVMValueRef, _ b: LLVMValueRef, segment: Int) -> LLVMValueRef {
        let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(a)))
        let half = segment / 2
        let perVector = lanes / segment
        var low: [Int] = [], high: [Int] = []
        for item in 0..<(2 * perVector) {
            let base = (item < perVector ? 0 : lanes) + (item % perVector) * segment
            low += (0..<half).map { base + $0 }
            high += (0..<half).map { base + half + $0 }
        }
        return fadd(shuffle(a, b, low), shuffle(a, b, high))
    }

    /// For each of several parallel reductions: lane l of result i is the sum of the lanes of `item(l)[i]`, for
    /// l < lanes (lanes a power of two). Items are produced depth-first and combined pairwise as soon as possible,
    /// so only about log2(lanes) + 1 partial vectors per reduction are live at a time.
    public func transposeSum(lanes: Int, _ item: (Int) -> [LLVMValueRef]) -> [LLVMValueRef] {
        func reduce(_ first: Int, _ count: Int) -> [LLVMValueRef] {
            if count == 1 { return item(first) }
            let left = reduce(first, count / 2), right = reduce(first + count / 2, count / 2)
            return zip(left, right).map { combineSegments($0, $1, segment: 2 * lanes / count) }
        }
        return reduce(0, lanes)
    }
}

extension ModuleBuilder {
    /// `llvm.masked.scatter` of a vector to a vector of pointers.
    public func scatter(_ value: LLVMValueRef, _ pointers: LLVMValueRef, mask: LLVMValueRef, align: Int = 4) {
        callIntrinsic("llvm.masked.scatter", [LLVMTypeOf(value), LLVMTypeOf(pointers)],
                      [value, pointers, constI32(align), mask])
    }
}
