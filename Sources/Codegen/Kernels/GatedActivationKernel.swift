import CLLVM
import IR

/// out[r][i] = act(gate[r][i]) * up[r][i] in f32 (act: `ModuleBuilder.silu`, `geluTanh` or `geluErf`).
/// Slots: [0] gate ptr, [1] up ptr, [2] ld (shared row stride of gate and up), [3] out ptr, [4] ldo, [5] rows.
public struct GatedActivationKernel: RowwiseKernel {
    public let ff: Int
    public let activation: GatedActivation

    public init(ff: Int, activation: GatedActivation) {
        precondition(ff > 0, "ff must be positive")
        self.ff = ff
        self.activation = activation
    }

    public var symbol: String { "llmc_gated_\(activation.rawValue)_f\(ff)" }

    public static let rowsSlot = 5

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (gate, up, ld) = (m.loadSlotPointer(args, 0), m.loadSlotPointer(args, 1), m.loadSlot(args, 2))
        let out = StridedRows(m, args: args, base: 3, ld: 4)
        return { row in
            let inputs = [m.gepF32(gate, m.mul(row, ld)), m.gepF32(up, m.mul(row, ld))]
            mapVectors(m, count: ff, lanes: target.vectorWidth, inputs: inputs, output: out.row(m, row)) { values in
                m.fmul(activate(m, values[0]), values[1])
            }
        }
    }

    private func activate(_ m: ModuleBuilder, _ x: LLVMValueRef) -> LLVMValueRef {
        switch activation {
        case .silu: m.silu(x)
        case .geluTanh: m.geluTanh(x)
        case .gelu: m.geluErf(x)
        }
    }
}
