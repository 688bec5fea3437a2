import IR

/// Element format of the KV cache (`llmc compile --kv-dtype`).
public enum KVCacheFormat: String, Sendable, Hashable, CaseIterable {
    /// IEEE f32, exact.
    case f32
    /// bfloat16 rounded to nearest even, widened exactly to f32 when read.
    case bf16
    /// Symmetric int8 codes with one f32 scale per cached position and kv head: scale = max|x| / 127 over the
    /// head's headDim values, code = rint(x / scale), so |x - code · scale| <= scale / 2. Each position is written
    /// once, so its scale must come from that position alone (no per-channel scales over positions, no
    /// re-quantization of earlier positions); per head because the kernels apply it once per dot product (keys)
    /// and once per softmax weight (values) instead of once per element.
    case int8

    /// Bytes of one stored element.
    public var elementBytes: Int {
        switch self {
        case .f32: 4
        case .bf16: 2
        case .int8: 1
        }
    }

    /// Whether positions carry per-head scales.
    public var hasScales: Bool { self == .int8 }
}

/// Where each layer's K and V live in the runtime's KV buffer (`llmc_model_state.kv`, kv_bytes_per_position ×
/// max_ctx bytes). Offsets are coefficients of max_ctx (known only at run time): a region at coefficient c starts
/// c · max_ctx bytes into the buffer.
///
/// Buffer: first the scales of every slot (int8 only; slot s: K scales [kvHeads][maxCtx] f32, then V scales the
/// same, head-major so a block of consecutive positions of one head is one vector load), then the codes of every
/// slot (slot s: K [maxCtx][kvHeads · headDim] elements, then V [maxCtx][kvHeads · valueHeadDim]). Scales first keeps
/// them 4-byte aligned whatever the code widths.
public struct KVCacheLayout: Sendable {
    /// The K/V shape of one cache slot.
    public struct Slot: Sendable, Equatable {
        public var kvHeads: Int
        public var headDim: Int
        public var valueHeadDim: Int
        /// Elements of one position's keys.
        public var width: Int { kvHeads * headDim }
        /// Elements of one position's values.
        public var valueWidth: Int { kvHeads * valueHeadDim }

        public init(kvHeads: Int, headDim: Int, valueHeadDim: Int? = nil) {
            self.kvHeads = kvHeads
            self.headDim = headDim
            self.valueHeadDim = valueHeadDim ?? headDim
        }
    }

    public let format: KVCacheFormat
    public let slots: [Slot]

    /// The slots of `graph`, each shaped by the attention ops that use it (which must agree with
    /// `graph.info.kvWidths` and with each other).
    public init(graph: Graph, format: KVCacheFormat) throws {
        var shapes = [Slot?](repeating: nil, count: graph.info.kvWidths.count)
        for node in graph.nodes {
            guard case .attention(_, _, _, let spec) = node.op else { continue }
            let slot = Slot(kvHeads: spec.kvHeads, headDim: spec.headDim, valueHeadDim: spec.valueHeadDim)
            guard shapes.indices.contains(spec.cacheSlot), graph.info.kvWidths[spec.cacheSlot] == slot.width,
                  shapes[spec.cacheSlot].map({ $0 == slot }) ?? true else {
                throw CompileError.unsupportedOp(node.name, "KV cache slot \(spec.cacheSlot) does not match its "
                                                 + "\(spec.kvHeads) kv heads × \(spec.headDim) (values \(spec.valueHeadDim))")
            }
            shapes[spec.cacheSlot] = slot
        }
        if let unused = shapes.firstIndex(where: { $0 == nil }) {
            throw CompileError.unsupportedOp("kv cache", "slot \(unused) is not used by any attention op")
        }
        self.init(format: format, slots: shapes.compactMap { $0 })
    }

    public init(format: KVCacheFormat, slots: [Slot]) {
        self.format = format
        self.slots = slots
    }

    private var scaleBytesPerPosition: Int { format.hasScales ? slots.reduce(0) { $0 + 2 * 4 * $1.kvHeads } : 0 }

    /// Bytes of cache per position (`kv_bytes_per_position`).
    public var bytesPerPosition: Int {
        scaleBytesPerPosition + slots.reduce(0) { $0 + ($1.width + $1.valueWidth) * format.elementBytes }
    }

    /// Coefficients (of max_ctx) of slot `slot`'s K and V codes.
    public func codes(_ slot: Int) -> (k: Int, v: Int) {
        let k = scaleBytesPerPosition + slots[..<slot].reduce(0) { $0 + ($1.width + $1.valueWidth) * format.elementBytes }
        return (k, k + slots[slot].width * format.elementBytes)
    }

    /// Coefficients (of max_ctx) of slot `slot`'s K and V scales (int8 only).
    public func scales(_ slot: Int) -> (k: Int, v: Int) {
        precondition(format.hasScales, "\(format.rawValue) KV caches have no scales")
        let k = slots[..<slot].reduce(0) { $0 + 2 * 4 * $1.kvHeads }
        return (k, k + 4 * slots[slot].kvHeads)
    }
}
