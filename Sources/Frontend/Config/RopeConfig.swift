import Foundation
import IR

/// Rotary embedding settings, read from `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling` (older).
///
/// Frequencies follow transformers' `modeling_rope_utils.py` step by step in f32 (its scalar set-up in double), so the
/// folded tables match what the reference computes.
public struct RopeConfig: Equatable, Sendable {
    public enum Scaling: Equatable, Sendable {
        case none
        /// Position interpolation: frequencies divided by `factor`.
        case linear(factor: Float)
        /// Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth blend between.
        case llama3(factor: Float, lowFreqFactor: Float, highFreqFactor: Float, originalMaxPosition: Int)
        /// Dynamic NTK. transformers starts from `base·((factor·L/L) − (factor − 1))^(d/(d−2))` with
        /// L = max_position_embeddings (the plain frequencies) and rescales only once a sequence grows past L; llmc never
        /// runs past max_position_embeddings, so these frequencies are exact for every length it accepts.
        case dynamic(factor: Double, maxPosition: Int)
        /// HunYuan's fixed NTK-alpha: base·alpha^(d/(d−2)), independent of the sequence length.
        case ntkAlpha(alpha: Double)
        /// YaRN: interpolated and extrapolated frequencies blended by a linear ramp over the correction range
        /// found from `betaFast`/`betaSlow`; cos and sin are multiplied by `attentionFactor`.
        case yarn(factor: Double, originalMaxPosition: Int, betaFast: Double, betaSlow: Double, truncate: Bool,
                  attentionFactor: Double)
        /// LongRoPE (Phi-3): each frequency divided by its own factor. transformers uses `shortFactor` while a call's
        /// sequence is at most `originalMaxPosition` long and `longFactor` beyond; `spec` carries both tables and the
        /// rope table kernel picks one per call. (transformers' generate also drops its cache when a sequence first
        /// crosses the length; llmc keeps the keys already cached, as a forward pass over a cache does.)
        case longrope(shortFactor: [Float], longFactor: [Float], originalMaxPosition: Int, attentionFactor: Double)
    }

    public var theta: Float
    public var scaling: Scaling

    public init(theta: Float, scaling: Scaling) {
        self.theta = theta
        self.scaling = scaling
    }

    /// Inverse frequencies for `rotaryDim` rotated dims, computed in f32 as transformers does.
    /// LongRoPE returns its short-context frequencies (`spec` adds the long ones).
    public func inverseFrequencies(rotaryDim: Int) -> [Float] {
        switch scaling {
        case .none:
            return Self.plain(base: theta, dim: rotaryDim)
        case .linear(let factor):
            return Self.plain(base: theta, dim: rotaryDim).map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            let old = Float(original)
            let lowWavelen = old / low
            let highWavelen = old / high
            return Self.plain(base: theta, dim: rotaryDim).map { f in
                let wavelen = 2 * Float.pi / f
                let scaled = wavelen > lowWavelen ? f / factor : f
                guard !(wavelen < highWavelen) && !(wavelen > lowWavelen) else { return scaled }
                let smooth = (old / wavelen - low) / (high - low)
                return (1 - smooth) * scaled / factor + smooth * scaled
            }
        case .dynamic(let factor, let maxPosition):
            let length = Double(maxPosition)
            let d = Double(rotaryDim)
            let base = Double(theta) * pow(factor * length / length - (factor - 1), d / (d - 2))
            return Self.plain(base: Float(base), dim: rotaryDim)
        case .ntkAlpha(let alpha):
            let d = Double(rotaryDim)
            return Self.plain(base: Float(Double(theta) * pow(alpha, d / (d - 2))), dim: rotaryDim)
        case .yarn(let factor, let original, let betaFast, let betaSlow, let truncate, _):
            return Self.yarn(base: theta, dim: rotaryDim, factor: factor, original: original,
                             betaFast: betaFast, betaSlow: betaSlow, truncate: truncate)
        case .longrope(let short, _, _, _):
            return zip(Self.powers(base: theta, dim: rotaryDim), short).map { 1 / ($1 * $0) }
        }
    }

