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

/// The storage format of each kind of weight: `--dtype` for the linear layers, and per-tensor choices for the
/// MLP down projections, the output projection (lm_head) and the token embedding table.
public struct WeightPrecision: Sendable, Equatable {
    /// Linear layers other than the ones below.
    public var linear: WeightFormat
    /// MLP down projections (linears that read an activation's output).
    public var mlpDown: WeightFormat
    /// The output projection (the linear that produces the logits).
    public var lmHead: WeightFormat
    /// The token embedding table; nil: the lm_head's format for a tied table (stored once), and for an untied
    /// one the linear format, as bf16 rows under the quantized formats (only one row per token is read).
    public var embedding: WeightFormat?

    /// `dtype` everywhere except where overridden, with two defaults measured on SmolLM2-135M (teacher-forced
    /// top-1 agreement with f32 over 3 × 128 tokens, `llmc accuracy`): under int8 the MLP down projections stay
    /// bf16 (the most sensitive matrices, as llama.cpp's mixes also find: 98.96% → 99.22%, +17% weight bytes), and
    /// under int4 the lm_head and the embedding table are int8 (88.3% → 95.8%, +14% bytes).
    public init(dtype: WeightFormat, mlpDown: WeightFormat? = nil, lmHead: WeightFormat? = nil, embedding: WeightFormat? = nil) {
        linear = dtype
        self.mlpDown = mlpDown ?? (dtype == .int8 ? .bf16 : dtype)
        let table: WeightFormat = dtype == .int4 ? .int8 : dtype
        self.lmHead = lmHead ?? table
        self.embedding = embedding
    }
}

/// The layout and offset of every weight the graph reads. Matrices read by linears are packed for the matmul
/// kernel in their planned format (`WeightPrecision`). A token embedding table is stored as rows (f32, bf16) or
/// as quantized matmul panels (int8, int4, read by `QuantEmbeddingKernel`); a table read by both an embedding and
/// a linear (tied embeddings) is stored once when both want the same format, and twice otherwise.
public struct WeightPlan: Sendable {
    public let weights: [PlannedWeight]
    public let totalBytes: Int
    private let index: [WeightRef: Int]
    /// Embedding tables stored apart from their linear use (tied tables with two formats).
    private let embeddingIndex: [WeightRef: Int]
    /// The format of the first token embedding table (nil without one).
    public let tokenEmbedding: WeightFormat?

