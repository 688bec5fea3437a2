import CLLVM
import RuntimeLib

/// An in-process ORC LLJIT that loads objects produced by `ObjectEmitter` (so tests run exactly the code an
/// ahead-of-time build links) and resolves external symbols (libm, ...) from the current process, and
/// `llmc_parallel_for` (called by kernels that drive other kernels) from the RuntimeLib linked into it.
public final class KernelJIT {
    private let jit: LLVMOrcLLJITRef

    public init() throws {
        LLVMSupport.initialize()
        var jit: LLVMOrcLLJITRef?
        if let message = consumeErrorMessage(LLVMOrcCreateLLJIT(&jit, nil)) {
            throw CodegenError.jit(stage: "create", name: "LLJIT", message: message)
        }
        guard let jit else { throw CodegenError.jit(stage: "create", name: "LLJIT", message: "no JIT returned") }
        self.jit = jit
        var generator: LLVMOrcDefinitionGeneratorRef?
        if let message = consumeErrorMessage(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
            &generator, LLVMOrcLLJITGetGlobalPrefix(jit), nil, nil))
        {
            throw CodegenError.jit(stage: "create", name: "process symbols", message: message)
        }
        LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), generator)
        try defineParallelFor()
    }

    /// Binds `llmc_parallel_for` to this process's RuntimeLib (executables need not export it).
    private func defineParallelFor() throws {
        let function: @convention(c) (llmc_task_fn?, UnsafePointer<Int64>?, Int64) -> Void = llmc_parallel_for
        let flags = LLVMJITSymbolFlags(
            GenericFlags: UInt8(LLVMJITSymbolGenericFlagsExported.rawValue | LLVMJITSymbolGenericFlagsCallable.rawValue),
            TargetFlags: 0)
        var pair = LLVMOrcCSymbolMapPair(
            Name: LLVMOrcLLJITMangleAndIntern(jit, "llmc_parallel_for"),
            Sym: LLVMJITEvaluatedSymbol(Address: UInt64(UInt(bitPattern: unsafeBitCast(function, to: Int.self))), Flags: flags))
        let unit = LLVMOrcAbsoluteSymbols(&pair, 1)
        if let message = consumeErrorMessage(LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jit), unit)) {
            throw CodegenError.jit(stage: "define", name: "llmc_parallel_for", message: message)
        }
    }

    deinit {
        _ = consumeErrorMessage(LLVMOrcDisposeLLJIT(jit))
    }

    /// Optimises `module` for `target`, emits it as an object file and loads it.
    public func add(_ module: ModuleBuilder, target: TargetSpec) throws {
        let buffer = try ObjectEmitter(target: target).emitObjectBuffer(module)
        if let message = consumeErrorMessage(LLVMOrcLLJITAddObjectFile(jit, LLVMOrcLLJITGetMainJITDylib(jit), buffer)) {
            throw CodegenError.jit(stage: "add", name: module.name, message: message)
        }
    }

    /// The address of a loaded function or global.
    public func address(of symbol: String) throws -> UInt64 {
        var address: LLVMOrcExecutorAddress = 0
        if let message = consumeErrorMessage(LLVMOrcLLJITLookup(jit, &address, symbol)) {
            throw CodegenError.jit(stage: "lookup", name: symbol, message: message)
        }
        return address
    }
}
