/// One routed expert of a mixture-of-experts layer: a gated MLP down(act(gate(x)) · up(x)), optionally with biases
/// on both projections (GPT-OSS).
public struct MoEExpert: Hashable, Sendable {
    /// Gate rows then up rows, `[2·ff, hidden]` (one matmul computes both).
    public var gateUp: WeightRef
    /// `[hidden, ff]`.
    public var down: WeightRef
    /// `[2·ff]` (gate then up) and `[hidden]`; both or neither.
    public var biases: (gateUp: WeightRef, down: WeightRef)?

    public init(gateUp: WeightRef, down: WeightRef, biases: (gateUp: WeightRef, down: WeightRef)? = nil) {
        self.gateUp = gateUp
        self.down = down
        self.biases = biases
    }

    public static func == (a: MoEExpert, b: MoEExpert) -> Bool {
        a.gateUp == b.gateUp && a.down == b.down && a.biases?.gateUp == b.biases?.gateUp && a.biases?.down == b.biases?.down
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(gateUp)
        hasher.combine(down)
        hasher.combine(biases?.gateUp)
        hasher.combine(biases?.down)
    }
}

/// How router logits become per-expert probabilities.
public enum MoEScoring: String, Sendable, Hashable {
    /// Softmax over all experts (Mixtral, Qwen-MoE, OLMoE, GraniteMoE, Jamba).
    case softmax
    /// Each logit's own sigmoid (MiniMax-M2).
    case sigmoid
}

/// How a token's experts and their weights come from its router logits: probabilities p by `scoring`, selection
/// scores p (plus the spec's selection bias when it has one), with `groups` > 1 only the experts of the `topGroups`
/// groups (consecutive experts, `experts / groups` each) whose `groupTopScores` best scores sum highest, the `topK` experts of
/// largest score (ties go to the lowest index, as torch.topk on CPU), each weighted by its p, optionally divided by
/// the sum of the k picked p, then multiplied by `scale`. Mixtral's and GraniteMoE's "top-k of the logits, then
/// softmax over the k" is softmax with `renormalize`; DeepSeek-V3-style routers (GLM-4.5, dots.llm1) are sigmoid with
/// a bias, groups and a scale.
public struct MoERouting: Hashable, Sendable {
    public var topK: Int
    public var scoring: MoEScoring
    /// Divide the k picked probabilities by their sum (Mixtral, `norm_topk_prob`); Jamba and Qwen2-MoE do not.
    public var renormalize: Bool
    /// Factor on every picked weight (`routed_scaling_factor`; 1 for most models).
    public var scale: Float
    /// Expert groups (`n_group`; 1: no group limit) and how many of them a token may pick from (`topk_group`).
    public var groups: Int
    public var topGroups: Int
    /// How many of a group's best selection scores sum to the group's score: 2 (DeepSeek-V3 and its kin) or 1, the
    /// best alone (DeepSeek-V2's group_limited_greedy).
    public var groupTopScores: Int

    public init(topK: Int, scoring: MoEScoring = .softmax, renormalize: Bool, scale: Float = 1, groups: Int = 1, topGroups: Int = 1,
                groupTopScores: Int = 2) {
        self.topK = topK
        self.scoring = scoring
        self.renormalize = renormalize
        self.scale = scale
        self.groups = groups
        self.topGroups = topGroups
        self.groupTopScores = groupTopScores
    }
}

extension MoERouting {
    /// Whether the groups split `experts` into groups of at least two and leave at least `topK` experts to pick.
    public func validGroups(experts: Int) -> Bool {
        groups == 1 || (groups > 1 && experts % groups == 0 && experts / groups >= 2 && (1...groups).contains(topGroups)
            && topK <= topGroups * (experts / groups) && (1...2).contains(groupTopScores))
    }
}

/// A sparse mixture of gated-MLP experts: each token's output is Σ over its selected experts e of weight_e ·
/// expert_e(x). Shared (always-on) experts are ordinary MLP ops next to this one.
public struct MoESpec: Hashable, Sendable {
    /// Every expert, in router column order; all of one shape.
    public var experts: [MoEExpert]
    public var routing: MoERouting
    public var activation: GatedActivation
    /// `[experts]` added to the probabilities to choose the experts, not to weigh them (e_score_correction_bias of
    /// Ernie 4.5-MoE and MiniMax-M2); nil: choose by the probabilities.
    public var selectionBias: WeightRef?

    public init(experts: [MoEExpert], routing: MoERouting, activation: GatedActivation, selectionBias: WeightRef? = nil) {
        self.experts = experts
        self.routing = routing
        self.activation = activation
        self.selectionBias = selectionBias
    }

    /// Width of the tokens the experts read and write.
    public var hidden: Int { experts[0].down.shape[0] }
    /// Width of one expert's gated activation.
    public var ff: Int { experts[0].down.shape[1] }

    /// The expert matrices: the gate|up ones in expert order, then the down ones.
    public var expertWeights: [WeightRef] { experts.map(\.gateUp) + experts.map(\.down) }

    /// The experts' biases, gate|up ones in expert order then the down ones; empty when the experts have none.
    public var expertBiases: [WeightRef] {
        let biases = experts.compactMap(\.biases)
        return biases.map(\.gateUp) + biases.map(\.down)
    }

    /// Whether the experts have biases (all of them do, or none).
    public var hasExpertBiases: Bool { experts.first?.biases != nil }

    /// Every weight the op reads: the expert matrices, the selection bias, then the expert biases.
    public var weights: [WeightRef] { expertWeights + (selectionBias.map { [$0] } ?? []) + expertBiases }
}
