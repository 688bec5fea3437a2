/// A causal depthwise convolution over the sequence (Mamba's conv1d): out[t][c] = act(bias[c] + Σ_k w[k][c] ·
/// x[t − (kernel − 1) + k][c]), inputs before a sequence's first token counting as zero. The last kernel − 1 inputs
/// of a sequence are kept in the recurrent state (`stateSlot`), so a call continuing a sequence (first position > 0)
/// reads its predecessors from there.
public struct ConvSpec: Hashable, Sendable {
    /// Index of this op's conv window in the recurrent state (one slot per conv op).
    public var stateSlot: Int
    public var channels: Int
    public var kernel: Int
    /// Taps, tap-major: `[kernel · channels]`, tap k of channel c at k · channels + c (the checkpoint's
    /// `[channels, 1, kernel]` transposed); tap kernel − 1 multiplies the current token.
    public var weight: WeightRef
    /// `[channels]`, or nil for no bias.
    public var bias: WeightRef?
    /// Applied to every output (Mamba's SiLU); nil for none.
    public var activation: UnaryOp?

    public init(stateSlot: Int, channels: Int, kernel: Int, weight: WeightRef, bias: WeightRef?, activation: UnaryOp? = nil) {
        precondition(channels > 0 && kernel > 1, "a causal conv needs channels and a kernel of at least 2 taps")
        precondition(weight.count == kernel * channels && bias.map { $0.count == channels } ?? true,
                     "conv weights \(weight) / \(bias.map(\.description) ?? "none") do not match \(channels) channels × \(kernel)")
        self.stateSlot = stateSlot
        self.channels = channels
        self.kernel = kernel
        self.weight = weight
        self.bias = bias
        self.activation = activation
    }
}

/// A selective state-space scan, sequential over the tokens of each sequence and independent per channel.
/// Channels (`heads · headDim`) are grouped in heads that share a step size; heads are grouped in `groups` that
/// share B and C. For channel c of head h in group g, with state h_c of `stateSize` values:
///   h_c ← exp(dt_h · A_h) ⊙ h_c + dt_h · x_c · B_g,  y_c = C_g · h_c + D_h · x_c,
/// where dt_h is the step-size input, plus `dtBias` and through softplus when the spec says so (Mamba-2 takes
/// them inside the scan; Mamba-1 computes dt beforehand), and A_h is one value per state element (`[stateSize · heads]`, Mamba-1) or one scalar per head (`[heads]`,
/// Mamba-2). Each sequence starts from a zero state; the state after a call's last token is kept in the recurrent
/// state (`stateSlot`) for a call continuing the sequence.
public struct ScanSpec: Hashable, Sendable {
    /// Index of this op's SSM state in the recurrent state (one slot per scan op).
    public var stateSlot: Int
    public var heads: Int
    /// Channels per head (1 for Mamba-1, where every channel has its own step size).
    public var headDim: Int
    /// Groups of heads sharing B and C (B and C are `[groups · stateSize]` per token).
    public var groups: Int
    public var stateSize: Int
    /// A (already −exp(A_log)): `[stateSize · heads]` state-major (element j of head h at j · heads + h, so a
    /// vector of heads is one load), or `[heads]`.
    public var a: WeightRef
    /// The skip D, `[heads]`; nil for none.
    public var d: WeightRef?
    /// Added to the step-size input, `[heads]`; nil for none.
    public var dtBias: WeightRef?
    /// Whether the step size is softplus(dt (+ dtBias)) rather than dt itself.
    public var dtSoftplus: Bool

    public init(stateSlot: Int, heads: Int, headDim: Int, groups: Int, stateSize: Int, a: WeightRef, d: WeightRef?,
                dtBias: WeightRef? = nil, dtSoftplus: Bool = false) {
        precondition(heads > 0 && headDim > 0 && groups > 0 && heads % groups == 0 && stateSize > 0,
                     "scan of \(heads) heads × \(headDim) in \(groups) groups, state \(stateSize)")
        precondition(a.count == heads * stateSize || a.count == heads, "A \(a) does not match \(heads) heads × \(stateSize)")
        precondition([d, dtBias].allSatisfy { $0.map { $0.count == heads } ?? true },
                     "D / dt bias \([d, dtBias].compactMap { $0?.description }) do not match \(heads) heads")
        self.stateSlot = stateSlot
        self.heads = heads
        self.headDim = headDim
        self.groups = groups
        self.stateSize = stateSize
        self.a = a
        self.d = d
        self.dtBias = dtBias
        self.dtSoftplus = dtSoftplus
    }

    public var channels: Int { heads * headDim }
    /// Whether A has one value per state element (Mamba-1) rather than one per head.
    public var aPerState: Bool { a.count == heads * stateSize && stateSize > 1 }
}
