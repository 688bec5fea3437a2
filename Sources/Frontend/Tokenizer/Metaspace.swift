/// When the Metaspace pre-tokenizer prepends its replacement character to a piece of text (tokenizers'
/// PrependScheme); the Metaspace decoder drops that character from the first token unless the scheme is never.
enum PrependScheme: UInt32, CaseIterable {
    case never = 0, first = 1, always = 2

    /// The name tokenizer.json uses.
    var name: String {
        switch self {
        case .never: "never"
        case .first: "first"
        case .always: "always"
        }
    }
}

/// The options of a Metaspace pre-tokenizer or decoder. Older tokenizer.json files have `add_prefix_space` instead of
/// `prepend_scheme`; like tokenizers, the scheme defaults to always and add_prefix_space must agree with it.
struct MetaspaceOptions: Equatable {
    /// The character spaces become (one Unicode scalar, "▁" in practice).
    var replacement: String
    var prependScheme: PrependScheme
    /// Whether the pre-tokenizer splits the text before each replacement character.
    var split: Bool

    init(replacement: String, prependScheme: PrependScheme, split: Bool) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
    }

    init(_ node: TokenizerNode) throws(TokenizerError) {
        let replacementNode = try node.required("replacement")
        replacement = try replacementNode.string()
        guard replacement.unicodeScalars.count == 1 else { throw replacementNode.bad("expected one character") }
        if let schemeNode = node.optional("prepend_scheme") {
            let name = try schemeNode.string()
            guard let scheme = PrependScheme.allCases.first(where: { $0.name == name }) else {
                throw schemeNode.unsupported("prepend_scheme \(name)")
            }
            prependScheme = scheme
        } else {
            prependScheme = .always
        }
        if let prefixNode = node.optional("add_prefix_space"), try prefixNode.bool() != (prependScheme != .never) {
            throw prefixNode.bad("add_prefix_space does not match prepend_scheme \(prependScheme.name)")
        }
        split = try node.bool("split", default: true)
    }
}
