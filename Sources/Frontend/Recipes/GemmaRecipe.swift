import IR

/// Family C, Gemma decoders: (1+w) RMSNorm, GeGLU (gelu tanh), embeddings × √hidden, rotary (neox) GQA/MQA.
/// Gemma 2 adds sandwich norms (post-attention and post-MLP norms inside the residual), attention-logit and
/// final-logit soft caps, query_pre_attn_scalar and alternating sliding/full layers; Gemma 3 drops the attention
/// cap, adds per-head (1+w) q/k norms and gives local and global layers their own rotary base. Gemma-3n is
/// `Gemma3nRecipe`. Embedders and classifiers over these bodies end in their `DecoderHead`; EmbeddingGemma
/// (`use_bidirectional_attention`) attends bidirectionally.
public enum GemmaRecipe: Recipe {
    static let generative = ["GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM"]
    public static let family = "C: Gemma"
    public static let architectures = generative + [Gemma3nRecipe.architecture] + DecoderHead.poolingArchitectures(over: generative)

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        if model.architecture == Gemma3nRecipe.architecture {
            return try Gemma3nRecipe.build(model, checkpoint: checkpoint)
        }
        let c = try model.config(GemmaConfig.self)
        let head = DecoderHead(model)
        guard head.base == c.generation.architecture else {
            throw FrontendError.badValue(file: model.path("config.json"), key: "model_type",
                                         reason: "'\(c.generation.rawValue)' does not match architecture \(model.architecture)")
        }
        if c.bidirectional && head.kind == .generate {
            throw FrontendError.badValue(file: model.path("config.json"), key: "use_bidirectional_attention",
                                         reason: "a bidirectional model embeds; compile it with --pooling to generate nothing")
        }
        // Base models (Gemma2Model, Gemma3TextModel) are saved without the `model.` prefix.
        let m = checkpoint.contains("model.embed_tokens.weight") || !checkpoint.contains("embed_tokens.weight") ? "model." : ""
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
        let embed = try w(m + "embed_tokens.weight", [c.vocabSize, d])
        let normalizer = Float(Double(d).squareRoot())
        var x: ValueID
        if c.tiedEmbeddings {
            x = b.scale(b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens"), by: normalizer, name: "embed_scale")
        } else {
            let scaled = WeightRef(shape: embed.shape, transform: .scaled(embed.transform, normalizer))
            x = b.embedding(b.tokenIDs(), table: scaled, name: "embed_tokens")
        }

        for l in 0..<c.layers {
            let p = m + "layers.\(l)."
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
                                     window: c.layerWindows[l], softcap: c.attentionSoftcap, causal: head.causal && !c.bidirectional)
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
        let finalNorm = try w(m + "norm.weight", [d])
        return try head.finish(&b, residual: x, model: model, checkpoint: checkpoint,
                               info: c.dimensions.modelInfo(architecture: model.architecture),
                               finalNorm: { b, rows in b.rmsNorm(rows, weight: finalNorm, eps: c.rmsNormEps, weightOffset: 1, name: "norm") },
                               lmHead: { b, normed in
                                   let logits = try b.lmHead(normed, embedding: embed, tied: c.tiedEmbeddings, weights: w)
                                   return c.finalSoftcap.map { b.unary(logits, .softcap($0), name: "final_logit_softcap") } ?? logits
                               })
    }
}
