import IR

/// Families H and I, mixtures of experts: Llama-like decoders (`LlamaRecipe`'s attention block and forward pass)
/// whose MLP is, on every sparse layer, a router linear plus an `Op.moe` over gated-MLP experts (and, for some, an
/// always-on shared expert); DBRX's LayerNorm decoder (`DbrxForward`). Each architecture states where its router and
/// experts live and how it routes.
public enum MoERecipe: DispatchingRecipe {
    public static let family = "H: softmax-router MoE"

    public static let builders: [(architecture: String, build: Builder)] = [
        ("MixtralForCausalLM", { model, checkpoint in
            try build(model, checkpoint) { moe, _ in mixtralExperts(moe) }
        }),
        ("Qwen2MoeForCausalLM", { model, checkpoint in
            try build(model, checkpoint) { moe, _ in
                var block = MoEBlock.qwenLayout(moe)
                if let size = moe.sharedExpertSize {
                    block.shared = SharedExpert(projections: .separate(gate: "mlp.shared_expert.gate_proj", up: "mlp.shared_expert.up_proj"),
                                                down: "mlp.shared_expert.down_proj", ff: size, gate: "mlp.shared_expert_gate")
                }
                return block
            }
        }),
        ("Qwen3MoeForCausalLM", { model, checkpoint in
            try build(model, checkpoint, adjusting: { s, _ in s.qkNorm = .beforeRope }) { moe, _ in MoEBlock.qwenLayout(moe) }
        }),
        ("OlmoeForCausalLM", { model, checkpoint in
            try build(model, checkpoint, adjusting: { s, _ in
                s.qkNorm = .fullWidth
                s.clipQKV = try model.config(ClipQKV.self).clip
            }) { moe, _ in MoEBlock.qwenLayout(moe) }
        }),
        ("GraniteMoeForCausalLM", { model, checkpoint in
            try build(model, checkpoint, adjusting: { s, _ in s.apply(try model.config(GraniteMultipliers.self)) }) { moe, _ in
                graniteExperts(moe)
            }
        }),
        ("GraniteMoeSharedForCausalLM", { model, checkpoint in
            try build(model, checkpoint, adjusting: { s, _ in s.apply(try model.config(GraniteMultipliers.self)) }) { moe, _ in
                var block = graniteExperts(moe)
                if let size = moe.sharedExpertSize {
                    block.shared = SharedExpert(projections: .fused("shared_mlp.input_linear"), down: "shared_mlp.output_linear", ff: size)
                }
                return block
            }
        }),
        ("HunYuanMoEV1ForCausalLM", { model, checkpoint in
            try build(model, checkpoint, adjusting: { s, _ in
                s.qkNorm = .afterRope
                s.names.qNorm = "self_attn.query_layernorm"
                s.names.kNorm = "self_attn.key_layernorm"
            }) { moe, llama in
                var block = MoEBlock.qwenLayout(moe, router: "mlp.gate.wg")
                block.routing.renormalize = true
                block.shared = SharedExpert(projections: .separate(gate: "mlp.shared_mlp.gate_proj", up: "mlp.shared_mlp.up_proj"),
                                            down: "mlp.shared_mlp.down_proj", ff: llama.intermediateSize)
                return block
            }
        }),
        ("Ernie4_5_MoeForCausalLM", { model, checkpoint in
            // Experts chosen by softmax + e_score_correction_bias, weighed by the softmax, renormalised (the clamp of
            // the sum at moe_norm_min never acts: k picked probabilities sum to at least k / experts).
            try build(model, checkpoint, adjusting: { s, _ in s.ropeStyle = .interleaved }) { moe, _ in
                var block = MoEBlock.qwenLayout(moe)
                block.routing.renormalize = true
                block.selectionBias = ("mlp.moe_statics.e_score_correction_bias", [1, moe.experts])
                block.shared = sharedExperts(moe)
                return block
            }
        }),
        ("MiniMaxM2ForCausalLM", { model, checkpoint in
            // Sigmoid scores, experts chosen by score + e_score_correction_bias, weighed by the scores, renormalised.
            try build(model, checkpoint, adjusting: { s, _ in s.qkNorm = .fullWidth }) { moe, _ in
                var block = mixtralExperts(moe)
                block.routing.scoring = .sigmoid
                block.selectionBias = ("block_sparse_moe.e_score_correction_bias", [moe.experts])
                return block
            }
        }),
        ("Glm4MoeForCausalLM", { model, checkpoint in
            try build(model, checkpoint, adjusting: { s, _ in
                if try model.config(QKNormFlag.self).enabled { s.qkNorm = .beforeRope }
            }) { moe, _ in deepSeekExperts(moe) }
        }),
        ("AfmoeForCausalLM", { model, checkpoint in
            // Sandwich norms, per-head q/k norm, a sigmoid gate on the attention output; sliding layers rotate, global
            // layers have no positions; embeddings times sqrt(hidden) under muP. Sigmoid scores, experts chosen by
            // score + `mlp.expert_bias`, weighed by the scores, renormalised, times `route_scale`.
            try build(model, checkpoint, adjusting: { s, _ in
                s.qkNorm = .beforeRope
                s.names.mlpNorm = "pre_mlp_layernorm"
                s.outputNorms = ("post_attention_layernorm", "post_mlp_layernorm")
                s.attentionOutputGate = "self_attn.gate_proj"
                s.config.ropeLayers = s.config.layerWindows.map { $0 != nil }
                if try model.config(MuPFlag.self).enabled { s.embeddingMultiplier = Float(s.config.hiddenSize).squareRoot() }
            }) { moe, _ in
                var block = MoEBlock.qwenLayout(moe, router: "mlp.router.gate")
                block.routing = MoERouting(topK: moe.topK, scoring: .sigmoid, renormalize: true, scale: moe.routedScaling)
                block.selectionBias = ("mlp.expert_bias", [moe.experts])
                block.shared = sharedExperts(moe)
                return block
            }
        }),
        ("DbrxForCausalLM", DbrxForward.build),
        ("ExaoneMoeForCausalLM", exaoneMoE),
        ("ExaoneMoEForCausalLM", exaoneMoE),
        ("Dots1ForCausalLM", { model, checkpoint in
            try build(model, checkpoint, adjusting: { s, _ in s.qkNorm = .beforeRope }) { moe, _ in deepSeekExperts(moe) }
        }),
        ("GptOssForCausalLM", { model, checkpoint in
            // Attention sinks; `mlp.router` (with a bias) picks the top-k logits and softmaxes them; transposed,
            // interleaved experts with biases and GPT-OSS's clamped SwiGLU.
            let swiglu = try model.config(ClampedSwiGLUConfig.self)
            return try build(model, checkpoint, adjusting: { s, _ in s.attentionSinks = "self_attn.sinks" }) { moe, _ in
                MoEBlock(router: "mlp.router", routerBias: true,
                         experts: .interleavedColumns(gateUp: "mlp.experts.gate_up_proj", down: "mlp.experts.down_proj"),
                         count: moe.experts, ff: moe.expertSize, routing: MoERouting(topK: moe.topK, renormalize: true),
                         activation: .clampedSwiGLU(alpha: swiglu.alpha, limit: swiglu.limit))
            }
        }),
    ]

