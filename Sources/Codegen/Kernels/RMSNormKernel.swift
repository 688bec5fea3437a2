import CLLVM

/// RMS norm of each `dim`-wide group ("head") of each row, computed like transformers' LlamaRMSNorm in f32:
/// out = x * (1 / sqrt(mean(x^2) + eps)) * (w + weightOffset). `weightOffset` is 1 for Gemma's (1 + w).
/// Slots: [0] x ptr, [1] ldx, [2] heads, [3] weight ptr (f32[dim]), [4] out ptr, [5] ldo, [6] rows. out may be x.
public struct RMSNormKernel: Kernel {
    public let dim: Int
    public let eps: Float
    public let weightOffset: Float

    public init(dim: Int, eps: Float, weightOffset: Float) {
        precondition(dim > 0, "norm dim must be positive")
        self.dim = dim
        self.eps = eps
        self.weightOffset = weightOffset
    }

    public var symbol: String { "llmc_rmsnorm_d\(dim)_e\(symbolBits(eps))_o\(symbolBits(weightOffset))" }

    static let maxTasks = 8

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        rowChunkTaskCount(m, rows: rows, maxTasks: Self.maxTasks)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let (x, ldx, heads) = (m.loadSlotPointer(args, 0), m.loadSlot(args, 1), m.loadSlot(args, 2))
            let (w, out, ldo) = (m.loadSlotPointer(args, 3), m.loadSlotPointer(args, 4), m.loadSlot(args, 5))
            let range = rowChunk(m, rows: m.loadSlot(args, 6), task: task, maxTasks: Self.maxTasks)
            let lanes = target.vectorWidth
            m.forLoop(from: range.begin, to: range.end) { row in
                m.forLoop(from: m.constI64(0), to: heads) { head in
                    let offset = m.mul(head, m.constI64(dim))
                    let source = m.gepF32(x, m.add(m.mul(row, ldx), offset))
                    let destination = m.gepF32(out, m.add(m.mul(row, ldo), offset))
                    emitGroup(m, lanes: lanes, source: source, weight: w, destination: destination)
                }
            }
        }
    }

    private func emitGroup(
        _ m: ModuleBuilder, lanes: Int, source: LLVMValueRef, weight: LLVMValueRef, destination: LLVMValueRef
    ) {
        let zero = LLVMConstNull(m.f32Vector(lanes))!
        let squares = forEachVector(m, count: dim, lanes: lanes, carrying: [zero]) { offset, mask, acc in
            let v = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
            return [m.fma(v, v, acc[0])]
        }
        let variance = m.fdiv(m.reduceAdd(squares[0]), m.constF32(Float(dim)))
        let inverse = m.fdiv(m.constF32(1), m.sqrt(m.fadd(variance, m.constF32(eps))))
        let scale = m.splat(inverse, lanes)
        forEachVector(m, count: dim, lanes: lanes) { offset, mask in
            let v = m.loadF32Vector(m.gepF32(source, offset), lanes, mask: mask)
            var w = m.loadF32Vector(m.gepF32(weight, offset), lanes, mask: mask)
            if weightOffset != 0 { w = m.fadd(w, m.splatF32(weightOffset, lanes)) }
            m.storeVector(m.fmul(m.fmul(v, scale), w), m.gepF32(destination, offset), mask: mask)
        }
    }
}
