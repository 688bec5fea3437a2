import CLLVM
import IR

/// Routing of each token of a mixture of experts (`MoERouting`): probabilities p = softmax or sigmoid of the logits
/// row, selection scores p + bias (with `biased`) or p, the `topK` largest scores in decreasing order (ties to the
/// lowest expert index), each pick's weight its p (divided by the sum of the k picked p with `renormalize`) times
/// `scale`.
/// Slots: [0] logits ptr, [1] ld, [2] selection bias (f32[experts]; unread without `biased`), [3] choices
/// (i64[rows·topK]: expert of token r's j-th pick at r·topK + j), [4] weights (f32[rows·topK], same order), [5] rows.
public struct MoERouteKernel: RowwiseKernel {
    public let experts: Int
    public let routing: MoERouting
    public let biased: Bool

    public init(experts: Int, routing: MoERouting, biased: Bool) {
        precondition(experts > 0 && (1...experts).contains(routing.topK), "moe routing needs 1 <= top-k <= experts")
        self.experts = experts
        self.routing = routing
        self.biased = biased
    }

    public var symbol: String {
        "llmc_moe_route_e\(experts)_k\(routing.topK)_\(routing.scoring.rawValue)\(biased ? "_bias" : "")"
            + "\(routing.renormalize ? "_norm" : "")_s\(symbolBits(routing.scale))"
    }

    public static let rowsSlot = 5

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let logits = StridedRows(m, args: args, base: 0, ld: 1)
        let bias = m.loadSlotPointer(args, 2)
        let (choices, weights) = (m.loadSlotPointer(args, 3), m.loadSlotPointer(args, 4))
        let lanes = target.vectorWidth
        let padded = (experts + lanes - 1) / lanes * lanes
        // The row's probabilities (softmax: before the division by their sum), and the selection scores.
        let probabilities = m.alloca(m.f32Type, count: padded)
        let selection = biased ? m.alloca(m.f32Type, count: padded) : probabilities
        return { row in
            let source = logits.row(m, row)
            let total = scores(m, lanes: lanes, source: source, into: probabilities)
            if biased {
                let inverse = m.splat(m.fdiv(m.constF32(1), total), lanes)
                mapVectors(m, count: experts, lanes: lanes, inputs: [probabilities, bias], output: selection) { values in
                    m.fma(values[0], inverse, values[1])
                }
            }
            // k passes of a strict arg-max over the experts not yet taken (taken scores become −inf).
            var picked: [(expert: LLVMValueRef, probability: LLVMValueRef)] = []
            for _ in 0..<routing.topK {
                let best = m.forLoop(from: m.constI64(0), to: m.constI64(experts),
                                     carrying: [m.constI64(0), m.constF32(-.infinity)]) { e, carried in
                    let score = m.load(m.f32Type, m.gepF32(selection, e))
                    let better = m.fcmp(LLVMRealOGT, score, carried[1])
                    return [m.select(better, e, carried[0]), m.select(better, score, carried[1])]
                }
                let probability = biased ? m.load(m.f32Type, m.gepF32(probabilities, best[0])) : best[1]
                m.store(m.constF32(-.infinity), m.gepF32(selection, best[0]))
                picked.append((best[0], probability))
            }
            let sum = picked.dropFirst().reduce(picked[0].probability) { m.fadd($0, $1.probability) }
            let factor = m.fdiv(m.constF32(routing.scale), routing.renormalize ? sum : total)
            let first = m.mul(row, m.constI64(routing.topK))
            for (j, pick) in picked.enumerated() {
                let slot = m.add(first, m.constI64(j))
                m.store(pick.expert, m.gep(m.i64Type, choices, slot), align: 8)
                m.store(m.fmul(pick.probability, factor), m.gepF32(weights, slot))
            }
        }
    }

    /// Stores the row's unnormalised probabilities (softmax: exp(logit − max); sigmoid: the probabilities) and
    /// returns what they still have to be divided by (softmax: their sum; sigmoid: 1).
    private func scores(_ m: ModuleBuilder, lanes: Int, source: LLVMValueRef, into probabilities: LLVMValueRef) -> LLVMValueRef {
        switch routing.scoring {
        case .sigmoid:
            mapVectors(m, count: experts, lanes: lanes, inputs: [source], output: probabilities) { m.sigmoid($0[0]) }
            return m.constF32(1)
        case .softmax:
            let lowest = m.splatF32(-.infinity, lanes)
            let top = m.reduceMax(forEachVector(m, count: experts, lanes: lanes, carrying: [lowest]) { offset, mask, carried in
                let values = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
                return [m.fmax(carried[0], mask.map { m.select($0, values, lowest) } ?? values)]
            }[0])
            return sumOverVectors(m, count: experts, lanes: lanes) { offset, mask, sum in
                let values = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
                let e = m.exp(m.fsub(values, m.splat(top, lanes)))
                m.storeVector(e, m.gepF32(probabilities, offset), mask: mask)
                return m.fadd(sum, mask.map { m.select($0, e, LLVMConstNull(m.f32Vector(lanes))) } ?? e)
            }
        }
    }
}
