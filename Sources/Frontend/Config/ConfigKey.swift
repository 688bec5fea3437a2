import IR

/// A config.json key given by name, for configs whose key names depend on the model type or have older spellings
/// (`n_embd` / `hidden_size`, `rotary_pct` / `partial_rotary_factor`).
struct ConfigKey: CodingKey, ExpressibleByStringLiteral, Sendable {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init(stringLiteral value: String) { self.init(value) }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == ConfigKey {
    /// The value of the first of `names` present in the object (newest spelling first).
    func first<T: Decodable>(_ type: T.Type, _ names: [String]) throws -> T? {
        for name in names {
            if let value = try decodeIfPresent(type, forKey: ConfigKey(name)) { return value }
        }
        return nil
    }

    /// The first of `names` present in the object, else the first (so errors name the spelling in use).
    func spelling(_ names: [String]) -> ConfigKey {
        ConfigKey(names.first(where: { contains(ConfigKey($0)) }) ?? names[0])
    }

    /// A required positive integer under one of `names`; a missing key is reported by its first name.
    func positive(_ names: [String]) throws -> Int {
        try positive(spelling(names))
    }

    /// An optional positive integer under one of `names`.
    func positiveIfPresent(_ names: [String]) throws -> Int? {
        try positiveIfPresent(spelling(names))
    }

    /// An error about the value of `key`, turned into `FrontendError.badValue` by `ConfigDecoding`.
    func invalid(_ key: String, _ reason: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: ConfigKey(key), in: self, debugDescription: reason)
    }

    /// The activation named by `key` (default when absent) as an IR function.
    func activation(_ key: String, default name: String) throws -> UnaryOp {
        let name = try decodeIfPresent(String.self, forKey: ConfigKey(key)) ?? name
        guard let op = Activation.unary(name) else {
            throw invalid(key, "activation '\(name)' is not supported (supported: \(Activation.supported.joined(separator: ", ")))")
        }
        return op
    }

    /// `heads` must split into `kvHeads` groups.
    func checkGroups(heads: Int, kvHeads: Int, key: String) throws {
        guard heads % kvHeads == 0 else {
            throw invalid(key, "\(heads) query heads are not a multiple of \(kvHeads) key/value heads")
        }
    }

    /// `hidden / heads`, which must divide exactly.
    func headDim(hidden: Int, heads: Int, key: String) throws -> Int {
        guard hidden % heads == 0 else { throw invalid(key, "hidden size \(hidden) is not a multiple of \(heads) heads") }
        return hidden / heads
    }
}
