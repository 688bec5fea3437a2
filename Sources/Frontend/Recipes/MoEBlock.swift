import IR

/// Where a checkpoint keeps a mixture-of-experts block's experts.
enum ExpertWeights {
    /// One module per expert, `<experts>.<i>.<gate|up|down>.weight` (Mixtral's w1/w3/w2, Qwen-MoE's and OLMoE's
    /// gate_proj/up_proj/down_proj).
    case perExpert(experts: String, gate: String, up: String, down: String)
    /// Three 2-D stacks of every expert's rows, `[experts·ff, hidden]` each: gate, up, and the transposed down
    /// matrices (DBRX's w1, v1, w2; tensors without a `.weight` suffix).
    case rowStacks(gate: String, up: String, downTransposed: String)
    /// Two 3-D stacks (tensor names), `gateUp` `[experts, 2·ff, hidden]` (gate rows, then up rows) and `down`
    /// `[experts, hidden, ff]`: GraniteMoE's input_linear / output_linear, and transformers 5's own parameters
    /// `experts.gate_up_proj` / `experts.down_proj` of every MoE class.
    case stacked(gateUp: String, down: String)
    /// GPT-OSS's transposed stacks with biases: `gateUp` `[experts, hidden, 2·ff]` whose columns alternate gate, up
    /// (and `<gateUp>_bias` `[experts, 2·ff]` alike), `down` `[experts, ff, hidden]` and `<down>_bias`
    /// `[experts, hidden]`.
    case interleavedColumns(gateUp: String, down: String)

    /// This layout, or for per-expert modules that a checkpoint saved by transformers 5 holds as its fused 3-D
    /// parameters (`<experts>.gate_up_proj`, `<experts>.down_proj`), those.
    func resolved(in checkpoint: Checkpoint, prefix: String) -> ExpertWeights {
        guard case .perExpert(let experts, let gate, _, _) = self, !checkpoint.contains("\(prefix)\(experts).0.\(gate).weight"),
              checkpoint.contains("\(prefix)\(experts).gate_up_proj") else { return self }
        return .stacked(gateUp: experts + ".gate_up_proj", down: experts + ".down_proj")
    }

    /// Expert `e`'s gate|up and down matrices, module paths relative to `prefix`.
    func expert(_ e: Int, count: Int, hidden: Int, ff: Int, prefix: String, w: WeightBinder) throws -> MoEExpert {
        switch self {
        case .perExpert(let experts, let gate, let up, let down):
            let module = "\(prefix)\(experts).\(e)."
            let (g, u) = (try w(module + gate + ".weight", [ff, hidden]), try w(module + up + ".weight", [ff, hidden]))
            return MoEExpert(gateUp: WeightRef(shape: [2 * ff, hidden], transform: .concatRows([g.transform, u.transform])),
                             down: try w(module + down + ".weight", [hidden, ff]))
        case .rowStacks(let gate, let up, let down):
            let stacks = try [gate, up, down].map { try w(prefix + $0, [count * ff, hidden]).transform }
            let rows = { (stack: WeightTransform) in WeightTransform.sliceRows(stack, start: e * ff, count: ff) }
            return MoEExpert(gateUp: WeightRef(shape: [2 * ff, hidden], transform: .concatRows([rows(stacks[0]), rows(stacks[1])])),
                             down: WeightRef(shape: [hidden, ff], transform: .transposed(rows(stacks[2]), rows: ff, cols: hidden)))
        case .stacked(let gateUp, let down):
            let (gateUp, down) = (try w(prefix + gateUp, [count, 2 * ff, hidden]), try w(prefix + down, [count, hidden, ff]))
            return MoEExpert(gateUp: WeightRef(shape: [2 * ff, hidden], transform: .sliceRows(gateUp.transform, start: e * 2 * ff, count: 2 * ff)),
                             down: WeightRef(shape: [hidden, ff], transform: .sliceRows(down.transform, start: e * hidden, count: hidden)))
        case .interleavedColumns(let gateUpName, let downName):
            let gateUp = try w(prefix + gateUpName, [count, hidden, 2 * ff]).transform
            let gateUpBias = try w(prefix + gateUpName + "_bias", [count, 2 * ff]).transform
            let down = try w(prefix + downName, [count, ff, hidden]).transform
            let downBias = try w(prefix + downName + "_bias", [count, hidden]).transform
            // Expert e's (gate, up) pairs as rows of 2, transposed: [2, n] of the gate values, then the up values.
            let split = { (stack: WeightTransform, n: Int) in
                WeightTransform.transposed(.sliceRows(stack, start: e * n, count: n), rows: n, cols: 2)
            }
            let pairs = split(gateUp, hidden * ff)
            // Gate (half 0) or up (half 1) as [hidden, ff] rows, transposed to [ff, hidden].
            let half = { (h: Int) in WeightTransform.transposed(.sliceRows(pairs, start: h * hidden, count: hidden), rows: hidden, cols: ff) }
            return MoEExpert(gateUp: WeightRef(shape: [2 * ff, hidden], transform: .concatRows([half(0), half(1)])),
                             down: WeightRef(shape: [hidden, ff], transform: .transposed(.sliceRows(down, start: e * ff, count: ff),
                                                                                          rows: ff, cols: hidden)),
                             biases: (gateUp: WeightRef(shape: [2 * ff], transform: split(gateUpBias, ff)),
                                      down: WeightRef(shape: [hidden], transform: .sliceRows(downBias, start: e * hidden, count: hidden))))
        }
    }
}

