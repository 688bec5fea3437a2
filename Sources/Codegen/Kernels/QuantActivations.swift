import CLLVM

/// Activation rows quantized on the fly for the integer dot products of the quantized matmuls. Each row is cut
/// into blocks of 32 values (the last one zero-padded up to `paddedK`); a block gets symmetric codes
/// q = rint(x · (Q / amax)) with amax = max |x| over the block (q = 0 when amax = 0) and Q = 127 for int8 codes,
/// 32767 for int16 codes, and the f32 scale amax / Q. int8 codes come with one extra value per block: for int8
/// weights the i32 128·Σq (what the u8 offset of the weight codes adds to a VNNI dot product), for int4 weights
/// the f32 sum of the block's x (what the group minimum multiplies).
///
/// Record of one row (`recordBytes`, a multiple of 64): paddedK codes, then `blocks` scales, then `blocks` extras.
struct QuantizedActivations {
    let k: Int
    let format: WeightFormat
    /// int16 codes (for int8 weights, `vpdpwssd`) instead of int8 codes.
    let wide: Bool

    var paddedK: Int { QuantPacking.paddedK(k) }
    var blocks: Int { paddedK / QuantPacking.block }
    var codeBytes: Int { wide ? 2 : 1 }
    private var maximumCode: Float { wide ? 32767 : 127 }
    var scalesOffset: Int { paddedK * codeBytes }
    var extrasOffset: Int { scalesOffset + 4 * blocks }
    var recordBytes: Int { (extrasOffset + (wide ? 0 : 4 * blocks) + 63) / 64 * 64 }

    /// Defines (once) `void name(ptr x, i64 ldx, i64 rows, ptr records)`, which quantizes rows x + r·ldx
    /// (f32 elements) into records + r·recordBytes, with vectors of `lanes` f32; returns it.
    func emitFunction(name: String, lanes: Int, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        let type = m.functionType(m.voidType, [m.ptrType, m.i64Type, m.i64Type, m.ptrType])
        return m.defineFunction(name, type, linkage: LLVMInternalLinkage, target: target) { fn in
            m.addAttribute(fn, "noinline")
            let (x, ldx, rows, records) = (m.param(fn, 0), m.param(fn, 1), m.param(fn, 2), m.param(fn, 3))
            m.forLoop(from: m.constI64(0), to: rows) { row in
                let source = m.gepF32(x, m.mul(row, ldx))
                let record = m.gep(m.i8Type, records, m.mul(row, m.constI64(recordBytes)))
                let full = k / QuantPacking.block
                m.forLoop(from: m.constI64(0), to: m.constI64(full)) { block in
                    emitBlock(m, lanes: lanes, source: source, record: record, block: block, valid: QuantPacking.block)
                }
                if full < blocks {
                    emitBlock(m, lanes: lanes, source: source, record: record, block: m.constI64(full),
                              valid: k - full * QuantPacking.block)
                }
            }
            m.retVoid()
        }
    }

    /// Quantizes block `block` (i64) of one row, of which the first `valid` values are real.
    private func emitBlock(
        _ m: ModuleBuilder, lanes: Int, source: LLVMValueRef, record: LLVMValueRef, block: LLVMValueRef, valid: Int
    ) {
        let first = m.mul(block, m.constI64(QuantPacking.block))
        let values = (0..<(QuantPacking.block / lanes)).map { v -> LLVMValueRef in
            let mask = valid < QuantPacking.block ? m.constLaneMask(valid: valid - v * lanes, lanes) : nil
            return m.loadF32Vector(m.gepF32(source, m.add(first, m.constI64(v * lanes))), lanes, mask: mask)
        }
        let amax = m.reduceMax(values.map { m.fabs($0) }.dropFirst().reduce(m.fabs(values[0])) { m.fmax($0, $1) })
        let maximum = m.constF32(maximumCode)
        let inverse = m.select(m.fcmp(LLVMRealOGT, amax, m.constF32(0)), m.fdiv(maximum, amax), m.constF32(0))
        let codeType = wide ? m.i16Type : m.i8Type
        let codes = values.enumerated().map { v, value -> LLVMValueRef in
            let rounded = m.callIntrinsic("llvm.rint", [m.f32Vector(lanes)], [m.fmul(value, m.splat(inverse, lanes))])
            let code = m.fptosi(rounded, m.vectorType(m.i32Type, lanes))
            m.store(m.trunc(code, m.vectorType(codeType, lanes)),
                    m.gep(codeType, record, m.add(first, m.constI64(v * lanes))), align: 1)
            return code
        }
        let slot = { (offset: Int) in m.gep(m.i8Type, record, m.add(m.constI64(offset), m.mul(block, m.constI64(4)))) }
        m.store(m.fdiv(amax, maximum), slot(scalesOffset))
        if wide { return }
        if format == .int8 {
            let sum = m.reduceAddInt(codes.dropFirst().reduce(codes[0]) { m.add($0, $1) })
            m.store(m.mul(sum, m.constInt(m.i32Type, 128)), slot(extrasOffset))
        } else {
            m.store(m.reduceAdd(m.sumTree(values)), slot(extrasOffset))
        }
    }
}
