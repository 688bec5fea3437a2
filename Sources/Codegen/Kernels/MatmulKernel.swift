import CLLVM

/// y[r][j] (+)= sum_k x[r][k] * W[j][k] (+ bias[j]) for r < rows, j < n, with W packed by `MatmulPacking`.
/// Slots: [0] x ptr, [1] ldx, [2] packed W ptr, [3] bias ptr (f32[n]; 0 if no bias), [4] y ptr, [5] ldy, [6] rows.
/// With `accumulate`, the product is added to y (fusing a residual add).
///
/// Two paths chosen by `rows` at run time: decode (rows <= `decodeMaxRows`) streams each weight panel once with
/// several independent accumulators, tasks split over panels; prefill runs register-tiled micro-kernels over
/// (row block × panel group) tiles with k blocked so a panel group stays in L2, tasks split over panel groups and
/// row blocks. Every output element is computed by exactly one task in a fixed order (deterministic). The int8 and
/// int4 formats take the paths of `QuantMatmul` (same slots and semantics).
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

    /// Calls with at most this many rows take the GEMV (decode) path.
    static let decodeMaxRows = 4
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

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        if weight.isQuantized { return QuantMatmul(kernel: self).taskCount(rows: rows, in: m, target: target) }
        let decode = m.icmp(LLVMIntSLE, rows, m.constI64(Self.decodeMaxRows))
        let rowBlocks = m.ceilDiv(rows, m.constI64(tile(target).rows))
        let prefill = m.mul(m.constI64(columnChunks(target)), m.smin(rowBlocks, m.constI64(maxRowChunks(target))))
        return m.select(decode, m.constI64(decodeTasks), prefill)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        if weight.isQuantized { return QuantMatmul(kernel: self).emit(in: m, target: target) }
        return defineKernel(in: m, target: target) { args, task in
            let operands = Operands(m, args: args, bias: bias)
            let rows = m.loadSlot(args, 6)
            m.ifThenElse(m.icmp(LLVMIntSLE, rows, m.constI64(Self.decodeMaxRows)),
                         then: { emitDecode(m, target, operands, rows: rows, task: task) },
                         otherwise: { emitPrefill(m, target, operands, rows: rows, task: task) })
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
    }

    /// Calls a micro-kernel on the tile at (row0, panel0, k0 ..< k0 + kLen).
    private func callTile(
        _ m: ModuleBuilder, _ target: TargetSpec, _ kernel: MatmulMicroKernel, _ o: Operands,
        row0: LLVMValueRef, panel0: LLVMValueRef, k0: LLVMValueRef, kLen: LLVMValueRef, firstK: LLVMValueRef
    ) {
        let fn = kernel.emit(prefix: symbol, in: m, target: target)
        let column0 = m.mul(panel0, m.constI64(MatmulPacking.panelWidth))
        let weightOffset = m.add(m.mul(panel0, m.constI64(k * MatmulPacking.panelWidth)),
                                 m.mul(k0, m.constI64(MatmulPacking.panelWidth)))
        let loadY = accumulate ? m.constI1(true) : m.icmp(LLVMIntEQ, firstK, m.constI1(false))
        let y = m.gepF32(o.y, m.add(m.mul(row0, o.ldy), column0))
        // Without bias the micro-kernel gets y as a (never read) bias pointer.
        let biasPointer = o.bias.map { m.gepF32($0, column0) } ?? y
        m.call(fn, [
            m.gepF32(o.x, m.add(m.mul(row0, o.ldx), k0)), o.ldx,
            m.gep(m.i8Type, o.w, m.mul(weightOffset, m.constI64(weight.bytes))), kLen,
            y, o.ldy, biasPointer, m.sub(m.constI64(n), column0), loadY, o.bias == nil ? m.constI1(false) : firstK,
        ])
    }

    private func micro(rows: Int, panels: Int, unroll: Int) -> MatmulMicroKernel {
        MatmulMicroKernel(
            rows: rows, panels: panels, unroll: unroll, panelStride: k * MatmulPacking.panelWidth, weight: weight)
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
        let lastGroupPanels = panels - (groups(target) - 1) * shape.panels
        m.forLoop(from: groupRange.begin, to: groupRange.end) { group in
            let panel0 = m.mul(group, m.constI64(shape.panels))
            let emitGroup = { (groupPanels: Int) in
                m.forLoop(from: m.constI64(0), to: m.constI64(kBlocks)) { kb in
                    let kRange = splitRange(m, total: m.constI64(k), parts: m.constI64(kBlocks), part: kb)
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
            if lastGroupPanels == shape.panels {
                emitGroup(shape.panels)
            } else {
                m.ifThenElse(m.icmp(LLVMIntEQ, group, m.constI64(groups(target) - 1)),
                             then: { emitGroup(lastGroupPanels) }, otherwise: { emitGroup(shape.panels) })
            }
        }
    }
}
