import CLLVM

/// Basic blocks, branches, phis and structured loop/if helpers.
extension ModuleBuilder {
    public func appendBlock(_ fn: LLVMValueRef, _ name: String) -> LLVMBasicBlockRef {
        LLVMAppendBasicBlockInContext(context, fn, name)
    }

    /// A new block at the end of the function being emitted.
    public func appendBlock(_ name: String) -> LLVMBasicBlockRef { appendBlock(currentFunction, name) }

    public func position(atEndOf block: LLVMBasicBlockRef) { LLVMPositionBuilderAtEnd(builder, block) }

    public var insertBlock: LLVMBasicBlockRef { LLVMGetInsertBlock(builder) }

    public func br(_ block: LLVMBasicBlockRef) { LLVMBuildBr(builder, block) }

    public func condBr(_ condition: LLVMValueRef, _ then: LLVMBasicBlockRef, _ otherwise: LLVMBasicBlockRef) {
        LLVMBuildCondBr(builder, condition, then, otherwise)
    }

    public func retVoid() { LLVMBuildRetVoid(builder) }

    public func ret(_ value: LLVMValueRef) { LLVMBuildRet(builder, value) }

    /// A phi of `type` with the given (value, predecessor) pairs; more can be added with `addIncoming`.
    public func phi(_ type: LLVMTypeRef, _ incoming: [(LLVMValueRef, LLVMBasicBlockRef)] = []) -> LLVMValueRef {
        let node = LLVMBuildPhi(builder, type, "")!
        for (value, block) in incoming { addIncoming(node, value, block) }
        return node
    }

    public func addIncoming(_ phi: LLVMValueRef, _ value: LLVMValueRef, _ block: LLVMBasicBlockRef) {
        var values: [LLVMValueRef?] = [value]
        var blocks: [LLVMBasicBlockRef?] = [block]
        LLVMAddIncoming(phi, &values, &blocks, 1)
    }

    /// Emits `for (i = start; i < end; i += step)` (signed i64 compare) with loop-carried values: `body` gets the
    /// induction variable and the carried values of this iteration and returns those of the next. Returns the
    /// carried values after the loop (the initial ones if it runs zero times).
    @discardableResult
    public func forLoop(
        from start: LLVMValueRef, to end: LLVMValueRef, step: Int = 1, carrying initial: [LLVMValueRef] = [],
        _ body: (_ index: LLVMValueRef, _ carried: [LLVMValueRef]) -> [LLVMValueRef]
    ) -> [LLVMValueRef] {
        let preheader = insertBlock
        let header = appendBlock("loop")
        let bodyBlock = appendBlock("loop.body")
        let exit = appendBlock("loop.exit")
        br(header)
        position(atEndOf: header)
        let index = phi(i64Type, [(start, preheader)])
        let carried = initial.map { phi(LLVMTypeOf($0), [($0, preheader)]) }
        condBr(icmp(LLVMIntSLT, index, end), bodyBlock, exit)
        position(atEndOf: bodyBlock)
        let next = body(index, carried)
        precondition(next.count == carried.count, "forLoop body must return one value per carried value")
        let nextIndex = add(index, constI64(step))
        let latch = insertBlock
        br(header)
        addIncoming(index, nextIndex, latch)
        for (node, value) in zip(carried, next) { addIncoming(node, value, latch) }
        position(atEndOf: exit)
        return carried
    }

    /// `forLoop` without carried values.
    public func forLoop(
        from start: LLVMValueRef, to end: LLVMValueRef, step: Int = 1, _ body: (_ index: LLVMValueRef) -> Void
    ) {
        forLoop(from: start, to: end, step: step, carrying: []) { index, _ in
            body(index)
            return []
        }
    }

    /// Emits `if condition { then() }`.
    public func ifThen(_ condition: LLVMValueRef, _ then: () -> Void) {
        let thenBlock = appendBlock("if.then")
        let merge = appendBlock("if.end")
        condBr(condition, thenBlock, merge)
        position(atEndOf: thenBlock)
        then()
        br(merge)
        position(atEndOf: merge)
    }

    /// Emits `if condition { then() } else { otherwise() }`.
    public func ifThenElse(_ condition: LLVMValueRef, then: () -> Void, otherwise: () -> Void) {
        _ = ifElse(condition, then: { then(); return [] }, otherwise: { otherwise(); return [] })
    }

    /// Emits `condition ? then() : otherwise()` for values; both closures return equally typed values.
    public func ifElse(
        _ condition: LLVMValueRef, then: () -> [LLVMValueRef], otherwise: () -> [LLVMValueRef]
    ) -> [LLVMValueRef] {
        let thenBlock = appendBlock("if.then")
        let elseBlock = appendBlock("if.else")
        let merge = appendBlock("if.end")
        condBr(condition, thenBlock, elseBlock)
        position(atEndOf: thenBlock)
        let thenValues = then()
        let thenEnd = insertBlock
        br(merge)
        position(atEndOf: elseBlock)
        let elseValues = otherwise()
        let elseEnd = insertBlock
        br(merge)
        position(atEndOf: merge)
        return zip(thenValues, elseValues).map { a, b in phi(LLVMTypeOf(a), [(a, thenEnd), (b, elseEnd)]) }
    }

    /// Emits a switch over the i64 `value` with one case per entry of `cases` (emitted by `body(caseValue)`),
    /// falling through to the merge block for other values.
    public func switchOver(_ value: LLVMValueRef, cases: [Int], _ body: (Int) -> Void) {
        let merge = appendBlock("switch.end")
        let instruction = LLVMBuildSwitch(builder, value, merge, UInt32(cases.count))!
        for caseValue in cases {
            let block = appendBlock("switch.case")
            LLVMAddCase(instruction, constInt(LLVMTypeOf(value), caseValue), block)
            position(atEndOf: block)
            body(caseValue)
            br(merge)
        }
        position(atEndOf: merge)
    }
}
