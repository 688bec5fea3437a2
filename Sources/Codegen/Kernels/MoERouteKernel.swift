import CLLVM
import IR

/// Routing of each token of a mixture of experts (`MoERouting`): probabilities p = softmax or sigmoid of the logits
/// row, selection scores p + bias (with `biased`) or p, limited to the best groups' experts when there are groups,
/// the `topK` largest scores in decreasing order (ties to the lowest expert index), each pick's weight its p (divided
/// by the sum of the k picked p with `renormalize`) times `scale`.
/// Slots: [0] logits ptr, [1] ld, [2] selection bias (f32[experts]; unread without `biased`), [3] choices
/// (i64[rows·topK]: expert of token r's j-th pick at r·topK + j), [4] weights (f32[rows·topK], same order), [5] rows.
public struct MoERouteKernel: RowwiseKernel {
    public let experts: Int
    public let routing: MoERouting
    public let biased: Bool

    public init(experts: Int, routing: MoERouting, biased: Bool) {
        precondition(experts > 0 && (1...experts).contains(routing.topK) && routing.validGroups(experts: experts),
                     "moe routing needs 1 <= top-k <= experts in groups of at least two")
        self.experts = experts
        self.routing = routing
        self.biased = biased
    }

    public var symbol: String {
        "llmc_moe_route_e\(experts)_k\(routing.topK)_\(routing.scoring.rawValue)\(biased ? "_bias" : "")"
            + "\(routing.renormalize ? "_norm" : "")_s\(symbolBits(routing.scale))"
            + (routing.groups > 1 ? "_g\(routing.groups)t\(routing.topGroups)" + (routing.groupTopScores == 2 ? "" : "b") : "")
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
        let groupScores = routing.groups > 1 ? m.alloca(m.f32Type, count: routing.groups) : nil
        return { row in
            let source = logits.row(m, row)
            let total = scores(m, lanes: lanes, source: source, into: probabilities)
            if biased {
                let inverse = m.splat(m.fdiv(m.constF32(1), total), lanes)
                mapVectors(m, count: experts, lanes: lanes, inputs: [probabilities, bias], output: selection) { values in
                    m.fma(values[0], inverse, values[1])
                }
            }
            if let groupScores { limitToBestGroups(m, selection: selection, groupScores: groupScores) }
            var picked: [(expert: LLVMValueRef, probability: LLVMValueRef)] = []
            for _ in 0..<routing.topK {
                let best = takeBest(m, of: selection, count: experts)
                let probability = biased ? m.load(m.f32Type, m.gepF32(probabilities, best.index)) : best.value
                picked.append((best.index, probability))
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

    /// A strict arg-max over `count` scores (the lowest index among equals), which then becomes −inf so that the
    /// next call takes the runner-up.
    private func takeBest(_ m: ModuleBuilder, of scores: LLVMValueRef, count: Int) -> (index: LLVMValueRef, value: LLVMValueRef) {
        let best = m.forLoop(from: m.constI64(0), to: m.constI64(count), carrying: [m.constI64(0), m.constF32(-.infinity)]) { i, carried in
            let score = m.load(m.f32Type, m.gepF32(scores, i))
            let better = m.fcmp(LLVMRealOGT, score, carried[1])
            return [m.select(better, i, carried[0]), m.select(better, score, carried[1])]
        }
        m.store(m.constF32(-.infinity), m.gepF32(scores, best[0]))
        return (best[0], best[1])
    }

    /// Sets the selection scores of every expert outside the `topGroups` groups of largest score (the sum of its
    /// `groupTopScores` best selection scores: the two best, or the best alone) to −inf.
    private func limitToBestGroups(_ m: ModuleBuilder, selection: LLVMValueRef, groupScores: LLVMValueRef) {
        let size = experts / routing.groups
        m.forLoop(from: m.constI64(0), to: m.constI64(routing.groups)) { g in
            let first = m.mul(g, m.constI64(size))
            let lowest = m.constF32(-.infinity)
            let top = m.forLoop(from: first, to: m.add(first, m.constI64(size)), carrying: [lowest, lowest]) { e, carried in
                let score = m.load(m.f32Type, m.gepF32(selection, e))
                let best = m.fcmp(LLVMRealOGT, score, carried[0])
                let second = m.fcmp(LLVMRealOGT, score, carried[1])
                return [m.select(best, score, carried[0]), m.select(best, carried[0], m.select(second, score, carried[1]))]
            }
            m.store(routing.groupTopScores == 2 ? m.fadd(top[0], top[1]) : top[0], m.gepF32(groupScores, g))
        }
        // Kept groups end at −inf after `topGroups` takes; the others keep finite sums and lose their experts.
        for _ in 0..<routing.topGroups { _ = takeBest(m, of: groupScores, count: routing.groups) }
        m.forLoop(from: m.constI64(0), to: m.constI64(experts)) { e in
            let kept = m.fcmp(LLVMRealOEQ, m.load(m.f32Type, m.gepF32(groupScores, m.sdiv(e, m.constI64(size)))), m.constF32(-.infinity))
            m.ifThen(m.icmp(LLVMIntEQ, kept, m.constI1(false))) { m.store(m.constF32(-.infinity), m.gepF32(selection, e)) }
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
