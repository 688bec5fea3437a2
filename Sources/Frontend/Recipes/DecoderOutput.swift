import IR

extension GraphBuilder {
    /// Logits of the normed last row through the LM head (node `lm_head`): the token embedding table when `tied`, else
    /// the checkpoint's `<module>.weight` of the table's shape.
    mutating func lmHead(_ normed: ValueID, embedding: WeightRef, tied: Bool, module: String = "lm_head",
                         weights w: WeightBinder) throws -> ValueID {
        linear(normed, weight: tied ? embedding : try w(module + ".weight", embedding.shape), name: "lm_head")
    }

    /// The finished graph of a decoder whose every layer caches `kvHeads × headDim` keys and values.
    func finish(logits: ValueID, architecture: String, dimensions d: DecoderDimensions) -> Graph {
        finish(logits: logits, info: ModelInfo(architecture: architecture, vocabSize: d.vocabSize, hiddenSize: d.hiddenSize,
                                               layers: d.layers, maxPosition: d.maxPosition,
                                               kvWidths: Array(repeating: d.kvHeads * d.headDim, count: d.layers)))
    }
}
