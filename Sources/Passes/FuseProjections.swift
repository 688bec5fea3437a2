import IR

/// Fuses linears that read the same input into one linear over stacked weights (q|k|v, gate|up), followed by
/// column slices: one pass over the input and one kernel call instead of several.
public struct FuseProjections: Pass {
    public let name = "fuse-projections"
    public init() {}

    public func run(_ graph: Graph) -> Graph {
        // Group fusable linears by input, keeping groups whose members all have a bias or none has. Mixture-of-experts
        // routers stay apart: they are tiny and stored f32 (a fused matrix would keep its other rows f32 too).
        let routers = Set(graph.nodes.compactMap { node -> Int? in
            if case .moe(_, let router, _) = node.op { router.index } else { nil }
        })
        var groups: [ValueID: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() where !routers.contains(index) {
            if case .linear(let x, _, _, nil) = node.op { groups[x, default: []].append(index) }
        }
        var leader: [Int: [Int]] = [:]
        var member = Set<Int>()
        for (_, indices) in groups where indices.count > 1 {
            let biased = indices.map { graph.nodes[$0].op.linearBias != nil }
            guard biased.allSatisfy({ $0 }) || biased.allSatisfy({ !$0 }) else { continue }
            leader[indices[0]] = indices
            member.formUnion(indices)
        }

        var r = Rewriter()
        for (index, node) in graph.nodes.enumerated() {
            if let indices = leader[index] {
                fuse(indices, graph: graph, into: &r)
            } else if !member.contains(index) {
                r.copy(node, old: index)
            }
        }
        return r.finish(graph)
    }

    private func fuse(_ indices: [Int], graph: Graph, into r: inout Rewriter) {
        let parts = indices.map { graph.nodes[$0] }
        guard case .linear(let x, _, _, _) = parts[0].op else { return }
        let weights = parts.compactMap(\.op.linearWeight)
        let biases = parts.compactMap(\.op.linearBias)
        let rows = weights.reduce(0) { $0 + $1.shape[0] }
        let weight = WeightRef(shape: [rows, weights[0].shape[1]], transform: .concatRows(weights.map(\.transform)))
        let bias = biases.isEmpty ? nil : WeightRef(shape: [rows], transform: .concatRows(biases.map(\.transform)))
        let name = parts.map(\.name).joined(separator: "+")
        let fused = r.emit(.linear(r.value(x), weight: weight, bias: bias, accumulate: nil),
                           type: ValueType(rows: parts[0].type.rows, cols: rows), name: name)
        var start = 0
        for (index, part) in zip(indices, parts) {
            let slice = r.emit(.slice(fused, start: start, count: part.type.cols), type: part.type, name: part.name)
            r.alias(old: index, to: slice)
            start += part.type.cols
        }
    }
}

extension Op {
    var linearWeight: WeightRef? {
        if case .linear(_, let w, _, _) = self { return w }
        return nil
    }

    var linearBias: WeightRef? {
        if case .linear(_, _, let b, _) = self { return b }
        return nil
    }
}
