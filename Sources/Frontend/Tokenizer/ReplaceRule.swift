/// A literal replacement of a Replace normalizer or decoder: every non-overlapping occurrence of `pattern`, from the
/// left, becomes `content` (an empty pattern replaces nothing, like tokenizers).
struct ReplaceRule: Equatable {
    var pattern: String
    var content: String

    init(pattern: String, content: String) {
        self.pattern = pattern
        self.content = content
    }

    /// Parses `{"pattern": {"String": ...}, "content": ...}`; regex patterns are not supported.
    init(_ node: TokenizerNode) throws(TokenizerError) {
        let patternNode = try node.required("pattern")
        guard let literal = patternNode.optional("String") else {
            throw patternNode.unsupported("Replace pattern (only {\"String\": ...})")
        }
        pattern = try literal.string()
        content = try node.required("content").string()
    }

    /// The rule applied to UTF-8 bytes (byte-exact, unlike Foundation's canonical-equivalence matching).
    func apply(to text: [UInt8]) -> [UInt8] {
        let pattern = Array(self.pattern.utf8), content = Array(self.content.utf8)
        guard !pattern.isEmpty, text.count >= pattern.count else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + pattern.count <= text.count, text[i..<i + pattern.count].elementsEqual(pattern) {
                out += content
                i += pattern.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}
