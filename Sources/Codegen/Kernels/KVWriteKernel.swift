import CLLVM

/// Appends new K or V rows to one half of a KV cache slot in the cache's format: row r of `src` (kvHeads × headDim
/// f32) becomes cache row r — copied (f32), rounded to nearest even (bf16), or quantized per head to int8 codes with
/// scale max|x| / 127 and code rint(x · 127 / max|x|) (all codes 0 and scale 0 for an all-zero head).
/// Slots: [0] src, [1] lds, [2] codes of the first new row, [3] scales (int8: head 0's scale of the first new row;
/// else unused), [4] elements between one head's scales and the next head's (max_ctx), [5] rows.
public struct KVWriteKernel: RowwiseKernel {
    public let kvHeads: Int
    public let headDim: Int
    public let format: KVCacheFormat

    public init(kvHeads: Int, headDim: Int, format: KVCacheFormat) {
        precondition(kvHeads > 0 && headDim > 0, "KV rows need heads and a head size")
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.format = format
    }

    public var symbol: String { "llmc_kv_write_\(format.rawValue)_h\(kvHeads)_d\(headDim)" }

    public static let rowsSlot = 5

    private var width: Int { kvHeads * headDim }

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let src = StridedRows(m, args: args, base: 0, ld: 1)
        let codes = m.loadSlotPointer(args, 2)
        let scales = m.loadSlotPointer(args, 3)
        let scaleStride = m.loadSlot(args, 4)
        let lanes = target.vectorWidth
        return { row in
            let source = src.row(m, row)
            let destination = format.element(m, codes, m.mul(row, m.constI64(width)))
            switch format {
            case .f32:
                mapVectors(m, count: width, lanes: lanes, inputs: [source], output: destination) { $0[0] }
            case .bf16:
                forEachVector(m, count: width, lanes: lanes) { offset, mask in
                    let bits = m.roundToBF16(m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask))
                    m.storeVector(bits, m.gep(m.i16Type, destination, offset), mask: mask, align: 2)
                }
            case .int8:
                m.forLoop(from: m.constI64(0), to: m.constI64(kvHeads)) { head in
                    let first = m.mul(head, m.constI64(headDim))
                    let scale = m.gepF32(scales, m.add(m.mul(head, scaleStride), row))
                    quantizeHead(m, lanes: lanes, source: m.gepF32(source, first),
                                 codes: m.gep(m.i8Type, destination, first), scale: scale)
                }
            }
        }
    }

    /// int8 codes and scale of one head's headDim values.
    private func quantizeHead(_ m: ModuleBuilder, lanes: Int, source: LLVMValueRef, codes: LLVMValueRef, scale: LLVMValueRef) {
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        let magnitudes = forEachVector(m, count: headDim, lanes: lanes, carrying: [zero]) { offset, mask, carried in
            [m.fmax(m.fabs(m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)), carried[0])]
        }
        let amax = m.reduceMax(magnitudes[0])
        let inverse = m.select(m.fcmp(LLVMRealOGT, amax, m.constF32(0)), m.fdiv(m.constF32(127), amax), m.constF32(0))
        m.store(m.fdiv(amax, m.constF32(127)), scale)
        forEachVector(m, count: headDim, lanes: lanes) { offset, mask in
            let value = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
            let rounded = m.callIntrinsic("llvm.rint", [m.f32Vector(lanes)], [m.fmul(value, m.splat(inverse, lanes))])
            let code = m.trunc(m.fptosi(rounded, m.vectorType(m.i32Type, lanes)), m.vectorType(m.i8Type, lanes))
            m.storeVector(code, m.gep(m.i8Type, codes, offset), mask: mask, align: 1)
        }
    }
}
