/// OLMoE's `clip_qkv` (nil or absent: no clamp).
struct ClipQKV: Decodable {
    var clip: Float?

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        clip = try c.decodeIfPresent(Float.self, forKey: "clip_qkv")
        if let clip, !(clip > 0) { throw c.invalid("clip_qkv", "must be positive, got \(clip)") }
    }
}

/// GLM-4.5's `use_qk_norm` (false when absent).
struct QKNormFlag: Decodable {
    var enabled: Bool

    init(from decoder: Decoder) throws {
        enabled = try decoder.container(keyedBy: ConfigKey.self).decodeIfPresent(Bool.self, forKey: "use_qk_norm") ?? false
    }
}

/// AFMoE's `mup_enabled` (false when absent): the embeddings are multiplied by sqrt(hidden_size).
struct MuPFlag: Decodable {
    var enabled: Bool

    init(from decoder: Decoder) throws {
        enabled = try decoder.container(keyedBy: ConfigKey.self).decodeIfPresent(Bool.self, forKey: "mup_enabled") ?? false
    }
}
