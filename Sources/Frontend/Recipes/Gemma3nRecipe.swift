import IR

/// Gemma-3n text (`Gemma3nForCausalLM`), built by `GemmaRecipe`: Gemma 3's attention (per-head q/k norms, a
/// weightless v norm, softmax scale 1, local/global layers with their own rotary base) and sandwich norms with plain
/// `w` RMSNorm weights, inside AltUp streams (`AltUp`), with a LAuReL low-rank branch, per-layer embeddings gated into
/// the non-active streams, Gaussian top-k sparsity of the MLP gate on the first layers, and the last
/// `num_kv_shared_layers` layers attending over the cache of the last earlier layer of their type.
enum Gemma3nRecipe {
    static let architecture = "Gemma3nForCausalLM"

    static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(Gemma3nConfig.self)
        let w = WeightBinder(checkpoint: checkpoint)
        let (d, hd, n, p) = (c.hiddenSize, c.headDim, c.altupStreams, c.perLayerWidth)
        let (q, kv, layers) = (c.heads * hd, c.kvHeads * hd, c.layers)
        let slots = c.cacheSlots
        var b = GraphBuilder()
        func norm(_ x: ValueID, _ weight: String, _ name: String, width: Int? = nil) throws -> ValueID {
            let group = width ?? d
            return b.rmsNorm(x, weight: try w(weight, [group]), eps: c.rmsNormEps, groupSize: group, name: name)
        }

        // Embeddings × √d: folded into the table when untied; a tied table is also the LM head, so the product stays an op.
        let ids = b.tokenIDs()
        let embed = try w("model.embed_tokens.weight", [c.vocabSize, d])
        let normalizer = Float(Double(d).squareRoot())
        let x0 = c.tiedEmbeddings
            ? b.scale(b.embedding(ids, table: embed, name: "embed_tokens"), by: normalizer, name: "embed_scale")
            : b.embedding(ids, table: WeightRef(shape: embed.shape, transform: .scaled(embed.transform, normalizer)),
                          name: "embed_tokens")

        // Per-layer inputs [T, layers·p]: (norm(projection(x0) / √d) + table[id] · √p) / √2, one p-wide slice per layer.
        let table = try w("model.embed_tokens_per_layer.weight", [c.perLayerVocabSize, layers * p])
        let perLayerEmbed = b.embedding(ids, table: WeightRef(shape: table.shape,
                                                              transform: .scaled(table.transform, Float(Double(p).squareRoot()))),
                                        name: "embed_tokens_per_layer")
        let projected = b.scale(try b.linear(x0, module: "model.per_layer_model_projection", rows: layers * p, weights: w,
                                             name: "per_layer_model_projection"),
                                by: Float(1 / Double(d).squareRoot()), name: "per_layer_projection_scale")
        let projectedNorm = try norm(projected, "model.per_layer_projection_norm.weight", "per_layer_projection_norm", width: p)
        let perLayerInputs = b.scale(b.add(projectedNorm, perLayerEmbed, name: "per_layer_inputs_sum"),
                                     by: Float(1 / 2.0.squareRoot()), name: "per_layer_inputs")

        // AltUp streams: x0 and its projections, each rescaled to x0's magnitude.
        let target = b.rowStatistic(x0, .rms(floor: 0), name: "altup_target_magnitude")
        let projections = try (1..<n).map { i in
            b.magnitudeMatched(try b.linear(x0, module: "model.altup_projections.\(i - 1)", rows: d, weights: w,
                                            name: "altup_projections.\(i - 1)"),
                               target: target, name: "altup_stream.\(i)")
        }
        var x = b.concat([x0] + projections, name: "altup_streams")

