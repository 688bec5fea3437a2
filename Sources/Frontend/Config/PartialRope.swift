import IR

/// Rotary settings of a decoder that may rotate only the first part of each head: theta and scaling (`RopeConfig`)
/// plus `partial_rotary_factor` (GPT-NeoX: `rotary_pct`).
public struct PartialRope: Equatable, Sendable {
    public var rope: RopeConfig
    /// Share of each head that rotates, as Python computes `int(head_dim * factor)` with it.
    public var factor: Double

    public init(rope: RopeConfig, factor: Double) {
        self.rope = rope
        self.factor = factor
    }

    /// Rotated dims at the start of each head.
    public func rotaryDim(headDim: Int) -> Int { Int(Double(headDim) * factor) }

    /// Reads the settings with transformers' precedence: `rope_parameters` (or the older `rope_scaling`) first, then
    /// the top-level `thetaKey` / `factorKey`, then the config class defaults. `maxPosition` serves the scaled rope types
    /// that need it. Checks that `headDim` gets an even, non-empty rotary part.
    static func decode(_ c: KeyedDecodingContainer<ConfigKey>, headDim: Int, maxPosition: Int, defaultTheta: Float,
                       defaultFactor: Double, thetaKey: String = "rope_theta",
                       factorKey: String = "partial_rotary_factor") throws -> PartialRope {
        let objectKey = c.contains("rope_parameters") ? "rope_parameters" : "rope_scaling"
        let json = try c.decodeIfPresent(RopeParametersJSON.self, forKey: ConfigKey(objectKey))
        let theta = try json?.ropeTheta ?? c.decodeIfPresent(Float.self, forKey: ConfigKey(thetaKey)) ?? defaultTheta
        let factor = try json?.partialRotaryFactor ?? c.decodeIfPresent(Double.self, forKey: ConfigKey(factorKey)) ?? defaultFactor
        let rope = try (json ?? RopeParametersJSON()).resolve(theta: theta, key: objectKey, file: "config.json", maxPosition: maxPosition)
        let result = PartialRope(rope: rope, factor: factor)
        let dim = result.rotaryDim(headDim: headDim)
        guard factor > 0, factor <= 1, dim > 0, dim % 2 == 0 else {
            throw c.invalid(json?.partialRotaryFactor != nil ? objectKey + ".partial_rotary_factor" : factorKey,
                            "\(factor) of head_dim \(headDim) gives \(dim) rotary dims; an even count in 2...\(headDim) is needed")
        }
        try rope.validate(rotaryDim: dim, key: objectKey, file: "config.json")
        return result
    }
}
