import CLLVM
import IR

/// Applies rotary embedding to the first `rotaryDim` dims of each of `heads` heads of each row (other dims are
/// copied), reading cos/sin from a `RopeTableKernel` table (row r = position pos0 + r).
/// neox: for i < rd/2, a = x[i], b = x[i + rd/2]: out[i] = a*cos_i - b*sin_i, out[i + rd/2] = b*cos_i + a*sin_i.
/// interleaved: pairs (x[2i], x[2i+1]) rotate by angle i.
/// Slots: [0] x ptr, [1] ldx, [2] table ptr, [3] out ptr, [4] ldo, [5] rows. out may equal x.
public struct RopeKernel: RowwiseKernel {
    public let headDim: Int
    public let rotaryDim: Int
    public let heads: Int
    public let style: RopeStyle

    public init(headDim: Int, rotaryDim: Int, heads: Int, style: RopeStyle) {
        precondition(rotaryDim > 0 && rotaryDim % 2 == 0 && rotaryDim <= headDim, "bad rotary dim")
        self.headDim = headDim
        self.rotaryDim = rotaryDim
        self.heads = heads
        self.style = style
    }

    public var symbol: String { "llmc_rope_hd\(headDim)_r\(rotaryDim)_h\(heads)_\(style.rawValue)" }

    public static let rowsSlot = 5

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (x, table, out) = (StridedRows(m, args: args, base: 0, ld: 1), m.loadSlotPointer(args, 2),
                               StridedRows(m, args: args, base: 3, ld: 4))
        let lanes = target.vectorWidth
        return { row in
            let angles = m.gepF32(table, m.mul(row, m.constI64(rotaryDim)))
            m.forLoop(from: m.constI64(0), to: m.constI64(heads)) { head in
                let offset = m.mul(head, m.constI64(headDim))
                let source = x.row(m, row, column: offset)
                let destination = out.row(m, row, column: offset)
                switch style {
                case .neox: emitNeox(m, lanes, source, angles, destination)
                case .interleaved: emitInterleaved(m, lanes, source, angles, destination)
                }
                if rotaryDim < headDim {
                    let pass = m.constI64(rotaryDim)
                    mapVectors(m, count: headDim - rotaryDim, lanes: lanes, inputs: [m.gepF32(source, pass)],
                               output: m.gepF32(destination, pass)) { $0[0] }
                }
            }
        }
    }

    private func emitNeox(
        _ m: ModuleBuilder, _ lanes: Int, _ source: LLVMValueRef, _ angles: LLVMValueRef, _ destination: LLVMValueRef
    ) {
        let half = m.constI64(rotaryDim / 2)
        forEachVector(m, count: rotaryDim / 2, lanes: lanes) { at, mask in
            let secondAt = m.add(at, half)
            let a = m.loadF32Vector(m.gepF32(source, at), lanes, mask: mask)
            let b = m.loadF32Vector(m.gepF32(source, secondAt), lanes, mask: mask)
            let cos = m.loadF32Vector(m.gepF32(angles, at), lanes, mask: mask)
            let sin = m.loadF32Vector(m.gepF32(angles, secondAt), lanes, mask: mask)
            m.storeVector(m.fsub(m.fmul(a, cos), m.fmul(b, sin)), m.gepF32(destination, at), mask: mask)
            m.storeVector(m.fadd(m.fmul(b, cos), m.fmul(a, sin)), m.gepF32(destination, secondAt), mask: mask)
        }
    }

    private func emitInterleaved(
        _ m: ModuleBuilder, _ lanes: Int, _ source: LLVMValueRef, _ angles: LLVMValueRef, _ destination: LLVMValueRef
    ) {
        let halfLanes = lanes / 2
        let duplicate = (0..<lanes).map { $0 / 2 }
        let swapPairs = (0..<lanes).map { $0 ^ 1 }
        let signs = m.constVector((0..<lanes).map { m.constF32($0 % 2 == 0 ? -1 : 1) })
        let sinBase = m.gepF32(angles, m.constI64(rotaryDim / 2))
        forEachVector(m, count: rotaryDim, lanes: lanes) { at, mask in
            let pairAt = m.sdiv(at, m.constI64(2))
            let pairMask = mask.map { _ in
                m.constLaneMask(valid: (rotaryDim - rotaryDim / lanes * lanes) / 2, halfLanes)
            }
            let v = m.loadF32Vector(m.gepF32(source, at), lanes, mask: mask)
            let cosHalf = m.loadF32Vector(m.gepF32(angles, pairAt), halfLanes, mask: pairMask)
            let sinHalf = m.loadF32Vector(m.gepF32(sinBase, pairAt), halfLanes, mask: pairMask)
            let cos = m.shuffle(cosHalf, cosHalf, duplicate)
            let sin = m.fmul(m.shuffle(sinHalf, sinHalf, duplicate), signs)
            let swapped = m.shuffle(v, v, swapPairs)
            m.storeVector(m.fadd(m.fmul(v, cos), m.fmul(swapped, sin)), m.gepF32(destination, at), mask: mask)
        }
    }
}
