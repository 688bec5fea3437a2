import CLLVM
import IR

/// Per-row combination of column blocks: x[r] holds `blocks` blocks of `width` columns, c[r] holds
/// `outputs · blocks` coefficients; out[r] block i = Σ_j c[r][i·blocks + j] · x[r] block j, accumulated in order j
/// with FMAs (AltUp's predict and correct steps; with one block and one output, a per-row scale).
/// Slots: [0] x, [1] ldx, [2] c, [3] ldc, [4] out, [5] ldo, [6] rows. out must not overlap x or c.
public struct BlockMixKernel: RowwiseKernel {
    public let width: Int
    public let blocks: Int
    public let outputs: Int

    public init(width: Int, blocks: Int, outputs: Int) {
        precondition(width > 0 && blocks > 0 && outputs > 0, "block mix needs positive width, blocks and outputs")
        self.width = width
        self.blocks = blocks
        self.outputs = outputs
    }

    public var symbol: String { "llmc_block_mix_w\(width)_b\(blocks)_o\(outputs)" }

    public static let rowsSlot = 6

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (x, c) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        let out = StridedRows(m, args: args, base: 4, ld: 5)
        let lanes = target.vectorWidth
        return { row in
            let (source, coefficients, destination) = (x.row(m, row), c.row(m, row), out.row(m, row))
            for i in 0..<outputs {
                let factors = (0..<blocks).map { j in
                    m.splat(m.load(m.f32Type, m.gepF32(coefficients, m.constI64(i * blocks + j))), lanes)
                }
                forEachVector(m, count: width, lanes: lanes) { offset, mask in
                    let block = { (j: Int) in
                        m.loadF32Vector(m.gepF32(source, m.add(offset, m.constI64(j * width))), lanes, mask: mask)
                    }
                    var acc = m.fmul(factors[0], block(0))
                    for j in 1..<blocks { acc = m.fma(factors[j], block(j), acc) }
                    m.storeVector(acc, m.gepF32(destination, m.add(offset, m.constI64(i * width))), mask: mask)
                }
            }
        }
    }
}
