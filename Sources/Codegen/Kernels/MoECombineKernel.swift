import CLLVM

/// out[t] = Σ_{j < topK} weight[t·topK + j] · y[position[t·topK + j]]: each token's sum of its experts' outputs,
/// which the experts left in rows of y (row stride `width`). Every output row is written once (no zeroing, no
/// read-modify-write across experts), in pick order.
/// Slots: [0] y, [1] positions (i64[rows·topK]), [2] weights (f32[rows·topK]), [3] out, [4] ldo, [5] rows.
public struct MoECombineKernel: RowwiseKernel {
    public let width: Int
    public let topK: Int

    public init(width: Int, topK: Int) {
        precondition(width > 0 && topK > 0, "combine needs a positive width and top-k")
        self.width = width
        self.topK = topK
    }

    public var symbol: String { "llmc_moe_combine_w\(width)_k\(topK)" }

    public static let rowsSlot = 5

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (y, positions, weights) = (m.loadSlotPointer(args, 0), m.loadSlotPointer(args, 1), m.loadSlotPointer(args, 2))
        let out = StridedRows(m, args: args, base: 3, ld: 4)
        let lanes = target.vectorWidth
        return { row in
            let picks = (0..<topK).map { j -> (row: LLVMValueRef, weight: LLVMValueRef) in
                let slot = m.add(m.mul(row, m.constI64(topK)), m.constI64(j))
                let position = m.load(m.i64Type, m.gep(m.i64Type, positions, slot), align: 8)
                return (m.gepF32(y, m.mul(position, m.constI64(width))), m.splat(m.load(m.f32Type, m.gepF32(weights, slot)), lanes))
            }
            mapVectors(m, count: width, lanes: lanes, inputs: picks.map(\.row), output: out.row(m, row)) { values in
                zip(values, picks).dropFirst().reduce(m.fmul(values[0], picks[0].weight)) { m.fma($1.0, $1.1.weight, $0) }
            }
        }
    }
}
