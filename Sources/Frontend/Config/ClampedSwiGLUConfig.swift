/// GPT-OSS's expert activation parameters: `swiglu_alpha` (default 1.702) and `swiglu_limit` (default 7), both positive.
struct ClampedSwiGLUConfig: Decodable {
    var alpha: Float
    var limit: Float

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        alpha = try c.decodeIfPresent(Float.self, forKey: "swiglu_alpha") ?? 1.702
        limit = try c.decodeIfPresent(Float.self, forKey: "swiglu_limit") ?? 7
        if !(alpha > 0) { throw c.invalid("swiglu_alpha", "must be positive, got \(alpha)") }
        if !(limit > 0) { throw c.invalid("swiglu_limit", "must be positive, got \(limit)") }
    }
}
