import IR

/// Folds `scale(linear(x), s)` into the linear's weight and bias (config multipliers such as logit scales cost nothing
/// at run time). Applies when the linear has no other user and no fused residual.
public struct FoldScales: Pass {
    public let name = "fold-scales"
    public init() {}

    public func run(_ graph: Graph) -> Graph {
        let users = graph.users()
        // scale node index -> the linear it folds into
        var folds: [Int: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            if case .scale(let x, _) = node.op, users[x.index].count == 1, case .linear(_, _, _, nil) = graph[x].op {
                folds[index] = x.index
            }
        }
        let folded = Set(folds.values)
        var r = Rewriter()
        for (index, node) in graph.nodes.enumerated() where !folded.contains(index) {
            guard let linearIndex = folds[index], case .scale(_, let factor) = node.op,
                  case .linear(let input, let weight, let bias, _) = graph.nodes[linearIndex].op else {
                r.copy(node, old: index)
                continue
            }
            let op = Op.linear(r.value(input), weight: weight.scaled(by: factor), bias: bias?.scaled(by: factor), accumulate: nil)
            r.alias(old: index, to: r.emit(op, type: node.type, name: graph.nodes[linearIndex].name))
        }
        return r.finish(graph)
    }
}

extension WeightRef {
    /// The same weight with every element multiplied by `factor`.
    func scaled(by factor: Float) -> WeightRef {
        WeightRef(shape: shape, transform: .scaled(transform, factor))
    }
}
