import CLLVM

/// The int8/int4 paths of `MatmulKernel` (same slots and semantics). Vectors are 16 lanes with AVX-512 VNNI and
/// 8 lanes (AVX2 integer instructions) otherwise.
///
/// - Decode (rows <= `MatmulKernel.decodeMaxRows`): tasks split over contiguous panel ranges, each streaming its
///   panels once. Every task quantizes the rows (`QuantizedActivations`: a few hundred values) and runs
///   `QuantMicroKernel` tiles: int8 weights against int16 activation codes (`vpdpwssd`/`vpmaddwd`; measured
///   faster than widening the codes to f32, and as accurate), int4 against int8 codes.
/// - Prefill: tasks split over row ranges (and over column ranges when there are few rows); a task quantizes
///   slices of its rows into a stack buffer once (int8 codes) and runs `QuantMicroKernel` tiles over its panels
///   (`vpdpbusd`, or `vpmaddubsw` on AVX2).
struct QuantMatmul {
    let kernel: MatmulKernel

    private var format: WeightFormat { kernel.weight }
    private var panels: Int { MatmulPacking.panels(n: kernel.n) }
    private var panelBytes: Int { MatmulPacking.panelBytes(k: kernel.k, weight: format) }
    /// Prefill activations: int8 codes (`vpdpbusd`).
    private var activations: QuantizedActivations { QuantizedActivations(k: kernel.k, format: format, wide: false) }
    /// Decode activations: int16 codes for int8 weights (`vpdpwssd`; as accurate as f32 activations and cheaper
    /// than widening the weights to f32), int8 codes for int4 weights.
    private var decodeActivations: QuantizedActivations {
        QuantizedActivations(k: kernel.k, format: format, wide: format == .int8)
    }
    /// Decode tasks: fewer than the f32 path's 8, as each task quantizes the rows again (measured faster).
    private var decodeTasks: Int { min(panels, 4) }
    /// Bytes of quantized activation records a prefill task keeps on its stack.
    private static let sliceBudget = 96 << 10

    static func lanes(_ target: TargetSpec) -> Int { target.hasAVX512VNNI ? 16 : 8 }

    /// Rows of a prefill tile, which spans one panel (with VNNI, tiles from 3 rows × 3 panels to 8 rows × 1
    /// panel measured within 5% of each other; 8 × 1 was fastest).
    private func tileRows(_ target: TargetSpec) -> Int { Self.lanes(target) == 16 ? 8 : 4 }

    /// Rows quantized at a time by a prefill task (a multiple of the tile's rows).
    private func sliceRows(_ target: TargetSpec) -> Int {
        let rows = tileRows(target)
        return rows * max(1, min(16, Self.sliceBudget / activations.recordBytes / rows))
    }

    /// The prefill split: row chunks of whole tiles × panel chunks.
    private func split(_ target: TargetSpec) -> MatmulTaskSplit {
        MatmulTaskSplit(tileRows: tileRows(target), columnUnits: panels)
    }

