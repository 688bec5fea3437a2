import CLLVM
import IR

/// out[r][i] = act(gate[r][i]) * up[r][i] in f32 (act: `ModuleBuilder.silu`, `geluTanh`, `geluErf` or `relu`), or
/// GPT-OSS's clamped SwiGLU of the pair (`GatedActivation.clampedSwiGLU`).
/// Slots: [0] gate ptr, [1] ldg, [2] up ptr, [3] ldu, [4] out ptr, [5] ldo, [6] rows.
public struct GatedActivationKernel: RowwiseKernel {
    public let ff: Int
    public let activation: GatedActivation

    public init(ff: Int, activation: GatedActivation) {
        precondition(ff > 0, "ff must be positive")
        self.ff = ff
        self.activation = activation
    }

    public var symbol: String { "llmc_gated_\(activation.symbol)_f\(ff)" }

    public static let rowsSlot = 6

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (gate, up) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        let out = StridedRows(m, args: args, base: 4, ld: 5)
        let lanes = target.vectorWidth
        return { row in
            let inputs = [gate.row(m, row), up.row(m, row)]
            mapVectors(m, count: ff, lanes: lanes, inputs: inputs, output: out.row(m, row)) { values in
                combine(m, gate: values[0], up: values[1], lanes: lanes)
            }
        }
    }

    private func combine(_ m: ModuleBuilder, gate: LLVMValueRef, up: LLVMValueRef, lanes: Int) -> LLVMValueRef {
        switch activation {
        case .silu: m.fmul(m.silu(gate), up)
        case .geluTanh: m.fmul(m.geluTanh(gate), up)
        case .gelu: m.fmul(m.geluErf(gate), up)
        case .relu: m.fmul(m.relu(gate), up)
        case .clampedSwiGLU(let alpha, let limit):
            clampedSwiGLU(m, gate: gate, up: up, alpha: alpha, limit: limit, lanes: lanes)
        }
    }

    /// min(gate, limit) · sigmoid(alpha · min(gate, limit)) · (clamp(up, ±limit) + 1).
    private func clampedSwiGLU(_ m: ModuleBuilder, gate: LLVMValueRef, up: LLVMValueRef, alpha: Float, limit: Float,
                               lanes: Int) -> LLVMValueRef {
        let g = m.fmin(gate, m.splatF32(limit, lanes))
        let u = m.fmax(m.fmin(up, m.splatF32(limit, lanes)), m.splatF32(-limit, lanes))
        let glu = m.fmul(g, m.sigmoid(m.fmul(g, m.splatF32(alpha, lanes))))
        return m.fmul(glu, m.fadd(u, m.splatF32(1, lanes)))
    }
}
