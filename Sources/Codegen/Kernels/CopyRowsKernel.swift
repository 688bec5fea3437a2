import CLLVM

/// dst[r][0..<width] = src[r][0..<width] (writes new K/V rows into the KV cache).
/// Slots: [0] src, [1] lds, [2] dst, [3] ldd, [4] rows.
public struct CopyRowsKernel: Kernel {
    public let width: Int

    public init(width: Int) {
        precondition(width > 0, "copy width must be positive")
        self.width = width
    }

    public var symbol: String { "llmc_copy_rows_w\(width)" }

    static let maxTasks = 8

    public func taskCount(rows: LLVMValueRef, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        rowChunkTaskCount(m, rows: rows, maxTasks: Self.maxTasks)
    }

    @discardableResult
    public func emit(in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        defineKernel(in: m, target: target) { args, task in
            let (src, lds) = (m.loadSlotPointer(args, 0), m.loadSlot(args, 1))
            let (dst, ldd) = (m.loadSlotPointer(args, 2), m.loadSlot(args, 3))
            let range = rowChunk(m, rows: m.loadSlot(args, 4), task: task, maxTasks: Self.maxTasks)
            m.forLoop(from: range.begin, to: range.end) { row in
                let from = m.gepF32(src, m.mul(row, lds))
                let to = m.gepF32(dst, m.mul(row, ldd))
                forEachVector(m, count: width, lanes: target.vectorWidth) { offset, mask in
                    let value = m.loadF32Vector(m.gepF32(from, offset), target.vectorWidth, mask: mask)
                    m.storeVector(value, m.gepF32(to, offset), mask: mask)
                }
            }
        }
    }
}
