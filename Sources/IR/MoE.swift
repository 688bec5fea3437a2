/// One routed expert of a mixture-of-experts layer: a gated MLP down(act(gate(x)) · up(x)).
public struct MoEExpert: Hashable, Sendable {
    /// Gate rows then up rows, `[2·ff, hidden]` (one matmul computes both).
    public var gateUp: WeightRef
    /// `[hidden, ff]`.
    public var down: WeightRef

    public init(gateUp: WeightRef, down: WeightRef) {
        self.gateUp = gateUp
        self.down = down
    }
}

/// How a token's experts and their weights come from its router logits: softmax over all experts, the `topK`
/// largest probabilities (ties go to the lowest expert index, as torch.topk on CPU), optionally divided by their
/// sum, then multiplied by `scale`. Mixtral's and GraniteMoE's "top-k of the logits, then softmax over the k" is
/// this rule with `renormalize`.
public struct MoERouting: Hashable, Sendable {
    public var topK: Int
    /// Divide the k selected probabilities by their sum (Mixtral, `norm_topk_prob`); Jamba and Qwen2-MoE do not.
    public var renormalize: Bool
    /// Factor on every selected weight (`routed_scaling_factor`; 1 for most models).
    public var scale: Float

    public init(topK: Int, renormalize: Bool, scale: Float = 1) {
        self.topK = topK
        self.renormalize = renormalize
        self.scale = scale
    }
}

/// A sparse mixture of gated-MLP experts: each token's output is Σ over its selected experts e of weight_e ·
/// expert_e(x). Shared (always-on) experts are ordinary MLP ops next to this one.
public struct MoESpec: Hashable, Sendable {
    /// Every expert, in router column order; all of one shape.
    public var experts: [MoEExpert]
    public var routing: MoERouting
    public var activation: GatedActivation

    public init(experts: [MoEExpert], routing: MoERouting, activation: GatedActivation) {
        self.experts = experts
        self.routing = routing
        self.activation = activation
    }

    /// Width of the tokens the experts read and write.
    public var hidden: Int { experts[0].down.shape[0] }
    /// Width of one expert's gated activation.
    public var ff: Int { experts[0].down.shape[1] }

    /// Every expert weight: the gate|up matrices in expert order, then the down matrices.
    public var weights: [WeightRef] { experts.map(\.gateUp) + experts.map(\.down) }
}
