import IR

/// Family C, Gemma decoders: (1+w) RMSNorm, GeGLU (gelu tanh), embeddings × √hidden, rotary (neox) GQA/MQA.
/// Gemma 2 adds sandwich norms (post-attention and post-MLP norms inside the residual), attention-logit and
/// final-logit soft caps, query_pre_attn_scalar and alternating sliding/full layers; Gemma 3 drops the attention
/// cap, adds per-head (1+w) q/k norms and gives local and global layers their own rotary base. Gemma-3n is
/// `Gemma3nRecipe`.
public enum GemmaRecipe: Recipe {
    public static let family = "C: Gemma"
    public static let architectures = ["GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM", Gemma3nRecipe.architecture]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        if model.architecture == Gemma3nRecipe.architecture {
            return try Gemma3nRecipe.build(model, checkpoint: checkpoint)
        }
        let c = try model.config(GemmaConfig.self)
        try model.requireArchitecture(in: [c.generation.architecture], modelType: c.generation.rawValue)
        let w = WeightBinder(checkpoint: checkpoint)
        let sandwich = c.generation != .gemma1
        let qkNorm = c.generation == .gemma3
        let (d, hd, q, kv, ff) = (c.hiddenSize, c.headDim, c.heads * c.headDim, c.kvHeads * c.headDim, c.intermediateSize)

        var b = GraphBuilder()
        // Gemma norms scale by (1 + w), in f32.
        func norm(_ x: ValueID, _ weight: String, _ name: String, width: Int? = nil) throws -> ValueID {
            let group = width ?? d
            return b.rmsNorm(x, weight: try w(weight, [group]), eps: c.rmsNormEps, groupSize: group, weightOffset: 1, name: name)
        }

        // Embeddings × √hidden (f32, as transformers casts the normaliser to the f32 weights). Untied, the factor is
        // folded into the table; tied, the table is also the LM head, so the product stays an op.
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        let normalizer = Float(Double(d).squareRoot())
        var x: ValueID
        if c.tiedEmbeddings {
            x = b.scale(b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens"), by: normalizer, name: "embed_scale")
        } else {
            let scaled = WeightRef(shape: embed.shape, transform: .scaled(embed.transform, normalizer))
            x = b.embedding(b.tokenIDs(), table: scaled, name: "embed_tokens")
        }

        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            let n = "layers.\(l)."
            // Attention block.
            let h = try norm(x, p + "input_layernorm.weight", n + "input_layernorm")
            func linear(_ input: ValueID, _ module: String, _ rows: Int, bias: Bool = false) throws -> ValueID {
                try b.linear(input, module: p + module, rows: rows, bias: bias, weights: w, name: n + module)
            }
            var qs = try linear(h, "self_attn.q_proj", q, bias: c.attentionBias)
            var ks = try linear(h, "self_attn.k_proj", kv, bias: c.attentionBias)
            let vs = try linear(h, "self_attn.v_proj", kv, bias: c.attentionBias)
            if qkNorm {
                qs = try norm(qs, p + "self_attn.q_norm.weight", n + "self_attn.q_norm", width: hd)
                ks = try norm(ks, p + "self_attn.k_norm.weight", n + "self_attn.k_norm", width: hd)
            }
            func rope(_ x: ValueID, _ heads: Int, _ name: String) -> ValueID {
                b.rope(x, c.rope.spec(c.layerTypes[l], heads: heads, headDim: hd, rotaryDim: hd, style: .neox), name: n + name)
            }
            qs = rope(qs, c.heads, "self_attn.q_rope")
            ks = rope(ks, c.kvHeads, "self_attn.k_rope")
            let spec = AttentionSpec(cacheSlot: l, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd, scale: c.attentionScale,
                                     window: c.layerWindows[l], softcap: c.attentionSoftcap)
            var attn = try linear(b.attention(q: qs, k: ks, v: vs, spec, name: n + "self_attn"), "self_attn.o_proj", d,
                                  bias: c.attentionBias)
            if sandwich {
                attn = try norm(attn, p + "post_attention_layernorm.weight", n + "post_attention_layernorm")
            }
            x = b.add(x, attn, name: n + "attn_residual")

            // MLP block: down(gelu_tanh(gate(h)) * up(h)).
            let mlpNorm = sandwich ? "pre_feedforward_layernorm" : "post_attention_layernorm"
            let h2 = try norm(x, p + mlpNorm + ".weight", n + mlpNorm)
            let act = b.gatedActivation(gate: try linear(h2, "mlp.gate_proj", ff), up: try linear(h2, "mlp.up_proj", ff),
                                        c.activation, name: n + "mlp.act")
            var down = try linear(act, "mlp.down_proj", d)
            if sandwich {
                down = try norm(down, p + "post_feedforward_layernorm.weight", n + "post_feedforward_layernorm")
            }
            x = b.add(x, down, name: n + "mlp_residual")
        }
        let last = b.lastRow(x, name: "last_hidden")
        let normed = try norm(last, "model.norm.weight", "norm")
        var logits = try b.lmHead(normed, embedding: embed, tied: c.tiedEmbeddings, weights: w)
        if let cap = c.finalSoftcap {
            logits = b.unary(logits, .softcap(cap), name: "final_logit_softcap")
        }
        return b.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }
}