    /// The rotary embedding of `heads` heads of `headDim`, the `rotaryDim` leading dims rotated: frequencies,
    /// attention factor and, for LongRoPE, the long-context table and the length that switches to it.
    public func spec(heads: Int, headDim: Int, rotaryDim: Int, style: RopeStyle) -> RopeSpec {
        var long: RopeSpec.LongContext?
        if case .longrope(_, let longFactor, let original, _) = scaling {
            long = RopeSpec.LongContext(invFreq: zip(Self.powers(base: theta, dim: rotaryDim), longFactor).map { 1 / ($1 * $0) },
                                        threshold: original)
        }
        return RopeSpec(heads: heads, headDim: headDim, rotaryDim: rotaryDim, style: style,
                        invFreq: inverseFrequencies(rotaryDim: rotaryDim), attentionScaling: attentionScaling, longContext: long)
    }

    /// Factor on cos and sin (`RopeSpec.attentionScaling`): YaRN's and LongRoPE's attention factor, 1 otherwise.
    public var attentionScaling: Float {
        switch scaling {
        case .yarn(_, _, _, _, _, let factor), .longrope(_, _, _, let factor): Float(factor)
        default: 1
        }
    }

    /// `base ** (arange(0, dim, 2) / dim)` in f32.
    private static func powers(base: Float, dim: Int) -> [Float] {
        (0..<dim / 2).map { powf(base, Float(2 * $0) / Float(dim)) }
    }

    private static func plain(base: Float, dim: Int) -> [Float] {
        powers(base: base, dim: dim).map { 1 / $0 }
    }

    /// transformers' `_compute_yarn_parameters`: the correction range in double, the blend in f32.
    private static func yarn(base: Float, dim: Int, factor: Double, original: Int, betaFast: Double, betaSlow: Double,
                             truncate: Bool) -> [Float] {
        func correctionDim(_ rotations: Double) -> Double {
            Double(dim) * log(Double(original) / (rotations * 2 * Double.pi)) / (2 * log(Double(base)))
        }
        var low = correctionDim(betaFast)
        var high = correctionDim(betaSlow)
        if truncate {
            low = low.rounded(.down)
            high = high.rounded(.up)
        }
        low = max(low, 0)
        high = min(high, Double(dim - 1))
        if low == high { high += 0.001 }
        let (lowF, spanF) = (Float(low), Float(high - low))
        let f = Float(factor)
        return powers(base: base, dim: dim).enumerated().map { i, p in
            let extrapolation = 1 / p
            let interpolation = 1 / (f * p)
            let ramp = min(max((Float(i) - lowF) / spanF, 0), 1)
            let extrapolationFactor = 1 - ramp
            return interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor
        }
    }
}

