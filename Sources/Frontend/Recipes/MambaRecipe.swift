import IR

/// Family K1, Mamba-1 state-space decoders (transformers' MambaForCausalLM, FalconMambaForCausalLM): token
/// embeddings, then per layer x + mixer(RMSNorm(x)) with the selective-scan mixer of `mambaMixer`, a final RMSNorm
/// and the (usually tied) LM head. No attention and no positions: the recurrent state carries the context.
/// Falcon-Mamba adds weightless RMSNorms on dt, B and C before the scan.
public enum MambaRecipe: Recipe {
    public static let family = "K1: state-space (Mamba)"
    public static let architectures = ["MambaForCausalLM", "FalconMambaForCausalLM"]

    /// The context a state-space model reports: it has no position limit, only the runtime's --max-context.
    static let unboundedContext = 1 << 20

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(MambaConfig.self)
        let expected = c.innerNormEps == nil ? "MambaForCausalLM" : "FalconMambaForCausalLM"
        guard model.architecture == expected else {
            throw FrontendError.badValue(file: model.path("config.json"), key: "model_type",
                                         reason: "'\(model.modelType ?? "")' does not match architecture \(model.architecture)")
        }
        let w = WeightBinder(checkpoint: checkpoint)
        let d = c.mixer.hiddenSize
        var b = GraphBuilder()
        let embed = try w("backbone.embeddings.weight", [c.vocabSize, d])
        var x = b.embedding(b.tokenIDs(), table: embed, name: "embeddings")
        let innerNorms = c.innerNormEps.map { MambaInnerNorms(eps: $0, weighted: false) }
        for l in 0..<c.layers {
            let (p, n) = ("backbone.layers.\(l).", "layers.\(l).")
            let h = b.rmsNorm(x, weight: try w(p + "norm.weight", [d]), eps: c.normEps, name: n + "norm")
            let mixed = try b.mambaMixer(h, c.mixer, innerNorms: innerNorms, stateSlot: l, module: p + "mixer.", name: n + "mixer.",
                                         weights: w)
            x = b.add(x, mixed, name: n + "residual")
        }
        let normed = b.rmsNorm(b.lastRow(x, name: "last"), weight: try w("backbone.norm_f.weight", [d]), eps: c.normEps, name: "norm_f")
        let logits = try b.lmHead(normed, embedding: embed, tied: c.tiedEmbeddings, weights: w)
        return b.finish(logits: logits, info: ModelInfo(architecture: model.architecture, vocabSize: c.vocabSize, hiddenSize: d,
                                                        layers: c.layers, maxPosition: unboundedContext, kvWidths: []))
    }
}
