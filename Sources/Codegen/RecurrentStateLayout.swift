import IR

/// Where each causal conv's window and each scan's state live in the runtime's recurrent state buffer
/// (`llmc_model_state.state`, `state_bytes`: the fixed-size state of one sequence, zeroed by the runtime). Regions
/// are f32 and 64-byte aligned, in graph order: a conv slot holds its last kernel − 1 inputs
/// `[kernel − 1][channels]` (oldest first), a scan slot its state in blocks of channels (`SelectiveScanKernel`), a
/// linear-attention slot its state matrices `[valueHeads][keyDim][valueDim]`.
/// Attention-only graphs have none (0 bytes).
public struct RecurrentStateLayout: Sendable {
    /// Byte offset of each conv slot's window.
    public let conv: [Int: Int]
    /// Byte offset of each scan slot's state.
    public let scan: [Int: Int]
    /// Byte offset of each linear-attention slot's state.
    public let linearAttention: [Int: Int]
    /// `state_bytes`.
    public let bytes: Int

    /// The regions of `graph`'s conv and scan ops; every slot must belong to one op.
    public init(graph: Graph) throws {
        var conv: [Int: Int] = [:], scan: [Int: Int] = [:], linearAttention: [Int: Int] = [:]
        var offset = 0
        func place(_ slots: inout [Int: Int], _ slot: Int, bytes: Int, _ node: Node) throws {
            guard slots[slot] == nil else {
                throw CompileError.unsupportedOp(node.name, "recurrent state slot \(slot) is used by two \(node.op.mnemonic) ops")
            }
            slots[slot] = offset
            offset += (bytes + 63) & ~63
        }
        for node in graph.nodes {
            switch node.op {
            case .causalConv1d(_, let spec):
                try place(&conv, spec.stateSlot, bytes: (spec.kernel - 1) * spec.channels * 4, node)
            case .selectiveScan(_, _, _, _, let spec):
                try place(&scan, spec.stateSlot, bytes: SelectiveScanKernel.stateFloats(channels: spec.channels, stateSize: spec.stateSize) * 4,
                          node)
            case .linearAttention(_, _, _, _, _, let spec):
                try place(&linearAttention, spec.stateSlot, bytes: spec.stateFloats * 4, node)
            default: continue
            }
        }
        self.conv = conv
        self.scan = scan
        self.linearAttention = linearAttention
        bytes = offset
    }
}