/// The JSON forms of rope settings (both layouts share these keys).
struct RopeParametersJSON: Decodable {
    var ropeType: String?
    var type: String?
    var ropeTheta: Float?
    var factor: Double?
    var lowFreqFactor: Float?
    var highFreqFactor: Float?
    var originalMaxPositionEmbeddings: Int?
    var alpha: Double?
    var betaFast: Double?
    var betaSlow: Double?
    var mscale: Double?
    var mscaleAllDim: Double?
    var attentionFactor: Double?
    var truncate: Bool?
    var shortFactor: [Float]?
    var longFactor: [Float]?
    var partialRotaryFactor: Double?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type, ropeTheta = "rope_theta", factor
        case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case alpha, betaFast = "beta_fast", betaSlow = "beta_slow", mscale, mscaleAllDim = "mscale_all_dim"
        case attentionFactor = "attention_factor", truncate, shortFactor = "short_factor", longFactor = "long_factor"
        case partialRotaryFactor = "partial_rotary_factor"
    }

    /// The rope type as transformers reads it (`rope_type`, else the older `type`, else default).
    var kind: String { ropeType ?? type ?? "default" }

    /// Builds a `RopeConfig`; `key` names the JSON object in errors.
    ///
    /// `maxPosition` (config.json's max_position_embeddings) is needed by dynamic, YaRN and LongRoPE; it is also the
    /// fallback of `original_max_position_embeddings`, which a top-level `originalMaxPosition` (Phi-3 keeps one there)
    /// overrides, as transformers' `standardize_rope_params` does. `ntkAlpha` reads 'dynamic' with an `alpha` as
    /// HunYuan's fixed NTK-alpha scaling.
    func resolve(theta: Float, key: String, file: String, maxPosition: Int? = nil, originalMaxPosition: Int? = nil,
                 ntkAlpha: Bool = false) throws -> RopeConfig {
        func need<T>(_ value: T?, _ name: String) throws -> T {
            guard let value else { throw FrontendError.missingKey(file: file, key: "\(key).\(name)") }
            return value
        }
        func bad(_ name: String, _ reason: String) -> FrontendError {
            FrontendError.badValue(file: file, key: "\(key).\(name)", reason: reason)
        }
        let original = originalMaxPosition ?? originalMaxPositionEmbeddings ?? maxPosition
        switch kind {
        case "default":
            return RopeConfig(theta: theta, scaling: .none)
        case "linear":
            return RopeConfig(theta: theta, scaling: .linear(factor: Float(try need(factor, "factor"))))
        case "llama3":
            return RopeConfig(theta: theta, scaling: .llama3(
                factor: Float(try need(factor, "factor")), lowFreqFactor: try need(lowFreqFactor, "low_freq_factor"),
                highFreqFactor: try need(highFreqFactor, "high_freq_factor"),
                originalMaxPosition: try need(original, "original_max_position_embeddings")))
        case "dynamic" where ntkAlpha && alpha != nil:
            return RopeConfig(theta: theta, scaling: .ntkAlpha(alpha: try need(alpha, "alpha")))
        case "dynamic":
            let maxPosition = try need(maxPosition, "max_position_embeddings")
            return RopeConfig(theta: theta, scaling: .dynamic(factor: try need(factor, "factor"), maxPosition: maxPosition))
        case "yarn":
            let original = try need(original, "original_max_position_embeddings")
            let factor = try factor ?? Double(try need(maxPosition, "factor")) / Double(original)
            guard factor > 0 else { throw bad("factor", "must be positive, got \(factor)") }
            let attention = attentionFactor ?? {
                func mscaleOf(_ scale: Double, _ m: Double) -> Double { scale <= 1 ? 1 : 0.1 * m * log(scale) + 1 }
                if let mscale, let mscaleAllDim, mscale != 0, mscaleAllDim != 0 {
                    return mscaleOf(factor, mscale) / mscaleOf(factor, mscaleAllDim)
                }
                return mscaleOf(factor, 1)
            }()
            // transformers: `beta_fast or 32`, `beta_slow or 1` (a 0 also means the default).
            return RopeConfig(theta: theta, scaling: .yarn(
                factor: factor, originalMaxPosition: original,
                betaFast: betaFast.flatMap { $0 == 0 ? nil : $0 } ?? 32, betaSlow: betaSlow.flatMap { $0 == 0 ? nil : $0 } ?? 1,
                truncate: truncate ?? true, attentionFactor: attention))
        case "longrope":
            let original = try need(original, "original_max_position_embeddings")
            let factor = try factor ?? Double(try need(maxPosition, "factor")) / Double(original)
            let attention = attentionFactor ?? (factor <= 1 ? 1 : (1 + log(factor) / log(Double(original))).squareRoot())
            return RopeConfig(theta: theta, scaling: .longrope(
                shortFactor: try need(shortFactor, "short_factor"), longFactor: try need(longFactor, "long_factor"),
                originalMaxPosition: original, attentionFactor: attention))
        default:
            throw bad("rope_type", "rope type '\(kind)' is not supported (supported: default, linear, llama3, dynamic, yarn, longrope)")
        }
    }
}

extension RopeConfig {
    /// Checks what depends on the rotated width: LongRoPE needs one short and one long factor per frequency.
    func validate(rotaryDim: Int, key: String, file: String) throws {
        guard case .longrope(let short, let long, _, _) = scaling else { return }
        for (name, factors) in [("short_factor", short), ("long_factor", long)] where factors.count != rotaryDim / 2 {
            throw FrontendError.badValue(file: file, key: "\(key).\(name)",
                                         reason: "has \(factors.count) entries; \(rotaryDim / 2) (rotary dims / 2) are needed")
        }
    }
}
