import CLLVM
import IR

/// out[r][i] = act(gate[r][i]) * up[r][i] in f32: silu(x) = x / (1 + exp(-x)); gelu_pytorch_tanh(x) =
/// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), evaluated as x / (1 + exp(-2u)) (the same function,
/// without tanh's cancellation near -1). Slots: [0] gate ptr, [1] up ptr, [2] ld (shared row stride of gate and
/// up), [3] out ptr, [4] ldo, [5] rows.
public struct GatedActivationKernel: Kernel {
    public let ff: Int
    public let activation: GatedActivation

    public init(ff: Int, activation: GatedActivation) {
        precondition(ff > 0, "ff must be positive")
        self.ff = ff
        self.activation = activation
    }

    public var symbol: String { "llmc_gated_\(activation.rawValue)_f\(ff)" }

    static let maxTasks = 8

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        rowChunkTaskCount(m, rows: rows, maxTasks: Self.maxTasks)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let (gate, up, ld) = (m.loadSlotPointer(args, 0), m.loadSlotPointer(args, 1), m.loadSlot(args, 2))
            let (out, ldo) = (m.loadSlotPointer(args, 3), m.loadSlot(args, 4))
            let range = rowChunk(m, rows: m.loadSlot(args, 5), task: task, maxTasks: Self.maxTasks)
            let lanes = target.vectorWidth
            m.forLoop(from: range.begin, to: range.end) { row in
                let gateRow = m.gepF32(gate, m.mul(row, ld))
                let upRow = m.gepF32(up, m.mul(row, ld))
                let outRow = m.gepF32(out, m.mul(row, ldo))
                forEachVector(m, count: ff, lanes: lanes) { at, mask in
                    let g = m.loadF32Vector(m.gepF32(gateRow, at), lanes, mask: mask)
                    let u = m.loadF32Vector(m.gepF32(upRow, at), lanes, mask: mask)
                    m.storeVector(m.fmul(activate(m, g, lanes), u), m.gepF32(outRow, at), mask: mask)
                }
            }
        }
    }

    private func activate(_ m: ModuleBuilder, _ x: LLVMValueRef, _ lanes: Int) -> LLVMValueRef {
        let one = m.splatF32(1, lanes)
        switch activation {
        case .silu:
            return m.fdiv(x, m.fadd(one, m.exp(m.fneg(x))))
        case .geluTanh:
            let cube = m.fmul(m.fmul(x, x), x)
            let inner = m.fmul(m.splatF32(0.7978845608028654, lanes),
                               m.fadd(x, m.fmul(m.splatF32(0.044715, lanes), cube)))
            return m.fdiv(x, m.fadd(one, m.exp(m.fmul(m.splatF32(-2, lanes), inner))))
        }
    }
}
