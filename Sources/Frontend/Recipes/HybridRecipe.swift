import IR

/// Family K2, the Mamba-2 + attention hybrids laid out as `model.layers.N.{input_layernorm, mamba | self_attn, …}`
/// (transformers' BambaForCausalLM, GraniteMoeHybridForCausalLM, FalconH1ForCausalLM): per layer
/// x + mix(RMSNorm(x)), where mix is a Mamba-2 mixer, attention, or (Falcon-H1) both summed, then x + ff(RMSNorm(x)),
/// where ff is a dense SwiGLU MLP (Bamba, Falcon-H1) or Granite's softmax top-k experts plus an always-on shared
/// MLP; a final RMSNorm and the LM head. Config multipliers fold into weights where they scale one projection
/// (`HybridConfig`).
public enum HybridRecipe: Recipe {
    public static let family = JambaRecipe.family
    public static let architectures = ["BambaForCausalLM", "FalconH1ForCausalLM", "GraniteMoeHybridForCausalLM"]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let head = DecoderHead(model)
        let c = try model.config(HybridConfig.self)
        let w = WeightBinder(checkpoint: checkpoint)
        let (d, m) = (c.hiddenSize, c.multipliers)
        let attention = HybridAttention(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, rope: c.attention.rope,
                                        scale: c.attention.scale, bias: c.attention.bias, inputMultiplier: m.attentionIn,
                                        keyMultiplier: m.key, outputMultiplier: m.attentionOut)
        let (ffNorm, finalNorm) = c.experts == nil ? ("pre_ff_layernorm", "model.final_layernorm") : ("post_attention_layernorm", "model.norm")

        var b = GraphBuilder()
        let table = try w("model.embed_tokens.weight", [c.vocabSize, d])
        let embed = table.multiplied(by: m.embedding)
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        var kvSlots = 0
        for l in 0..<c.layers {
            let (p, n) = ("model.layers.\(l).", "layers.\(l).")
            func residual(_ value: ValueID, _ label: String) -> ValueID {
                let scaled = m.residual == 1 ? value : b.scale(value, by: m.residual, name: n + label + "_scaled")
                return b.add(x, scaled, name: n + label + "_residual")
            }
            let h = b.rmsNorm(x, weight: try w(p + "input_layernorm.weight", [d]), eps: c.rmsNormEps, name: n + "input_layernorm")
            var mixed: [ValueID] = []
            if c.layerMixers[l] != .attention {
                mixed.append(try b.mamba2Mixer(h, c.mixer, scales: m.ssm, stateSlot: l, module: p + "mamba.", name: n + "mamba.", weights: w))
            }
            if c.layerMixers[l] != .mamba {
                mixed.append(try attention.build(&b, h, cacheSlot: kvSlots, causal: head.causal, module: p + "self_attn.", name: n, w: w))
                kvSlots += 1
            }
            x = residual(mixed.count == 2 ? b.add(mixed[0], mixed[1], name: n + "mixers") : mixed[0], "mixer")
            let h2 = b.rmsNorm(x, weight: try w(p + ffNorm + ".weight", [d]), eps: c.rmsNormEps, name: n + ffNorm)
            x = residual(try feedForward(&b, h2, c, prefix: p, name: n, w: w), "ff")
        }

        // A tied head reads the scaled embedding table; the logits' factor then folds into the final norm's weight
        // when the norm feeds only the head.
        let tied = c.tiedEmbeddings && !checkpoint.contains("lm_head.weight")
        let logitScale = m.logits / (tied ? m.embedding : 1)
        let folded = head.kind == .generate ? logitScale : 1
        let normWeight = try w(finalNorm + ".weight", [d]).multiplied(by: folded)
        let info = ModelInfo(architecture: model.architecture, vocabSize: c.vocabSize, hiddenSize: d, layers: c.layers,
                             maxPosition: c.maxPosition, kvWidths: Array(repeating: attention.kvWidth, count: kvSlots))
        return try head.finish(&b, residual: x, model: model, checkpoint: checkpoint, info: info,
                               finalNorm: { b, rows in b.rmsNorm(rows, weight: normWeight, eps: c.rmsNormEps, name: "final_norm") },
                               lmHead: { b, normed in
                                   let logits = try b.lmHead(normed, embedding: embed, tied: tied, weights: w)
                                   return folded == logitScale ? logits : b.scale(logits, by: logitScale / folded, name: "logit_scale")
                               })
    }

    /// The layer's feed-forward output: Granite's experts + shared MLP, or the dense SwiGLU `feed_forward` with
    /// Falcon-H1's gate and down multipliers folded into their weights.
    private static func feedForward(_ b: inout GraphBuilder, _ h: ValueID, _ c: HybridConfig, prefix p: String, name n: String,
                                    w: WeightBinder) throws -> ValueID {
        if let e = c.experts {
            let shared = SharedExpert(projections: .fused("shared_mlp.input_linear"), down: "shared_mlp.output_linear", ff: e.sharedFF)
            guard e.count > 0 else { return try shared.build(&b, h, prefix: p, name: n, activation: .silu, w: w) }
            let moe = MoEBlock(router: "block_sparse_moe.router.layer",
                               experts: .stacked(gateUp: "block_sparse_moe.input_linear.weight", down: "block_sparse_moe.output_linear.weight"),
                               count: e.count, ff: e.ff, routing: MoERouting(topK: e.topK, renormalize: true), shared: shared)
            return try moe.build(&b, h, prefix: p, name: n + "block_sparse_moe.", w: w)
        }
        let (d, ff, m) = (c.hiddenSize, c.intermediateSize, c.multipliers)
        func projection(_ input: ValueID, _ module: String, _ rows: Int, _ factor: Float) throws -> ValueID {
            let weight = try w(p + "feed_forward." + module + ".weight", [rows, b.type(of: input).cols])
            let bias = try w.optional(c.mlpBias, p + "feed_forward." + module + ".bias", [rows])
            return b.linear(input, weight: weight.multiplied(by: factor), bias: bias?.multiplied(by: factor), name: n + module)
        }
        let act = b.gatedActivation(gate: try projection(h, "gate_proj", ff, m.mlpGate), up: try projection(h, "up_proj", ff, 1), .silu,
                                    name: n + "mlp_act")
        return try projection(act, "down_proj", d, m.mlpDown)
    }

}
