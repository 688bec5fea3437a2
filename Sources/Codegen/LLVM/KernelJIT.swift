import CLLVM

/// An in-process ORC LLJIT that loads objects produced by `ObjectEmitter` (so tests run exactly the code an
/// ahead-of-time build links) and resolves external symbols (libm, ...) from the current process.
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
