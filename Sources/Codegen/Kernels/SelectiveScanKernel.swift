import CLLVM

/// The selective scan of `ScanSpec` along the tokens of a call, in f32, vectorised over channels: each channel
/// vector keeps its `stateSize` state vectors in registers across the tokens. A row whose position is 0 starts from
/// a zero state; the call's first row otherwise continues the state saved in the recurrent state, and the state
/// after the last row is written back.
/// The step size is dt, plus a per-head bias and through softplus when configured (Mamba-2).
/// Per-head values (dt, its bias, A, D) are vector loads when every channel is its own head (headDim 1, Mamba-1) and
/// broadcasts when a vector lies within one head (headDim a multiple of the vector width); B and C are broadcasts of
/// the vector's group.
/// Slots: [0] x, [1] ldx, [2] dt, [3] lddt, [4] B, [5] ldb, [6] C, [7] ldc, [8] A (f32, state-major
/// [stateSize][heads], or [heads]), [9] D (f32 [heads], or unused), [10] dt bias (f32 [heads], or unused), [11] out,
/// [12] ldo, [13] state (`stateFloats` f32 in blocks of `stateBlock` channels: [channel block][stateSize][stateBlock],
/// so one channel vector's state is one contiguous stream), [14] pos0 or positions (`source`), [15] rows.
public struct SelectiveScanKernel: SequenceChannelKernel {
    public let heads: Int
    public let headDim: Int
    public let groups: Int
    public let stateSize: Int
    /// A has one value per state element and head (else one per head).
    public let aPerState: Bool
    public let skip: Bool
    public let dtBias: Bool
    public let dtSoftplus: Bool
    public let source: PositionSource

    public init(heads: Int, headDim: Int, groups: Int, stateSize: Int, aPerState: Bool, skip: Bool, dtBias: Bool = false,
                dtSoftplus: Bool = false, source: PositionSource = .consecutive) {
        precondition(heads > 0 && headDim > 0 && groups > 0 && heads % groups == 0 && stateSize > 0, "scan shape")
        self.heads = heads
        self.headDim = headDim
        self.groups = groups
        self.stateSize = stateSize
        self.aPerState = aPerState
        self.skip = skip
        self.dtBias = dtBias
        self.dtSoftplus = dtSoftplus
        self.source = source
    }

    /// Whether the kernel can vectorise this shape for `lanes`: per-channel heads or vectors within one head, and
    /// vectors within one group of B/C.
    public static func supports(headDim: Int, heads: Int, groups: Int, lanes: Int) -> Bool {
        (headDim == 1 || headDim % lanes == 0) && (groups == 1 || (heads / groups * headDim) % lanes == 0)
    }

    public var channels: Int { heads * headDim }

    /// Channels whose states are stored together (a multiple of every target's vector width).
    public static let stateBlock = 16

    /// Floats of the state of `channels` channels with `stateSize` elements each (the last block padded).
    public static func stateFloats(channels: Int, stateSize: Int) -> Int {
        (channels + stateBlock - 1) / stateBlock * stateBlock * stateSize
    }

    public var symbol: String {
        "llmc_selective_scan_h\(heads)_p\(headDim)_g\(groups)_n\(stateSize)\(aPerState ? "_an" : "")\(skip ? "_d" : "")\(dtBias ? "_sb" : "")"
            + "\(dtSoftplus ? "_sp" : "")\(source.symbolSuffix)"
    }

    public func channelEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef)
        -> (LLVMValueRef, LLVMValueRef) -> Void
    {
        let lanes = target.vectorWidth
        precondition(Self.supports(headDim: headDim, heads: heads, groups: groups, lanes: lanes), "\(symbol) for \(lanes) lanes")
        let x = StridedRows(m, args: args, base: 0, ld: 1), dt = StridedRows(m, args: args, base: 2, ld: 3)
        let b = StridedRows(m, args: args, base: 4, ld: 5), c = StridedRows(m, args: args, base: 6, ld: 7)
        let (a, d, bias) = (m.loadSlotPointer(args, 8), m.loadSlotPointer(args, 9), m.loadSlotPointer(args, 10))
        let out = StridedRows(m, args: args, base: 11, ld: 12)
        let state = m.loadSlotPointer(args, 13)
        let starts = source.startsSequence(m, args: args, slot: 14)
        let rows = m.loadSlot(args, 15)
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        return { channel, mask in
            // Per-head values of this vector: one per lane (headDim 1) or the vector's one head.
            let head = headDim == 1 ? channel : m.sdiv(channel, m.constI64(headDim))
            let perHead = { (base: LLVMValueRef, index: LLVMValueRef) in
                headDim == 1 ? m.loadF32Vector(m.gepF32(base, index), lanes, mask: mask)
                    : m.splat(m.load(m.f32Type, m.gepF32(base, index)), lanes)
            }
            let group = m.sdiv(channel, m.constI64(heads / groups * headDim))
            let firstState = m.mul(group, m.constI64(stateSize))
            // One rate per state element, or the head's one rate (then one exp per token serves every element).
            let decayRates = (0..<(aPerState ? stateSize : 1)).map { j in perHead(a, m.add(m.constI64(j * heads), head)) }
            let skipFactor = skip ? perHead(d, head) : zero
            let stepBias = dtBias ? perHead(bias, head) : nil
            let block = Self.stateBlock
            let stateBase = m.add(m.mul(m.sdiv(channel, m.constI64(block)), m.constI64(block * stateSize)),
                                  m.srem(channel, m.constI64(block)))
            let stateAt = { (j: Int) in m.gepF32(state, m.add(stateBase, m.constI64(j * block))) }
            let saved = (0..<stateSize).map { m.loadF32Vector(stateAt($0), lanes, mask: mask) }
            let final = m.forLoop(from: m.constI64(0), to: rows, carrying: saved) { row, previous in
                let fresh = starts(row)
                let raw = perHead(dt.row(m, row), head)
                let biased = stepBias.map { m.fadd(raw, $0) } ?? raw
                let step = dtSoftplus ? m.softplus(biased) : biased
                let value = m.loadF32Vector(x.row(m, row, column: channel), lanes, mask: mask)
                let input = m.fmul(step, value)
                var y = m.fmul(skipFactor, value)
                let decays = decayRates.map { m.exp(m.fmul(step, $0)) }
                var next: [LLVMValueRef] = []
                for j in 0..<stateSize {
                    let element = m.add(firstState, m.constI64(j))
                    let bj = m.splat(m.load(m.f32Type, b.row(m, row, column: element)), lanes)
                    let cj = m.splat(m.load(m.f32Type, c.row(m, row, column: element)), lanes)
                    let h = m.fma(decays[aPerState ? j : 0], m.select(fresh, zero, previous[j]), m.fmul(input, bj))
                    y = m.fma(cj, h, y)
                    next.append(h)
                }
                m.storeVector(y, out.row(m, row, column: channel), mask: mask)
                return next
            }
            for (j, h) in final.enumerated() { m.storeVector(h, stateAt(j), mask: mask) }
        }
    }
}
