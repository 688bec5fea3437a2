import CLLVM
import IR

/// out[r][i] = act(gate[r][i]) * up[r][i] in f32 (act: `ModuleBuilder.silu`, `geluTanh`, `geluErf` or `relu`).
/// Slots: [0] gate ptr, [1] ldg, [2] up ptr, [3] ldu, [4] out ptr, [5] ldo, [6] rows.
public struct GatedActivationKernel: RowwiseKernel {
    public let ff: Int
    public let activation: GatedActivation

    public init(ff: Int, activation: GatedActivation) {
        precondition(ff > 0, "ff must be positive")
        self.ff = ff
        self.activation = activation
    }

    public var symbol: String { "llmc_gated_\(activation.rawValue)_f\(ff)" }

    public static let rowsSlot = 6

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (gate, up) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        let out = StridedRows(m, args: args, base: 4, ld: 5)
        return { row in
            let inputs = [gate.row(m, row), up.row(m, row)]
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
        case .relu: m.relu(x)
        }
    }
}
