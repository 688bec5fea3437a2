import IR

/// Drops nodes whose values never reach an output (logits or pooling outputs).
public struct EliminateDeadValues: Pass {
    public let name = "eliminate-dead-values"
    public init() {}

    public func run(_ graph: Graph) -> Graph {
        var live = Set(graph.outputs.map(\.index))
        for index in graph.nodes.indices.reversed() where live.contains(index) {
            live.formUnion(graph.nodes[index].op.inputs.map(\.index))
        }
        var r = Rewriter()
        for (index, node) in graph.nodes.enumerated() where live.contains(index) {
            r.copy(node, old: index)
        }
        return r.finish(graph)
    }
}
