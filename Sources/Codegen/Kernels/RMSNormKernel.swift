import CLLVM

/// RMS norm of each `dim`-wide group ("head") of each row, computed like transformers' LlamaRMSNorm in f32:
/// out = x * (1 / sqrt(mean(x^2) + eps)) * (w + weightOffset). `weightOffset` is 1 for Gemma's (1 + w). Without
/// `affine` the normalised value is not scaled (Gemma-3n's v norm; weight and weightOffset unused).
/// Slots: [0] x ptr, [1] ldx, [2] heads, [3] weight ptr (f32[dim]; ignored without affine), [4] out ptr, [5] ldo,
/// [6] rows. out may be x.
public struct RMSNormKernel: RowwiseKernel {
    public let dim: Int
    public let eps: Float
    public let weightOffset: Float
    public let affine: Bool

    public init(dim: Int, eps: Float, weightOffset: Float, affine: Bool = true) {
        precondition(dim > 0, "norm dim must be positive")
        self.dim = dim
        self.eps = eps
        self.weightOffset = weightOffset
        self.affine = affine
    }

    public var symbol: String {
        "llmc_rmsnorm_d\(dim)_e\(symbolBits(eps))" + (affine ? "_o\(symbolBits(weightOffset))" : "_noscale")
    }

    public static let rowsSlot = 6

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let groups = NormGroups(m, args: args, dim: dim, outSlot: 4)
        let weight = affine ? m.loadSlotPointer(args, 3) : nil
        return { row in
            groups.forEach(m, row: row) { source, destination, _ in
                emitGroup(m, lanes: target.vectorWidth, source: source, weight: weight, destination: destination)
            }
        }
    }

    private func emitGroup(
        _ m: ModuleBuilder, lanes: Int, source: LLVMValueRef, weight: LLVMValueRef?, destination: LLVMValueRef
    ) {
        let squares = sumOverVectors(m, count: dim, lanes: lanes) { offset, mask, acc in
            let v = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
            return m.fma(v, v, acc)
        }
        let variance = m.fdiv(squares, m.constF32(Float(dim)))
        let inverse = m.fdiv(m.constF32(1), m.sqrt(m.fadd(variance, m.constF32(eps))))
        let scale = m.splat(inverse, lanes)
        forEachVector(m, count: dim, lanes: lanes) { offset, mask in
            let v = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
            var value = m.fmul(v, scale)
            if let weight {
                var w = m.loadF32Vector(m.gepF32(weight, offset), lanes, mask: mask)
                if weightOffset != 0 { w = m.fadd(w, m.splatF32(weightOffset, lanes)) }
                value = m.fmul(value, w)
            }
            m.storeVector(value, m.gepF32(destination, offset), mask: mask)
        }
    }
}
