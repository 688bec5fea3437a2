import IR

extension GraphBuilder {
    /// Logits of the normed last row through the LM head (node `lm_head`): the token embedding table when `tied`, else
    /// the checkpoint's `<module>.weight` of the table's shape; with `normalizedRows` each head row is first divided by
    /// its L2 norm (Baichuan2's NormHead).
    mutating func lmHead(_ normed: ValueID, embedding: WeightRef, tied: Bool, module: String = "lm_head",
                         normalizedRows: Bool = false, weights w: WeightBinder) throws -> ValueID {
        let head = tied ? embedding : try w(module + ".weight", embedding.shape)
        let weight = normalizedRows ? WeightRef(shape: head.shape, transform: .rowNormalized(head.transform)) : head
        return linear(normed, weight: weight, name: "lm_head")
    }

    /// The finished graph of a decoder whose every layer caches `kvHeads × headDim` keys and values.
    func finish(logits: ValueID, architecture: String, dimensions d: DecoderDimensions) -> Graph {
        finish(logits: logits, info: d.modelInfo(architecture: architecture))
    }
}

extension DecoderDimensions {
    /// The facts of a decoder whose every layer caches `kvHeads × headDim` keys and values.
    func modelInfo(architecture: String) -> ModelInfo {
        ModelInfo(architecture: architecture, vocabSize: vocabSize, hiddenSize: hiddenSize, layers: layers, maxPosition: maxPosition,
                  kvWidths: Array(repeating: kvHeads * headDim, count: layers))
    }
}