        for l in 0..<layers {
            let pre = "model.layers.\(l)."
            let name = "layers.\(l)."
            func linear(_ input: ValueID, _ module: String, _ rows: Int, bias: Bool = false) throws -> ValueID {
                try b.linear(input, module: pre + module, rows: rows, bias: bias, weights: w, name: name + module)
            }
            let altup = AltUp(streams: n, active: c.altupActiveIndex, width: d, eps: c.rmsNormEps, prefix: pre + "altup.",
                              name: name + "altup.")
            let predictions = try altup.predict(x, &b, w)
            let active = altup.activeStream(predictions, &b, name: name + "active_prediction")
            let h = try norm(active, pre + "input_layernorm.weight", name + "input_layernorm")
            let laurel = try laurelBranch(h, &b, w, rank: c.laurelRank, width: d, eps: c.rmsNormEps, prefix: pre + "laurel.",
                                          name: name + "laurel")

            // Attention: q/k norms, v norm without weight, softmax scale 1.
            func rope(_ x: ValueID, _ heads: Int, _ tag: String) -> ValueID {
                b.rope(x, c.rope.spec(c.layerTypes[l], heads: heads, headDim: hd, rotaryDim: hd, style: .neox), name: name + tag)
            }
            let qs = rope(try norm(try linear(h, "self_attn.q_proj", q, bias: c.attentionBias), pre + "self_attn.q_norm.weight",
                                   name + "self_attn.q_norm", width: hd), c.heads, "self_attn.q_rope")
            let spec = AttentionSpec(cacheSlot: slots[l], qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd, scale: 1,
                                     window: c.layerWindows[l])
            let attended: ValueID
            if slots[l] == l {
                let ks = rope(try norm(try linear(h, "self_attn.k_proj", kv, bias: c.attentionBias), pre + "self_attn.k_norm.weight",
                                       name + "self_attn.k_norm", width: hd), c.kvHeads, "self_attn.k_rope")
                let vs = b.rmsNorm(try linear(h, "self_attn.v_proj", kv, bias: c.attentionBias), weight: nil, eps: c.rmsNormEps,
                                   groupSize: hd, name: name + "self_attn.v_norm")
                attended = b.attention(q: qs, k: ks, v: vs, spec, name: name + "self_attn")
            } else {
                attended = b.sharedAttention(q: qs, spec, name: name + "self_attn")
            }
            let attn = try norm(try linear(attended, "self_attn.o_proj", d, bias: c.attentionBias),
                                pre + "post_attention_layernorm.weight", name + "post_attention_layernorm")
            let gated = b.add(active, attn, name: name + "attn_gated")
            let attnLaurel = b.scale(b.add(gated, laurel, name: name + "attn_laurel_sum"), by: Float(1 / 2.0.squareRoot()),
                                     name: name + "attn_laurel")

            // MLP with the per-layer width, the gate optionally sparsified.
            let h2 = try norm(attnLaurel, pre + "pre_feedforward_layernorm.weight", name + "pre_feedforward_layernorm")
            let ff = c.intermediateSizes[l]
            let gate = try linear(h2, "mlp.gate_proj", ff)
            let up = try linear(h2, "mlp.up_proj", ff)
            let act: ValueID
            if c.activationSparsity[l] > 0 {
                let sparse = b.gaussianTopK(gate, sparsity: c.activationSparsity[l], name: name + "mlp.gate_sparse")
                act = b.mul(b.unary(sparse, c.activation, name: name + "mlp.gate_act"), up, name: name + "mlp.act")
            } else if let gated = c.gatedActivation {
                act = b.gatedActivation(gate: gate, up: up, gated, name: name + "mlp.act")
            } else {
                act = b.mul(b.unary(gate, c.activation, name: name + "mlp.gate_act"), up, name: name + "mlp.act")
            }
            let down = try norm(try linear(act, "mlp.down_proj", d), pre + "post_feedforward_layernorm.weight",
                                name + "post_feedforward_layernorm")
            let activated = b.add(attnLaurel, down, name: name + "activated")
            let corrected = try altup.correct(predictions, activated: activated, &b, w)

            // Per-layer input: gate(corrected active stream · correct_output_scale), times this layer's slice of the
            // per-layer inputs, projected back and normed, is added to every stream but the first.
            var gateWeight = try w(pre + "per_layer_input_gate.weight", [p, d])
            if c.altupCorrectScale {
                let scale = try w(pre + "altup.correct_output_scale", [d])
                gateWeight = WeightRef(shape: gateWeight.shape, transform: .columnsScaled(gateWeight.transform, by: scale.transform))
            }
            let first = altup.activeStream(corrected, &b, name: name + "corrected_active")
            let perLayerGate = b.unary(b.linear(first, weight: gateWeight, name: name + "per_layer_input_gate"), c.activation,
                                       name: name + "per_layer_input_act")
            let perLayerInput = b.slice(perLayerInputs, start: l * p, count: p, name: name + "per_layer_input")
            let gatedInput = b.mul(perLayerGate, perLayerInput, name: name + "per_layer_gated")
            let perLayer = try norm(try linear(gatedInput, "per_layer_projection", d), pre + "post_per_layer_input_norm.weight",
                                    name + "post_per_layer_input_norm")
            let streams = (0..<n).map { i in
                let stream = b.slice(corrected, start: i * d, count: d, name: name + "corrected.\(i)")
                return i == 0 ? stream : b.add(stream, perLayer, name: name + "stream.\(i)")
            }
            x = b.concat(streams, name: name + "streams")
        }

