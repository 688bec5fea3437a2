import CLLVM
import IR

/// Causal depthwise convolution along the tokens of a call (`ConvSpec`): out[t][c] = act(bias[c] + Σ_k w[k][c] ·
/// in[t − (kernel − 1) + k][c]), where inputs before a row whose position is 0 count as zero and inputs before the
/// call's first row come from the conv window in the recurrent state (the previous kernel − 1 inputs, oldest
/// first). The window after the last row is written back. Each channel vector keeps its window in registers.
/// Slots: [0] x, [1] ldx, [2] taps (f32 [kernel][channels]), [3] bias (f32 [channels], or unused), [4] out,
/// [5] ldo, [6] window (f32 [kernel − 1][channels]), [7] pos0 or positions (`source`), [8] rows.
public struct CausalConv1dKernel: SequenceChannelKernel {
    public let channels: Int
    public let kernel: Int
    public let bias: Bool
    /// Applied to every output; nil for none.
    public let activation: UnaryOp?
    public let source: PositionSource

    public init(channels: Int, kernel: Int, bias: Bool, activation: UnaryOp? = nil, source: PositionSource = .consecutive) {
        precondition(channels > 0 && kernel > 1, "a causal conv needs channels and at least 2 taps")
        self.channels = channels
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
        self.source = source
    }

    public var symbol: String {
        "llmc_causal_conv1d_c\(channels)_k\(kernel)\(bias ? "_b" : "")\(activation.map { "_" + $0.symbolName } ?? "")\(source.symbolSuffix)"
    }

    public func channelEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef)
        -> (LLVMValueRef, LLVMValueRef) -> Void
    {
        let (x, out) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 4, ld: 5))
        let (taps, biases, window) = (m.loadSlotPointer(args, 2), m.loadSlotPointer(args, 3), m.loadSlotPointer(args, 6))
        let starts = source.startsSequence(m, args: args, slot: 7)
        let rows = m.loadSlot(args, 8)
        let lanes = target.vectorWidth
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        return { channel, mask in
            let at = { (base: LLVMValueRef, row: Int) in m.gepF32(base, m.add(m.constI64(row * channels), channel)) }
            let weights = (0..<kernel).map { m.loadF32Vector(at(taps, $0), lanes, mask: mask) }
            let initial = bias ? m.loadF32Vector(m.gepF32(biases, channel), lanes, mask: mask) : zero
            let saved = (0..<kernel - 1).map { m.loadF32Vector(at(window, $0), lanes, mask: mask) }
            let last = m.forLoop(from: m.constI64(0), to: rows, carrying: saved) { row, previous in
                let fresh = starts(row)
                let inputs = previous.map { m.select(fresh, zero, $0) } + [m.loadF32Vector(x.row(m, row, column: channel), lanes, mask: mask)]
                let sum = zip(weights, inputs).reduce(initial) { m.fma($1.0, $1.1, $0) }
                m.storeVector(activation.map { $0.apply(m, sum) } ?? sum, out.row(m, row, column: channel), mask: mask)
                return Array(inputs.dropFirst())
            }
            for (index, value) in last.enumerated() { m.storeVector(value, at(window, index), mask: mask) }
        }
    }
}
