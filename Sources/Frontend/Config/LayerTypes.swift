import Foundation
import IR

/// Attention kind of one decoder layer, as config.json's `layer_types` names it.
public enum AttentionLayerType: String, Sendable, Equatable, CaseIterable {
    case full = "full_attention"
    case sliding = "sliding_attention"
}

extension [AttentionLayerType] {
    /// The window each layer's attention uses: `window` for sliding layers, nil (full causal) for the others.
    func windows(_ window: Int?) -> [Int?] { map { $0 == .sliding ? window : nil } }
}

/// Rotary settings of each attention layer type (Gemma 3, OLMo 3 give local and global layers their own base).
public struct LayerTypeRope: Equatable, Sendable {
    public var full: RopeConfig
    public var sliding: RopeConfig

    public init(full: RopeConfig, sliding: RopeConfig) {
        self.full = full
        self.sliding = sliding
    }

    /// The same settings for both layer types (models with one `rope_parameters`).
    public init(_ both: RopeConfig) {
        self.init(full: both, sliding: both)
    }

    /// The rotary embedding of one tensor of heads in a `type` layer: that type's frequencies for the `rotaryDim`
    /// leading dims of each head, and its attention factor.
    public func spec(_ type: AttentionLayerType, heads: Int, headDim: Int, rotaryDim: Int, style: RopeStyle) -> RopeSpec {
        self[type].spec(heads: heads, headDim: headDim, rotaryDim: rotaryDim, style: style)
    }

    public subscript(_ type: AttentionLayerType) -> RopeConfig {
        switch type {
        case .full: full
        case .sliding: sliding
        }
    }
}

/// `rope_parameters` nested by layer type (transformers 5 layout of Gemma 3 / OLMo 3).
private struct NestedRopeJSON: Decodable {
    var full: RopeParametersJSON?
    var sliding: RopeParametersJSON?

    enum CodingKeys: String, CodingKey {
        case full = "full_attention", sliding = "sliding_attention"
    }
}

extension KeyedDecodingContainer {
    /// `layer_types` when present (one known entry per layer), otherwise `fallback(layerIndex)` for every layer.
    func layerTypes(_ key: Key, layers: Int, fallback: (Int) -> AttentionLayerType) throws -> [AttentionLayerType] {
        guard let names = try decodeIfPresent([String].self, forKey: key) else { return (0..<layers).map(fallback) }
        guard names.count == layers else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self,
                debugDescription: "has \(names.count) entries for \(layers) layers")
        }
        return try names.map { name in
            guard let type = AttentionLayerType(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription:
                    "layer type '\(name)' is not supported (supported: full_attention, sliding_attention)")
            }
            return type
        }
    }

    /// Checks that `window` is set when any layer slides (`windowKey` names it in the error) and returns it.
    func slidingWindow(_ windowKey: Key, for types: [AttentionLayerType], window: Int?) throws -> Int? {
        if types.contains(.sliding) && window == nil {
            throw DecodingError.dataCorruptedError(forKey: windowKey, in: self,
                debugDescription: "is missing or null but layer_types has sliding_attention layers")
        }
        return window
    }

    /// A value whose absence means `defaultValue` and whose explicit `null` means none (soft caps, windows).
    func valueOrNull<T: Decodable>(_ type: T.Type, _ key: Key, default defaultValue: T?) throws -> T? {
        guard contains(key) else { return defaultValue }
        return try decodeIfPresent(T.self, forKey: key)
    }

    /// One rotary setting for every layer: `rope_parameters` (transformers 5), else `rope_scaling` with a
    /// top-level `rope_theta` (older configs); the base defaults to `defaultTheta`. `maxPosition` is
    /// max_position_embeddings (needed by dynamic, YaRN and LongRoPE scaling).
    func rope(parameters: Key, scaling: Key, theta: Key, defaultTheta: Float, maxPosition: Int) throws -> RopeConfig {
        let json = try decodeIfPresent(RopeParametersJSON.self, forKey: parameters)
            ?? decodeIfPresent(RopeParametersJSON.self, forKey: scaling)
        let base = try json?.ropeTheta ?? decodeIfPresent(Float.self, forKey: theta) ?? defaultTheta
        let key = contains(parameters) ? parameters.stringValue : scaling.stringValue
        return try (json ?? RopeParametersJSON()).resolve(theta: base, key: key, file: "config.json", maxPosition: maxPosition)
    }

    /// Rotary settings per layer type: `rope_parameters` nested by layer type (transformers 5), else the older
    /// top-level keys, where `rope_scaling` and `rope_theta` describe full-attention layers and `slidingTheta`
    /// (Gemma 3: `rope_local_base_freq`; OLMo 3: none, transformers gives sliding layers the default base) gives the
    /// sliding layers' base.
    func layerTypeRope(parameters: Key, scaling: Key, theta: Key, slidingTheta: Key?,
                       defaultFull: Float, defaultSliding: Float, maxPosition: Int) throws -> LayerTypeRope {
        let fullTheta = try decodeIfPresent(Float.self, forKey: theta) ?? defaultFull
        let slidingBase = try slidingTheta.flatMap { try decodeIfPresent(Float.self, forKey: $0) } ?? defaultSliding
        let nested = try decodeIfPresent(NestedRopeJSON.self, forKey: parameters)
        if let nested, nested.full != nil || nested.sliding != nil {
            let name = parameters.stringValue
            func resolve(_ json: RopeParametersJSON?, _ type: AttentionLayerType, _ base: Float) throws -> RopeConfig {
                let json = json ?? RopeParametersJSON()
                return try json.resolve(theta: json.ropeTheta ?? base, key: "\(name).\(type.rawValue)", file: "config.json",
                                        maxPosition: maxPosition)
            }
            return LayerTypeRope(full: try resolve(nested.full, .full, fullTheta),
                                 sliding: try resolve(nested.sliding, .sliding, slidingBase))
        }
        if contains(parameters), try !decodeNil(forKey: parameters) {
            throw DecodingError.dataCorruptedError(forKey: parameters, in: self, debugDescription:
                "must be nested by layer type (full_attention, sliding_attention) for this model type")
        }
        let scaled = try decodeIfPresent(RopeParametersJSON.self, forKey: scaling) ?? RopeParametersJSON()
        return LayerTypeRope(
            full: try scaled.resolve(theta: scaled.ropeTheta ?? fullTheta, key: scaling.stringValue, file: "config.json",
                                     maxPosition: maxPosition),
            sliding: RopeConfig(theta: slidingBase, scaling: .none))
    }
}
