import Foundation
import IR

/// f64 references of the elementwise functions (exact formulas; kernels' f32 results are compared with tolerances).
enum ActivationReference {
    static func silu(_ x: Double) -> Double { x / (1 + Foundation.exp(-x)) }

    /// 0.5 x (1 + tanh(u)) written as x / (1 + e^(-2u)) (an identity) so the reference keeps its precision where
    /// tanh(u) is close to -1.
    static func geluTanh(_ x: Double) -> Double {
        let u = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
        return x / (1 + Foundation.exp(-2 * u))
    }

    /// x·Φ(x) through erfc, which keeps full relative precision for negative x.
    static func gelu(_ x: Double) -> Double { 0.5 * x * Foundation.erfc(-x / 2.0.squareRoot()) }

    static func gated(_ activation: GatedActivation, _ x: Double) -> Double {
        switch activation {
        case .silu: silu(x)
        case .geluTanh: geluTanh(x)
        case .gelu: gelu(x)
        }
    }
}