    /// K-EXAONE: per-head q/k norm; sliding layers rotate, global layers have no positions when there are sliding
    /// ones; DeepSeek-V3-style routing with the bias at `mlp.e_score_correction_bias`.
    private static let exaoneMoE: Builder = { model, checkpoint in
        try build(model, checkpoint, adjusting: { s, _ in
            s.qkNorm = .beforeRope
            let windows = s.config.layerWindows
            if windows.contains(where: { $0 != nil }) { s.config.ropeLayers = windows.map { $0 != nil } }
        }) { moe, _ in
            var block = deepSeekExperts(moe)
            block.selectionBias = ("mlp.e_score_correction_bias", [moe.experts])
            return block
        }
    }

    /// DeepSeek-V3-style routing (GLM-4.5, dots.llm1): sigmoid scores, experts chosen by score +
    /// `mlp.gate.e_score_correction_bias` within the best `topk_group` of `n_group` groups, weighed by the scores,
    /// renormalised when `norm_topk_prob`, times `routed_scaling_factor`; `mlp.shared_experts` always on.
    private static func deepSeekExperts(_ moe: MoEConfig) -> MoEBlock {
        var block = MoEBlock.qwenLayout(moe)
        block.routing = MoERouting(topK: moe.topK, scoring: .sigmoid, renormalize: moe.normTopK ?? false, scale: moe.routedScaling,
                                   groups: moe.groups, topGroups: moe.topGroups)
        block.selectionBias = ("mlp.gate.e_score_correction_bias", [moe.experts])
        block.shared = sharedExperts(moe)
        return block
    }

