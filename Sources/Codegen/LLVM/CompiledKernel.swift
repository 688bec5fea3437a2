import CLLVM

/// One kernel JIT-compiled on its own (through the same object pipeline as an ahead-of-time build) together with
/// a helper returning its task count, callable from Swift: used by kernel tests and benchmarks.
public final class CompiledKernel {
    public typealias TaskFunction = @convention(c) (UnsafePointer<Int64>?, Int64) -> Void
    private typealias CountFunction = @convention(c) (Int64) -> Int64

    private let jit: KernelJIT
    /// The kernel entry point `void symbol(const i64* args, i64 task)`.
    public let function: TaskFunction
    private let countFunction: CountFunction

    public init(_ kernel: Kernel, target: TargetSpec) throws {
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

    /// The number of tasks a call over `rows` rows uses.
    public func taskCount(rows: Int) -> Int { Int(countFunction(Int64(rows))) }

    /// Runs every task on the calling thread, in increasing (or decreasing) task order.
    public func runSerially(rows: Int, args: UnsafePointer<Int64>, reverse: Bool = false) {
        let tasks = taskCount(rows: rows)
        for index in 0..<tasks { function(args, Int64(reverse ? tasks - 1 - index : index)) }
    }
}
