import IR

/// Family K2, Nemotron-H (transformers' NemotronHForCausalLM): token embeddings, then per block x + mixer(RMSNorm(x))
/// with one mixer per block (`NemotronHConfig.blocks`): Mamba-2, attention without positional encoding, a non-gated
/// MLP down(act(up(x))), or a mixture of such MLPs (sigmoid router choosing by p + e_score_correction_bias) plus a
/// shared one (the routed experts optionally between latent projections); a final RMSNorm and the LM head. The routed
/// ReLU² experts run as gated experts relu(u)·u whose gate and up rows are both up_proj's (relu(u)·u = relu²(u)).
public enum NemotronHRecipe: Recipe {
    public static let family = JambaRecipe.family
    public static let architectures = ["NemotronHForCausalLM"]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let head = DecoderHead(model)
        let c = try model.config(NemotronHConfig.self)
        let w = WeightBinder(checkpoint: checkpoint)
        let d = c.hiddenSize
        let attention = HybridAttention(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, rope: nil,
                                        scale: 1 / Float(c.headDim).squareRoot(), bias: c.attentionBias)
        func mlp(_ b: inout GraphBuilder, _ h: ValueID, width: Int, module p: String, name n: String) throws -> ValueID {
            let up = try b.linear(h, module: p + "up_proj", rows: width, bias: c.mlpBias, weights: w, name: n + "up_proj")
            let act = b.unary(up, c.mlpActivation, name: n + "mlp_act")
            return try b.linear(act, module: p + "down_proj", rows: d, bias: c.mlpBias, weights: w, name: n + "down_proj")
        }
        /// The routed experts of the MoE mixer at `p`: chosen from h, run on h or its latent projection.
        func routed(_ b: inout GraphBuilder, _ h: ValueID, module p: String, name n: String) throws -> ValueID {
            let logits = try b.linear(h, module: p + "gate", rows: c.experts, weights: w, name: n + "gate")
            let width = c.latentSize ?? d
            let x = c.latentSize == nil ? h : try b.linear(h, module: p + "fc1_latent_proj", rows: width, bias: c.mlpBias, weights: w,
                                                            name: n + "fc1_latent_proj")
            let layout = ExpertWeights.perExpert(experts: "experts", gate: "up_proj", up: "up_proj", down: "down_proj")
            let spec = MoESpec(experts: try (0..<c.experts).map { try layout.expert($0, count: c.experts, hidden: width, ff: c.expertSize, prefix: p, w: w) },
                               routing: c.routing, activation: .relu, selectionBias: try w(p + "gate.e_score_correction_bias", [c.experts]))
            let out = b.moe(x, router: logits, spec, name: n + "moe")
            return c.latentSize == nil ? out : try b.linear(out, module: p + "fc2_latent_proj", rows: d, bias: c.mlpBias, weights: w,
                                                             name: n + "fc2_latent_proj")
        }

        var b = GraphBuilder()
        let embed = try w("backbone.embeddings.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embeddings")
        var kvSlots = 0
        for (l, block) in c.blocks.enumerated() {
            let (p, n) = ("backbone.layers.\(l).", "layers.\(l).")
            let h = b.rmsNorm(x, weight: try w(p + "norm.weight", [d]), eps: c.normEps, name: n + "norm")
            let mixed: ValueID
            switch block {
            case .mamba:
                mixed = try b.mamba2Mixer(h, c.mixer, stateSlot: l, module: p + "mixer.", name: n + "mixer.", weights: w)
            case .attention:
                mixed = try attention.build(&b, h, cacheSlot: kvSlots, causal: head.causal, module: p + "mixer.", name: n, w: w)
                kvSlots += 1
            case .mlp:
                mixed = try mlp(&b, h, width: c.intermediateSize, module: p + "mixer.", name: n)
            case .moe:
                let experts = try routed(&b, h, module: p + "mixer.", name: n)
                let shared = try mlp(&b, h, width: c.sharedExpertSize, module: p + "mixer.shared_experts.", name: n + "shared_")
                mixed = b.add(experts, shared, name: n + "moe_shared")
            }
            x = b.add(x, mixed, name: n + "residual")
        }
        let finalNorm = try w("backbone.norm_f.weight", [d])
        let info = ModelInfo(architecture: model.architecture, vocabSize: c.vocabSize, hiddenSize: d, layers: c.layers,
                             maxPosition: c.maxPosition, kvWidths: Array(repeating: attention.kvWidth, count: kvSlots))
        return try head.finish(&b, residual: x, model: model, checkpoint: checkpoint, info: info,
                               finalNorm: { b, rows in b.rmsNorm(rows, weight: finalNorm, eps: c.normEps, name: "norm_f") },
                               lmHead: { b, normed in try b.lmHead(normed, embedding: embed, tied: c.tiedEmbeddings, weights: w) })
    }
}
