import CLLVM
import IR

/// Builds the rotary cos/sin table for `rows` positions pos0 ..< pos0 + rows, like transformers' rotary embedding
/// in f32: angle_i = Float(p) * invFreq[i]; table[r][i] = cos(angle_i) * s, table[r][rotaryDim/2 + i] =
/// sin(angle_i) * s. cos/sin come from libm (cosf/sinf). With `longContext` (LongRoPE) a call whose sequence
/// pos0 + rows exceeds its threshold uses the long-context frequencies instead.
/// Slots: [0] out ptr (rows × rotaryDim, contiguous), [1] pos0 (or, with `.perToken` positions, the i32 position of
/// each row; no long-context switch then), [2] rows.
public struct RopeTableKernel: RowwiseKernel {
    public let rotaryDim: Int
    public let invFreq: [Float]
    public let attentionScaling: Float
    public let longContext: RopeSpec.LongContext?
    public let source: PositionSource

    public init(rotaryDim: Int, invFreq: [Float], attentionScaling: Float, longContext: RopeSpec.LongContext? = nil,
                source: PositionSource = .consecutive) {
        precondition(rotaryDim > 0 && rotaryDim % 2 == 0, "rotary dim must be positive and even")
        precondition(invFreq.count == rotaryDim / 2, "need rotaryDim/2 inverse frequencies")
        self.rotaryDim = rotaryDim
        self.invFreq = invFreq
        self.attentionScaling = attentionScaling
        self.longContext = longContext
        self.source = source
        precondition(source == .consecutive || longContext == nil, "per-token positions have no long-context switch")
        precondition(longContext.map { $0.invFreq.count == invFreq.count } ?? true, "long table must match")
    }

    public var symbol: String {
        let long = longContext.map { "_l\(symbolHash($0.invFreq))_t\($0.threshold)" } ?? ""
        return "llmc_rope_table_r\(rotaryDim)_f\(symbolHash(invFreq))_s\(symbolBits(attentionScaling))\(long)\(source.symbolSuffix)"
    }

    public static let maxTasks = 4
    public static let rowsSlot = 2

    public func rowEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef) -> (LLVMValueRef) -> Void {
        let out = m.loadSlotPointer(args, 0)
        let positionOfRow = source.positionOfRow(m, args: args, slot: 1)
        var frequencies = m.constantF32Array(named: symbol + ".inv_freq", invFreq)
        if let longContext {
            let long = m.constantF32Array(named: symbol + ".long_inv_freq", longContext.invFreq)
            let length = m.add(m.loadSlot(args, 1), m.loadSlot(args, Self.rowsSlot))
            frequencies = m.select(m.icmp(LLVMIntSGT, length, m.constI64(longContext.threshold)), long, frequencies)
        }
        let unary = m.functionType(m.f32Type, [m.f32Type])
        let half = rotaryDim / 2
        let scale = m.constF32(attentionScaling)
        return { row in
            let position = m.sitofp(positionOfRow(row), m.f32Type)
            let destination = m.gepF32(out, m.mul(row, m.constI64(rotaryDim)))
            m.forLoop(from: m.constI64(0), to: m.constI64(half)) { i in
                let angle = m.fmul(position, m.load(m.f32Type, m.gepF32(frequencies, i)))
                m.store(m.fmul(m.callExternal("cosf", unary, [angle]), scale), m.gepF32(destination, i))
                m.store(m.fmul(m.callExternal("sinf", unary, [angle]), scale), m.gepF32(destination, m.add(i, m.constI64(half))))
            }
        }
    }
}
