import IR

/// Family K3, Qwen3-Next (transformers' Qwen3NextForCausalLM): a pre-norm decoder with (1 + w) RMSNorms whose layers
/// mix tokens with a Gated DeltaNet (`gatedDeltaNet`) or with gated full attention (q_proj emits each head's query and
/// output gate; (1 + w) q/k RMSNorm, partial RoPE, GQA; output ⊙ sigmoid(gate) before o_proj), then run a mixture of
/// experts (softmax top-k, renormalised, plus a sigmoid-gated shared expert) or a dense SwiGLU MLP.
public enum Qwen3NextRecipe: Recipe {
    public static let family = "K3: linear attention / delta rule / short conv hybrids"
    public static let architectures = ["Qwen3NextForCausalLM"]

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let decoder = HybridDecoder(model, checkpoint: checkpoint)
        let c = try model.config(Qwen3NextConfig.self)
        let w = decoder.weights
        let (d, eps) = (c.hiddenSize, c.rmsNormEps)
        let norm = OffsetNorm(eps: eps, weights: w)

        var b = GraphBuilder()
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        var kvSlots = 0
        for l in 0..<c.layers {
            let (p, n) = ("model.layers.\(l).", "layers.\(l).")
            let h = try norm(&b, x, p + "input_layernorm.weight", name: n + "input_layernorm")
            let mixed: ValueID
            if c.attentionLayers[l] {
                mixed = try gatedAttention(&b, h, c, slot: kvSlots, causal: decoder.head.causal, prefix: p + "self_attn.", name: n, w: w, norm: norm)
                kvSlots += 1
            } else {
                mixed = try b.gatedDeltaNet(h, c.linear, eps: eps, stateSlot: l, module: p + "linear_attn.", name: n + "linear_attn.", weights: w)
            }
            x = b.add(x, mixed, name: n + "mixer_residual")

            let h2 = try norm(&b, x, p + "post_attention_layernorm.weight", name: n + "post_attention_layernorm")
            let fed: ValueID
            if let moe = c.moe, moe.isSparse(l) {
                let block = MoEBlock(router: "gate", experts: .perExpert(experts: "experts", gate: "gate_proj", up: "up_proj", down: "down_proj"),
                                     count: moe.experts, ff: moe.expertSize,
                                     routing: MoERouting(topK: moe.topK, renormalize: moe.normTopK ?? true),
                                     shared: moe.sharedExpertSize.map {
                                         SharedExpert(projections: .separate(gate: "shared_expert.gate_proj", up: "shared_expert.up_proj"),
                                                      down: "shared_expert.down_proj", ff: $0, gate: "shared_expert_gate")
                                     })
                fed = try block.build(&b, h2, prefix: p + "mlp.", name: n + "mlp.", w: w)
            } else {
                fed = try decoder.swiGLU(&b, h2, module: p + "mlp.", names: ("gate_proj", "up_proj", "down_proj"), ff: c.intermediateSize,
                                         name: n)
            }
            x = b.add(x, fed, name: n + "ff_residual")
        }

        return try decoder.finish(&b, residual: x, dimensions: c.dimensions, kvSlots: kvSlots, embedding: embed,
                                  normTensor: "model.norm.weight", normName: "norm", eps: eps, normOffset: 1)
    }

    /// Qwen3-Next's gated attention of the module `p` on the normed rows h: q_proj rows alternate per head between
    /// the head's query and its output gate (split at compile time); `norm` applies a (1 + w) RMSNorm.
    private static func gatedAttention(_ b: inout GraphBuilder, _ h: ValueID, _ c: Qwen3NextConfig, slot: Int, causal: Bool,
                                       prefix p: String, name n: String, w: WeightBinder,
                                       norm: OffsetNorm) throws -> ValueID {
        let (d, hd) = (c.hiddenSize, c.headDim)
        let fused = try w(p + "q_proj.weight", [2 * c.heads * hd, d])
        let fusedBias = try w.optional(c.attentionBias, p + "q_proj.bias", [2 * c.heads * hd])
        func half(_ second: Int, _ label: String) -> ValueID {
            func rows(_ of: WeightRef) -> WeightTransform {
                .concatRows((0..<c.heads).map { .sliceRows(of.transform, start: (2 * $0 + second) * hd, count: hd) })
            }
            return b.linear(h, weight: WeightRef(shape: [c.heads * hd, d], transform: rows(fused)),
                            bias: fusedBias.map { WeightRef(shape: [c.heads * hd], transform: rows($0)) }, name: n + label)
        }
        func projection(_ module: String) throws -> ValueID {
            try b.linear(h, module: p + module, rows: c.kvHeads * hd, bias: c.attentionBias, weights: w, name: n + module)
        }
        func rope(_ x: ValueID, _ heads: Int, _ label: String) -> ValueID {
            b.rope(x, c.rope.rope.spec(heads: heads, headDim: hd, rotaryDim: c.rope.rotaryDim(headDim: hd), style: .neox), name: n + label)
        }
        let (query, key) = (half(0, "q_proj"), try projection("k_proj"))
        let q = rope(try norm(&b, query, p + "q_norm.weight", groupSize: hd, name: n + "q_norm"), c.heads, "q_rope")
        let k = rope(try norm(&b, key, p + "k_norm.weight", groupSize: hd, name: n + "k_norm"), c.kvHeads, "k_rope")
        let spec = AttentionSpec(cacheSlot: slot, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd, scale: 1 / Float(hd).squareRoot(),
                                 window: nil, causal: causal)
        let v = try projection("v_proj")
        let attn = b.attention(q: q, k: k, v: v, spec, name: n + "attention")
        let gateLogits = half(1, "q_gate")
        let gate = b.unary(gateLogits, .sigmoid, name: n + "gate_sigmoid")
        let gated = b.mul(attn, gate, name: n + "gated")
        return try b.linear(gated, module: p + "o_proj", rows: d, bias: c.attentionBias, weights: w,
                            name: n + "o_proj")
    }
}

/// Qwen3-Next's RMSNorm, x̂ · (1 + w), over groups of `groupSize` columns (default: the whole row).
private struct OffsetNorm {
    var eps: Float
    var weights: WeightBinder

    func callAsFunction(_ b: inout GraphBuilder, _ x: ValueID, _ tensor: String, groupSize: Int? = nil, name: String) throws -> ValueID {
        let width = groupSize ?? b.type(of: x).cols
        return b.rmsNorm(x, weight: try weights(tensor, [width]), eps: eps, groupSize: width, weightOffset: 1, name: name)
    }
}
