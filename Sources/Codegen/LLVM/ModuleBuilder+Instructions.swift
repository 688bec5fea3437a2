import CLLVM

/// Scalar and vector arithmetic, conversions, memory access and calls at the builder's insertion point.
extension ModuleBuilder {
    // MARK: Integer arithmetic

    public func add(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildAdd(builder, a, b, "") }
    public func sub(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildSub(builder, a, b, "") }
    public func mul(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildMul(builder, a, b, "") }
    public func sdiv(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildSDiv(builder, a, b, "") }
    public func srem(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildSRem(builder, a, b, "") }
    public func shl(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildShl(builder, a, b, "") }
    public func and(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildAnd(builder, a, b, "") }
    public func or(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildOr(builder, a, b, "") }
    public func icmp(_ predicate: LLVMIntPredicate, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildICmp(builder, predicate, a, b, "")
    }
    public func select(_ condition: LLVMValueRef, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildSelect(builder, condition, a, b, "")
    }
    /// Signed minimum of two integers.
    public func smin(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { select(icmp(LLVMIntSLT, a, b), a, b) }
    /// Signed maximum of two integers.
    public func smax(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { select(icmp(LLVMIntSGT, a, b), a, b) }
    /// `(a + b - 1) / b` for non-negative `a` and positive `b`.
    public func ceilDiv(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        sdiv(add(a, sub(b, constInt(LLVMTypeOf(b), 1))), b)
    }

    // MARK: Floating-point arithmetic (no fast-math flags: results round like scalar IEEE code)

    public func fadd(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFAdd(builder, a, b, "") }
    public func fsub(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFSub(builder, a, b, "") }
    public func fmul(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFMul(builder, a, b, "") }
    public func fdiv(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFDiv(builder, a, b, "") }
    public func fneg(_ a: LLVMValueRef) -> LLVMValueRef { LLVMBuildFNeg(builder, a, "") }
    public func fcmp(_ predicate: LLVMRealPredicate, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildFCmp(builder, predicate, a, b, "")
    }

    // MARK: Conversions

    public func sitofp(_ value: LLVMValueRef, _ type: LLVMTypeRef) -> LLVMValueRef {
        LLVMBuildSIToFP(builder, value, type, "")
    }
    public func fptosi(_ value: LLVMValueRef, _ type: LLVMTypeRef) -> LLVMValueRef {
        LLVMBuildFPToSI(builder, value, type, "")
    }
    public func zext(_ value: LLVMValueRef, _ type: LLVMTypeRef) -> LLVMValueRef {
        LLVMBuildZExt(builder, value, type, "")
    }
    public func sext(_ value: LLVMValueRef, _ type: LLVMTypeRef) -> LLVMValueRef {
        LLVMBuildSExt(builder, value, type, "")
    }
    public func trunc(_ value: LLVMValueRef, _ type: LLVMTypeRef) -> LLVMValueRef {
        LLVMBuildTrunc(builder, value, type, "")
    }
    public func bitcast(_ value: LLVMValueRef, _ type: LLVMTypeRef) -> LLVMValueRef {
        LLVMBuildBitCast(builder, value, type, "")
    }
    public func ptrToInt(_ value: LLVMValueRef) -> LLVMValueRef { LLVMBuildPtrToInt(builder, value, i64Type, "") }
    public func intToPtr(_ value: LLVMValueRef) -> LLVMValueRef { LLVMBuildIntToPtr(builder, value, ptrType, "") }

    // MARK: Memory

    /// `&base[index]` with elements of `elementType` (an inbounds GEP).
    public func gep(_ elementType: LLVMTypeRef, _ base: LLVMValueRef, _ index: LLVMValueRef) -> LLVMValueRef {
        var indices: [LLVMValueRef?] = [index]
        return LLVMBuildInBoundsGEP2(builder, elementType, base, &indices, 1, "")
    }

    /// `&base[index]` for f32 elements.
    public func gepF32(_ base: LLVMValueRef, _ index: LLVMValueRef) -> LLVMValueRef { gep(f32Type, base, index) }

    public func load(_ type: LLVMTypeRef, _ pointer: LLVMValueRef, align: Int = 4) -> LLVMValueRef {
        let value = LLVMBuildLoad2(builder, type, pointer, "")!
        LLVMSetAlignment(value, UInt32(align))
        return value
    }

    @discardableResult
    public func store(_ value: LLVMValueRef, _ pointer: LLVMValueRef, align: Int = 4) -> LLVMValueRef {
        let instruction = LLVMBuildStore(builder, value, pointer)!
        LLVMSetAlignment(instruction, UInt32(align))
        return instruction
    }

    /// A stack slot of `type` (`count` elements) in the current function's entry block.
    public func alloca(_ type: LLVMTypeRef, count: Int = 1, align: Int = 64) -> LLVMValueRef {
        let current = LLVMGetInsertBlock(builder)!
        let entry = LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(current))!
        let temp = LLVMCreateBuilderInContext(context)!
        defer { LLVMDisposeBuilder(temp) }
        if let first = LLVMGetFirstInstruction(entry) {
            LLVMPositionBuilderBefore(temp, first)
        } else {
            LLVMPositionBuilderAtEnd(temp, entry)
        }
        let slot = count == 1
            ? LLVMBuildAlloca(temp, type, "")!
            : LLVMBuildArrayAlloca(temp, type, constI64(count), "")!
        LLVMSetAlignment(slot, UInt32(align))
        return slot
    }

    /// Loads 8-byte slot `index` of an `args` array as an i64.
    public func loadSlot(_ args: LLVMValueRef, _ index: Int) -> LLVMValueRef {
        load(i64Type, gep(i64Type, args, constI64(index)), align: 8)
    }

    /// Loads 8-byte slot `index` of an `args` array as a pointer.
    public func loadSlotPointer(_ args: LLVMValueRef, _ index: Int) -> LLVMValueRef {
        load(ptrType, gep(i64Type, args, constI64(index)), align: 8)
    }

    /// Prefetches the cache line at `pointer` for reading into all cache levels (`llvm.prefetch`; never faults).
    public func prefetch(_ pointer: LLVMValueRef) {
        callIntrinsic("llvm.prefetch", [ptrType], [pointer, constI32(0), constI32(3), constI32(1)])
    }

    // MARK: Calls

    @discardableResult
    public func call(_ fn: LLVMValueRef, _ args: [LLVMValueRef]) -> LLVMValueRef {
        var args: [LLVMValueRef?] = args
        return LLVMBuildCall2(builder, LLVMGlobalGetValueType(fn), fn, &args, UInt32(args.count), "")
    }

    /// Calls the overloaded intrinsic `name` (e.g. "llvm.fma") instantiated for `overloads`.
    @discardableResult
    public func callIntrinsic(_ name: String, _ overloads: [LLVMTypeRef], _ args: [LLVMValueRef]) -> LLVMValueRef {
        let id = LLVMLookupIntrinsicID(name, name.utf8.count)
        precondition(id != 0, "unknown intrinsic \(name)")
        var overloads: [LLVMTypeRef?] = overloads
        let fn = LLVMGetIntrinsicDeclaration(module, id, &overloads, overloads.count)!
        let fnType = LLVMIntrinsicGetType(context, id, &overloads, overloads.count)!
        var args: [LLVMValueRef?] = args
        return LLVMBuildCall2(builder, fnType, fn, &args, UInt32(args.count), "")
    }

    /// Calls an external C function `name` of type `type`, declaring it on first use.
    @discardableResult
    public func callExternal(_ name: String, _ type: LLVMTypeRef, _ args: [LLVMValueRef]) -> LLVMValueRef {
        let fn = declareFunction(name, type)
        return call(fn, args)
    }

    // MARK: Vector element access

    public func extractElement(_ vector: LLVMValueRef, _ lane: Int) -> LLVMValueRef {
        LLVMBuildExtractElement(builder, vector, constI32(lane), "")
    }

    public func insertElement(_ vector: LLVMValueRef, _ value: LLVMValueRef, _ lane: Int) -> LLVMValueRef {
        LLVMBuildInsertElement(builder, vector, value, constI32(lane), "")
    }

    /// `shufflevector a, b, mask` with a constant lane mask (-1 = poison lane).
    public func shuffle(_ a: LLVMValueRef, _ b: LLVMValueRef, _ mask: [Int]) -> LLVMValueRef {
        let lanes = mask.map { $0 < 0 ? LLVMGetPoison(i32Type)! : constI32($0) }
        return LLVMBuildShuffleVector(builder, a, b, constVector(lanes), "")
    }
}
