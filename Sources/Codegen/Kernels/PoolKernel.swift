import CLLVM
import IR

/// One row per sequence of a packed `encode` batch: sequence s covers rows seqStart[s] ..< seqStart[s+1] of x.
/// `first` / `last` copy that row, `mean` averages the rows (summed in row order, then divided by the count, as
/// torch's masked sum / count), `spladeMax` takes the column maximum m and writes log1p(relu(m)) (libm log1pf).
/// Slots: [0] x, [1] ldx, [2] seqStart (i64[S + 1]), [3] out, [4] ldo, [5] sequences.
public struct PoolKernel: RowwiseKernel {
    public let width: Int
    public let reduction: PoolReduction

    public init(width: Int, reduction: PoolReduction) {
        precondition(width > 0, "pool width must be positive")
        self.width = width
        self.reduction = reduction
    }

    public var symbol: String { "llmc_pool_\(reduction.rawValue)_w\(width)" }

    public static let rowsSlot = 5

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (x, out) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 3, ld: 4))
        let starts = m.loadSlotPointer(args, 2)
        let lanes = target.vectorWidth
        return { sequence in
            let start = m.load(m.i64Type, m.gep(m.i64Type, starts, sequence), align: 8)
            let end = m.load(m.i64Type, m.gep(m.i64Type, starts, m.add(sequence, m.constI64(1))), align: 8)
            let destination = out.row(m, sequence)
            switch reduction {
            case .first, .last:
                let row = reduction == .first ? start : m.sub(end, m.constI64(1))
                mapVectors(m, count: width, lanes: lanes, inputs: [x.row(m, row)], output: destination) { $0[0] }
            case .mean:
                let count = m.splat(m.sitofp(m.sub(end, start), m.f32Type), lanes)
                reduceRows(m, x: x, start: start, end: end, lanes: lanes, into: destination,
                           initial: LLVMConstNull(m.f32Vector(lanes)), combine: m.fadd) { m.fdiv($0, count) }
            case .spladeMax:
                reduceRows(m, x: x, start: start, end: end, lanes: lanes, into: destination,
                           initial: m.splatF32(-Float.infinity, lanes), combine: m.fmax) { m.relu($0) }
                let log1p = m.functionType(m.f32Type, [m.f32Type])
                m.forLoop(from: m.constI64(0), to: m.constI64(width)) { column in
                    let pointer = m.gepF32(destination, column)
                    m.store(m.callExternal("log1pf", log1p, [m.load(m.f32Type, pointer)]), pointer)
                }
            }
        }
    }

    /// destination[c] = finish(combine over rows start ..< end of x[row][c]), a vector of columns at a time.
    private func reduceRows(
        _ m: ModuleBuilder, x: StridedRows, start: LLVMValueRef, end: LLVMValueRef, lanes: Int, into destination: LLVMValueRef,
        initial: LLVMValueRef, combine: (LLVMValueRef, LLVMValueRef) -> LLVMValueRef, finish: (LLVMValueRef) -> LLVMValueRef
    ) {
        forEachVector(m, count: width, lanes: lanes) { offset, mask in
            let total = m.forLoop(from: start, to: end, carrying: [initial]) { row, carried in
                [combine(carried[0], m.loadF32Vector(x.row(m, row, column: offset), lanes, mask: mask))]
            }[0]
            m.storeVector(finish(total), m.gepF32(destination, offset), mask: mask)
        }
    }
}
