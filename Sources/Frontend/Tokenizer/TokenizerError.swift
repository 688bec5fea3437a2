/// Why a tokenizer.json / tokenizer_config.json cannot be compiled into a tokenizer section; each case names the file
/// and the key (a dotted path such as `pre_tokenizer.pretokenizers[0].pattern.Regex`).
public enum TokenizerError: Error, CustomStringConvertible {
    case unreadable(file: String)
    case invalidJSON(file: String, offset: Int, reason: String)
    case missingKey(file: String, key: String)
    case badValue(file: String, key: String, reason: String)
    /// A component (normalizer, pre-tokenizer, model, ...) or option llmc does not implement.
    case unsupported(file: String, key: String, what: String)
    case unknownToken(file: String, key: String, token: String)

    public var description: String {
        switch self {
        case .unreadable(let file): "\(file): cannot read the file"
        case .invalidJSON(let file, let offset, let reason): "\(file): invalid JSON at byte \(offset): \(reason)"
        case .missingKey(let file, let key): "\(file): missing key '\(key)'"
        case .badValue(let file, let key, let reason): "\(file): bad value for '\(key)': \(reason)"
        case .unsupported(let file, let key, let what): "\(file): '\(key)': unsupported \(what)"
        case .unknownToken(let file, let key, let token): "\(file): '\(key)': token \(token.debugDescription) is not in the vocabulary"
        }
    }
}
