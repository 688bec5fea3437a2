import CLLVM

/// Owns an LLVM context, one module in it and an instruction builder, and wraps the C API calls kernels and the
/// forward-pass emitter need. Values and types are the raw `LLVMValueRef`/`LLVMTypeRef` handles, valid as long as
/// the builder lives.
public final class ModuleBuilder {
    public let context: LLVMContextRef
    public let module: LLVMModuleRef
    /// The builder instructions are emitted with; `defineFunction` swaps in a fresh one while a body is emitted.
    public private(set) var builder: LLVMBuilderRef
    public let name: String

    public init(name: String) {
        self.name = name
        context = LLVMContextCreate()
        module = LLVMModuleCreateWithNameInContext(name, context)
        builder = LLVMCreateBuilderInContext(context)
    }

    deinit {
        LLVMDisposeBuilder(builder)
        LLVMDisposeModule(module)
        LLVMContextDispose(context)
    }

    /// Sets the module's triple and data layout for `target`.
    public func configure(for target: TargetSpec) throws {
        let machine = try TargetMachine(target: target)
        LLVMSetTarget(module, target.triple)
        let layout = LLVMCreateTargetDataLayout(machine.ref)
        defer { LLVMDisposeTargetData(layout) }
        LLVMSetModuleDataLayout(module, layout)
    }

    /// The module's textual IR (for debugging and tests).
    public var irText: String { takeMessage(LLVMPrintModuleToString(module)) }

    // MARK: Types

    public var voidType: LLVMTypeRef { LLVMVoidTypeInContext(context) }
    public var i1Type: LLVMTypeRef { LLVMInt1TypeInContext(context) }
    public var i8Type: LLVMTypeRef { LLVMInt8TypeInContext(context) }
    public var i16Type: LLVMTypeRef { LLVMInt16TypeInContext(context) }
    public var i32Type: LLVMTypeRef { LLVMInt32TypeInContext(context) }
    public var i64Type: LLVMTypeRef { LLVMInt64TypeInContext(context) }
    public var f32Type: LLVMTypeRef { LLVMFloatTypeInContext(context) }
    public var ptrType: LLVMTypeRef { LLVMPointerTypeInContext(context, 0) }

    /// `<lanes x element>`.
    public func vectorType(_ element: LLVMTypeRef, _ lanes: Int) -> LLVMTypeRef {
        LLVMVectorType(element, UInt32(lanes))
    }

    public func arrayType(_ element: LLVMTypeRef, _ count: Int) -> LLVMTypeRef {
        LLVMArrayType2(element, UInt64(count))
    }

    public func functionType(_ result: LLVMTypeRef, _ params: [LLVMTypeRef], varArg: Bool = false) -> LLVMTypeRef {
        var params: [LLVMTypeRef?] = params
        return LLVMFunctionType(result, &params, UInt32(params.count), varArg ? 1 : 0)
    }

    // MARK: Constants

    public func constI1(_ value: Bool) -> LLVMValueRef { LLVMConstInt(i1Type, value ? 1 : 0, 0) }
    public func constI32(_ value: Int) -> LLVMValueRef { LLVMConstInt(i32Type, UInt64(bitPattern: Int64(value)), 1) }
    public func constI64(_ value: Int) -> LLVMValueRef { LLVMConstInt(i64Type, UInt64(bitPattern: Int64(value)), 1) }
    public func constF32(_ value: Float) -> LLVMValueRef { LLVMConstReal(f32Type, Double(value)) }

    /// An integer constant of any integer type.
    public func constInt(_ type: LLVMTypeRef, _ value: Int) -> LLVMValueRef {
        LLVMConstInt(type, UInt64(bitPattern: Int64(value)), 1)
    }

    /// A constant vector from element constants.
    public func constVector(_ elements: [LLVMValueRef]) -> LLVMValueRef {
        var elements: [LLVMValueRef?] = elements
        return LLVMConstVector(&elements, UInt32(elements.count))
    }

