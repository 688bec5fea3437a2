import CLLVM
import IR

/// Applies rotary embedding to the first `rotaryDim` dims of each of `heads` heads of each row (other dims are
/// copied), reading cos/sin from a `RopeTableKernel` table (row r = position pos0 + r).
/// neox: for i < rd/2, a = x[i], b = x[i + rd/2]: out[i] = a*cos_i - b*sin_i, out[i + rd/2] = b*cos_i + a*sin_i.
/// interleaved: pairs (x[2i], x[2i+1]) rotate by angle i.
/// Slots: [0] x ptr, [1] ldx, [2] table ptr, [3] out ptr, [4] ldo, [5] rows. out may equal x.
public struct RopeKernel: Kernel {
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

    static let maxTasks = 8

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        rowChunkTaskCount(m, rows: rows, maxTasks: Self.maxTasks)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let (x, ldx, table) = (m.loadSlotPointer(args, 0), m.loadSlot(args, 1), m.loadSlotPointer(args, 2))
            let (out, ldo) = (m.loadSlotPointer(args, 3), m.loadSlot(args, 4))
            let range = rowChunk(m, rows: m.loadSlot(args, 5), task: task, maxTasks: Self.maxTasks)
            let lanes = target.vectorWidth
            m.forLoop(from: range.begin, to: range.end) { row in
                let angles = m.gepF32(table, m.mul(row, m.constI64(rotaryDim)))
                m.forLoop(from: m.constI64(0), to: m.constI64(heads)) { head in
                    let offset = m.mul(head, m.constI64(headDim))
                    let source = m.gepF32(x, m.add(m.mul(row, ldx), offset))
                    let destination = m.gepF32(out, m.add(m.mul(row, ldo), offset))
                    switch style {
                    case .neox: emitNeox(m, lanes, source, angles, destination)
                    case .interleaved: emitInterleaved(m, lanes, source, angles, destination)
                    }
                    if rotaryDim < headDim {
                        let passSource = m.gepF32(source, m.constI64(rotaryDim))
                        let passDestination = m.gepF32(destination, m.constI64(rotaryDim))
                        forEachVector(m, count: headDim - rotaryDim, lanes: lanes) { at, mask in
                            let v = m.loadF32Vector(m.gepF32(passSource, at), lanes, mask: mask)
                            m.storeVector(v, m.gepF32(passDestination, at), mask: mask)
                        }
                    }
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
