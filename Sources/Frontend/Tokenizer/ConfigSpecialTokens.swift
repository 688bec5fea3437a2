/// What tokenizer_config.json says about special tokens: the named ones (bos, eos, ...) and the extra ones.
struct ConfigSpecialTokens {
    /// A special token as written in the config: a string, or an AddedToken object.
    struct Named {
        let content: String
        let lstrip: Bool
        let rstrip: Bool
        let singleWord: Bool
        let normalized: Bool

        init(_ node: TokenizerNode) throws(TokenizerError) {
            if case .string(let s) = node.value {
                content = s
                lstrip = false
                rstrip = false
                singleWord = false
                normalized = false
            } else {
                content = try node.required("content").string()
                lstrip = try node.bool("lstrip", default: false)
                rstrip = try node.bool("rstrip", default: false)
                singleWord = try node.bool("single_word", default: false)
                normalized = try node.bool("normalized", default: false)
            }
        }
    }

    static let namedKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    let bos: Named?
    let eos: Named?
    /// All named and extra special tokens, in transformers' order.
    let all: [Named]

    init(_ config: TokenizerNode) throws(TokenizerError) {
        if try config.bool("split_special_tokens", default: false) {
            throw TokenizerError.unsupported(file: config.file, key: "split_special_tokens", what: "value true")
        }
        var all: [Named] = []
        for key in Self.namedKeys {
            if let node = config.optional(key) { all.append(try Named(node)) }
        }
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            guard let node = config.optional(key) else { continue }
            let entries = node.value.objectValue != nil ? try node.members().map(\.node) : try node.array()
            for entry in entries { all.append(try Named(entry)) }
        }
        self.all = all
        bos = try config.optional("bos_token").map { node throws(TokenizerError) in try Named(node) }
        eos = try config.optional("eos_token").map { node throws(TokenizerError) in try Named(node) }
    }
}
