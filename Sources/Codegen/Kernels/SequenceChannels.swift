import CLLVM

/// Kernels that run along a sequence with independent channels (causal convolutions, selective scans): the tokens
/// of a call are processed in order, the channels in vectors of `lanes`, split into contiguous runs of vectors, one
/// per task. The task count depends on the channels only, so a one-token decode step uses every thread too.
public protocol SequenceChannelKernel: Kernel {
    /// Independent channels.
    var channels: Int { get }
    /// Emits the per-call preamble (slot loads) at the start of the entry point and returns the emitter of one
    /// channel vector's work over all tokens, given its first channel (i64) and lane mask (lanes past `channels` off).
    func channelEmitter(_ m: ModuleBuilder, target: TargetSpec, args: LLVMValueRef)
        -> (_ channel: LLVMValueRef, _ mask: LLVMValueRef) -> Void
}

extension SequenceChannelKernel {
    /// The most tasks one call is split into.
    static var maxTasks: Int { 8 }

    private func tasks(_ target: TargetSpec) -> Int {
        min((channels + target.vectorWidth - 1) / target.vectorWidth, Self.maxTasks)
    }

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        m.constI64(tasks(target))
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let lanes = target.vectorWidth
            let emitVector = channelEmitter(m, target: target, args: args)
            let vectors = m.constI64((channels + lanes - 1) / lanes)
            let range = splitRange(m, total: vectors, parts: m.constI64(tasks(target)), part: task)
            m.forLoop(from: range.begin, to: range.end) { vector in
                let channel = m.mul(vector, m.constI64(lanes))
                emitVector(channel, m.laneMask(valid: m.sub(m.constI64(channels), channel), lanes))
            }
        }
    }
}

extension PositionSource {
    /// The i1 "row starts a sequence" (its position is 0) of a row, from the slot holding pos0 or the positions.
    func startsSequence(_ m: ModuleBuilder, args: LLVMValueRef, slot: Int) -> (LLVMValueRef) -> LLVMValueRef {
        let position = positionOfRow(m, args: args, slot: slot)
        return { m.icmp(LLVMIntEQ, position($0), m.constI64(0)) }
    }
}
