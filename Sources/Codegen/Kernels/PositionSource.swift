import CLLVM

/// Where a position-dependent kernel (learned positions, rotary tables) gets each row's position: `forward` calls
/// run consecutive positions pos0 + row; `encode` calls pass one i32 position per token (restarting per sequence).
public enum PositionSource: String, Sendable, Hashable {
    case consecutive
    case perToken

    var symbolSuffix: String { self == .perToken ? "_pt" : "" }

    /// Loads the slot (pos0, or the positions pointer) and returns the i64 position of a row.
    func positionOfRow(_ m: ModuleBuilder, args: LLVMValueRef, slot: Int) -> (LLVMValueRef) -> LLVMValueRef {
        switch self {
        case .consecutive:
            let pos0 = m.loadSlot(args, slot)
            return { m.add(pos0, $0) }
        case .perToken:
            let positions = m.loadSlotPointer(args, slot)
            return { m.sext(m.load(m.i32Type, m.gep(m.i32Type, positions, $0)), m.i64Type) }
        }
    }
}
