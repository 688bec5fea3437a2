import IR

/// The pieces the hybrid recipes (Jamba, LFM2, Qwen3-Next) share around their token mixers: the dense SwiGLU MLP and the
/// end of the decoder (final RMSNorm, LM head or pooling head) over a KV cache with one slot per attention layer.
struct HybridDecoder {
    let model: ModelDirectory
    let checkpoint: Checkpoint
    let head: DecoderHead
    let weights: WeightBinder

    init(_ model: ModelDirectory, checkpoint: Checkpoint) {
        self.model = model
        self.checkpoint = checkpoint
        head = DecoderHead(model)
        weights = WeightBinder(checkpoint: checkpoint)
    }

    /// down(silu(gate(h)) · up(h)) of the modules `p + gate|up|down` (no biases), nodes named under `n`.
    func swiGLU(_ b: inout GraphBuilder, _ h: ValueID, module p: String, names: (gate: String, up: String, down: String), ff: Int,
                name n: String) throws -> ValueID {
        let hidden = b.type(of: h).cols
        let gate = try b.linear(h, module: p + names.gate, rows: ff, weights: weights, name: n + names.gate)
        let up = try b.linear(h, module: p + names.up, rows: ff, weights: weights, name: n + names.up)
        let act = b.gatedActivation(gate: gate, up: up, .silu, name: n + "mlp_act")
        return try b.linear(act, module: p + names.down, rows: hidden, weights: weights, name: n + names.down)
    }

    /// The finished graph: `finalNorm` (the RMSNorm weight `normTensor`, x̂ · (w + `normOffset`)), then the LM head
    /// (the embedding table when `tied`, else `lm_head.weight`) or the pooling head. `kvSlots` attention layers cache
    /// `kvWidth` keys and values each.
    func finish(_ b: inout GraphBuilder, residual: ValueID, dimensions d: DecoderDimensions, kvSlots: Int, embedding: WeightRef,
                normTensor: String, normName: String, eps: Float, normOffset: Float = 0) throws -> Graph {
        let info = ModelInfo(architecture: model.architecture, vocabSize: d.vocabSize, hiddenSize: d.hiddenSize, layers: d.layers,
                             maxPosition: d.maxPosition, kvWidths: Array(repeating: d.kvHeads * d.headDim, count: kvSlots))
        let norm = try weights(normTensor, [d.hiddenSize])
        return try head.finish(&b, residual: residual, model: model, checkpoint: checkpoint, info: info,
                               finalNorm: { b, rows in b.rmsNorm(rows, weight: norm, eps: eps, weightOffset: normOffset, name: normName) },
                               lmHead: { b, normed in try b.lmHead(normed, embedding: embedding, tied: d.tiedEmbeddings, weights: weights) })
    }
}
