import CLLVM

/// out[r] = x[r] / max(‖x[r]‖₂, 1e-12), like torch.nn.functional.normalize (sentence-transformers' Normalize).
/// Slots: [0] x, [1] ldx, [2] out, [3] ldo, [4] rows. out may equal x.
public struct L2NormalizeKernel: RowwiseKernel {
    public let width: Int

    public init(width: Int) {
        precondition(width > 0, "normalize width must be positive")
        self.width = width
    }

    public var symbol: String { "llmc_l2_normalize_w\(width)" }

    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (x, out) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        let lanes = target.vectorWidth
        return { row in
            let source = x.row(m, row)
            let squares = sumOverVectors(m, count: width, lanes: lanes) { offset, mask, acc in
                let v = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
                return m.fma(v, v, acc)
            }
            let norm = m.fmax(m.sqrt(squares), m.constF32(1e-12))
            let inverse = m.splat(m.fdiv(m.constF32(1), norm), lanes)
            mapVectors(m, count: width, lanes: lanes, inputs: [source], output: out.row(m, row)) { m.fmul($0[0], inverse) }
        }
    }
}
