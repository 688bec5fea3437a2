import IR

/// Family A, Llama-like decoders: pre-norm RMSNorm, rotary (neox) attention with GQA/MQA, SwiGLU MLP.
/// Llama (incl. llama3/linear rope scaling, attention/mlp bias), Mistral (sliding window), Qwen2 (q/k/v bias),
/// Qwen3 (per-head q/k RMSNorm before rope).
public enum LlamaRecipe: Recipe {
    public static let family = "A: Llama-like"
    public static let architectures = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(LlamaConfig.self)
        let w = WeightBinder(checkpoint: checkpoint)
        let isQwen2 = model.architecture == "Qwen2ForCausalLM"
        let qkNorm = model.architecture == "Qwen3ForCausalLM"
        let (d, hd, q, kv, ff) = (c.hiddenSize, c.headDim, c.heads * c.headDim, c.kvHeads * c.headDim, c.intermediateSize)
        let invFreq = c.rope.inverseFrequencies(rotaryDim: hd)
        let ropeQ = RopeSpec(heads: c.heads, headDim: hd, rotaryDim: hd, style: .neox, invFreq: invFreq)
        let ropeK = RopeSpec(heads: c.kvHeads, headDim: hd, rotaryDim: hd, style: .neox, invFreq: invFreq)

        var b = GraphBuilder()
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            let n = "layers.\(l)."
            // Attention block.
            let h = b.rmsNorm(x, weight: try w(p + "input_layernorm.weight", [d]), eps: c.rmsNormEps, name: n + "input_layernorm")
            func projection(_ name: String, _ rows: Int, bias: Bool) throws -> ValueID {
                b.linear(h, weight: try w(p + "self_attn.\(name).weight", [rows, d]),
                         bias: try w.optional(bias, p + "self_attn.\(name).bias", [rows]), name: n + "self_attn.\(name)")
            }
            var qs = try projection("q_proj", q, bias: c.attentionBias)
            var ks = try projection("k_proj", kv, bias: c.attentionBias)
            let vs = try projection("v_proj", kv, bias: c.attentionBias)
            if qkNorm {
                qs = b.rmsNorm(qs, weight: try w(p + "self_attn.q_norm.weight", [hd]), eps: c.rmsNormEps, groupSize: hd, name: n + "self_attn.q_norm")
                ks = b.rmsNorm(ks, weight: try w(p + "self_attn.k_norm.weight", [hd]), eps: c.rmsNormEps, groupSize: hd, name: n + "self_attn.k_norm")
            }
            qs = b.rope(qs, ropeQ, name: n + "self_attn.q_rope")
            ks = b.rope(ks, ropeK, name: n + "self_attn.k_rope")
            let spec = AttentionSpec(cacheSlot: l, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd,
                                     scale: 1 / Float(hd).squareRoot(), window: c.layerWindows[l])
            let attn = b.attention(q: qs, k: ks, v: vs, spec, name: n + "self_attn")
            let oBias = c.attentionBias && !isQwen2
            let o = b.linear(attn, weight: try w(p + "self_attn.o_proj.weight", [d, q]),
                             bias: try w.optional(oBias, p + "self_attn.o_proj.bias", [d]), name: n + "self_attn.o_proj")
            x = b.add(x, o, name: n + "attn_residual")
            // MLP block.
            let h2 = b.rmsNorm(x, weight: try w(p + "post_attention_layernorm.weight", [d]), eps: c.rmsNormEps, name: n + "post_attention_layernorm")
            func mlp(_ name: String, _ input: ValueID, _ shape: [Int]) throws -> ValueID {
                b.linear(input, weight: try w(p + "mlp.\(name).weight", shape),
                         bias: try w.optional(c.mlpBias, p + "mlp.\(name).bias", [shape[0]]), name: n + "mlp.\(name)")
            }
            let gate = try mlp("gate_proj", h2, [ff, d])
            let up = try mlp("up_proj", h2, [ff, d])
            let act = b.gatedActivation(gate: gate, up: up, .silu, name: n + "mlp.act")
            x = b.add(x, try mlp("down_proj", act, [d, ff]), name: n + "mlp_residual")
        }
        let last = b.lastRow(x, name: "last_hidden")
        let normed = b.rmsNorm(last, weight: try w("model.norm.weight", [d]), eps: c.rmsNormEps, name: "norm")
        let head = c.tiedEmbeddings && !checkpoint.contains("lm_head.weight") ? embed : try w("lm_head.weight", [c.vocabSize, d])
        let logits = b.linear(normed, weight: head, name: "lm_head")
        let info = ModelInfo(architecture: model.architecture, vocabSize: c.vocabSize, hiddenSize: d, layers: c.layers,
                             maxPosition: c.maxPosition, kvWidths: Array(repeating: kv, count: c.layers))
        return b.finish(logits: logits, info: info)
    }
}
