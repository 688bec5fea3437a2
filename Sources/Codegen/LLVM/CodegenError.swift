import CLLVM

/// Errors raised while building, verifying, optimising, emitting or JIT-compiling LLVM modules.
public enum CodegenError: Error, CustomStringConvertible {
    /// The LLVM verifier rejected module `module`.
    case verification(module: String, message: String)
    /// The target triple `triple` is unknown to this LLVM build.
    case unknownTarget(triple: String, message: String)
    /// The optimisation pipeline failed on module `module`.
    case optimisation(module: String, message: String)
    /// Writing the object file for module `module` failed.
    case emission(module: String, message: String)
    /// The JIT failed at `stage` (create, add, lookup) for `name`.
    case jit(stage: String, name: String, message: String)
    /// A target name given on the command line is not one of the known targets.
    case unknownTargetName(String)

    public var description: String {
        switch self {
        case let .verification(module, message): return "LLVM verifier rejected module \(module): \(message)"
        case let .unknownTarget(triple, message): return "unknown target triple \(triple): \(message)"
        case let .optimisation(module, message): return "optimising module \(module) failed: \(message)"
        case let .emission(module, message): return "emitting object for module \(module) failed: \(message)"
        case let .jit(stage, name, message): return "JIT \(stage) failed for \(name): \(message)"
        case let .unknownTargetName(name):
            return "unknown target '\(name)' (known: \(TargetSpec.knownNames.joined(separator: ", ")))"
        }
    }
}

/// Takes ownership of an LLVM error and returns its message (nil when there is no error).
func consumeErrorMessage(_ error: LLVMErrorRef?) -> String? {
    guard let error else { return nil }
    guard let cMessage = LLVMGetErrorMessage(error) else { return "unknown LLVM error" }
    defer { LLVMDisposeErrorMessage(cMessage) }
    return String(cString: cMessage)
}

/// Converts an LLVM-allocated message to a Swift string and frees it.
func takeMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
    guard let message else { return "" }
    defer { LLVMDisposeMessage(message) }
    return String(cString: message)
}
