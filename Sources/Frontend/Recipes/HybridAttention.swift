import IR

/// The attention layer of a Mamba + attention hybrid (Jamba, Bamba, Granite-4.0-H, Falcon-H1): separate q/k/v/o
/// projections under `self_attn.`, GQA, rotary (possibly partial) or no positional encoding, and constant
/// multipliers (Falcon-H1's muP) folded into the projection weights.
struct HybridAttention {
    var heads: Int
    var kvHeads: Int
    var headDim: Int
    /// nil: no positional encoding (Jamba, Granite-4.0-H); the Mamba layers carry order.
    var rope: PartialRope?
    /// Softmax scale.
    var scale: Float
    /// Bias on q, k, v and o (`attention_bias`).
    var bias = false
    /// Factor on the layer's input (Falcon-H1 attention_in_multiplier), folded into q, k and v.
    var inputMultiplier: Float = 1
    /// Factor on the keys (Falcon-H1 key_multiplier), folded into k.
    var keyMultiplier: Float = 1
    /// Factor on the output (Falcon-H1 attention_out_multiplier), folded into o.
    var outputMultiplier: Float = 1
    /// Rows of o_proj (nil: the input's width; Zamba2's shared block reads 2 × hidden and writes hidden).
    var outputWidth: Int? = nil

    /// LoRA adapters added to q, k and v (Zamba2): `module(projection)` is the adapter of "q_proj", "k_proj" or "v_proj".
    struct Adapters {
        var rank: Int
        var module: (String) -> String
    }

    /// Width of the keys (and values) each position caches.
    var kvWidth: Int { kvHeads * headDim }

    /// o_proj(attention(q, k, v)) of the normed rows h; `module` is the checkpoint's attention module with its dot.
    func build(_ b: inout GraphBuilder, _ h: ValueID, cacheSlot: Int, causal: Bool, module p: String, name n: String,
               w: WeightBinder, adapters: Adapters? = nil) throws -> ValueID {
        func projection(_ input: ValueID, _ module: String, _ rows: Int, weightScale: Float, biasScale: Float) throws -> ValueID {
            let weight = try w(p + module + ".weight", [rows, b.type(of: input).cols])
            let bias = try w.optional(bias, p + module + ".bias", [rows])
            let out = b.linear(input, weight: weight.multiplied(by: weightScale), bias: bias?.multiplied(by: biasScale), name: n + module)
            guard let adapters, module != "o_proj" else { return out }
            let adapter = try b.loRA(input, module: adapters.module(module), rank: adapters.rank, rows: rows, weights: w, name: n + module + "_adapter")
            return b.add(out, adapter, name: n + module + "_adapted")
        }
        var q = try projection(h, "q_proj", heads * headDim, weightScale: inputMultiplier, biasScale: 1)
        var k = try projection(h, "k_proj", kvWidth, weightScale: inputMultiplier * keyMultiplier, biasScale: keyMultiplier)
        let v = try projection(h, "v_proj", kvWidth, weightScale: inputMultiplier, biasScale: 1)
        if let rope {
            let dim = rope.rotaryDim(headDim: headDim)
            q = b.rope(q, rope.rope.spec(heads: heads, headDim: headDim, rotaryDim: dim, style: .neox), name: n + "q_rope")
            k = b.rope(k, rope.rope.spec(heads: kvHeads, headDim: headDim, rotaryDim: dim, style: .neox), name: n + "k_rope")
        }
        let spec = AttentionSpec(cacheSlot: cacheSlot, qHeads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale, window: nil,
                                 causal: causal)
        let attn = b.attention(q: q, k: k, v: v, spec, name: n + "attention")
        return try projection(attn, "o_proj", outputWidth ?? b.type(of: h).cols, weightScale: outputMultiplier, biasScale: outputMultiplier)
    }
}

extension WeightRef {
    /// The weight times a constant folded in when it is written (itself when the factor is 1).
    func multiplied(by factor: Float) -> WeightRef {
        factor == 1 ? self : WeightRef(shape: shape, transform: .scaled(transform, factor))
    }
}
