import IR

/// Turns `add(r, linear(x))` into `linear(x, accumulate: r)`: the matmul adds straight into the residual stream.
/// Applies when the linear's result has no other user and `r` is not read after the add.
public struct FuseResidualAdd: Pass {
    public let name = "fuse-residual-add"
    public init() {}

    public func run(_ graph: Graph) -> Graph {
        let users = graph.users()
        // add index -> (linear index, residual)
        var fusions: [Int: (linear: Int, residual: ValueID)] = [:]
        for (index, node) in graph.nodes.enumerated() {
            guard case .add(let a, let b) = node.op else { continue }
            for (product, residual) in [(b, a), (a, b)] {
                guard case .linear(_, _, _, nil) = graph[product].op, users[product.index] == [index],
                      users[residual.index].allSatisfy({ $0 <= index }), !graph[residual].op.isView,
                      graph[residual].type == node.type else { continue }
                fusions[index] = (product.index, residual)
                break
            }
        }
        let fusedLinears = Set(fusions.values.map(\.linear))
        var r = Rewriter()
        for (index, node) in graph.nodes.enumerated() where !fusedLinears.contains(index) {
            guard let fusion = fusions[index], case .linear(let x, let w, let bias, _) = graph.nodes[fusion.linear].op else {
                r.copy(node, old: index)
                continue
            }
            let op = Op.linear(r.value(x), weight: w, bias: bias, accumulate: r.value(fusion.residual))
            r.alias(old: index, to: r.emit(op, type: node.type, name: graph.nodes[fusion.linear].name))
        }
        return r.finish(graph)
    }
}
