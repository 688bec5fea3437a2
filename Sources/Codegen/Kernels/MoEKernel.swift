import CLLVM
import IR

/// A mixture-of-experts layer (`Op.moe`) as one task that drives the parallel stages through llmc_parallel_for:
/// route every token (`MoERouteKernel`), sort the (token, pick) pairs by expert (a counting sort on this thread),
/// gather the tokens' rows in that order (`MoEGatherKernel`), then for each expert that got tokens run its gate|up
/// matmul on its consecutive rows, the gated activation over all rows at once, each such expert's down matmul, and
/// finally sum each token's weighted expert outputs (`MoECombineKernel`). The matmuls are `MatmulKernel`s in the
/// weights' packed formats, so an expert that got no token is never read: a decode step streams only its top-k
/// experts' weights.
///
/// Slots: [0] x, [1] ldx, [2] router logits, [3] ldr, [4] weights base, [5] expert offsets (i64[2·experts]: byte
/// offsets from the weights base of each expert's gate|up matrix, then of each down matrix, and with `expertBiases`
/// then of each gate|up bias and each down bias, f32 vectors), [6] selection bias
/// (f32[experts]; unread without `biased`), [7] scratch (`scratchBytes` bytes, 64-byte aligned), [8] out, [9] ldo,
/// [10] rows (at most `capacity`).
public struct MoEKernel: Kernel {
    public let hidden: Int
    public let ff: Int
    public let experts: Int
    public let routing: MoERouting
    /// The routing adds a selection bias (`MoESpec.selectionBias`).
    public let biased: Bool
    /// The experts' matmuls add biases (`MoEExpert.biases`).
    public let expertBiases: Bool
    public let activation: GatedActivation
    public let gateUpFormat: WeightFormat
    public let downFormat: WeightFormat
    /// The most rows (tokens) of one call; sizes the scratch.
    public let capacity: Int

    public init(hidden: Int, ff: Int, experts: Int, routing: MoERouting, biased: Bool = false,
                expertBiases: Bool = false, activation: GatedActivation, gateUpFormat: WeightFormat, downFormat: WeightFormat,
                capacity: Int) {
        precondition(hidden > 0 && ff > 0 && capacity > 0, "moe needs positive widths and capacity")
        self.hidden = hidden
        self.ff = ff
        self.experts = experts
        self.routing = routing
        self.biased = biased
        self.expertBiases = expertBiases
        self.activation = activation
        self.gateUpFormat = gateUpFormat
        self.downFormat = downFormat
        self.capacity = capacity
    }

    public init(_ spec: MoESpec, gateUpFormat: WeightFormat, downFormat: WeightFormat, capacity: Int) {
        self.init(hidden: spec.hidden, ff: spec.ff, experts: spec.experts.count, routing: spec.routing,
                  biased: spec.selectionBias != nil, expertBiases: spec.hasExpertBiases, activation: spec.activation, gateUpFormat: gateUpFormat, downFormat: downFormat, capacity: capacity)
    }

    public var symbol: String {
        "llmc_moe_h\(hidden)_f\(ff)_\(route.symbol.dropFirst("llmc_moe_route_".count))_\(activation.symbol)" + (expertBiases ? "_eb" : "")
            + "_\(gateUpFormat.rawValue)_\(downFormat.rawValue)_c\(capacity)"
    }

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef { m.constI64(1) }

    /// Arena bytes the stages of a `spec` layer need for `capacity` rows (see `Scratch`).
    public static func scratchBytes(_ spec: MoESpec, capacity: Int) -> Int {
        Scratch(positions: capacity * spec.routing.topK, experts: spec.experts.count, hidden: spec.hidden, ff: spec.ff).bytes
    }

    /// Scratch bytes a call of this kernel needs (slot 6).
    public var scratchBytes: Int { scratch.bytes }

    private var route: MoERouteKernel { MoERouteKernel(experts: experts, routing: routing, biased: biased) }
    private var gateUp: MatmulKernel { MatmulKernel(k: hidden, n: 2 * ff, weight: gateUpFormat, bias: expertBiases, accumulate: false) }
    private var down: MatmulKernel { MatmulKernel(k: ff, n: hidden, weight: downFormat, bias: expertBiases, accumulate: false) }
    private var scratch: Scratch { Scratch(positions: capacity * routing.topK, experts: experts, hidden: hidden, ff: ff) }

    /// Byte offsets in the scratch of each stage's buffers, for `positions` = rows · top-k (token, pick) pairs.
    /// Position p is the p-th pair in expert order. Two f32 regions are reused: `first` holds the gathered rows,
    /// then the activations; `second` the gate|up outputs, then the down outputs.
    struct Scratch {
        let choices: Int, weights: Int, positionOfPick: Int, tokenOfPosition: Int, expertStart: Int
        let first: Int, second: Int, bytes: Int

