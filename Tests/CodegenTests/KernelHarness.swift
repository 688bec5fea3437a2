import CLLVM
import Codegen
import Foundation

/// JIT-compiles one kernel (plus a helper returning its task count) for a target and runs it serially over its
/// tasks, like llmc_parallel_for would.
final class KernelHarness {
    typealias TaskFunction = @convention(c) (UnsafePointer<Int64>?, Int64) -> Void
    typealias CountFunction = @convention(c) (Int64) -> Int64

    let jit: KernelJIT
    let function: TaskFunction
    let countFunction: CountFunction

    init(_ kernel: Kernel, target: TargetSpec) throws {
        let module = ModuleBuilder(name: kernel.symbol)
        kernel.emit(in: module, target: target)
        let countName = kernel.symbol + ".tasks"
        module.defineFunction(countName, module.functionType(module.i64Type, [module.i64Type]), target: target) { fn in
            module.ret(kernel.taskCount(rows: module.param(fn, 0), in: module, target: target))
        }
        jit = try KernelJIT()
        try jit.add(module, target: target)
        function = unsafeBitCast(UInt(try jit.address(of: kernel.symbol)), to: TaskFunction.self)
        countFunction = unsafeBitCast(UInt(try jit.address(of: countName)), to: CountFunction.self)
    }

    func taskCount(rows: Int) -> Int { Int(countFunction(Int64(rows))) }

    /// Runs all tasks for `rows` rows with argument slots `args`, in forward or reverse task order.
    func run(rows: Int, _ args: [Int64], reverse: Bool = false) {
        let tasks = taskCount(rows: rows)
        let order = reverse ? Array((0..<tasks).reversed()) : Array(0..<tasks)
        args.withUnsafeBufferPointer { slots in
            for task in order { function(slots.baseAddress, Int64(task)) }
        }
    }

    /// Runs all tasks concurrently on two threads (to exercise the kernel the way the runtime does).
    func runConcurrently(rows: Int, _ args: [Int64]) {
        let tasks = taskCount(rows: rows)
        args.withUnsafeBufferPointer { slots in
            let base = Int(bitPattern: slots.baseAddress)
            let fn = function
            DispatchQueue.concurrentPerform(iterations: tasks) { task in
                fn(UnsafePointer(bitPattern: base), Int64(task))
            }
        }
    }
}

/// Argument slot for a pointer.
func slot(_ pointer: UnsafeRawPointer?) -> Int64 { Int64(Int(bitPattern: pointer)) }
func slot(_ pointer: UnsafeMutableRawPointer?) -> Int64 { Int64(Int(bitPattern: pointer)) }
func slot<T>(_ pointer: UnsafeMutablePointer<T>) -> Int64 { Int64(Int(bitPattern: pointer)) }
func slot<T>(_ pointer: UnsafePointer<T>) -> Int64 { Int64(Int(bitPattern: pointer)) }
func slot(_ value: Int) -> Int64 { Int64(value) }

/// Deterministic pseudo-random floats in [-1, 1) (SplitMix64).
struct TestRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> Float {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }

    mutating func array(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in next() * scale } }
}

/// Both kernel targets; both run on the test machine (AVX-512).
let testTargets: [TargetSpec] = [.avx512, .avx2]
