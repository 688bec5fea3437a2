/// The gated delta rule (Gated DeltaNet, Qwen3-Next's linear attention), sequential over the tokens of each sequence.
/// Each value head h keeps a state matrix S_h `[keyDim, valueDim]` and reads the key head h / (valueHeads / keyHeads)
/// (grouped value attention). For each token, with q and k scaled by `queryScale` and `keyScale`:
///   decay = exp(A_h · softplus(a_h + dtBias_h)),  β = sigmoid(b_h),
///   S_h ← decay · S_h;  S_h ← S_h + k ⊗ β (v_h − S_hᵀ k);  o_h = S_hᵀ q,
/// where a and b are per-head inputs and A (already −exp(A_log)) and dtBias are weights. Each sequence starts from a
/// zero state; the state after a call's last token is kept in the recurrent state (`stateSlot`) for a call
/// continuing the sequence.
public struct GatedDeltaRuleSpec: Hashable, Sendable {
    /// Index of this op's state in the recurrent state (one slot per state-keeping op).
    public var stateSlot: Int
    public var keyHeads: Int
    public var valueHeads: Int
    public var keyDim: Int
    public var valueDim: Int
    /// Factors on every query and key element (the l2 norm's 1/√keyDim and the query's 1/√keyDim when q and k come
    /// RMS-normed).
    public var queryScale: Float
    public var keyScale: Float
    /// A = −exp(A_log), `[valueHeads]`.
    public var a: WeightRef
    /// Added to the decay input before the softplus, `[valueHeads]`.
    public var dtBias: WeightRef

    public init(stateSlot: Int, keyHeads: Int, valueHeads: Int, keyDim: Int, valueDim: Int, queryScale: Float, keyScale: Float,
                a: WeightRef, dtBias: WeightRef) {
        precondition(keyHeads > 0 && valueHeads > 0 && valueHeads % keyHeads == 0 && keyDim > 0 && valueDim > 0,
                     "delta rule of \(keyHeads) key heads × \(keyDim), \(valueHeads) value heads × \(valueDim)")
        precondition(a.count == valueHeads && dtBias.count == valueHeads, "A \(a) / dt bias \(dtBias) do not match \(valueHeads) heads")
        self.stateSlot = stateSlot
        self.keyHeads = keyHeads
        self.valueHeads = valueHeads
        self.keyDim = keyDim
        self.valueDim = valueDim
        self.queryScale = queryScale
        self.keyScale = keyScale
        self.a = a
        self.dtBias = dtBias
    }

    /// Floats of the state: `[valueHeads][keyDim][valueDim]`.
    public var stateFloats: Int { valueHeads * keyDim * valueDim }
}
