import IR

/// Family K2, Zamba2 (transformers' Zamba2ForCausalLM): a Mamba-2 backbone, x + mamba(RMSNorm(x)) per layer, whose
/// hybrid layers first run a shared transformer block on concat(x, original embeddings): RMSNorm, attention (heads of
/// 2·hidden / heads, softmax scale (head_dim / 2)^-½, optional rotary) with LoRA adapters on q/k/v, o_proj back to
/// the hidden width, RMSNorm, a gated MLP (fused gate|up with its adapter), then the layer's own `linear`; the result
/// is added to x inside that layer's mixer input only (x + mamba(RMSNorm(x + t))). Blocks are shared round-robin:
/// hybrid layer k uses block k mod num_mem_blocks, stored under the first hybrid layer that used it, with adapter k.
public enum Zamba2Recipe: Recipe {
    public static let family = JambaRecipe.family
    public static let architectures = ["Zamba2ForCausalLM"]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let head = DecoderHead(model)
        let c = try model.config(Zamba2Config.self)
        let w = WeightBinder(checkpoint: checkpoint)
        let (d, wide, ff) = (c.hiddenSize, c.attentionWidth, c.intermediateSize)
        let attention = HybridAttention(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                        rope: c.rope.map { PartialRope(rope: $0, factor: 1) },
                                        scale: 1 / (Float(c.headDim) / 2).squareRoot(), outputWidth: d)
        let hybridIDs = c.hybridLayers.indices.filter { c.hybridLayers[$0] }

        var b = GraphBuilder()
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        let original = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        var x = original
        var kvSlots = 0
        for l in 0..<c.layers {
            let (p, n) = ("model.layers.\(l).", "layers.\(l).")
            var mixerInput = x
            var decoder = p
            if c.hybridLayers[l] {
                let k = kvSlots
                let block = "model.layers.\(hybridIDs[k % c.memoryBlocks]).shared_transformer."
                let s = n + "shared."
                let joined = b.concat([x, original], name: s + "input")
                let h = b.rmsNorm(joined, weight: try w(block + "input_layernorm.weight", [wide]), eps: c.rmsNormEps, name: s + "input_layernorm")
                let adapters = c.adapterRank.map { rank in
                    HybridAttention.Adapters(rank: rank) { block + "self_attn.linear_\($0.prefix(1))_adapter_list.\(k)" }
                }
                let attended = try attention.build(&b, h, cacheSlot: kvSlots, causal: head.causal, module: block + "self_attn.", name: s,
                                                   w: w, adapters: adapters)
                kvSlots += 1
                let h2 = b.rmsNorm(attended, weight: try w(block + "pre_ff_layernorm.weight", [d]), eps: c.rmsNormEps, name: s + "pre_ff_layernorm")
                var gateUp = try b.linear(h2, module: block + "feed_forward.gate_up_proj", rows: 2 * ff, bias: c.linearBias, weights: w,
                                          name: s + "gate_up_proj")
                if let rank = c.adapterRank {
                    let adapter = try b.loRA(h2, module: block + "feed_forward.gate_up_proj_adapter_list.\(k)", rank: rank, rows: 2 * ff,
                                             weights: w, name: s + "gate_up_adapter")
                    gateUp = b.add(gateUp, adapter, name: s + "gate_up_adapted")
                }
                let act = b.gatedActivation(gate: b.slice(gateUp, start: 0, count: ff, name: s + "gate"),
                                            up: b.slice(gateUp, start: ff, count: ff, name: s + "up"), c.activation, name: s + "mlp_act")
                let mlp = try b.linear(act, module: block + "feed_forward.down_proj", rows: d, bias: c.linearBias, weights: w, name: s + "down_proj")
                let t = try b.linear(mlp, module: p + "linear", rows: d, weights: w, name: n + "linear")
                mixerInput = b.add(x, t, name: n + "mixer_input")
                decoder = p + "mamba_decoder."
            }
            let h = b.rmsNorm(mixerInput, weight: try w(decoder + "input_layernorm.weight", [d]), eps: c.rmsNormEps, name: n + "input_layernorm")
            let mixed = try b.mamba2Mixer(h, c.mixer, stateSlot: l, module: decoder + "mamba.", name: n + "mamba.", weights: w)
            x = b.add(x, mixed, name: n + "residual")
        }
        let finalNorm = try w("model.final_layernorm.weight", [d])
        let info = ModelInfo(architecture: model.architecture, vocabSize: c.vocabSize, hiddenSize: d, layers: c.layers,
                             maxPosition: c.maxPosition, kvWidths: Array(repeating: attention.kvWidth, count: kvSlots))
        return try head.finish(&b, residual: x, model: model, checkpoint: checkpoint, info: info,
                               finalNorm: { b, rows in b.rmsNorm(rows, weight: finalNorm, eps: c.rmsNormEps, name: "final_layernorm") },
                               lmHead: { b, normed in
                                   try b.lmHead(normed, embedding: embed, tied: c.tiedEmbeddings && !checkpoint.contains("lm_head.weight"), weights: w)
                               })
    }
}
