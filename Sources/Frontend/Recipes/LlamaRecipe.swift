import IR

/// Family A, Llama-like decoders: pre-norm RMSNorm, rotary attention with GQA/MQA, SwiGLU (or non-gated) MLP.
/// One forward pass for every member; what each architecture changes (names, fused projections, biases, qk-norm,
/// rope layout, NoPE layers, multipliers) is its `LlamaSpec`, built by `LlamaVariants`. The pooling architectures
/// over these bodies (embedders, classifiers, reward models) end in their `DecoderHead`.
public enum LlamaRecipe: Recipe {
    public static let family = "A: Llama-like"
    public static let architectures = LlamaVariants.all.flatMap(\.architectures)
        + DecoderHead.poolingArchitectures(over: LlamaVariants.all.flatMap(\.architectures))

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let head = DecoderHead(model)
        guard let variant = LlamaVariants.all.first(where: { $0.architectures.contains(head.base) }) else {
            throw FrontendError.unknownArchitecture(model.architecture, supported: architectures)
        }
        var spec = try variant.spec(model, checkpoint)
        spec.names = spec.names.locatingBaseModel(in: checkpoint)
        return try forward(spec, head: head, model: model, checkpoint: checkpoint)
    }

    static func forward(_ s: LlamaSpec, head: DecoderHead, model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let c = s.config
        let n = s.names
        let w = WeightBinder(checkpoint: checkpoint)
        let (d, hd, ff) = (c.hiddenSize, c.headDim, c.intermediateSize)
        func rope(_ heads: Int) -> RopeSpec {
            c.rope.spec(heads: heads, headDim: hd, rotaryDim: c.rotaryDim, style: s.ropeStyle)
        }

        var b = GraphBuilder()
        let table = try w(n.embed + ".weight", [c.vocabSize, d])
        let embed = s.embeddingMultiplier == 1 ? table : WeightRef(shape: table.shape, transform: .scaled(table.transform, s.embeddingMultiplier))
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embed_tokens")
        for l in 0..<c.layers {
            let p = n.layerPrefix(l)
            let name = "layers.\(l)."
            func linear(_ input: ValueID, _ module: String, _ rows: Int, bias: Bool) throws -> ValueID {
                try b.linear(input, module: p + module, rows: rows, bias: bias, weights: w, name: name + module)
            }
            func norm(_ x: ValueID, _ module: String) throws -> ValueID {
                b.rmsNorm(x, weight: try w(p + module + ".weight", [d]), eps: c.rmsNormEps, name: name + module)
            }
            /// A sublayer's output as the residual adds it: normed (`outputNorms`), then scaled.
            func residual(_ value: ValueID, _ label: String, outputNorm: String?) throws -> ValueID {
                let normed = try outputNorm.map { try norm(value, $0) } ?? value
                return s.residualMultiplier == 1 ? normed : b.scale(normed, by: s.residualMultiplier, name: name + label + "_scaled")
            }

            /// Llama's attention: q, k and v projections, q/k norms, clamps and rotary, attention, o_proj.
            func llamaAttention(_ h: ValueID) throws -> ValueID {
                var (qs, ks, vs) = try attentionInputs(h, s, prefix: p, name: name, w: w, b: &b)
                func qkNorm() throws {
                    func norm(_ x: ValueID, _ module: String) throws -> ValueID {
                        let width = s.qkNorm == .fullWidth ? b.type(of: x).cols : hd
                        return b.rmsNorm(x, weight: try w(p + module + ".weight", [width]), eps: c.rmsNormEps, groupSize: width,
                                         name: name + module)
                    }
                    (qs, ks) = (try norm(qs, n.qNorm), try norm(ks, n.kNorm))
                }
                if s.qkNorm == .beforeRope || s.qkNorm == .fullWidth { try qkNorm() }
                if let clip = s.clipQKV {
                    (qs, ks, vs) = (b.unary(qs, .clamp(clip), name: name + "clip_q"), b.unary(ks, .clamp(clip), name: name + "clip_k"),
                                    b.unary(vs, .clamp(clip), name: name + "clip_v"))
                }
                if c.ropeLayers[l] {
                    qs = b.rope(qs, rope(c.heads), name: name + "q_rope")
                    ks = b.rope(ks, rope(c.kvHeads), name: name + "k_rope")
                }
                if s.qkNorm == .afterRope { try qkNorm() }
                let spec = AttentionSpec(cacheSlot: l, qHeads: c.heads, kvHeads: c.kvHeads, headDim: hd,
                                         scale: s.attentionScale ?? 1 / Float(hd).squareRoot(), window: c.layerWindows[l],
                                         causal: head.causal,
                                         sinks: try s.attentionSinks.map { try w(p + $0, [c.heads]) })
                var attn = b.attention(q: qs, k: ks, v: vs, spec, name: name + "attention")
                if let gate = s.attentionOutputGate {
                    let logits = try linear(h, gate, c.heads * hd, bias: false)
                    attn = b.mul(attn, b.unary(logits, .sigmoid, name: name + gate + "_sigmoid"), name: name + "attention_gated")
                }
                return try linear(attn, n.o, d, bias: c.outputBias)
            }

            // Attention block.
            let h = try norm(x, n.attentionNorm)
            let o = if let other = s.attention { try other.block(&b, h, l, p, name, w) } else { try llamaAttention(h) }
            x = b.add(x, try residual(o, "attn", outputNorm: s.outputNorms?.attention), name: name + "attn_residual")

            // MLP block.
            let h2 = try norm(x, n.mlpNorm)
            let mlp: ValueID
            if let block = try s.feedForward?(&b, h2, l, p, name, w) {
                mlp = block
            } else {
                let act: ValueID
                switch c.activation {
                case .gated(let f):
                    let (gate, up): (ValueID, ValueID)
                    if s.gateUpFused {
                        let both = try linear(h2, n.gateUp, 2 * ff, bias: c.mlpBias)
                        gate = b.slice(both, start: 0, count: ff, name: name + "gate")
                        up = b.slice(both, start: ff, count: ff, name: name + "up")
                    } else {
                        gate = try linear(h2, n.gate, ff, bias: c.mlpBias)
                        up = try linear(h2, n.up, ff, bias: c.mlpBias)
                    }
                    act = b.gatedActivation(gate: gate, up: up, f, name: name + "mlp_act")
                case .plain(let f):
                    act = b.unary(try linear(h2, n.up, ff, bias: c.mlpBias), f, name: name + "mlp_act")
                case .xielu:
                    let x = try XIELUParameters(checkpoint: checkpoint, module: p + n.activation)
                    act = b.unary(try linear(h2, n.up, ff, bias: c.mlpBias),
                                  .xielu(alphaP: x.alphaP, alphaN: x.alphaN, beta: x.beta, eps: x.eps), name: name + "mlp_act")
                }
                mlp = try linear(act, n.down, d, bias: c.mlpBias)
            }
            x = b.add(x, try residual(mlp, "mlp", outputNorm: s.outputNorms?.mlp), name: name + "mlp_residual")
        }

        // Final norm and head. A tied head reads the (possibly scaled) embedding table; the scalars the logits need
        // then fold into the final norm's weight when the norm feeds only the head, so the table is stored once.
        let tied = c.tiedEmbeddings && !checkpoint.contains(n.lmHead + ".weight")
        let logitScale = s.logitMultiplier / (tied ? s.embeddingMultiplier : 1)
        let folded = head.kind == .generate ? logitScale : 1
        let normWeight = try w(n.finalNorm + ".weight", [d])
        let finalNorm = folded == 1 ? normWeight : WeightRef(shape: [d], transform: .scaled(normWeight.transform, folded))
        var info = c.dimensions.modelInfo(architecture: model.architecture)
        if let kvWidth = s.attention?.kvWidth { info.kvWidths = Array(repeating: kvWidth, count: c.layers) }
        return try head.finish(&b, residual: x, model: model, checkpoint: checkpoint, info: info,
                               finalNorm: { b, rows in b.rmsNorm(rows, weight: finalNorm, eps: c.rmsNormEps, name: "norm") },
                               lmHead: { b, normed in
                                   let logits = try b.lmHead(normed, embedding: embed, tied: tied, module: n.lmHead,
                                                             normalizedRows: s.normalizedHead, weights: w)
                                   return folded == logitScale ? logits : b.scale(logits, by: logitScale / folded, name: "logit_scale")
                               })
    }

    /// q, k and v of one layer from the normalised input, however the checkpoint stores their projections.
    private static func attentionInputs(_ h: ValueID, _ s: LlamaSpec, prefix p: String, name: String, w: WeightBinder,
                                        b: inout GraphBuilder) throws -> (ValueID, ValueID, ValueID) {
        let c = s.config
        let n = s.names
        let (d, q, kv) = (c.hiddenSize, c.heads * c.headDim, c.kvHeads * c.headDim)
        func projection(_ module: String, _ rows: Int) throws -> ValueID {
            try b.linear(h, module: p + module, rows: rows, bias: c.attentionBias, weights: w, name: name + module)
        }
        switch s.qkv {
        case .separate:
            return (try projection(n.q, q), try projection(n.k, kv), try projection(n.v, kv))
        case .fused:
            let all = try projection(n.qkv, q + 2 * kv)
            return (b.slice(all, start: 0, count: q, name: name + "q"), b.slice(all, start: q, count: kv, name: name + "k"),
                    b.slice(all, start: q + kv, count: kv, name: name + "v"))
        case .groupedPerKVHead:
            let module = p + n.qkv
            let fused = try w(module + ".weight", [q + 2 * kv, d])
            let bias = try w.optional(c.attentionBias, module + ".bias", [q + 2 * kv])
            let group = c.heads / c.kvHeads
            // Rows of key/value head g: [g·(group+2)·hd, +group·hd) queries, then one head of keys, one of values.
            func rows(_ of: WeightRef, _ start: Int, _ count: Int) -> WeightTransform {
                .concatRows((0..<c.kvHeads).map { g in
                    .sliceRows(of.transform, start: (g * (group + 2) + start) * c.headDim, count: count * c.headDim)
                })
            }
            func projection(_ start: Int, _ heads: Int, _ label: String) -> ValueID {
                let width = heads * c.kvHeads * c.headDim
                return b.linear(h, weight: WeightRef(shape: [width, d], transform: rows(fused, start, heads)),
                                bias: bias.map { WeightRef(shape: [width], transform: rows($0, start, heads)) }, name: name + label)
            }
            return (projection(0, group, "q"), projection(group, 1, "k"), projection(group + 1, 1, "v"))
        }
    }
}
