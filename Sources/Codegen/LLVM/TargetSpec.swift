import CLLVM

/// The machine code is generated for: triple, CPU, features and the f32 vector width kernels use.
public struct TargetSpec: Sendable, Equatable {
    /// The name used on the command line (`x86-64-avx512`, `x86-64-avx512-bf16`, `x86-64-avx2`, `native`).
    public let name: String
    public let triple: String
    public let cpu: String
    /// Comma-separated LLVM feature string ("" = the CPU's defaults).
    public let features: String
    /// f32 lanes per vector register kernels use (16 for AVX-512, 8 for AVX2).
    public let vectorWidth: Int

    public init(name: String, triple: String, cpu: String, features: String, vectorWidth: Int) {
        self.name = name
        self.triple = triple
        self.cpu = cpu
        self.features = features
        self.vectorWidth = vectorWidth
    }

    /// x86-64-v4 (AVX-512 F/BW/CD/DQ/VL) plus AVX-512 VNNI, 16 f32 lanes. VNNI (`vpdpbusd`, used by the
    /// quantized matmuls) is on every AVX-512 server part since Cascade Lake and on AMD Zen 4 and later.
    public static let avx512 = TargetSpec(
        name: "x86-64-avx512", triple: "x86_64-unknown-linux-gnu", cpu: "x86-64-v4", features: "+avx512vnni",
        vectorWidth: 16)

    /// `avx512` plus AVX-512 BF16 (`vdpbf16ps`, used by the bf16 prefill matmul): Intel Cooper Lake and Sapphire
    /// Rapids and later, AMD Zen 4 and later (not Ice Lake or Cascade Lake).
    public static let avx512BF16 = TargetSpec(
        name: "x86-64-avx512-bf16", triple: "x86_64-unknown-linux-gnu", cpu: "x86-64-v4",
        features: "+avx512vnni,+avx512bf16", vectorWidth: 16)

    /// x86-64-v3: AVX2 + FMA, 8 f32 lanes.
    public static let avx2 = TargetSpec(
        name: "x86-64-avx2", triple: "x86_64-unknown-linux-gnu", cpu: "x86-64-v3", features: "", vectorWidth: 8)

    /// The host CPU as LLVM detects it; 16 lanes when it has AVX-512F, else 8.
    public static var native: TargetSpec {
        let cpu = takeMessage(LLVMGetHostCPUName())
        let features = takeMessage(LLVMGetHostCPUFeatures())
        let width = features.split(separator: ",").contains("+avx512f") ? 16 : 8
        return TargetSpec(
            name: "native", triple: takeMessage(LLVMGetDefaultTargetTriple()), cpu: cpu, features: features,
            vectorWidth: width)
    }

    public static let knownNames = ["x86-64-avx512", "x86-64-avx512-bf16", "x86-64-avx2", "native"]

    /// Looks a target up by its command-line name.
    public static func named(_ name: String) throws -> TargetSpec {
        switch name {
        case "x86-64-avx512": return .avx512
        case "x86-64-avx512-bf16": return .avx512BF16
        case "x86-64-avx2": return .avx2
        case "native": return .native
        default: throw CodegenError.unknownTargetName(name)
        }
    }

    /// Whether the target has AVX-512 VNNI (the 512-bit u8×s8 dot product `vpdpbusd`).
    public var hasAVX512VNNI: Bool {
        vectorWidth >= 16 && features.split(separator: ",").contains("+avx512vnni")
    }

    /// Whether the target has AVX-512 BF16 (`vdpbf16ps`, `vcvtne2ps2bf16`).
    public var hasAVX512BF16: Bool {
        vectorWidth >= 16 && features.split(separator: ",").contains("+avx512bf16")
    }

    /// The instruction-set extensions the generated code may use, as LLVM names them without the "+" ("avx2",
    /// "avx512bf16", …): those the CPU level implies plus those enabled in `features`. A produced executable checks
    /// at start that the CPU has each one it can test (`llmc_require_cpu`).
    public var requiredCPUFeatures: [String] {
        let enabled = features.split(separator: ",").filter { $0.hasPrefix("+") }.map { String($0.dropFirst()) }
        var seen = Set<String>()
        return (Self.levelFeatures[cpu, default: []] + enabled).filter { seen.insert($0).inserted }
    }

    /// Extensions implied by the generic x86-64 levels (x86-64-v2 … v4, as LLVM defines them).
    private static let levelFeatures: [String: [String]] = {
        let v2 = ["cx16", "popcnt", "sse3", "sse4.1", "sse4.2", "ssse3"]
        let v3 = v2 + ["avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"]
        let v4 = v3 + ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
        return ["x86-64-v2": v2, "x86-64-v3": v3, "x86-64-v4": v4]
    }()

    /// Vector register width in bits.
    public var vectorBits: Int { vectorWidth * 32 }

    /// Sets target-cpu/target-features and the vector-width attributes on a function.
    func applyAttributes(to fn: LLVMValueRef, in module: ModuleBuilder) {
        module.addStringAttribute(fn, "target-cpu", cpu)
        if !features.isEmpty { module.addStringAttribute(fn, "target-features", features) }
        module.addStringAttribute(fn, "min-legal-vector-width", String(vectorBits))
        module.addStringAttribute(fn, "prefer-vector-width", String(vectorBits))
    }
}

/// An LLVM target machine for a `TargetSpec` (PIC, aggressive optimisation).
final class TargetMachine {
    let ref: LLVMTargetMachineRef

    init(target: TargetSpec) throws {
        LLVMSupport.initialize()
        var targetRef: LLVMTargetRef?
        var message: UnsafeMutablePointer<CChar>?
        guard LLVMGetTargetFromTriple(target.triple, &targetRef, &message) == 0, let targetRef else {
            throw CodegenError.unknownTarget(triple: target.triple, message: takeMessage(message))
        }
        guard let machine = LLVMCreateTargetMachine(
            targetRef, target.triple, target.cpu, target.features, LLVMCodeGenLevelAggressive, LLVMRelocPIC,
            LLVMCodeModelDefault)
        else {
            throw CodegenError.unknownTarget(triple: target.triple, message: "cannot create target machine")
        }
        ref = machine
    }

    deinit { LLVMDisposeTargetMachine(ref) }
}

/// One-time registration of the X86 backend.
enum LLVMSupport {
    private static let initialized: Bool = {
        LLVMInitializeX86TargetInfo()
        LLVMInitializeX86Target()
        LLVMInitializeX86TargetMC()
        LLVMInitializeX86AsmPrinter()
        LLVMInitializeX86AsmParser()
        return true
    }()

    static func initialize() { _ = initialized }
}
