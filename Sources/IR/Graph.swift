/// Identifies one value (the result of one node) in a `Graph`.
public struct ValueID: Hashable, Sendable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "%\(index)" }
}

/// How many rows an activation has: one per token of the call, only the last token's, or one per sequence of an
/// `encode` call (pooled values).
public enum Rows: Hashable, Sendable {
    case tokens
    case last
    case sequences
}

/// Type of an activation: `rows × cols`, f32 (token ids are i32). Every column count is static.
public struct ValueType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var rows: Rows
    public var cols: Int

    public init(dtype: DType = .f32, rows: Rows, cols: Int) {
        self.dtype = dtype
        self.rows = rows
        self.cols = cols
    }

    public var description: String {
        let rows = switch rows {
        case .tokens: "T"
        case .last: "1"
        case .sequences: "S"
        }
        return "\(dtype)[\(rows), \(cols)]"
    }
}

/// One node: an op, its result type, and a stable name (HF-style, e.g. `layers.3.self_attn.q`) for dumps.
public struct Node: Sendable {
    public var op: Op
    public var type: ValueType
    public var name: String

    public init(op: Op, type: ValueType, name: String) {
        self.op = op
        self.type = type
        self.name = name
    }
}

/// A model's forward pass as a typed SSA graph: nodes in execution order, each using only earlier values.
/// A generative graph has `logits` (the `forward` entry point); a pooling graph has `pooling` outputs (the `encode`
/// entry point, many sequences per call); a graph may have both.
public struct Graph: Sendable {
    public var nodes: [Node]
    /// The value holding the last token's logits (`[1, vocab]`); nil for pooling-only models.
    public var logits: ValueID?
    /// What `encode` writes; nil for generative-only models.
    public var pooling: PoolingOutputs?
    /// Static facts the runtime needs (vocabulary, context, KV cache layout).
    public var info: ModelInfo

    public init(nodes: [Node], logits: ValueID?, pooling: PoolingOutputs? = nil, info: ModelInfo) {
        self.nodes = nodes
        self.logits = logits
        self.pooling = pooling
        self.info = info
    }

    /// Every value an entry point hands out (logits and pooling outputs).
    public var outputs: [ValueID] { (logits.map { [$0] } ?? []) + (pooling?.values ?? []) }

    public subscript(_ id: ValueID) -> Node { nodes[id.index] }

    /// Every distinct weight the graph reads, in first-use order.
    public var weights: [WeightRef] {
        var seen = Set<WeightRef>()
        return nodes.flatMap(\.op.weights).filter { seen.insert($0).inserted }
    }

    /// For each value, the indices of the nodes that read it.
    public func users() -> [[Int]] {
        var users = Array(repeating: [Int](), count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for input in node.op.inputs { users[input.index].append(index) }
        }
        for output in outputs where !users[output.index].contains(nodes.count) { users[output.index].append(nodes.count) }
        return users
    }
}

/// Facts about the compiled model that are not ops: what the runtime and `info` report.
public struct ModelInfo: Sendable, Codable, Equatable {
    public var architecture: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var maxPosition: Int
    /// K widths (kv_heads × head_dim) of each attention layer, in cache order (V widths follow from each layer's
    /// `AttentionSpec.valueHeadDim`).
    public var kvWidths: [Int]
    /// Task, pooling and labels of a pooling model; nil for generative-only models.
    public var pooling: PoolingInfo?

    public init(architecture: String, vocabSize: Int, hiddenSize: Int, layers: Int, maxPosition: Int, kvWidths: [Int],
                pooling: PoolingInfo? = nil) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.maxPosition = maxPosition
        self.kvWidths = kvWidths
        self.pooling = pooling
    }
}
