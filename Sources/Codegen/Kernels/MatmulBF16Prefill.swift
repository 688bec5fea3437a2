import CLLVM

/// The prefill path of `MatmulKernel` for bf16 weights on targets with AVX-512 BF16: the same slots and semantics,
/// except that x is rounded to bf16 (nearest even) before the products, as llama.cpp's BF16 matmul and torch's bf16
/// linear layers do; products of bf16 values are exact and the sums are f32 (`vdpbf16ps`, twice the FMA rate).
///
/// Tasks split as `MatmulTaskSplit` over row tiles × panel groups. A task walks its rows in slices: it rounds a
/// slice's rows once into bf16 records on its stack (k pairs in order, as the weight panels hold them), then walks
/// its panel groups and, for each, the slice's row tiles (`MatmulBF16MicroKernel`, 8 rows × 3 panels), so a group's
/// weights stay in L1/L2 across the tiles of a slice.
struct BF16PrefillMatmul {
    let kernel: MatmulKernel

    /// Rows of a tile and panels of a group (24 accumulators, 3 weight vectors: 27 of 32 registers).
    static let tileRows = 8
    static let groupPanels = 3
    /// Bytes of bf16 records a task keeps on its stack.
    private static let sliceBudget = 128 << 10

    private var panels: Int { MatmulPacking.panels(n: kernel.n) }
    private var groups: Int { (panels + Self.groupPanels - 1) / Self.groupPanels }
    private var kPairs: Int { MatmulPacking.storedK(kernel.k, weight: .bf16) / 2 }
    /// Bytes of one row's record: its k pairs, padded with zeros to whole 64-byte vectors.
    private var recordBytes: Int { (kPairs + 15) / 16 * 64 }
    /// Rows rounded at a time (whole tiles).
    private var sliceRows: Int {
        Self.tileRows * max(1, min(16, Self.sliceBudget / recordBytes / Self.tileRows))
    }
    /// Stack bytes a task needs for its records.
    var bufferBytes: Int { sliceRows * recordBytes }
    private var split: MatmulTaskSplit { MatmulTaskSplit(tileRows: Self.tileRows, columnUnits: groups) }

    func taskCount(rows: LLVMValueRef, in m: ModuleBuilder) -> LLVMValueRef { split.taskCount(m, rows: rows) }

    /// The body of one task over `rows` (> decodeMaxRows) rows; `buffer` holds `bufferBytes` bytes.
    func emit(
        _ m: ModuleBuilder, _ target: TargetSpec, _ o: MatmulKernel.Operands, buffer: LLVMValueRef, rows: LLVMValueRef,
        task: LLVMValueRef
    ) {
        let (tile, slice) = (Self.tileRows, sliceRows)
        let (tileRange, groupRange) = split.ranges(m, rows: rows, task: task)
        let rowEnd = m.smin(rows, m.mul(tileRange.end, m.constI64(tile)))
        let round = roundingFunction(m, target)
        let panelBytes = MatmulPacking.panelBytes(k: kernel.k, weight: .bf16)
        m.forLoop(from: m.mul(tileRange.begin, m.constI64(tile)), to: rowEnd, step: slice) { sliceStart in
            let sliceEnd = m.smin(rowEnd, m.add(sliceStart, m.constI64(slice)))
            m.call(round, [m.gepF32(o.x, m.mul(sliceStart, o.ldx)), o.ldx, m.sub(sliceEnd, sliceStart), buffer])
            MatmulKernel.forEachPanelGroup(m, groupRange, panels: panels, groupPanels: Self.groupPanels) { group, count in
                let panel0 = m.mul(group, m.constI64(Self.groupPanels))
                let weights = m.gep(m.i8Type, o.w, m.mul(panel0, m.constI64(panelBytes)))
                m.forLoop(from: sliceStart, to: sliceEnd, step: tile) { row0 in
                    let records = m.gep(m.i8Type, buffer, m.mul(m.sub(row0, sliceStart), m.constI64(recordBytes)))
                    m.switchOver(m.smin(m.sub(sliceEnd, row0), m.constI64(tile)), cases: Array(1...tile)) { rowCount in
                        let fn = MatmulBF16MicroKernel(rows: rowCount, panels: count, kPairs: kPairs,
                                                       recordBytes: recordBytes, panelBytes: panelBytes)
                            .emit(prefix: kernel.symbol, in: m, target: target)
                        m.call(fn, [records, weights] + o.outputArguments(m, kernel, row0: row0, panel0: panel0))
                    }
                }
            }
        }
    }

    /// `void (ptr x, i64 ldx, i64 rows, ptr records)`: rounds x[r][0..<k] to bf16 into record r (`recordBytes`
    /// apart), zero beyond k.
    private func roundingFunction(_ m: ModuleBuilder, _ target: TargetSpec) -> LLVMValueRef {
        let type = m.functionType(m.voidType, [m.ptrType, m.i64Type, m.i64Type, m.ptrType])
        return m.defineFunction("\(kernel.symbol).round", type, linkage: LLVMInternalLinkage, target: target) { fn in
            m.addAttribute(fn, "noinline")
            let (x, ldx, rows, records) = (m.param(fn, 0), m.param(fn, 1), m.param(fn, 2), m.param(fn, 3))
            let k = kernel.k
            m.forLoop(from: m.constI64(0), to: rows) { row in
                let source = m.gepF32(x, m.mul(row, ldx))
                let destination = m.gep(m.i8Type, records, m.mul(row, m.constI64(recordBytes)))
                // 32 values (one 64-byte vector of bf16) per step; a last partial step loads masked to k (zeros).
                let step = { (chunk: LLVMValueRef, valid: Int) in
                    let first = m.mul(chunk, m.constI64(32))
                    let half = { (offset: Int) -> LLVMValueRef in
                        let count = valid - offset
                        if count <= 0 { return m.splatF32(0, 16) }
                        return m.loadF32Vector(m.gepF32(source, m.add(first, m.constI64(offset))), 16,
                                               mask: count >= 16 ? nil : m.constLaneMask(valid: count, 16))
                    }
                    m.storeVector(m.roundToBF16(low: half(0), high: half(16)),
                                  m.gep(m.i8Type, destination, m.mul(chunk, m.constI64(64))), align: 64)
                }
                m.forLoop(from: m.constI64(0), to: m.constI64(k / 32)) { chunk in step(chunk, 32) }
                if k % 32 != 0 { step(m.constI64(k / 32), k % 32) }
            }
            m.retVoid()
        }
    }
}
