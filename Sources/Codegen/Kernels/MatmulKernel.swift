import CLLVM

/// y[r][j] (+)= sum_k x[r][k] * W[j][k] (+ bias[j]) for r < rows, j < n, with W packed by `MatmulPacking`.
/// Slots: [0] x ptr, [1] ldx, [2] packed W ptr, [3] bias ptr (f32[n]; 0 if no bias), [4] y ptr, [5] ldy, [6] rows.
/// With `accumulate`, the product is added to y (fusing a residual add).
///
/// Two paths chosen by `rows` at run time: decode (rows <= `decodeMaxRows`) streams each weight panel once with
/// several independent accumulators, tasks split over panels; prefill runs register-tiled micro-kernels over
/// (row block × panel group) tiles with k blocked so a panel group stays in L2, tasks split over panel groups and
/// row blocks. Every output element is computed by exactly one task in a fixed order (deterministic). The int8 and
/// int4 formats take the paths of `QuantMatmul` (same slots and semantics). bf16 weights on a target with AVX-512
/// BF16 take `BF16PrefillMatmul` for prefill (activations rounded to bf16, `vdpbf16ps`); their decode path widens
/// the weights and keeps f32 activations.
public struct MatmulKernel: Kernel {
    public let k: Int
    public let n: Int
    public let weight: WeightFormat
    public let bias: Bool
    public let accumulate: Bool

    public init(k: Int, n: Int, weight: WeightFormat, bias: Bool, accumulate: Bool) {
        precondition(k > 0 && n > 0, "matmul needs k > 0 and n > 0")
        self.k = k
        self.n = n
        self.weight = weight
        self.bias = bias
        self.accumulate = accumulate
    }

    /// Bytes of the packed weight.
    public static func packedBytes(k: Int, n: Int, weight: WeightFormat) -> Int {
        MatmulPacking.bytes(k: k, n: n, weight: weight)
    }

    /// Packs (and for int8/int4 quantizes, see `QuantPacking`) a row-major [n][k] f32 matrix into the layout the
    /// kernel reads.
    public static func pack(
        _ src: UnsafeBufferPointer<Float>, k: Int, n: Int, weight: WeightFormat, into dst: UnsafeMutableRawPointer
    ) {
        MatmulPacking.pack(src, k: k, n: n, weight: weight, into: dst)
    }

    public var symbol: String {
        "llmc_matmul_k\(k)_n\(n)_\(weight.rawValue)\(bias ? "_bias" : "")\(accumulate ? "_acc" : "")"
    }

    /// Calls with at most this many rows take the GEMV (decode) path (f32 activations for every format but the
    /// quantized ones).
    public static let decodeMaxRows = 4
    /// Upper bound on tasks of one call.
    static let maxTasks = 16
    /// Largest k block of the prefill path (a panel group's k block should stay in L2).
    static let kBlock = 1024

    private var panels: Int { MatmulPacking.panels(n: n) }
    private var decodeTasks: Int { min(panels, 8) }

    /// Prefill tile shape for a target: rows per micro-kernel and panels per group.
    private func tile(_ target: TargetSpec) -> (rows: Int, panels: Int) {
        target.vectorWidth >= 16 ? (8, 3) : (6, 1)
    }

    private func groups(_ target: TargetSpec) -> Int { (panels + tile(target).panels - 1) / tile(target).panels }
    private func columnChunks(_ target: TargetSpec) -> Int { min(groups(target), Self.maxTasks) }
    private func maxRowChunks(_ target: TargetSpec) -> Int { max(1, Self.maxTasks / columnChunks(target)) }
    private var kBlocks: Int { (k + Self.kBlock - 1) / Self.kBlock }

    /// The k range of k block `kb`; bf16 blocks start at even k (their panels hold k pairs).
    private func kBlock(_ m: ModuleBuilder, _ kb: LLVMValueRef) -> (begin: LLVMValueRef, end: LLVMValueRef) {
        let unit = weight == .bf16 ? 2 : 1
        let units = splitRange(m, total: m.constI64((k + unit - 1) / unit), parts: m.constI64(kBlocks), part: kb)
        let scale = { (value: LLVMValueRef) in m.mul(value, m.constI64(unit)) }
        return (scale(units.begin), m.smin(scale(units.end), m.constI64(k)))
    }

