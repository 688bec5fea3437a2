import Foundation
import IR

/// f64 references of the elementwise functions (exact formulas; kernels' f32 results are compared with tolerances).
enum ActivationReference {
    static func silu(_ x: Double) -> Double { x / (1 + Foundation.exp(-x)) }

    /// 0.5 x (1 + tanh(u)) written as x / (1 + e^(-2u)) (an identity) so the reference keeps its precision where
    /// tanh(u) is close to -1.
    static func geluTanh(_ x: Double) -> Double { x / (1 + Foundation.exp(-geluTanhExponent(x))) }

    /// 2u: f32 rounding of it is a relative error of |2u|·ε in e^(-2u), so results for large negative x (tiny
    /// values) carry that much relative error in any f32 implementation.
    static func geluTanhExponent(_ x: Double) -> Double { 2 * (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x) }

    /// The factor by which f32 evaluation of `op` at x may exceed its usual relative error.
    static func conditioning(_ op: UnaryOp, _ x: Double) -> Double {
        if case .geluTanh = op { return max(1, abs(geluTanhExponent(x))) }
        // The negative branch sums terms of opposite sign: f32 rounding is relative to the terms, not the result.
        if case .xielu(_, let alphaN, let beta, _) = op, x <= 0 {
            let terms = (abs(Foundation.expm1(x)) + abs(x)) * Double(alphaN) + abs(Double(beta) * x)
            return max(1, terms / max(abs(unary(op, x)), 1e-30))
        }
        return 1
    }

    /// x·Φ(x) through erfc, which keeps full relative precision for negative x.
    static func gelu(_ x: Double) -> Double { 0.5 * x * Foundation.erfc(-x / 2.0.squareRoot()) }

    /// A gated MLP's activation of one (gate, up) pair: act(gate) · up, or GPT-OSS's clamped SwiGLU.
    static func gated(_ activation: GatedActivation, gate x: Double, up: Double) -> Double {
        switch activation {
        case .silu: silu(x) * up
        case .geluTanh: geluTanh(x) * up
        case .gelu: gelu(x) * up
        case .relu: max(x, 0) * up
        case .clampedSwiGLU(let alpha, let limit):
            clampedSwiGLU(gate: x, up: up, alpha: Double(alpha), limit: Double(limit))
        }
    }

    /// min(gate, limit) · sigmoid(alpha · min(gate, limit)) · (clamp(up, ±limit) + 1) (transformers' GptOssExperts).
    static func clampedSwiGLU(gate: Double, up: Double, alpha: Double, limit: Double) -> Double {
        let g = min(gate, limit)
        return g / (1 + Foundation.exp(-alpha * g)) * (min(max(up, -limit), limit) + 1)
    }

    static func unary(_ op: UnaryOp, _ x: Double) -> Double {
        switch op {
        case .gelu: gelu(x)
        case .geluTanh: geluTanh(x)
        case .relu: max(x, 0)
        case .reluSquared: max(x, 0) * max(x, 0)
        case .silu: silu(x)
        case .softcap(let cap): Double(cap) * Foundation.tanh(x / Double(cap))
        case .scale(let factor): x * Double(factor)
        case .clamp(let limit): min(max(x, -Double(limit)), Double(limit))
        case .xielu(let alphaP, let alphaN, let beta, let eps):
            x > 0 ? Double(alphaP) * x * x + Double(beta) * x
                : (Foundation.expm1(min(x, Double(eps))) - x) * Double(alphaN) + Double(beta) * x
        case .tanh: Foundation.tanh(x)
        case .shift(let constant): x + Double(constant)
        case .softplus: x > 20 ? x : Foundation.log1p(Foundation.exp(x))
        case .sigmoid: 1 / (1 + Foundation.exp(-x))
        }
    }
}