    public init(graph: Graph, precision: WeightPrecision) {
        let head = Self.lmHeadWeight(graph)
        let routers = Self.routerWeights(graph)
        var linearFormats: [WeightRef: WeightFormat] = [:]
        var embeddingTables = Set<WeightRef>()
        for node in graph.nodes {
            switch node.op {
            case .linear(let x, let w, _, _):
                linearFormats[w] = w == head ? precision.lmHead : routers.contains(w) ? .f32
                    : Self.readsActivation(graph, x) ? precision.mlpDown : precision.linear
            case .moe(_, _, let spec):
                for expert in spec.experts {
                    linearFormats[expert.gateUp] = precision.linear
                    linearFormats[expert.down] = precision.mlpDown
                }
            case .embedding(_, let table): embeddingTables.insert(table)
            default: break
            }
        }
        var planned: [PlannedWeight] = []
        var index: [WeightRef: Int] = [:], embeddingIndex: [WeightRef: Int] = [:]
        var offset = 0
        func add(_ weight: WeightRef, _ layout: PlannedWeight.Layout) -> Int {
            let shape = weight.shape
            let bytes = switch layout {
            case .matmul(let format): MatmulKernel.packedBytes(k: shape[1], n: shape[0], weight: format)
            case .embeddingRows(let format): EmbeddingKernel.packedBytes(vocab: shape[0], dim: shape[1], weight: format)
            case .vector: weight.count * 4
            }
            planned.append(PlannedWeight(weight: weight, layout: layout, offset: offset, bytes: bytes))
            offset = (offset + bytes + 63) & ~63
            return planned.count - 1
        }
        for weight in graph.weights {
            if let format = linearFormats[weight] {
                index[weight] = add(weight, .matmul(format))
                // The embedding reads the linear's panels when the formats agree (f32 and bf16 panels too).
                if embeddingTables.contains(weight), let embedding = precision.embedding, format != embedding {
                    embeddingIndex[weight] = add(weight, Self.tableLayout(embedding))
                }
            } else if embeddingTables.contains(weight) {
                let untied: WeightFormat = precision.linear.isQuantized ? .bf16 : precision.linear
                index[weight] = add(weight, Self.tableLayout(precision.embedding ?? untied))
            } else if weight.shape.count == 2 {
                // Other tables read row by row (learned positions) stay bf16 under the quantized formats.
                index[weight] = add(weight, .embeddingRows(precision.linear.isQuantized ? .bf16 : precision.linear))
            } else {
                index[weight] = add(weight, .vector)
            }
        }
        weights = planned
        totalBytes = offset
        self.index = index
        self.embeddingIndex = embeddingIndex
        let firstTable = graph.nodes.lazy.compactMap { node -> WeightRef? in
            if case .embedding(_, let table) = node.op { return table } else { return nil }
        }.first
        tokenEmbedding = firstTable.map { table in
            switch (embeddingIndex[table] ?? index[table]).map({ planned[$0].layout }) {
            case .matmul(let format), .embeddingRows(let format): format
            case .vector, nil: .f32
            }
        }
    }

    /// `dtype` for every linear, with the per-tensor defaults of `WeightPrecision`.
    public init(graph: Graph, dtype: WeightFormat) {
        self.init(graph: graph, precision: WeightPrecision(dtype: dtype))
    }

    /// The plan entry of a weight of the graph (for a tied table: its linear use).
    public subscript(_ weight: WeightRef) -> PlannedWeight {
        guard let i = index[weight] else { preconditionFailure("weight \(weight) is not planned") }
        return weights[i]
    }

    /// The plan entry an embedding op reads for `table`.
    public func embeddingTable(_ table: WeightRef) -> PlannedWeight {
        embeddingIndex[table].map { weights[$0] } ?? self[table]
    }

    /// Quantized tables are stored as matmul panels (what `QuantEmbeddingKernel` reads), others as rows.
    private static func tableLayout(_ format: WeightFormat) -> PlannedWeight.Layout {
        format.isQuantized ? .matmul(format) : .embeddingRows(format)
    }

    /// Weights of the linears whose outputs (or column slices of them) route a mixture of experts. They stay f32 under
    /// every `--dtype` (as llama.cpp keeps ffn_gate_inp): they are small (experts × hidden), and a rounding error
    /// that flips a top-k choice swaps a whole expert's output.
    private static func routerWeights(_ graph: Graph) -> Set<WeightRef> {
        Set(graph.nodes.compactMap { node -> WeightRef? in
            guard case .moe(_, var value, _) = node.op else { return nil }
            while case .slice(let x, _, _) = graph[value].op { value = x }
            if case .linear(_, let w, _, _) = graph[value].op { return w }
            return nil
        })
    }

    /// Whether `value` is an activation's output (what an MLP down projection reads).
    private static func readsActivation(_ graph: Graph, _ value: ValueID) -> Bool {
        switch graph[value].op {
        case .gatedActivation, .unary: true
        default: false
        }
    }

    /// The weight of the linear that produces the logits, looking through elementwise ops on one input (soft
    /// capping, scaling); nil when the logits come from something else.
    static func lmHeadWeight(_ graph: Graph) -> WeightRef? {
        guard var value = graph.logits else { return nil }
        while true {
            switch graph[value].op {
            case .linear(_, let w, _, _): return w
            case .unary(let x, _), .scale(let x, _): value = x
            default: return nil
            }
        }
    }
}
