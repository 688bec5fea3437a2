import IR

/// Family J, DeepSeek multi-head latent attention: Llama-like decoders (`LlamaRecipe`'s forward pass) whose every
/// attention block is `MLAAttention`. MiniCPM3 keeps dense MLPs and MiniCPM's muP scalars; DeepSeek-V2/V3 replace the
/// MLP of layers from `first_k_dense_replace` on by routed experts plus fused shared experts.
public enum MLARecipe: DispatchingRecipe {
    public static let family = "J: DeepSeek MLA"

    public static let builders: [(architecture: String, build: Builder)] = [
        ("MiniCPM3ForCausalLM", { model, checkpoint in
            try build(model, checkpoint) { s, _ in s.apply(try model.config(MiniCPMScalars.self)) }
        }),
        ("DeepseekV2ForCausalLM", { model, checkpoint in
            try build(model, checkpoint) { s, _ in
                // Softmax scores, greedy or group-limited (groups ranked by their best score) top-k, never
                // renormalised, times routed_scaling_factor.
                let moe = try model.config(DeepseekMoEConfig.self)
                s.feedForward = deepseekExperts(moe, routing: MoERouting(
                    topK: moe.topK, renormalize: false, scale: moe.scale, groups: moe.groups, topGroups: moe.topGroups,
                    groupTopScores: 1))
            }
        }),
        ("DeepseekV3ForCausalLM", { model, checkpoint in
            try build(model, checkpoint) { s, _ in
                // Sigmoid scores, experts chosen by score + e_score_correction_bias within the groups whose two best
                // biased scores sum highest, weighed by the raw scores, renormalised by norm_topk_prob, scaled.
                let moe = try model.config(DeepseekMoEConfig.self)
                s.feedForward = deepseekExperts(moe, routing: MoERouting(
                    topK: moe.topK, scoring: .sigmoid, renormalize: moe.normTopK, scale: moe.scale, groups: moe.groups,
                    topGroups: moe.topGroups), selectionBias: true)
            }
        }),
    ]

    /// DeepSeek's layout: `mlp.gate` routes `mlp.experts.<i>.{gate,up,down}_proj`, `mlp.shared_experts` is one MLP of
    /// n_shared_experts × moe_intermediate_size; V3's router keeps `mlp.gate.e_score_correction_bias`.
    private static func deepseekExperts(_ moe: DeepseekMoEConfig, routing: MoERouting, selectionBias: Bool = false) -> LlamaSpec.FeedForward {
        var block = MoEBlock(router: "mlp.gate", experts: .perExpert(experts: "mlp.experts", gate: "gate_proj", up: "up_proj", down: "down_proj"),
                             count: moe.experts, ff: moe.expertSize, routing: routing)
        if moe.sharedExperts > 0 {
            block.shared = SharedExpert(projections: .separate(gate: "mlp.shared_experts.gate_proj", up: "mlp.shared_experts.up_proj"),
                                        down: "mlp.shared_experts.down_proj", ff: moe.sharedExperts * moe.expertSize)
        }
        if selectionBias { block.selectionBias = ("mlp.gate.e_score_correction_bias", [moe.experts]) }
        return { b, h, l, prefix, name, w in
            moe.isSparse(l) ? try block.build(&b, h, prefix: prefix, name: name, w: w) : nil
        }
    }

    /// The Llama forward pass of `model` with MLA attention on every layer, its spec adjusted by `adjust`.
    private static func build(_ model: ModelDirectory, _ checkpoint: Checkpoint,
                              adjusting adjust: (inout LlamaSpec, MLAConfig) throws -> Void) throws -> Graph {
        let mla = try model.config(MLAConfig.self)
        var spec = LlamaSpec(try model.config(LlamaConfig.self))
        let c = spec.config
        let attention = MLAAttention(mla: mla, heads: c.heads, hidden: c.hiddenSize, bias: c.attentionBias) { heads, headDim in
            c.rope.spec(heads: heads, headDim: headDim, rotaryDim: mla.ropeDim, style: mla.interleavedRope ? .interleaved : .neox)
        }
        spec.attention = ({ b, h, l, prefix, name, w in
            try attention.build(&b, h, layer: l, prefix: prefix, name: name, w: w)
        }, attention.kvWidth)
        try adjust(&spec, mla)
        return try LlamaRecipe.forward(spec, head: DecoderHead(model), model: model, checkpoint: checkpoint)
    }
}
