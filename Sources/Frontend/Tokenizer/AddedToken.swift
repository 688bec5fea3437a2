/// An entry of tokenizer.json's `added_tokens` (special tokens and user-added tokens), matched in the text
/// before pre-tokenization.
struct AddedToken {
    var id: Int
    let content: String
    let special: Bool
    let lstrip: Bool
    let rstrip: Bool
    let singleWord: Bool
    let normalized: Bool
    /// A normalized token whose content the compiler cannot normalize (a normalizer only the runtime implements):
    /// the runtime normalizes it when it loads the section.
    var normalizedAtLoad = false

    init(id: Int, content: String, special: Bool, lstrip: Bool = false, rstrip: Bool = false,
         singleWord: Bool = false, normalized: Bool) {
        self.id = id
        self.content = content
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
        self.normalized = normalized
    }

    /// Parses an entry of tokenizer.json's added_tokens, or (with `id` given) a value of tokenizer_config.json's
    /// added_tokens_decoder, whose key is the id.
    init(_ node: TokenizerNode, id: Int? = nil) throws(TokenizerError) {
        if let id {
            self.id = id
        } else {
            let idNode = try node.required("id")
            self.id = try idNode.int()
            guard self.id >= 0, self.id < Int(Int32.max) else { throw idNode.bad("token id out of range") }
        }
        content = try node.required("content").string()
        guard !content.isEmpty else { throw node.bad("empty added token") }
        special = try node.bool("special", default: false)
        lstrip = try node.bool("lstrip", default: false)
        rstrip = try node.bool("rstrip", default: false)
        singleWord = try node.bool("single_word", default: false)
        normalized = try node.bool("normalized", default: !special)
    }

    /// The section's added-token flags (see TokenizerSectionWriter).
    var flags: UInt32 {
        (special ? 1 : 0) | (lstrip ? 2 : 0) | (rstrip ? 4 : 0) | (singleWord ? 8 : 0) | (normalized ? 16 : 0)
            | (normalizedAtLoad ? 32 : 0)
    }
}
