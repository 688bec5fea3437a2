import IR

/// How one weight is stored in the blob: which kernel layout, and where.
public struct PlannedWeight: Sendable {
    public enum Layout: Sendable, Equatable {
        /// Packed for `MatmulKernel` (linear layers; also read by embeddings of tied tables).
        case matmul(WeightFormat)
        /// Row-major table for `EmbeddingKernel`.
        case embeddingRows(WeightFormat)
        /// Plain f32 vector (norm weights, biases).
        case vector
    }

    public let weight: WeightRef
    public let layout: Layout
    /// Byte offset in the blob's weight area (64-byte aligned).
    public let offset: Int
    public let bytes: Int
}

/// The layout and offset of every weight the graph reads. Matrices read by linears are packed for the matmul
/// kernel in the requested dtype; a table read by both an embedding and a linear (tied embeddings) is stored once.
public struct WeightPlan: Sendable {
    public let weights: [PlannedWeight]
    public let totalBytes: Int
    private let index: [WeightRef: Int]

    public init(graph: Graph, dtype: WeightFormat) {
        var linearWeights = Set<WeightRef>()
        for node in graph.nodes {
            if case .linear(_, let w, _, _) = node.op { linearWeights.insert(w) }
        }
        var planned: [PlannedWeight] = []
        var index: [WeightRef: Int] = [:]
        var offset = 0
        for weight in graph.weights {
            let layout: PlannedWeight.Layout
            let bytes: Int
            if linearWeights.contains(weight) {
                layout = .matmul(dtype)
                bytes = MatmulKernel.packedBytes(k: weight.shape[1], n: weight.shape[0], weight: dtype)
            } else if weight.shape.count == 2 {
                // Tables read row by row (token and position embeddings) stay bf16 under the quantized formats.
                layout = .embeddingRows(dtype.isQuantized ? .bf16 : dtype)
                bytes = EmbeddingKernel.packedBytes(vocab: weight.shape[0], dim: weight.shape[1], weight: dtype.isQuantized ? .bf16 : dtype)
            } else {
                layout = .vector
                bytes = weight.count * 4
            }
            index[weight] = planned.count
            planned.append(PlannedWeight(weight: weight, layout: layout, offset: offset, bytes: bytes))
            offset = (offset + bytes + 63) & ~63
        }
        weights = planned
        totalBytes = offset
        self.index = index
    }

    /// The plan entry of a weight of the graph.
    public subscript(_ weight: WeightRef) -> PlannedWeight {
        guard let i = index[weight] else { preconditionFailure("weight \(weight) is not planned") }
        return weights[i]
    }
}
