/// Element types of weights and values.
public enum DType: String, Sendable, Codable, CaseIterable {
    case f32, f16, bf16, i32

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16: 2
        }
    }
}
