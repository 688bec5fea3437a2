import CLLVM
import Codegen
import Foundation

/// A JIT-compiled kernel run over its tasks with slots given as an array, like llmc_parallel_for would.
final class KernelHarness {
    let compiled: CompiledKernel

    init(_ kernel: Kernel, target: TargetSpec) throws {
        compiled = try CompiledKernel(kernel, target: target)
    }

    /// Runs all tasks for `rows` rows with argument slots `args` serially, in forward or reverse task order.
    func run(rows: Int, _ args: [Int64], reverse: Bool = false) {
        args.withUnsafeBufferPointer { compiled.runSerially(rows: rows, args: $0.baseAddress!, reverse: reverse) }
    }

    /// Reruns the kernel in reverse task order with slot `outputSlot` pointing at a fresh copy of `initialOutput`
    /// and returns that output (`count` floats): each output must be written by exactly one task, so task order
    /// may not change any result.
    func rerunReversed(rows: Int, _ args: [Int64], outputSlot: Int, initialOutput: [Float], count: Int) -> [Float] {
        let again = AlignedBuffer(floats: initialOutput)
        var reversed = args
        reversed[outputSlot] = slot(again.raw)
        run(rows: rows, reversed, reverse: true)
        return again.floatArray(count)
    }

    /// Runs all tasks concurrently on two threads (to exercise the kernel the way the runtime does).
    func runConcurrently(rows: Int, _ args: [Int64]) {
        let tasks = compiled.taskCount(rows: rows)
        args.withUnsafeBufferPointer { slots in
            let base = Int(bitPattern: slots.baseAddress)
            let fn = compiled.function
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
