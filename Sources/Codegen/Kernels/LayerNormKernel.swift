import CLLVM

/// Layer norm of each `dim`-wide group ("head") of each row, like torch.nn.LayerNorm in f32: mean, biased
/// variance mean((x - mean)²) (two passes, no cancellation), then (x - mean) · (1 / sqrt(var + eps)) ·
/// (w + weightOffset) + b. Without `affine` the normalised value is not scaled (weight and weightOffset unused);
/// without `bias` nothing is added.
/// With `perHeadParameters` each group has its own weight and bias (f32[heads·dim], e.g. Cohere's per-head q/k norms).
/// Slots: [0] x ptr, [1] ldx, [2] heads, [3] weight ptr (f32[dim]; ignored without affine), [4] bias ptr (f32[dim];
/// ignored without bias), [5] out ptr, [6] ldo, [7] rows. out may be x.
public struct LayerNormKernel: RowwiseKernel {
    public let dim: Int
    public let eps: Float
    public let affine: Bool
    public let bias: Bool
    public let weightOffset: Float
    public let perHeadParameters: Bool

    public init(dim: Int, eps: Float, affine: Bool, bias: Bool, weightOffset: Float, perHeadParameters: Bool = false) {
        precondition(dim > 0, "norm dim must be positive")
        self.dim = dim
        self.eps = eps
        self.affine = affine
        self.bias = bias
        self.weightOffset = weightOffset
        self.perHeadParameters = perHeadParameters
    }

    public var symbol: String {
        let weight = affine ? "_w\(symbolBits(weightOffset))" : ""
        return "llmc_layernorm_d\(dim)_e\(symbolBits(eps))\(weight)\(bias ? "_b" : "")\(perHeadParameters ? "_perhead" : "")"
    }

    public static let rowsSlot = 7

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let groups = NormGroups(m, args: args, dim: dim, outSlot: 5)
        let weight = affine ? m.loadSlotPointer(args, 3) : nil
        let shift = bias ? m.loadSlotPointer(args, 4) : nil
        return { row in
            groups.forEach(m, row: row) { source, destination, column in
                let own = { (p: LLVMValueRef?) in perHeadParameters ? p.map { m.gepF32($0, column) } : p }
                emitGroup(m, lanes: target.vectorWidth, source: source, weight: own(weight), shift: own(shift),
                          destination: destination)
            }
        }
    }

    private func emitGroup(
        _ m: ModuleBuilder, lanes: Int, source: LLVMValueRef, weight: LLVMValueRef?, shift: LLVMValueRef?,
        destination: LLVMValueRef
    ) {
        let load = { (base: LLVMValueRef, offset: LLVMValueRef, mask: LLVMValueRef?) in
            m.loadF32Vector(m.gepF32(base, offset), lanes, mask: mask)
        }
        let count = m.constF32(Float(dim))
        let sum = sumOverVectors(m, count: dim, lanes: lanes) { offset, mask, acc in m.fadd(acc, load(source, offset, mask)) }
        let mean = m.splat(m.fdiv(sum, count), lanes)
        let squares = sumOverVectors(m, count: dim, lanes: lanes) { offset, mask, acc in
            var centered = m.fsub(load(source, offset, mask), mean)
            if let mask { centered = m.select(mask, centered, LLVMConstNull(m.f32Vector(lanes))) }
            return m.fma(centered, centered, acc)
        }
        let variance = m.fdiv(squares, count)
        let inverse = m.splat(m.fdiv(m.constF32(1), m.sqrt(m.fadd(variance, m.constF32(eps)))), lanes)
        forEachVector(m, count: dim, lanes: lanes) { offset, mask in
            var value = m.fmul(m.fsub(load(source, offset, mask), mean), inverse)
            if let weight {
                var w = load(weight, offset, mask)
                if weightOffset != 0 { w = m.fadd(w, m.splatF32(weightOffset, lanes)) }
                value = shift.map { m.fma(value, w, load($0, offset, mask)) } ?? m.fmul(value, w)
            } else if let shift {
                value = m.fadd(value, load(shift, offset, mask))
            }
            m.storeVector(value, m.gepF32(destination, offset), mask: mask)
        }
    }
}
