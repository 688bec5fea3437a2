import CLLVM
import Foundation

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

/// Emits, at the current insertion point, a run of `kernel` over `rows` rows: stores `args` (pointers or i64) into
/// the 8-byte `slots` and calls `llmc_parallel_for` with the kernel's task count.
func emitParallelFor(_ m: ModuleBuilder, _ kernel: Kernel, target: TargetSpec, slots: LLVMValueRef, rows: LLVMValueRef,
                     _ args: [LLVMValueRef]) {
    let fn = kernel.emit(in: m, target: target)
    for (i, arg) in args.enumerated() {
        let value = LLVMGetTypeKind(LLVMTypeOf(arg)) == LLVMPointerTypeKind ? m.ptrToInt(arg) : arg
        m.store(value, m.gep(m.i64Type, slots, m.constI64(i)), align: 8)
    }
    let tasks = kernel.taskCount(rows: rows, in: m, target: target)
    let parallelFor = m.functionType(m.voidType, [m.ptrType, m.ptrType, m.i64Type])
    _ = m.callExternal("llmc_parallel_for", parallelFor, [fn, slots, tasks])
}

/// Splits `total` work items into `parts` contiguous, nearly equal ranges; returns range `part` as (begin, end).
func splitRange(
    _ module: ModuleBuilder, total: LLVMValueRef, parts: LLVMValueRef, part: LLVMValueRef
) -> (begin: LLVMValueRef, end: LLVMValueRef) {
    let begin = module.sdiv(module.mul(part, total), parts)
    let end = module.sdiv(module.mul(module.add(part, module.constI64(1)), total), parts)
    return (begin, end)
}

/// A kernel whose rows are independent: a call over `rows` rows runs min(rows, maxTasks) tasks, each over one
/// contiguous chunk of rows. Conformers emit the per-call preamble and the work of one row (`rowEmitter`); the
/// entry point, task count and row loop are shared.
public protocol RowwiseKernel: Kernel {
    /// The most tasks one call is split into.
    static var maxTasks: Int { get }
    /// The argument slot holding the i64 row count.
    static var rowsSlot: Int { get }
    /// Emits the per-call preamble (slot loads, constants) at the start of the entry point and returns the emitter
    /// of one row's work, given the row index (i64).
    func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (_ row: LLVMValueRef) -> Void
}

extension RowwiseKernel {
    public static var maxTasks: Int { 8 }

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        m.smin(rows, m.constI64(Self.maxTasks))
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let emitRow = rowEmitter(m, target: target, args: args)
            let rows = m.loadSlot(args, Self.rowsSlot)
            let range = splitRange(m, total: rows, parts: taskCount(rows: rows, in: m, target: target), part: task)
            m.forLoop(from: range.begin, to: range.end, emitRow)
        }
    }
}

/// A row-major f32 matrix given by a base pointer and a row stride in elements (both run-time values).
struct StridedRows {
    let base: LLVMValueRef
    let ld: LLVMValueRef

    /// Loads the base pointer from slot `base` and the stride from slot `ld` of a kernel's `args`.
    init(_ m: ModuleBuilder, args: LLVMValueRef, base: Int, ld: Int) {
        self.base = m.loadSlotPointer(args, base)
        self.ld = m.loadSlot(args, ld)
    }

    /// The address of row `row` (i64), plus `column` (i64) elements when given.
    func row(_ m: ModuleBuilder, _ row: LLVMValueRef, column: LLVMValueRef? = nil) -> LLVMValueRef {
        let start = m.mul(row, ld)
        return m.gepF32(base, column.map { m.add(start, $0) } ?? start)
    }
}

/// Formats a Float's bit pattern for use in a symbol name.
func symbolBits(_ value: Float) -> String { String(value.bitPattern, radix: 16) }

/// FNV-1a hash of Float bit patterns, for symbols of kernels that bake constant tables.
func symbolHash(_ values: [Float]) -> String {
    var hash = FNV1a()
    hash.combine(Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }))
    return hash.hex
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

/// The sum of all lanes of one vector accumulator that `step` updates for each vector of `count` elements (it
/// gets the element offset, the tail mask and the accumulator, and must leave masked-off lanes unchanged).
func sumOverVectors(
    _ m: ModuleBuilder, count: Int, lanes: Int,
    _ step: (_ offset: LLVMValueRef, _ mask: LLVMValueRef?, _ accumulator: LLVMValueRef) -> LLVMValueRef
) -> LLVMValueRef {
    let zero = LLVMConstNull(m.f32Vector(lanes))!
    return m.reduceAdd(forEachVector(m, count: count, lanes: lanes, carrying: [zero]) { [step($0, $1, $2[0])] }[0])
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

/// out[i] = f(inputs[0][i], inputs[1][i], ...) for `count` (compile-time) contiguous f32 elements, in vectors of
/// `lanes` with a masked tail; `f` gets one vector per input. `output` may equal an input.
func mapVectors(
    _ m: ModuleBuilder, count: Int, lanes: Int, inputs: [LLVMValueRef], output: LLVMValueRef,
    _ f: (_ values: [LLVMValueRef]) -> LLVMValueRef
) {
    forEachVector(m, count: count, lanes: lanes) { offset, mask in
        let values = inputs.map { m.loadF32Vector(m.gepF32($0, offset), lanes, mask: mask) }
        m.storeVector(f(values), m.gepF32(output, offset), mask: mask)
    }
}
