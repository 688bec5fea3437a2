import CLLVM

/// Verifies a module, runs the `default<O3>` pipeline and emits a relocatable (PIC) object file for a target.
public struct ObjectEmitter {
    public let target: TargetSpec

    public init(target: TargetSpec) { self.target = target }

    /// Runs the LLVM verifier; throws with its report on failure.
    public func verify(_ module: ModuleBuilder) throws {
        var message: UnsafeMutablePointer<CChar>?
        if LLVMVerifyModule(module.module, LLVMReturnStatusAction, &message) != 0 {
            throw CodegenError.verification(module: module.name, message: takeMessage(message))
        }
        LLVMDisposeMessage(message)
    }

    /// Verifies and optimises `module` in place with `default<O3>` for the target.
    public func optimize(_ module: ModuleBuilder) throws {
        try verify(module)
        let machine = try TargetMachine(target: target)
        try optimize(module, machine: machine)
    }

    private func optimize(_ module: ModuleBuilder, machine: TargetMachine) throws {
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        LLVMPassBuilderOptionsSetLoopVectorization(options, 1)
        LLVMPassBuilderOptionsSetSLPVectorization(options, 1)
        LLVMPassBuilderOptionsSetLoopUnrolling(options, 1)
        LLVMPassBuilderOptionsSetLoopInterleaving(options, 1)
        if let message = consumeErrorMessage(LLVMRunPasses(module.module, "default<O3>", machine.ref, options)) {
            throw CodegenError.optimisation(module: module.name, message: message)
        }
    }

    /// Verifies, configures (triple, data layout), optimises and writes `module` as an object file to `path`.
    public func emitObject(_ module: ModuleBuilder, to path: String) throws {
        let machine = try prepare(module)
        var message: UnsafeMutablePointer<CChar>?
        var mutablePath = Array(path.utf8CString)
        let failed = mutablePath.withUnsafeMutableBufferPointer { buffer in
            LLVMTargetMachineEmitToFile(machine.ref, module.module, buffer.baseAddress, LLVMObjectFile, &message)
        }
        if failed != 0 { throw CodegenError.emission(module: module.name, message: takeMessage(message)) }
    }

    /// Like `emitObject(_:to:)` but returns the object file in an LLVM memory buffer (owned by the caller).
    public func emitObjectBuffer(_ module: ModuleBuilder) throws -> LLVMMemoryBufferRef {
        let machine = try prepare(module)
        var message: UnsafeMutablePointer<CChar>?
        var buffer: LLVMMemoryBufferRef?
        if LLVMTargetMachineEmitToMemoryBuffer(machine.ref, module.module, LLVMObjectFile, &message, &buffer) != 0 {
            throw CodegenError.emission(module: module.name, message: takeMessage(message))
        }
        guard let buffer else { throw CodegenError.emission(module: module.name, message: "no buffer returned") }
        return buffer
    }

    /// The object file as bytes.
    public func emitObjectBytes(_ module: ModuleBuilder) throws -> [UInt8] {
        let buffer = try emitObjectBuffer(module)
        defer { LLVMDisposeMemoryBuffer(buffer) }
        let size = LLVMGetBufferSize(buffer)
        guard let start = LLVMGetBufferStart(buffer) else { return [] }
        return start.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
    }

    private func prepare(_ module: ModuleBuilder) throws -> TargetMachine {
        try module.configure(for: target)
        try verify(module)
        let machine = try TargetMachine(target: target)
        try optimize(module, machine: machine)
        return machine
    }
}
