import Foundation

/// The constants of one layer's xIELU activation (Apertus), as transformers' `XIELUActivation._xielu_python` uses them:
///
///     f(x) = alphaP·x·x + beta·x                       for x > 0
///     f(x) = (expm1(min(x, eps)) − x)·alphaN + beta·x  otherwise
///
/// with alphaP = softplus(alpha_p) and alphaN = beta + softplus(alpha_n) of the stored raw parameters (f32).
struct XIELUParameters: CustomStringConvertible {
    var alphaP: Float
    var alphaN: Float
    var beta: Float
    var eps: Float

    /// Reads `<module>.alpha_p`, `.alpha_n` (one value each) and the `.beta`, `.eps` buffers (the class defaults 0.5
    /// and -1e-6 when a checkpoint leaves them out).
    init(checkpoint: Checkpoint, module: String) throws {
        func scalar(_ name: String, default value: Float? = nil) throws -> Float {
            let tensor = module + "." + name
            if let value, !checkpoint.contains(tensor) { return value }
            let values = try checkpoint.floats(tensor)
            guard values.count == 1 else {
                throw FrontendError.tensorShape(name: tensor, file: checkpoint.directory.path, expected: [1],
                                                found: try checkpoint.shape(of: tensor))
            }
            return values[0]
        }
        beta = try scalar("beta", default: 0.5)
        eps = try scalar("eps", default: -1e-6)
        alphaP = Self.softplus(try scalar("alpha_p"))
        alphaN = beta + Self.softplus(try scalar("alpha_n"))
    }

    /// torch's softplus (beta 1, threshold 20).
    static func softplus(_ x: Float) -> Float { x > 20 ? x : log1pf(expf(x)) }

    var description: String { "alphaP \(alphaP), alphaN \(alphaN), beta \(beta), eps \(eps)" }
}
