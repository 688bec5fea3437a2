import IR

/// Family B, RMSNorm decoders that norm each sublayer's output inside the residual: x + RMSNorm(f(x)).
/// OLMo 2 / OLMo 3 (full-width q/k RMSNorm; OLMo 3 adds 3:1 sliding layers with their own rotary base) and
/// EXAONE 4 (per-head q/k RMSNorm; 3:1 sliding layers, global layers without rotary) norm only the output;
/// GLM-4-0414 is a sandwich (norms before and after each sublayer) with q/k/v bias, fused gate_up and partial
/// GPT-J-interleaved rotary. FlexOlmo is OLMo 2 with a softmax top-k mixture of experts as every MLP.
public enum PostNormRecipe: Recipe {
    public static let family = "B: post-norm / sandwich-norm"
    public static let architectures = PostNormConfig.Variant.allCases.flatMap(\.architectures)

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(PostNormConfig.self)
        let v = c.variant
        try model.requireArchitecture(in: v.architectures, modelType: v.rawValue)
        let w = WeightBinder(checkpoint: checkpoint)
        let (d, hd, q, kv, ff) = (c.hiddenSize, c.headDim, c.heads * c.headDim, c.kvHeads * c.headDim, c.intermediateSize)

        let experts = v == .flexOlmo ? MoEBlock.qwenLayout(try model.config(MoEConfig.self)) : nil
        var b = GraphBuilder()
        func norm(_ x: ValueID, _ weight: String, _ name: String, width: Int? = nil) throws -> ValueID {
            b.rmsNorm(x, weight: try w(weight, [width ?? b.type(of: x).cols]), eps: c.rmsNormEps, groupSize: width, name: name)
        }

        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            let n = "layers.\(l)."
            // Attention block.
            let h = v.sandwich ? try norm(x, p + "input_layernorm.weight", n + "input_layernorm") : x
            func linear(_ input: ValueID, _ module: String, _ rows: Int, bias: Bool = false) throws -> ValueID {
                try b.linear(input, module: p + module, rows: rows, bias: bias, weights: w, name: n + module)
            }
            var qs = try linear(h, "self_attn.q_proj", q, bias: c.attentionBias)
            var ks = try linear(h, "self_attn.k_proj", kv, bias: c.attentionBias)
            let vs = try linear(h, "self_attn.v_proj", kv, bias: c.attentionBias)
            switch v.qkNorm {
            case .none:
                break
            case .fullWidth:
                qs = try norm(qs, p + "self_attn.q_norm.weight", n + "self_attn.q_norm")
                ks = try norm(ks, p + "self_attn.k_norm.weight", n + "self_attn.k_norm")
            case .perHead:
                qs = try norm(qs, p + "self_attn.q_norm.weight", n + "self_attn.q_norm", width: hd)
                ks = try norm(ks, p + "self_attn.k_norm.weight", n + "self_attn.k_norm", width: hd)
            }
            if c.usesRope(layer: l) {
                func rope(_ x: ValueID, _ heads: Int, _ name: String) -> ValueID {
                    b.rope(x, c.rope.spec(c.layerTypes[l], heads: heads, headDim: hd, rotaryDim: c.rotaryDim, style: v.ropeStyle),
                           name: n + name)
                }
                qs = rope(qs, c.heads, "self_attn.q_rope")
                ks = rope(ks, c.kvHeads, "self_attn.k_rope")
            }
            let spec = AttentionSpec(cacheSlot: l, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd,
                                     scale: Float(1 / Double(hd).squareRoot()), window: c.layerWindows[l])
            let attn = try linear(b.attention(q: qs, k: ks, v: vs, spec, name: n + "self_attn"), "self_attn.o_proj", d,
                                  bias: c.attentionBias && v != .glm4)
            let attnNorm = v.sandwich ? "post_self_attn_layernorm" : "post_attention_layernorm"
            x = b.add(x, try norm(attn, p + attnNorm + ".weight", n + attnNorm), name: n + "attn_residual")

            // MLP block: down(silu(gate(h)) * up(h)), or FlexOlmo's mixture of experts.
            let h2 = v.sandwich ? try norm(x, p + "post_attention_layernorm.weight", n + "post_attention_layernorm") : x
            let mlpNorm = v.sandwich ? "post_mlp_layernorm" : "post_feedforward_layernorm"
            let down: ValueID
            if let experts {
                down = try experts.build(&b, h2, prefix: p, name: n, w: w)
            } else {
                let gate: ValueID, up: ValueID
                if v.fusedGateUp {
                    let fused = try w(p + "mlp.gate_up_proj.weight", [2 * ff, d])
                    func half(_ start: Int) -> WeightRef {
                        WeightRef(shape: [ff, d], transform: .sliceRows(fused.transform, start: start, count: ff))
                    }
                    gate = b.linear(h2, weight: half(0), name: n + "mlp.gate_proj")
                    up = b.linear(h2, weight: half(ff), name: n + "mlp.up_proj")
                } else {
                    gate = try linear(h2, "mlp.gate_proj", ff)
                    up = try linear(h2, "mlp.up_proj", ff)
                }
                let act = b.gatedActivation(gate: gate, up: up, .silu, name: n + "mlp.act")
                down = try linear(act, "mlp.down_proj", d)
            }
            x = b.add(x, try norm(down, p + mlpNorm + ".weight", n + mlpNorm), name: n + "mlp_residual")
        }
        let last = b.lastRow(x, name: "last_hidden")
        let normed = try norm(last, "model.norm.weight", "norm")
        let logits = try b.lmHead(normed, embedding: embed, tied: c.tiedEmbeddings, weights: w)
        return b.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }
}
