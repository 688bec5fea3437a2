import IR

/// Where a value lives during a forward call: in the activation arena (row-major with a row stride), or in one of
/// the forward function's parameters.
public struct Location: Equatable, Sendable {
    public enum Base: Equatable, Sendable {
        /// Byte offset in the arena.
        case arena(Int)
        /// The `tokens` parameter (i32 ids).
        case tokens
        /// The encode batch's token type ids (i32).
        case tokenTypes
        /// The `logits` parameter.
        case logits
    }

    public var base: Base
    /// Column offset (elements) inside each row of the base buffer.
    public var column: Int
    /// Row stride in elements.
    public var ld: Int
    /// True when the value is the last row of a `.tokens` buffer (offset by (n-1)*ld at run time).
    public var lastRowOfTokens: Bool
}

/// Assigns every value a location: arena buffers are shared by values whose lifetimes do not overlap; views alias
/// their base; in-place ops (fused residual matmuls, norms and ropes whose input dies there) reuse their input's buffer.
public struct MemoryPlan: Sendable {
    public let locations: [Location]
    /// Arena bytes needed for `maxBatch` tokens.
    public let arenaBytes: Int
    /// Byte offset in the arena of the rotary table for each distinct rope parameter set.
    public let ropeTables: [RopeTableKey: Int]
    /// Byte offset in the arena of the working space of each node that needs one (mixture-of-experts layers), by
    /// node index; it lives only while that node runs.
    public let scratch: [Int: Int]
    public let maxBatch: Int

    /// A distinct rotary table (rotaryDim × positions of the call).
    public struct RopeTableKey: Hashable, Sendable {
        public var rotaryDim: Int
        public var invFreq: [Float]
        public var attentionScaling: Float
        public var longContext: RopeSpec.LongContext?
    }

    public init(graph: Graph, maxBatch: Int) {
        self.maxBatch = maxBatch
        let users = graph.users()
        let count = graph.nodes.count
        // The node that owns each value's storage (views resolve to their base).
        var owner = Array(0..<count)
        for (index, node) in graph.nodes.enumerated() {
            switch node.op {
            case .slice(let x, _, _), .lastRow(let x): owner[index] = owner[x.index]
            case _ where index == graph.logits?.index: break  // written straight into the logits parameter
            case .linear(_, _, _, let acc?): owner[index] = owner[acc.index]
            case .rmsNorm(let x, _, _, _, _) where Self.inPlace(x, at: index, graph: graph, users: users):
                owner[index] = owner[x.index]
            case .rope(let x, _) where Self.inPlace(x, at: index, graph: graph, users: users),
                 .layerNorm(let x, _, _, _, _, _) where Self.inPlace(x, at: index, graph: graph, users: users),
                 .unary(let x, _) where Self.inPlace(x, at: index, graph: graph, users: users),
                 .positionEmbedding(let x, _, _) where Self.inPlace(x, at: index, graph: graph, users: users):
                owner[index] = owner[x.index]
            case .add(let a, let b), .mul(let a, let b), .div(let a, let b):
                if Self.inPlace(a, at: index, graph: graph, users: users) {
                    owner[index] = owner[a.index]
                } else if Self.inPlace(b, at: index, graph: graph, users: users) {
                    owner[index] = owner[b.index]
                }
            default: break
            }
        }
        // Lifetime of each storage owner: from its definition to the last use of any value stored in it.
        var lastUse = Array(0..<count)
        for index in 0..<count {
            let end = users[index].max() ?? index
            lastUse[owner[index]] = max(lastUse[owner[index]], end)
        }
        var allocator = IntervalAllocator()
        var offsets: [Int: Int] = [:]
        var tables: [RopeTableKey: Int] = [:]
        var scratch: [Int: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            if case .moe(_, _, let spec) = node.op {
                scratch[index] = allocator.allocate(bytes: MoEKernel.scratchBytes(spec, capacity: maxBatch), from: index, to: index)
            }
            if case .rope(_, let spec) = node.op {
                let key = RopeTableKey(rotaryDim: spec.rotaryDim, invFreq: spec.invFreq, attentionScaling: spec.attentionScaling,
                                       longContext: spec.longContext)
                if tables[key] == nil {
                    tables[key] = allocator.allocate(bytes: maxBatch * spec.rotaryDim * 4, from: 0, to: count)
                }
            }
            guard owner[index] == index, index != graph.logits?.index else { continue }
            switch node.op {
            case .tokenIDs, .tokenTypes: continue
            default:
                // An encode call has at most one sequence per token.
                let rows = node.type.rows == .last ? 1 : maxBatch
                offsets[index] = allocator.allocate(bytes: rows * node.type.cols * 4, from: index, to: lastUse[index])
            }
        }
        ropeTables = tables
        self.scratch = scratch
        arenaBytes = allocator.highWater
        locations = (0..<count).map { index in
            Self.location(of: index, graph: graph, owner: owner, offsets: offsets)
        }
    }

    private static func inPlace(_ x: ValueID, at index: Int, graph: Graph, users: [[Int]]) -> Bool {
        !graph[x].op.isView && users[x.index] == [index] && graph[x].type == graph.nodes[index].type
    }

    private static func location(of index: Int, graph: Graph, owner: [Int], offsets: [Int: Int]) -> Location {
        let node = graph.nodes[index]
        switch node.op {
        case .slice(let x, let start, _):
            var base = location(of: x.index, graph: graph, owner: owner, offsets: offsets)
            base.column += start
            return base
        case .lastRow(let x):
            var base = location(of: x.index, graph: graph, owner: owner, offsets: offsets)
            base.lastRowOfTokens = graph[x].type.rows == .tokens
            return base
        case .tokenIDs:
            return Location(base: .tokens, column: 0, ld: 1, lastRowOfTokens: false)
        case .tokenTypes:
            return Location(base: .tokenTypes, column: 0, ld: 1, lastRowOfTokens: false)
        default:
            if owner[index] != index {
                return location(of: owner[index], graph: graph, owner: owner, offsets: offsets)
            }
            if index == graph.logits?.index {
                return Location(base: .logits, column: 0, ld: node.type.cols, lastRowOfTokens: false)
            }
            return Location(base: .arena(offsets[index] ?? 0), column: 0, ld: node.type.cols, lastRowOfTokens: false)
        }
    }
}

/// First-fit placement of buffers with lifetimes [from, to] into one arena (64-byte aligned).
struct IntervalAllocator {
    private var placed: [(offset: Int, bytes: Int, from: Int, to: Int)] = []
    private(set) var highWater = 0

    mutating func allocate(bytes: Int, from: Int, to: Int) -> Int {
        let size = (bytes + 63) & ~63
        let conflicts = placed.filter { $0.from <= to && from <= $0.to }.sorted { $0.offset < $1.offset }
        var offset = 0
        for other in conflicts where offset + size > other.offset {
            offset = max(offset, other.offset + other.bytes)
        }
        placed.append((offset, size, from, to))
        highWater = max(highWater, offset + size)
        return offset
    }
}
