import CLLVM
import IR

/// Routing of each token of a mixture of experts (`MoERouting`): p = softmax(logits row), the `topK` largest p in
/// decreasing order (ties to the lowest expert index), each weight p (divided by the sum of the k selected ones
/// with `renormalize`) times `scale`.
/// Slots: [0] logits ptr, [1] ld, [2] choices (i64[rows·topK]: expert of token r's j-th pick at r·topK + j),
/// [3] weights (f32[rows·topK], same order), [4] rows.
public struct MoERouteKernel: RowwiseKernel {
    public let experts: Int
    public let routing: MoERouting

    public init(experts: Int, routing: MoERouting) {
        precondition(experts > 0 && (1...experts).contains(routing.topK), "moe routing needs 1 <= top-k <= experts")
        self.experts = experts
        self.routing = routing
    }

    public var symbol: String {
        "llmc_moe_route_e\(experts)_k\(routing.topK)\(routing.renormalize ? "_norm" : "")_s\(symbolBits(routing.scale))"
    }

    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let logits = StridedRows(m, args: args, base: 0, ld: 1)
        let (choices, weights) = (m.loadSlotPointer(args, 2), m.loadSlotPointer(args, 3))
        let lanes = target.vectorWidth
        let k = routing.topK
        // exp(logit − max) of the current row, one per expert.
        let scores = m.alloca(m.f32Type, count: (experts + lanes - 1) / lanes * lanes)
        return { row in
            let source = logits.row(m, row)
            let lowest = m.splatF32(-.infinity, lanes)
            let top = m.reduceMax(forEachVector(m, count: experts, lanes: lanes, carrying: [lowest]) { offset, mask, carried in
                let values = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
                return [m.fmax(carried[0], mask.map { m.select($0, values, lowest) } ?? values)]
            }[0])
            let total = sumOverVectors(m, count: experts, lanes: lanes) { offset, mask, sum in
                let values = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
                let e = m.exp(m.fsub(values, m.splat(top, lanes)))
                m.storeVector(e, m.gepF32(scores, offset), mask: mask)
                return m.fadd(sum, mask.map { m.select($0, e, LLVMConstNull(m.f32Vector(lanes))) } ?? e)
            }
            // k passes of a strict arg-max over the experts not yet taken (taken scores are set to −1).
            var picked: [(expert: LLVMValueRef, score: LLVMValueRef)] = []
            for _ in 0..<k {
                let best = m.forLoop(from: m.constI64(0), to: m.constI64(experts),
                                     carrying: [m.constI64(0), m.constF32(-2)]) { e, carried in
                    let score = m.load(m.f32Type, m.gepF32(scores, e))
                    let better = m.fcmp(LLVMRealOGT, score, carried[1])
                    return [m.select(better, e, carried[0]), m.select(better, score, carried[1])]
                }
                m.store(m.constF32(-1), m.gepF32(scores, best[0]))
                picked.append((best[0], best[1]))
            }
            let denominator = routing.renormalize ? picked.dropFirst().reduce(picked[0].score) { m.fadd($0, $1.score) } : total
            let factor = m.fdiv(m.constF32(routing.scale), denominator)
            let first = m.mul(row, m.constI64(k))
            for (j, pick) in picked.enumerated() {
                let slot = m.add(first, m.constI64(j))
                m.store(pick.expert, m.gep(m.i64Type, choices, slot), align: 8)
                m.store(m.fmul(pick.score, factor), m.gepF32(weights, slot))
            }
        }
    }
}