    /// `mlp.shared_experts.{gate,up,down}_proj` of `moe_num_shared_experts` / `n_shared_experts` experts' width.
    private static func sharedExperts(_ moe: MoEConfig) -> SharedExpert? {
        moe.sharedExpertSize.map {
            SharedExpert(projections: .separate(gate: "mlp.shared_experts.gate_proj", up: "mlp.shared_experts.up_proj"),
                         down: "mlp.shared_experts.down_proj", ff: $0)
        }
    }

    /// Mixtral's layout: `block_sparse_moe.gate` routes `block_sparse_moe.experts.<i>.w1` (gate), `w3` (up), `w2`
    /// (down); top-k of the logits, then softmax over the k (softmax, top-k, renormalised).
    private static func mixtralExperts(_ moe: MoEConfig) -> MoEBlock {
        MoEBlock(router: "block_sparse_moe.gate",
                 experts: .perExpert(experts: "block_sparse_moe.experts", gate: "w1", up: "w3", down: "w2"),
                 count: moe.experts, ff: moe.expertSize, routing: MoERouting(topK: moe.topK, renormalize: true))
    }


    /// GraniteMoE's layout: `block_sparse_moe.router.layer` routes 3-D stacks `input_linear` / `output_linear`;
    /// top-k of the logits, then softmax over the k (softmax, top-k, renormalised).
    private static func graniteExperts(_ moe: MoEConfig) -> MoEBlock {
        MoEBlock(router: "block_sparse_moe.router.layer",
                 experts: .stacked(gateUp: "block_sparse_moe.input_linear.weight", down: "block_sparse_moe.output_linear.weight"),
                 count: moe.experts, ff: moe.expertSize, routing: MoERouting(topK: moe.topK, renormalize: true))
    }

    /// The Llama forward pass of `model`, its spec adjusted by `adjust`, with `block(moeConfig, llamaConfig)` as the
    /// feed-forward of its sparse layers.
    static func build(_ model: ModelDirectory, _ checkpoint: Checkpoint,
                      adjusting adjust: (inout LlamaSpec, MoEConfig) throws -> Void = { _, _ in },
                      block: (MoEConfig, LlamaConfig) throws -> MoEBlock) throws -> Graph {
        let moe = try model.config(MoEConfig.self)
        var spec = LlamaSpec(try model.config(LlamaConfig.self))
        try adjust(&spec, moe)
        let layerBlock = try block(moe, spec.config)
        spec.feedForward = { b, h, l, prefix, name, w in
            moe.isSparse(l) ? try layerBlock.build(&b, h, prefix: prefix, name: name, w: w) : nil
        }
        return try LlamaRecipe.forward(spec, head: DecoderHead(model), model: model, checkpoint: checkpoint)
    }
}
