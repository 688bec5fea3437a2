import Foundation

/// Rotary embedding settings, read from `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling` (older).
public struct RopeConfig: Equatable, Sendable {
    public enum Scaling: Equatable, Sendable {
        case none
        /// Position interpolation: frequencies divided by `factor`.
        case linear(factor: Float)
        /// Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth blend between.
        case llama3(factor: Float, lowFreqFactor: Float, highFreqFactor: Float, originalMaxPosition: Int)
    }

    public var theta: Float
    public var scaling: Scaling

    /// Inverse frequencies for `rotaryDim` rotated dims, computed in f32 as transformers does.
    public func inverseFrequencies(rotaryDim: Int) -> [Float] {
        let dim = Float(rotaryDim)
        let base = (0..<rotaryDim / 2).map { 1 / powf(theta, Float(2 * $0) / dim) }
        switch scaling {
        case .none:
            return base
        case .linear(let factor):
            return base.map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            let old = Float(original)
            let lowWavelen = old / low
            let highWavelen = old / high
            return base.map { f in
                let wavelen = 2 * Float.pi / f
                let scaled = wavelen > lowWavelen ? f / factor : f
                guard !(wavelen < highWavelen) && !(wavelen > lowWavelen) else { return scaled }
                let smooth = (old / wavelen - low) / (high - low)
                return (1 - smooth) * scaled / factor + smooth * scaled
            }
        }
    }
}

/// The JSON forms of rope settings (both layouts share these keys).
struct RopeParametersJSON: Decodable {
    var ropeType: String?
    var type: String?
    var ropeTheta: Float?
    var factor: Float?
    var lowFreqFactor: Float?
    var highFreqFactor: Float?
    var originalMaxPositionEmbeddings: Int?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type, ropeTheta = "rope_theta", factor
        case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Builds a `RopeConfig`; `key` names the JSON object in errors.
    func resolve(theta: Float, key: String, file: String) throws -> RopeConfig {
        let kind = ropeType ?? type ?? "default"
        func need<T>(_ value: T?, _ name: String) throws -> T {
            guard let value else { throw FrontendError.missingKey(file: file, key: "\(key).\(name)") }
            return value
        }
        switch kind {
        case "default":
            return RopeConfig(theta: theta, scaling: .none)
        case "linear":
            return RopeConfig(theta: theta, scaling: .linear(factor: try need(factor, "factor")))
        case "llama3":
            return RopeConfig(theta: theta, scaling: .llama3(
                factor: try need(factor, "factor"), lowFreqFactor: try need(lowFreqFactor, "low_freq_factor"),
                highFreqFactor: try need(highFreqFactor, "high_freq_factor"),
                originalMaxPosition: try need(originalMaxPositionEmbeddings, "original_max_position_embeddings")))
        default:
            throw FrontendError.badValue(file: file, key: "\(key).rope_type",
                                         reason: "rope type '\(kind)' is not supported (supported: default, linear, llama3)")
        }
    }
}
