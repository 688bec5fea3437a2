import IR

/// A graph-to-graph rewrite.
public protocol Pass: Sendable {
    var name: String { get }
    func run(_ graph: Graph) -> Graph
}

/// An ordered list of passes.
public struct Pipeline: Sendable {
    public var passes: [Pass]

    public init(_ passes: [Pass]) { self.passes = passes }

    /// The passes every compile runs, in order.
    public static let standard = Pipeline([FoldScales(), FuseProjections(), FuseResidualAdd(), EliminateDeadValues()])

    public func run(_ graph: Graph) -> Graph {
        passes.reduce(graph) { $1.run($0) }
    }
}

/// Rebuilds a graph node by node; a pass decides, per old node, which new nodes to emit and what the old value maps to.
struct Rewriter {
    private(set) var nodes: [Node] = []
    private var map: [Int: ValueID] = [:]

    /// The new value standing for an old one.
    func value(_ old: ValueID) -> ValueID {
        guard let new = map[old.index] else { preconditionFailure("value \(old) used before it was rewritten") }
        return new
    }

    /// Emits a node whose op already refers to new values.
    mutating func emit(_ op: Op, type: ValueType, name: String) -> ValueID {
        nodes.append(Node(op: op, type: type, name: name))
        return ValueID(nodes.count - 1)
    }

    /// Copies an old node, remapping its inputs, and maps the old value to the copy.
    mutating func copy(_ node: Node, old: Int) {
        map[old] = emit(node.op.remapped(value), type: node.type, name: node.name)
    }

    /// Makes an old value stand for an already emitted new one.
    mutating func alias(old: Int, to new: ValueID) { map[old] = new }

    func finish(_ graph: Graph) -> Graph {
        Graph(nodes: nodes, logits: graph.logits.map(value), pooling: graph.pooling?.remapped(value), info: graph.info)
    }
}
