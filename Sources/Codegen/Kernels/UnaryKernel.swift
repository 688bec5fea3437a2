import CLLVM
import IR

/// out[r][i] = f(x[r][i]) for i < width, f a `UnaryOp` computed in f32: gelu (`ModuleBuilder.geluErf`), geluTanh,
/// relu, reluSquared (relu(x)²), silu, softcap (cap·tanh(x/cap)), scale (x·factor), clamp, xIELU, tanh, shift
/// (x + constant), softplus, sigmoid.
/// Slots: [0] x, [1] ldx, [2] out, [3] ldo, [4] rows. out may equal x.
public struct UnaryKernel: RowwiseKernel {
    public let width: Int
    public let op: UnaryOp

    public init(width: Int, op: UnaryOp) {
        precondition(width > 0, "unary width must be positive")
        self.width = width
        self.op = op
    }

    public var symbol: String { "llmc_unary_\(op.symbolName)_w\(width)" }

    public static let rowsSlot = 4

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let (x, out) = (StridedRows(m, args: args, base: 0, ld: 1), StridedRows(m, args: args, base: 2, ld: 3))
        return { row in
            mapVectors(m, count: width, lanes: target.vectorWidth, inputs: [x.row(m, row)], output: out.row(m, row)) {
                op.apply(m, $0[0])
            }
        }
    }
}

extension UnaryOp {
    /// The op and its constants, for kernel symbols.
    var symbolName: String {
        switch self {
        case .gelu: "gelu"
        case .geluTanh: "gelutanh"
        case .relu: "relu"
        case .reluSquared: "relusq"
        case .silu: "silu"
        case .softcap(let cap): "softcap\(symbolBits(cap))"
        case .scale(let factor): "scale\(symbolBits(factor))"
        case .clamp(let limit): "clamp\(symbolBits(limit))"
        case .xielu(let p, let n, let b, let e): "xielu\([p, n, b, e].map(symbolBits).joined(separator: "_"))"
        case .tanh: "tanh"
        case .shift(let constant): "shift\(symbolBits(constant))"
        case .softplus: "softplus"
        case .sigmoid: "sigmoid"
        }
    }

    /// The op on an f32 vector.
    func apply(_ m: ModuleBuilder, _ x: LLVMValueRef) -> LLVMValueRef {
        switch self {
        case .gelu: return m.geluErf(x)
        case .geluTanh: return m.geluTanh(x)
        case .relu: return m.relu(x)
        case .reluSquared:
            let r = m.relu(x)
            return m.fmul(r, r)
        case .silu: return m.silu(x)
        case .softcap(let cap): return m.softcap(x, cap: cap)
        case .scale(let factor): return m.fmul(x, m.splatF32(factor, Int(LLVMGetVectorSize(LLVMTypeOf(x)))))
        case .tanh: return m.tanh(x)
        case .softplus: return m.softplus(x)
        case .sigmoid: return m.sigmoid(x)
        case .shift(let constant): return m.fadd(x, m.splatF32(constant, Int(LLVMGetVectorSize(LLVMTypeOf(x)))))
        case .clamp(let limit):
            let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
            return m.fmin(m.fmax(x, m.splatF32(-limit, lanes)), m.splatF32(limit, lanes))
        case .xielu(let alphaP, let alphaN, let beta, let eps):
            let lanes = Int(LLVMGetVectorSize(LLVMTypeOf(x)))
            let c = { (value: Float) in m.splatF32(value, lanes) }
            let linear = m.fmul(c(beta), x)
            let positive = m.fadd(m.fmul(m.fmul(c(alphaP), x), x), linear)
            let expm1 = m.expm1(m.fmin(x, c(eps)))
            let negative = m.fadd(m.fmul(m.fsub(expm1, x), c(alphaN)), linear)
            return m.select(m.fcmp(LLVMRealOGT, x, c(0)), positive, negative)
        }
    }
}