    /// A constant f32 array global (internal, unnamed_addr) holding `values`; returns the global (a pointer).
    public func constantF32Array(named name: String, _ values: [Float]) -> LLVMValueRef {
        constantArray(named: name, f32Type, values.map { constF32($0) })
    }

    /// A constant i64 array global (internal, unnamed_addr) holding `values`; returns the global (a pointer).
    public func constantI64Array(named name: String, _ values: [Int]) -> LLVMValueRef {
        constantArray(named: name, i64Type, values.map { constI64($0) })
    }

    private func constantArray(named name: String, _ elementType: LLVMTypeRef, _ values: [LLVMValueRef]) -> LLVMValueRef {
        if let existing = LLVMGetNamedGlobal(module, name) { return existing }
        var elements: [LLVMValueRef?] = values
        let initializer = LLVMConstArray2(elementType, &elements, UInt64(elements.count))
        let global = LLVMAddGlobal(module, LLVMTypeOf(initializer), name)!
        LLVMSetInitializer(global, initializer)
        LLVMSetGlobalConstant(global, 1)
        LLVMSetLinkage(global, LLVMPrivateLinkage)
        LLVMSetUnnamedAddress(global, LLVMGlobalUnnamedAddr)
        LLVMSetAlignment(global, 64)
        return global
    }

    // MARK: Functions

    /// The function named `name`, if the module defines or declares it.
    public func function(named name: String) -> LLVMValueRef? { LLVMGetNamedFunction(module, name) }

    /// Declares (or returns the existing declaration of) an external function.
    public func declareFunction(_ name: String, _ type: LLVMTypeRef) -> LLVMValueRef {
        if let existing = function(named: name) { return existing }
        return LLVMAddFunction(module, name, type)
    }

    /// Returns the existing function `name`, or creates it with `type`, emits its body with `body` (given the
    /// function; the builder is positioned in its entry block) and returns it. The caller's insertion point is
    /// untouched: the body is emitted with a separate builder.
    @discardableResult
    public func defineFunction(
        _ name: String, _ type: LLVMTypeRef, linkage: LLVMLinkage = LLVMExternalLinkage, target: TargetSpec?,
        body: (LLVMValueRef) -> Void
    ) -> LLVMValueRef {
        if let existing = function(named: name), LLVMCountBasicBlocks(existing) > 0 { return existing }
        let fn = declareFunction(name, type)
        LLVMSetLinkage(fn, linkage)
        addAttribute(fn, "nounwind")
        if let target { target.applyAttributes(to: fn, in: self) }
        let saved = builder
        builder = LLVMCreateBuilderInContext(context)
        defer {
            LLVMDisposeBuilder(builder)
            builder = saved
        }
        position(atEndOf: appendBlock(fn, "entry"))
        body(fn)
        return fn
    }

    /// Adds an enum attribute such as "nounwind" or "noalias" to a function (index -1), its return (0) or a
    /// parameter (1-based).
    public func addAttribute(_ fn: LLVMValueRef, _ attribute: String, index: Int32 = -1) {
        let kind = LLVMGetEnumAttributeKindForName(attribute, attribute.utf8.count)
        let attr = LLVMCreateEnumAttribute(context, kind, 0)
        LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: index), attr)
    }

    /// Adds a string attribute `key`="value" to a function.
    public func addStringAttribute(_ fn: LLVMValueRef, _ key: String, _ value: String) {
        let attr = LLVMCreateStringAttribute(context, key, UInt32(key.utf8.count), value, UInt32(value.utf8.count))
        LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: -1), attr)
    }

    /// Parameter `index` of `fn`.
    public func param(_ fn: LLVMValueRef, _ index: Int) -> LLVMValueRef { LLVMGetParam(fn, UInt32(index)) }

    /// The function the builder currently emits into.
    public var currentFunction: LLVMValueRef {
        LLVMGetBasicBlockParent(LLVMGetInsertBlock(builder))
    }
}