        // Un-embed the streams (last token only): stream 0 and the projections of the others, rescaled to stream 0's
        // magnitude, averaged.
        let last = b.lastRow(x, name: "last_streams")
        let first = b.slice(last, start: 0, count: d, name: "last_stream.0")
        let lastTarget = b.rowStatistic(first, .rms(floor: 0), name: "altup_unembed_target_magnitude")
        var sum = first
        for i in 1..<n {
            let stream = b.slice(last, start: i * d, count: d, name: "last_stream.\(i)")
            let projected = try b.linear(stream, module: "model.altup_unembed_projections.\(i - 1)", rows: d, weights: w,
                                         name: "altup_unembed_projections.\(i - 1)")
            sum = b.add(sum, b.magnitudeMatched(projected, target: lastTarget, name: "altup_unembed.\(i)"), name: "altup_sum.\(i)")
        }
        let mean = b.scale(sum, by: 1 / Float(n), name: "altup_mean")
        let normed = try norm(mean, "model.norm.weight", "norm")
        var logits = try b.lmHead(normed, embedding: embed, tied: c.tiedEmbeddings, weights: w)
        if let cap = c.finalSoftcap {
            logits = b.unary(logits, .softcap(cap), name: "final_logit_softcap")
        }
        let producers = layers - c.kvSharedLayers
        return b.finish(logits: logits, info: ModelInfo(architecture: model.architecture, vocabSize: c.vocabSize, hiddenSize: d,
                                                        layers: layers, maxPosition: c.maxPosition,
                                                        kvWidths: Array(repeating: kv, count: producers)))
    }

    /// LAuReL: x + norm(right(left(x))), a rank-`rank` residual branch.
    private static func laurelBranch(_ x: ValueID, _ b: inout GraphBuilder, _ w: WeightBinder, rank: Int, width: Int, eps: Float,
                                     prefix: String, name: String) throws -> ValueID {
        let left = try b.linear(x, module: prefix + "linear_left", rows: rank, weights: w, name: name + ".linear_left")
        let right = try b.linear(left, module: prefix + "linear_right", rows: width, weights: w, name: name + ".linear_right")
        let normed = b.rmsNorm(right, weight: try w(prefix + "post_laurel_norm.weight", [width]), eps: eps,
                               name: name + ".post_laurel_norm")
        return b.add(x, normed, name: name)
    }
}

extension GraphBuilder {
    /// Gaussian top-k: relu(x − (mean + Φ⁻¹(sparsity)·std)) per row, keeping about the top (1 − sparsity) of a row whose
    /// values are normally distributed.
    mutating func gaussianTopK(_ x: ValueID, sparsity: Double, name: String) -> ValueID {
        let z = Float(normalQuantile(sparsity))
        let mean = rowStatistic(x, .mean, name: name + ".mean")
        let std = rowStatistic(x, .std, name: name + ".std")
        let cutoff = add(mean, scale(std, by: z, name: name + ".std_scaled"), name: name + ".cutoff")
        return unary(add(x, scale(cutoff, by: -1, name: name + ".negated_cutoff"), name: name + ".shifted"), .relu, name: name)
    }
}
