import IR

/// Family K1, state-space decoders (transformers' MambaForCausalLM, FalconMambaForCausalLM, Mamba2ForCausalLM): token
/// embeddings, then per layer x + mixer(RMSNorm(x)), a final RMSNorm and the LM head. No attention and no positions:
/// the recurrent state carries the context. Mamba-1 layers use `mambaMixer` (Falcon-Mamba adds weightless RMSNorms
/// on dt, B and C before the scan), Mamba-2 layers `mamba2Mixer`. Compiled with `--pooling`, a checkpoint embeds
/// through `encode` (`DecoderHead`): the scans restart at every packed sequence.
public enum MambaRecipe: Recipe {
    public static let family = "K1: state-space (Mamba)"
    public static let architectures = ["MambaForCausalLM", "FalconMambaForCausalLM", "Mamba2ForCausalLM"]

    /// The context a state-space model reports: it has no position limit, only the runtime's --max-context.
    static let unboundedContext = 1 << 20

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let w = WeightBinder(checkpoint: checkpoint)
        if model.architecture == "Mamba2ForCausalLM" {
            let c = try model.config(Mamba2Config.self)
            return try backbone(model, weights: w, vocabSize: c.vocabSize, hiddenSize: c.mixer.hiddenSize, layers: c.layers,
                                normEps: c.normEps, tied: c.tiedEmbeddings) { b, h, l, p, n in
                try b.mamba2Mixer(h, c.mixer, stateSlot: l, module: p, name: n, weights: w)
            }
        }
        let c = try model.config(MambaConfig.self)
        let expected = c.innerNormEps == nil ? "MambaForCausalLM" : "FalconMambaForCausalLM"
        guard model.architecture == expected else {
            throw FrontendError.badValue(file: model.path("config.json"), key: "model_type",
                                         reason: "'\(model.modelType ?? "")' does not match architecture \(model.architecture)")
        }
        let innerNorms = c.innerNormEps.map { MambaInnerNorms(eps: $0, weighted: false) }
        return try backbone(model, weights: w, vocabSize: c.vocabSize, hiddenSize: c.mixer.hiddenSize, layers: c.layers,
                            normEps: c.normEps, tied: c.tiedEmbeddings) { b, h, l, p, n in
            try b.mambaMixer(h, c.mixer, innerNorms: innerNorms, stateSlot: l, module: p, name: n, weights: w)
        }
    }

    /// The layers around the mixers: `mixer(builder, normed rows, layer, checkpoint module, node name prefix)`.
    private static func backbone(
        _ model: ModelDirectory, weights w: WeightBinder, vocabSize: Int, hiddenSize d: Int, layers: Int, normEps: Float, tied: Bool,
        mixer: (inout GraphBuilder, ValueID, Int, String, String) throws -> ValueID
    ) throws -> Graph {
        var b = GraphBuilder()
        let embed = try w("backbone.embeddings.weight", [vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embeddings")
        for l in 0..<layers {
            let (p, n) = ("backbone.layers.\(l).", "layers.\(l).")
            let h = b.rmsNorm(x, weight: try w(p + "norm.weight", [d]), eps: normEps, name: n + "norm")
            x = b.add(x, try mixer(&b, h, l, p + "mixer.", n + "mixer."), name: n + "residual")
        }
        let finalNorm = try w("backbone.norm_f.weight", [d])
        return try DecoderHead(model).finish(
            &b, residual: x, model: model, checkpoint: w.checkpoint,
            info: ModelInfo(architecture: model.architecture, vocabSize: vocabSize, hiddenSize: d, layers: layers,
                            maxPosition: unboundedContext, kvWidths: []),
            finalNorm: { b, rows in b.rmsNorm(rows, weight: finalNorm, eps: normEps, name: "norm_f") },
            lmHead: { b, normed in try b.lmHead(normed, embedding: embed, tied: tied, weights: w) })
    }
}
