/// A JSON value with the file and key path it came from, so that every error names both.
struct TokenizerNode {
    let value: TokenizerJSON
    let file: String
    let path: String

    /// The member `key`, or nil when it is absent or null.
    func optional(_ key: String) -> TokenizerNode? {
        guard let child = value[key], !child.isNull else { return nil }
        return TokenizerNode(value: child, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    func required(_ key: String) throws(TokenizerError) -> TokenizerNode {
        guard let child = optional(key) else { throw .missingKey(file: file, key: path.isEmpty ? key : "\(path).\(key)") }
        return child
    }

    func bad(_ reason: String) -> TokenizerError { .badValue(file: file, key: path, reason: reason) }
    func unsupported(_ what: String) -> TokenizerError { .unsupported(file: file, key: path, what: what) }

    func string() throws(TokenizerError) -> String {
        guard let s = value.stringValue else { throw bad("expected a string") }
        return s
    }

    func int() throws(TokenizerError) -> Int {
        guard let i = value.intValue else { throw bad("expected an integer") }
        return i
    }

    func bool() throws(TokenizerError) -> Bool {
        guard let b = value.boolValue else { throw bad("expected true or false") }
        return b
    }

    func array() throws(TokenizerError) -> [TokenizerNode] {
        guard let a = value.arrayValue else { throw bad("expected an array") }
        return a.enumerated().map { TokenizerNode(value: $1, file: file, path: "\(path)[\($0)]") }
    }

    func members() throws(TokenizerError) -> [(key: String, node: TokenizerNode)] {
        guard let o = value.objectValue else { throw bad("expected an object") }
        return o.map { ($0.key, TokenizerNode(value: $0.value, file: file, path: "\(path).\($0.key)")) }
    }

    /// The boolean member `key`, or `defaultValue` when absent or null.
    func bool(_ key: String, default defaultValue: Bool) throws(TokenizerError) -> Bool {
        try optional(key)?.bool() ?? defaultValue
    }

    /// The `type` member of a component (normalizer, pre-tokenizer, ...).
    func type() throws(TokenizerError) -> String { try required("type").string() }
}