        init(positions: Int, experts: Int, hidden: Int, ff: Int) {
            var end = 0
            func take(_ bytes: Int) -> Int {
                defer { end += (bytes + 63) & ~63 }
                return end
            }
            choices = take(8 * positions)
            weights = take(4 * positions)
            positionOfPick = take(8 * positions)
            tokenOfPosition = take(8 * positions)
            expertStart = take(8 * (experts + 1))
            first = take(4 * positions * max(hidden, ff))
            second = take(4 * positions * max(2 * ff, hidden))
            bytes = end
        }
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, _ in
            let (x, ldx) = (m.loadSlotPointer(args, 0), m.loadSlot(args, 1))
            let (logits, ldr) = (m.loadSlotPointer(args, 2), m.loadSlot(args, 3))
            let (weightsBase, offsets) = (m.loadSlotPointer(args, 4), m.loadSlotPointer(args, 5))
            let (bias, base) = (m.loadSlotPointer(args, 6), m.loadSlotPointer(args, 7))
            let (out, ldo, rows) = (m.loadSlotPointer(args, 8), m.loadSlot(args, 9), m.loadSlot(args, 10))
            let layout = scratch
            let at = { (offset: Int) in m.gep(m.i8Type, base, m.constI64(offset)) }
            let (choices, weights, positionOfPick) = (at(layout.choices), at(layout.weights), at(layout.positionOfPick))
            let (tokenOfPosition, expertStart) = (at(layout.tokenOfPosition), at(layout.expertStart))
            let (first, second) = (at(layout.first), at(layout.second))
            let slots = m.alloca(m.i64Type, count: 16)
            let run = { (kernel: Kernel, count: LLVMValueRef, arguments: [LLVMValueRef]) in
                emitParallelFor(m, kernel, target: target, slots: slots, rows: count, arguments)
            }
            let positions = m.mul(rows, m.constI64(routing.topK))

            run(route, rows, [logits, ldr, bias, choices, weights, rows])
            sortByExpert(m, choices: choices, positions: positions, expertStart: expertStart,
                         positionOfPick: positionOfPick, tokenOfPosition: tokenOfPosition)
            run(MoEGatherKernel(width: hidden), positions, [x, ldx, tokenOfPosition, first, positions])
            // The weights-base address at offsets[table · experts + e] (table 0, 1: matrices; 2, 3: biases).
            let address = { (table: Int, e: LLVMValueRef) in
                m.gep(m.i8Type, weightsBase, m.load(m.i64Type, m.gep(m.i64Type, offsets, m.add(e, m.constI64(table * experts))), align: 8))
            }
            let biasAddress = { (table: Int, e: LLVMValueRef) in expertBiases ? address(table, e) : m.constI64(0) }
            forEachExpertWithTokens(m, expertStart: expertStart) { e, start, count in
                run(gateUp, count, [m.gepF32(first, m.mul(start, m.constI64(hidden))), m.constI64(hidden), address(0, e), biasAddress(2, e),
                                    m.gepF32(second, m.mul(start, m.constI64(2 * ff))), m.constI64(2 * ff), count])
            }
            run(GatedActivationKernel(ff: ff, activation: activation), positions,
                [second, m.constI64(2 * ff), m.gepF32(second, m.constI64(ff)), m.constI64(2 * ff), first, m.constI64(ff), positions])
            forEachExpertWithTokens(m, expertStart: expertStart) { e, start, count in
                run(down, count, [m.gepF32(first, m.mul(start, m.constI64(ff))), m.constI64(ff), address(1, e), biasAddress(3, e),
                                  m.gepF32(second, m.mul(start, m.constI64(hidden))), m.constI64(hidden), count])
            }
            run(MoECombineKernel(width: hidden, topK: routing.topK), rows, [second, positionOfPick, weights, out, ldo, rows])
        }
    }

    /// Counting sort of the picks by expert (stable: within an expert, tokens ascend): expertStart[e] ..<
    /// expertStart[e + 1] are expert e's positions, tokenOfPosition[p] is the token at position p and
    /// positionOfPick[i] the position of pick i (token i / topK).
    private func sortByExpert(_ m: ModuleBuilder, choices: LLVMValueRef, positions: LLVMValueRef, expertStart: LLVMValueRef,
                              positionOfPick: LLVMValueRef, tokenOfPosition: LLVMValueRef) {
        let slot = { (array: LLVMValueRef, index: LLVMValueRef) in m.gep(m.i64Type, array, index) }
        let load = { (array: LLVMValueRef, index: LLVMValueRef) in m.load(m.i64Type, slot(array, index), align: 8) }
        let store = { (value: LLVMValueRef, array: LLVMValueRef, index: LLVMValueRef) in
            m.store(value, slot(array, index), align: 8)
        }
        m.forLoop(from: m.constI64(0), to: m.constI64(experts + 1)) { store(m.constI64(0), expertStart, $0) }
        m.forLoop(from: m.constI64(0), to: positions) { i in
            let next = m.add(load(choices, i), m.constI64(1))
            store(m.add(load(expertStart, next), m.constI64(1)), expertStart, next)
        }
        let cursor = m.alloca(m.i64Type, count: experts)
        m.forLoop(from: m.constI64(0), to: m.constI64(experts)) { e in
            let start = load(expertStart, e)
            store(start, cursor, e)
            let next = m.add(e, m.constI64(1))
            store(m.add(load(expertStart, next), start), expertStart, next)
        }
        m.forLoop(from: m.constI64(0), to: positions) { i in
            let e = load(choices, i)
            let position = load(cursor, e)
            store(m.add(position, m.constI64(1)), cursor, e)
            store(m.sdiv(i, m.constI64(routing.topK)), tokenOfPosition, position)
            store(position, positionOfPick, i)
        }
    }

    /// Runs `body(expert, first position, count)` for each expert with at least one position, in expert order.
    private func forEachExpertWithTokens(_ m: ModuleBuilder, expertStart: LLVMValueRef,
                                         _ body: (_ expert: LLVMValueRef, _ start: LLVMValueRef, _ count: LLVMValueRef) -> Void) {
        m.forLoop(from: m.constI64(0), to: m.constI64(experts)) { e in
            let start = m.load(m.i64Type, m.gep(m.i64Type, expertStart, e), align: 8)
            let end = m.load(m.i64Type, m.gep(m.i64Type, expertStart, m.add(e, m.constI64(1))), align: 8)
            let count = m.sub(end, start)
            m.ifThen(m.icmp(LLVMIntSGT, count, m.constI64(0))) { body(e, start, count) }
        }
    }
}
