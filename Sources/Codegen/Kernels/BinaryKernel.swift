import CLLVM
import IR

/// out[r][i] = a[r][i] op b[r][i] for i < width, in f32 (op: add, mul or div); with `broadcastB`, b holds one value
/// per row (b[r][0]) that meets every element of the row.
/// Slots: [0] a, [1] lda, [2] b, [3] ldb, [4] out, [5] ldo, [6] rows. out may equal a or b.
public struct BinaryKernel: RowwiseKernel {
    public let width: Int
    public let op: BinaryOp
    public let broadcastB: Bool

    public init(width: Int, op: BinaryOp, broadcastB: Bool = false) {
        precondition(width > 0, "binary width must be positive")
        self.width = width
        self.op = op
        self.broadcastB = broadcastB
    }

    public var symbol: String { "llmc_binary_\(op.rawValue)_w\(width)\(broadcastB ? "_rowb" : "")" }

    public static let rowsSlot = 6

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (a, b) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        let out = StridedRows(m, args: args, base: 4, ld: 5)
        let lanes = target.vectorWidth
        return { row in
            let inputs = broadcastB ? [a.row(m, row)] : [a.row(m, row), b.row(m, row)]
            let rowValue = broadcastB ? m.splat(m.load(m.f32Type, b.row(m, row)), lanes) : nil
            mapVectors(m, count: width, lanes: lanes, inputs: inputs, output: out.row(m, row)) { values in
                let (x, y) = (values[0], rowValue ?? values[1])
                return switch op {
                case .add: m.fadd(x, y)
                case .mul: m.fmul(x, y)
                case .div: m.fdiv(x, y)
                }
            }
        }
    }
}
