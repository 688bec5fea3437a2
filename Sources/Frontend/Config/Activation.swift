import IR

/// transformers' activation names (`ACT2FN` keys used by `hidden_act`, `activation_function`, `activation`).
enum Activation {
    static let supported = ["gelu", "gelu_fast", "gelu_new", "gelu_pytorch_tanh", "relu", "relu2", "silu", "swish"]

    /// The IR function for a name, or nil when unsupported.
    static func unary(_ name: String) -> UnaryOp? {
        switch name {
        case "gelu": .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": .geluTanh
        case "relu": .relu
        case "relu2": .reluSquared
        case "silu", "swish": .silu
        default: nil
        }
    }
}