    /// Whether prefill rounds activations to bf16 and runs `BF16PrefillMatmul`.
    private func usesBF16Prefill(_ target: TargetSpec) -> Bool { weight == .bf16 && target.hasAVX512BF16 }

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        if weight.isQuantized { return QuantMatmul(kernel: self).taskCount(rows: rows, in: m, target: target) }
        let decode = m.icmp(LLVMIntSLE, rows, m.constI64(Self.decodeMaxRows))
        let prefill: LLVMValueRef
        if usesBF16Prefill(target) {
            prefill = BF16PrefillMatmul(kernel: self).taskCount(rows: rows, in: m)
        } else {
            let rowBlocks = m.ceilDiv(rows, m.constI64(tile(target).rows))
            prefill = m.mul(m.constI64(columnChunks(target)), m.smin(rowBlocks, m.constI64(maxRowChunks(target))))
        }
        return m.select(decode, m.constI64(decodeTasks), prefill)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        if weight.isQuantized { return QuantMatmul(kernel: self).emit(in: m, target: target) }
        let bf16Prefill = usesBF16Prefill(target) ? BF16PrefillMatmul(kernel: self) : nil
        return defineKernel(in: m, target: target) { args, task in
            let operands = Operands(m, args: args, bias: bias)
            let rows = m.loadSlot(args, 6)
            let buffer = bf16Prefill.map { m.alloca(m.i8Type, count: $0.bufferBytes) }
            m.ifThenElse(m.icmp(LLVMIntSLE, rows, m.constI64(Self.decodeMaxRows)),
                         then: { emitDecode(m, target, operands, rows: rows, task: task) },
                         otherwise: {
                             if let bf16Prefill, let buffer {
                                 bf16Prefill.emit(m, target, operands, buffer: buffer, rows: rows, task: task)
                             } else {
                                 emitPrefill(m, target, operands, rows: rows, task: task)
                             }
                         })
        }
    }

    /// The slots of a call: x, ldx, packed W, bias (when the kernel has one), y, ldy.
    struct Operands {
        let x: LLVMValueRef, ldx: LLVMValueRef, w: LLVMValueRef, bias: LLVMValueRef?, y: LLVMValueRef, ldy: LLVMValueRef

        init(_ m: ModuleBuilder, args: LLVMValueRef, bias: Bool) {
            (x, ldx, w) = (m.loadSlotPointer(args, 0), m.loadSlot(args, 1), m.loadSlotPointer(args, 2))
            self.bias = bias ? m.loadSlotPointer(args, 3) : nil
            (y, ldy) = (m.loadSlotPointer(args, 4), m.loadSlot(args, 5))
        }

        /// The output-side arguments of a tile of `kernel` at (row0, panel0): y, ldy, bias, validCols, loadY,
        /// addBias (`TileOutput`). loadY and addBias default to those of a tile over the whole of k.
        func outputArguments(
            _ m: ModuleBuilder, _ kernel: MatmulKernel, row0: LLVMValueRef, panel0: LLVMValueRef,
            loadY: LLVMValueRef? = nil, addBias: LLVMValueRef? = nil
        ) -> [LLVMValueRef] {
            let column0 = m.mul(panel0, m.constI64(MatmulPacking.panelWidth))
            let y = m.gepF32(self.y, m.add(m.mul(row0, ldy), column0))
            // Without bias the tile gets y as a (never read) bias pointer.
            let biasPointer = bias.map { m.gepF32($0, column0) } ?? y
            return [y, ldy, biasPointer, m.sub(m.constI64(kernel.n), column0), loadY ?? m.constI1(kernel.accumulate),
                    addBias ?? m.constI1(kernel.bias)]
        }
    }

    /// Calls a micro-kernel on the tile at (row0, panel0, k0 ..< k0 + kLen).
    private func callTile(
        _ m: ModuleBuilder, _ target: TargetSpec, _ kernel: MatmulMicroKernel, _ o: Operands,
        row0: LLVMValueRef, panel0: LLVMValueRef, k0: LLVMValueRef, kLen: LLVMValueRef, firstK: LLVMValueRef
    ) {
        let fn = kernel.emit(prefix: symbol, in: m, target: target)
        let weightOffset = m.add(m.mul(panel0, m.constI64(panelStride)),
                                 m.mul(k0, m.constI64(MatmulPacking.panelWidth)))
        let loadY = accumulate ? m.constI1(true) : m.icmp(LLVMIntEQ, firstK, m.constI1(false))
        m.call(fn, [
            m.gepF32(o.x, m.add(m.mul(row0, o.ldx), k0)), o.ldx,
            m.gep(m.i8Type, o.w, m.mul(weightOffset, m.constI64(weight.bytes))), kLen,
        ] + o.outputArguments(m, self, row0: row0, panel0: panel0, loadY: loadY,
                              addBias: o.bias == nil ? m.constI1(false) : firstK))
    }

    /// Elements between consecutive panels of the packed weight.
    private var panelStride: Int { MatmulPacking.storedK(k, weight: weight) * MatmulPacking.panelWidth }

    private func micro(rows: Int, panels: Int, unroll: Int) -> MatmulMicroKernel {
        MatmulMicroKernel(rows: rows, panels: panels, unroll: unroll, panelStride: panelStride, weight: weight)
    }

    /// GEMV path: each task streams a contiguous range of panels once for all (<= 4) rows.
    private func emitDecode(
        _ m: ModuleBuilder, _ target: TargetSpec, _ o: Operands, rows: LLVMValueRef, task: LLVMValueRef
    ) {
        let range = splitRange(m, total: m.constI64(panels), parts: m.constI64(decodeTasks), part: task)
        let perPanel = MatmulPacking.panelWidth / target.vectorWidth
        m.switchOver(rows, cases: Array(1...Self.decodeMaxRows)) { rowCount in
            let kernel = micro(rows: rowCount, panels: 1, unroll: max(1, 8 / (rowCount * perPanel)))
            m.forLoop(from: range.begin, to: range.end) { panel in
                callTile(m, target, kernel, o, row0: m.constI64(0), panel0: panel, k0: m.constI64(0),
                         kLen: m.constI64(k), firstK: m.constI1(true))
            }
        }
    }

    /// GEMM path: tiles of (tile.rows rows × tile.panels panels); the task owns a range of panel groups and a
    /// range of row blocks and walks groups, then k blocks, then row blocks.
    private func emitPrefill(
        _ m: ModuleBuilder, _ target: TargetSpec, _ o: Operands, rows: LLVMValueRef, task: LLVMValueRef
    ) {
        let shape = tile(target)
        let rowBlocks = m.ceilDiv(rows, m.constI64(shape.rows))
        let rowChunks = m.smin(rowBlocks, m.constI64(maxRowChunks(target)))
        let chunks = m.constI64(columnChunks(target))
        let groupRange = splitRange(m, total: m.constI64(groups(target)), parts: chunks, part: m.srem(task, chunks))
        let rowRange = splitRange(m, total: rowBlocks, parts: rowChunks, part: m.sdiv(task, chunks))
        Self.forEachPanelGroup(m, groupRange, panels: panels, groupPanels: shape.panels) { group, groupPanels in
            let panel0 = m.mul(group, m.constI64(shape.panels))
            m.forLoop(from: m.constI64(0), to: m.constI64(kBlocks)) { kb in
                let kRange = kBlock(m, kb)
                let firstK = m.icmp(LLVMIntEQ, kb, m.constI64(0))
                m.forLoop(from: rowRange.begin, to: rowRange.end) { rowBlock in
                    let row0 = m.mul(rowBlock, m.constI64(shape.rows))
                    let rowCount = m.smin(m.sub(rows, row0), m.constI64(shape.rows))
                    m.switchOver(rowCount, cases: Array(1...shape.rows)) { count in
                        callTile(m, target, micro(rows: count, panels: groupPanels, unroll: 1), o,
                                 row0: row0, panel0: panel0, k0: kRange.begin,
                                 kLen: m.sub(kRange.end, kRange.begin), firstK: firstK)
                    }
                }
            }
        }
    }

    /// Walks the panel groups `range` (groups of `groupPanels` of the `panels` panels; the last one may be short)
    /// and emits `body(group, panels in it)` once per distinct group size.
    static func forEachPanelGroup(
        _ m: ModuleBuilder, _ range: (begin: LLVMValueRef, end: LLVMValueRef), panels: Int, groupPanels: Int,
        _ body: (_ group: LLVMValueRef, _ panels: Int) -> Void
    ) {
        let groups = (panels + groupPanels - 1) / groupPanels
        let lastGroupPanels = panels - (groups - 1) * groupPanels
        m.forLoop(from: range.begin, to: range.end) { group in
            if lastGroupPanels == groupPanels {
                body(group, groupPanels)
            } else {
                m.ifThenElse(m.icmp(LLVMIntEQ, group, m.constI64(groups - 1)),
                             then: { body(group, lastGroupPanels) }, otherwise: { body(group, groupPanels) })
            }
        }
    }
}