    func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        let decode = m.icmp(LLVMIntSLE, rows, m.constI64(MatmulKernel.decodeMaxRows))
        return m.select(decode, m.constI64(decodeTasks), split(target).taskCount(m, rows: rows))
    }

    func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        kernel.defineKernel(in: m, target: target) { args, task in
            let operands = Operands(m, args: args, bias: kernel.bias)
            let rows = m.loadSlot(args, 6)
            let buffer = m.alloca(m.i8Type, count: max(MatmulKernel.decodeMaxRows * decodeActivations.recordBytes,
                                                       sliceRows(target) * activations.recordBytes))
            m.ifThenElse(m.icmp(LLVMIntSLE, rows, m.constI64(MatmulKernel.decodeMaxRows)),
                         then: { emitDecode(m, target, operands, buffer: buffer, rows: rows, task: task) },
                         otherwise: { emitPrefill(m, target, operands, buffer: buffer, rows: rows, task: task) })
        }
    }

    private typealias Operands = MatmulKernel.Operands

    /// The output-side arguments of a tile at (row0, panel0) (`MatmulKernel.Operands.outputArguments`).
    private func outputArguments(_ m: ModuleBuilder, _ o: Operands, row0: LLVMValueRef, panel0: LLVMValueRef) -> [LLVMValueRef] {
        o.outputArguments(m, kernel, row0: row0, panel0: panel0)
    }

    private func panelPointer(_ m: ModuleBuilder, _ o: Operands, _ panel: LLVMValueRef) -> LLVMValueRef {
        m.gep(m.i8Type, o.w, m.mul(panel, m.constI64(panelBytes)))
    }

    private func quantize(
        _ m: ModuleBuilder, _ target: TargetSpec, _ o: Operands, _ activations: QuantizedActivations, row0: LLVMValueRef,
        rows: LLVMValueRef, into buffer: LLVMValueRef
    ) {
        let name = "\(kernel.symbol).quantize\(activations.wide ? "16" : "8")"
        let fn = activations.emitFunction(name: name, lanes: Self.lanes(target), in: m, target: target)
        m.call(fn, [m.gepF32(o.x, m.mul(row0, o.ldx)), o.ldx, rows, buffer])
    }

    private func emitDecode(
        _ m: ModuleBuilder, _ target: TargetSpec, _ o: Operands, buffer: LLVMValueRef, rows: LLVMValueRef,
        task: LLVMValueRef
    ) {
        let lanes = Self.lanes(target)
        let range = splitRange(m, total: m.constI64(panels), parts: m.constI64(decodeTasks), part: task)
        quantize(m, target, o, decodeActivations, row0: m.constI64(0), rows: rows, into: buffer)
        m.switchOver(rows, cases: Array(1...MatmulKernel.decodeMaxRows)) { rowCount in
            let fn = QuantMicroKernel(format: format, rows: rowCount, activations: decodeActivations)
                .emit(prefix: kernel.symbol, in: m, target: target, lanes: lanes)
            // One panel per call: a task's weights form one sequential stream (interleaving two panels' streams
            // measured about 30% slower).
            m.forLoop(from: range.begin, to: range.end) { panel in
                m.call(fn, [buffer, panelPointer(m, o, panel)] + outputArguments(m, o, row0: m.constI64(0), panel0: panel))
            }
        }
    }

    /// Task t owns row chunk t / panelChunks and panel chunk t % panelChunks; it walks its rows in slices
    /// (quantized once each), then its panels, then tile row blocks.
    private func emitPrefill(
        _ m: ModuleBuilder, _ target: TargetSpec, _ o: Operands, buffer: LLVMValueRef, rows: LLVMValueRef,
        task: LLVMValueRef
    ) {
        let (tile, lanes, slice) = (tileRows(target), Self.lanes(target), sliceRows(target))
        let (blockRange, panelRange) = split(target).ranges(m, rows: rows, task: task)
        let rowEnd = m.smin(rows, m.mul(blockRange.end, m.constI64(tile)))
        m.forLoop(from: m.mul(blockRange.begin, m.constI64(tile)), to: rowEnd, step: slice) { sliceStart in
            let sliceEnd = m.smin(rowEnd, m.add(sliceStart, m.constI64(slice)))
            quantize(m, target, o, activations, row0: sliceStart, rows: m.sub(sliceEnd, sliceStart), into: buffer)
            m.forLoop(from: panelRange.begin, to: panelRange.end) { panel in
                m.forLoop(from: sliceStart, to: sliceEnd, step: tile) { row0 in
                    let records = m.gep(m.i8Type, buffer, m.mul(m.sub(row0, sliceStart), m.constI64(activations.recordBytes)))
                    m.switchOver(m.smin(m.sub(sliceEnd, row0), m.constI64(tile)), cases: Array(1...tile)) { count in
                        let fn = QuantMicroKernel(format: format, rows: count, activations: activations)
                            .emit(prefix: kernel.symbol, in: m, target: target, lanes: lanes)
                        m.call(fn, [records, panelPointer(m, o, panel)] + outputArguments(m, o, row0: row0, panel0: panel))
                    }
                }
            }
        }
    }
}
