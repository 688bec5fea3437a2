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

    /// Reads the settings with transformers' precedence: `rope_parameters` (or the older `rope_scaling`, else
    /// `defaultParameters`) first, then the top-level `thetaKey` / `factorKey`, then the config class defaults; a nil
    /// `factorKey` means the class ignores partial rotation (the factor is `defaultFactor`). `typeRenames` maps a
    /// class's own rope type names to transformers' ones. `maxPosition`, `originalMaxPosition` (a top-level
    /// original_max_position_embeddings) and `ntkAlpha` serve the scaled rope types that need them. Checks that
    /// `headDim` gets an even, non-empty rotary part.
    static func decode(_ c: KeyedDecodingContainer<ConfigKey>, headDim: Int, maxPosition: Int, defaultTheta: Float,
                       defaultFactor: Double, thetaKey: String = "rope_theta", factorKey: String? = "partial_rotary_factor",
                       defaultParameters: RopeParametersJSON? = nil, typeRenames: [String: String] = [:],
                       originalMaxPosition: Int? = nil, ntkAlpha: Bool = false) throws -> PartialRope {
        let objectKey = c.contains("rope_parameters") ? "rope_parameters" : "rope_scaling"
        var json = try c.decodeIfPresent(RopeParametersJSON.self, forKey: ConfigKey(objectKey)) ?? defaultParameters
        if let kind = json?.kind, let renamed = typeRenames[kind] { json?.ropeType = renamed }
        let theta = try json?.ropeTheta ?? c.decodeIfPresent(Float.self, forKey: ConfigKey(thetaKey)) ?? defaultTheta
        let objectFactor = factorKey == nil ? nil : json?.partialRotaryFactor
        let factor = try objectFactor ?? factorKey.flatMap { try c.decodeIfPresent(Double.self, forKey: ConfigKey($0)) } ?? defaultFactor
        let rope = try (json ?? RopeParametersJSON()).resolve(theta: theta, key: objectKey, file: "config.json", maxPosition: maxPosition,
                                                              originalMaxPosition: originalMaxPosition, ntkAlpha: ntkAlpha)
        let result = PartialRope(rope: rope, factor: factor)
        let dim = result.rotaryDim(headDim: headDim)
        guard factor > 0, factor <= 1, dim > 0, dim % 2 == 0 else {
            throw c.invalid(objectFactor != nil ? objectKey + ".partial_rotary_factor" : factorKey ?? "head_dim",
                            "\(factor) of head_dim \(headDim) gives \(dim) rotary dims; an even count in 2...\(headDim) is needed")
        }
        try rope.validate(rotaryDim: dim, key: objectKey, file: "config.json")
        return result
    }
}