/// A softmax-routed mixture-of-experts block as checkpoints lay it out: the router linear (`router`, with a bias
/// when `routerBias`) and the experts, plus an optional always-on shared expert.
struct MoEBlock {
    var router: String
    var routerBias = false
    var experts: ExpertWeights
    var count: Int
    var ff: Int
    var routing: MoERouting
    var activation = GatedActivation.silu
    var shared: SharedExpert? = nil
    /// The tensor (and its stored shape, `experts` values) added to the probabilities to choose experts.
    var selectionBias: (tensor: String, shape: [Int])? = nil

    /// Qwen-MoE's, OLMoE's and FlexOlmo's layout: `router` (default `mlp.gate`) routes
    /// `mlp.experts.<i>.{gate,up,down}_proj`; softmax top-k, renormalised when `norm_topk_prob` (default false).
    static func qwenLayout(_ moe: MoEConfig, router: String = "mlp.gate") -> MoEBlock {
        MoEBlock(router: router, experts: .perExpert(experts: "mlp.experts", gate: "gate_proj", up: "up_proj", down: "down_proj"),
                 count: moe.experts, ff: moe.expertSize, routing: MoERouting(topK: moe.topK, renormalize: moe.normTopK ?? false))
    }

    /// The block's output for the normalised rows `h` of the layer at checkpoint prefix `prefix`.
    func build(_ b: inout GraphBuilder, _ h: ValueID, prefix: String, name: String, w: WeightBinder) throws -> ValueID {
        let hidden = b.type(of: h).cols
        let logits = try b.linear(h, module: prefix + router, rows: count, bias: routerBias, weights: w, name: name + router)
        let bias = try selectionBias.map { WeightRef(shape: [count], transform: try w(prefix + $0.tensor, $0.shape).transform) }
        let layout = experts.resolved(in: w.checkpoint, prefix: prefix)
        let spec = MoESpec(experts: try (0..<count).map { try layout.expert($0, count: count, hidden: hidden, ff: ff, prefix: prefix, w: w) },
                           routing: routing, activation: activation, selectionBias: bias)
        let routed = b.moe(h, router: logits, spec, name: name + "moe")
        guard let shared else { return routed }
        return b.add(routed, try shared.build(&b, h, prefix: prefix, name: name, activation: activation, w: w), name: name + "moe_shared")
    }
}

/// An always-on dense expert next to the routed ones, optionally scaled per token by sigmoid(gate(x)) (Qwen2-MoE).
struct SharedExpert {
    enum Projections {
        /// Separate gate and up modules.
        case separate(gate: String, up: String)
        /// One module of gate rows then up rows (GraniteMoeShared's input_linear).
        case fused(String)
    }

    var projections: Projections
    var down: String
    var ff: Int
    /// A `[1, hidden]` module whose sigmoid scales the expert's output.
    var gate: String? = nil

    func build(_ b: inout GraphBuilder, _ h: ValueID, prefix: String, name: String, activation: GatedActivation,
               w: WeightBinder) throws -> ValueID {
        let (gate, up): (ValueID, ValueID)
        switch projections {
        case .separate(let gateModule, let upModule):
            gate = try b.linear(h, module: prefix + gateModule, rows: ff, weights: w, name: name + gateModule)
            up = try b.linear(h, module: prefix + upModule, rows: ff, weights: w, name: name + upModule)
        case .fused(let module):
            let both = try b.linear(h, module: prefix + module, rows: 2 * ff, weights: w, name: name + module)
            (gate, up) = (b.slice(both, start: 0, count: ff, name: name + "shared_gate"),
                          b.slice(both, start: ff, count: ff, name: name + "shared_up"))
        }
        let act = b.gatedActivation(gate: gate, up: up, activation, name: name + "shared_act")
        let out = try b.linear(act, module: prefix + down, rows: b.type(of: h).cols, weights: w, name: name + down)
        guard let scale = self.gate else { return out }
        let logit = try b.linear(h, module: prefix + scale, rows: 1, weights: w, name: name + scale)
        return b.mul(out, b.unary(logit, .sigmoid, name: name + scale + "_sigmoid"), name: name + "shared_scaled")
    }
}
