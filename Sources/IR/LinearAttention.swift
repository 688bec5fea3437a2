/// Linear attention with a decaying matrix state, sequential over the tokens of each sequence: Gated DeltaNet's gated
/// delta rule (Qwen3-Next) and lightning attention (MiniMax-Text-01). Each value head h keeps a state S_h
/// `[keyDim, valueDim]` and reads the key head h / (valueHeads / keyHeads) (grouped value attention). For each token,
/// with q and k scaled by `queryScale` and `keyScale`:
///   S_h ← decay_h · S_h;  S_h ← S_h + k ⊗ u;  o_h = S_hᵀ q,
/// where u = β (v_h − S_hᵀ k) with β = sigmoid(b_h) for the delta rule, and u = v_h otherwise. Each sequence starts from
/// a zero state; the state after a call's last token is kept in the recurrent state (`stateSlot`) for a call
/// continuing the sequence.
public struct LinearAttentionSpec: Hashable, Sendable {
    /// How each head's state decays per token.
    public enum Decay: Hashable, Sendable {
        /// exp(A_h · softplus(a_h + dtBias_h)) of a per-head input a (Gated DeltaNet); A (already −exp(A_log)) and
        /// dtBias are `[valueHeads]`.
        case gated(a: WeightRef, dtBias: WeightRef)
        /// exp(logDecay_h), the same for every token (lightning attention's exp(−slope_h)).
        case constant(logDecay: [Float])
    }

    /// Index of this op's state in the recurrent state (one slot per linear-attention op).
    public var stateSlot: Int
    public var keyHeads: Int
    public var valueHeads: Int
    public var keyDim: Int
    public var valueDim: Int
    /// Factors on every query and key element (Gated DeltaNet: the l2 norm's 1/√keyDim when q and k come RMS-normed,
    /// and the query's own 1/√keyDim).
    public var queryScale: Float
    public var keyScale: Float
    public var decay: Decay
    /// The delta rule's update with β logits as an input, rather than the plain S += k vᵀ.
    public var deltaRule: Bool

    public init(stateSlot: Int, keyHeads: Int, valueHeads: Int, keyDim: Int, valueDim: Int, queryScale: Float = 1, keyScale: Float = 1,
                decay: Decay, deltaRule: Bool) {
        precondition(keyHeads > 0 && valueHeads > 0 && valueHeads % keyHeads == 0 && keyDim > 0 && valueDim > 0,
                     "linear attention of \(keyHeads) key heads × \(keyDim), \(valueHeads) value heads × \(valueDim)")
        switch decay {
        case .gated(let a, let dtBias):
            precondition(a.count == valueHeads && dtBias.count == valueHeads, "A \(a) / dt bias \(dtBias) do not match \(valueHeads) heads")
        case .constant(let logDecay):
            precondition(logDecay.count == valueHeads, "\(logDecay.count) decays for \(valueHeads) heads")
        }
        self.stateSlot = stateSlot
        self.keyHeads = keyHeads
        self.valueHeads = valueHeads
        self.keyDim = keyDim
        self.valueDim = valueDim
        self.queryScale = queryScale
        self.keyScale = keyScale
        self.decay = decay
        self.deltaRule = deltaRule
    }

    /// The weights the op reads (A and dtBias of a gated decay).
    public var weights: [WeightRef] {
        if case .gated(let a, let dtBias) = decay { [a, dtBias] } else { [] }
    }

    /// Whether the op takes a per-head decay input.
    public var decayInput: Bool { weights.count > 0 }

    /// Floats of the state: `[valueHeads][keyDim][valueDim]`.
    public var stateFloats: Int { valueHeads * keyDim * valueDim }
}
