import CLLVM

/// A generated compute kernel: an LLVM function `void symbol(const i64* args, i64 task)` run through llmc_parallel_for.
public protocol Kernel {
    /// Unique per parameter set (shapes, dtypes, flags, target width); kernels with equal symbols are emitted once.
    var symbol: String { get }
    /// Defines the function in `module` if not yet defined; returns it.
    @discardableResult func emit(in module: ModuleBuilder, target: TargetSpec) -> LLVMValueRef
    /// Emits, at a call site, the i64 number of parallel tasks for a call over `rows` rows (an i64 run-time value).
    func taskCount(rows: LLVMValueRef, in module: ModuleBuilder, target: TargetSpec) -> LLVMValueRef
}

/// The LLVM type of every kernel entry point: `void (ptr args, i64 task)`.
func kernelFunctionType(_ module: ModuleBuilder) -> LLVMTypeRef {
    module.functionType(module.voidType, [module.ptrType, module.i64Type])
}

extension Kernel {
    /// Defines the kernel entry point `symbol` (once) and emits its body; `body` gets `args` and `task` and the
    /// builder must be left in a block without terminator (a `ret void` is appended).
    func defineKernel(
        in module: ModuleBuilder, target: TargetSpec, body: (_ args: LLVMValueRef, _ task: LLVMValueRef) -> Void
    ) -> LLVMValueRef {
        module.defineFunction(symbol, kernelFunctionType(module), target: target) { fn in
            module.addAttribute(fn, "nocapture", index: 1)
            module.addAttribute(fn, "readonly", index: 1)
            body(module.param(fn, 0), module.param(fn, 1))
            module.retVoid()
        }
    }
}

/// Splits `total` work items into `parts` contiguous, nearly equal ranges; returns range `part` as (begin, end).
func splitRange(
    _ module: ModuleBuilder, total: LLVMValueRef, parts: LLVMValueRef, part: LLVMValueRef
) -> (begin: LLVMValueRef, end: LLVMValueRef) {
    let begin = module.sdiv(module.mul(part, total), parts)
    let end = module.sdiv(module.mul(module.add(part, module.constI64(1)), total), parts)
    return (begin, end)
}

/// Task count for kernels that split rows into contiguous chunks: min(rows, maxTasks), never below 1 row per task.
func rowChunkTaskCount(_ module: ModuleBuilder, rows: LLVMValueRef, maxTasks: Int) -> LLVMValueRef {
    module.smin(rows, module.constI64(maxTasks))
}

/// Emits the row range of `task` for a kernel whose task count is `rowChunkTaskCount(rows, maxTasks)`.
func rowChunk(
    _ module: ModuleBuilder, rows: LLVMValueRef, task: LLVMValueRef, maxTasks: Int
) -> (begin: LLVMValueRef, end: LLVMValueRef) {
    splitRange(module, total: rows, parts: rowChunkTaskCount(module, rows: rows, maxTasks: maxTasks), part: task)
}

/// Formats a Float's bit pattern for use in a symbol name.
func symbolBits(_ value: Float) -> String { String(value.bitPattern, radix: 16) }

/// FNV-1a hash of Float bit patterns, for symbols of kernels that bake constant tables.
func symbolHash(_ values: [Float]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for value in values {
        var bits = value.bitPattern
        for _ in 0..<4 {
            hash = (hash ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3
            bits >>= 8
        }
    }
    return String(hash, radix: 16)
}

/// Walks `count` (a compile-time length) contiguous f32 elements in vectors of `lanes`: full vectors in a loop,
/// then one masked vector for the tail. `body` gets the element offset (i64), the tail mask (nil for full vectors)
/// and the carried values, and returns the next carried values; the final ones are returned.
@discardableResult
func forEachVector(
    _ m: ModuleBuilder, count: Int, lanes: Int, carrying initial: [LLVMValueRef] = [],
    _ body: (_ offset: LLVMValueRef, _ mask: LLVMValueRef?, _ carried: [LLVMValueRef]) -> [LLVMValueRef]
) -> [LLVMValueRef] {
    let full = count / lanes * lanes
    var carried = initial
    if full > 0 {
        carried = m.forLoop(from: m.constI64(0), to: m.constI64(full), step: lanes, carrying: carried) { offset, values in
            body(offset, nil, values)
        }
    }
    if full < count {
        carried = body(m.constI64(full), m.constLaneMask(valid: count - full, lanes), carried)
    }
    return carried
}

/// `forEachVector` without carried values.
func forEachVector(
    _ m: ModuleBuilder, count: Int, lanes: Int, _ body: (_ offset: LLVMValueRef, _ mask: LLVMValueRef?) -> Void
) {
    forEachVector(m, count: count, lanes: lanes, carrying: []) { offset, mask, _ in
        body(offset, mask)
        return []
    }
}
