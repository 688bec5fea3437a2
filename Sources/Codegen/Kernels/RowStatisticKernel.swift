import CLLVM
import IR

/// out[r][0] = a statistic of x[r][0..<width] in f32: the mean, the population standard deviation (two passes:
/// mean, then sqrt(mean((x − mean)²)), no cancellation) or the root mean square sqrt(max(mean(x²), floor)).
/// Slots: [0] x, [1] ldx, [2] out, [3] ldo, [4] rows.
public struct RowStatisticKernel: RowwiseKernel {
    public let width: Int
    public let statistic: RowStatistic

    public init(width: Int, statistic: RowStatistic) {
        precondition(width > 0, "row statistic width must be positive")
        self.width = width
        self.statistic = statistic
    }

    public var symbol: String {
        let name = switch statistic {
        case .mean: "mean"
        case .std: "std"
        case .rms(let floor): "rms\(symbolBits(floor))"
        }
        return "llmc_row_\(name)_w\(width)"
    }

    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (x, out) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        let lanes = target.vectorWidth
        let count = m.constF32(Float(width))
        return { row in
            let source = x.row(m, row)
            let load = { (offset: LLVMValueRef, mask: LLVMValueRef?) in m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask) }
            let mean = {
                m.fdiv(sumOverVectors(m, count: width, lanes: lanes) { offset, mask, acc in m.fadd(acc, load(offset, mask)) }, count)
            }
            let value: LLVMValueRef
            switch statistic {
            case .mean:
                value = mean()
            case .std:
                let center = m.splat(mean(), lanes)
                let squares = sumOverVectors(m, count: width, lanes: lanes) { offset, mask, acc in
                    var centered = m.fsub(load(offset, mask), center)
                    if let mask { centered = m.select(mask, centered, LLVMConstNull(m.f32Vector(lanes))) }
                    return m.fma(centered, centered, acc)
                }
                value = m.sqrt(m.fdiv(squares, count))
            case .rms(let floor):
                let squares = sumOverVectors(m, count: width, lanes: lanes) { offset, mask, acc in
                    let v = load(offset, mask)
                    return m.fma(v, v, acc)
                }
                let meanSquare = m.fdiv(squares, count)
                value = m.sqrt(m.select(m.fcmp(LLVMRealOLT, meanSquare, m.constF32(floor)), m.constF32(floor), meanSquare))
            }
            _ = m.store(value, out.row(m, row))
        }
    }
}
