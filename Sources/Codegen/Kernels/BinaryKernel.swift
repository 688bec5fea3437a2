import CLLVM
import IR

/// out[r][i] = a[r][i] op b[r][i] for i < width, in f32 (op: add or mul).
/// Slots: [0] a, [1] lda, [2] b, [3] ldb, [4] out, [5] ldo, [6] rows. out may equal a or b.
public struct BinaryKernel: RowwiseKernel {
    public let width: Int
    public let op: BinaryOp

    public init(width: Int, op: BinaryOp) {
        precondition(width > 0, "binary width must be positive")
        self.width = width
        self.op = op
    }

    public var symbol: String { "llmc_binary_\(op.rawValue)_w\(width)" }

    public static let rowsSlot = 6

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (a, b) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        let out = StridedRows(m, args: args, base: 4, ld: 5)
        return { row in
            let inputs = [a.row(m, row), b.row(m, row)]
            mapVectors(m, count: width, lanes: target.vectorWidth, inputs: inputs, output: out.row(m, row)) { values in
                switch op {
                case .add: m.fadd(values[0], values[1])
                case .mul: m.fmul(values[0], values[1])
                }
            }
        }
    }
}
