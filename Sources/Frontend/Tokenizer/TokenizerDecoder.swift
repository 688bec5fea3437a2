/// tokenizer.json's `decoder` as the runtime runs it.
enum TokenizerDecoder: Equatable {
    /// ByteLevel: each token's characters map back to bytes (done when the section is written: the token table holds
    /// those bytes), the bytes of all tokens are joined and invalid UTF-8 becomes U+FFFD.
    case byteLevel
    /// SentencePiece-style decoders, applied in order to the list of token strings (tokenizer_decode.c).
    case steps([DecoderStep])

    /// Parses a decoder: ByteLevel alone, or Replace, ByteFallback, Fuse, Strip and Metaspace alone or in a Sequence.
    static func parse(_ root: TokenizerNode) throws(TokenizerError) -> TokenizerDecoder {
        guard let node = root.optional("decoder") else {
            throw TokenizerError.unsupported(file: root.file, key: "decoder", what: "tokenizer without decoder")
        }
        if try node.type() == "ByteLevel" { return .byteLevel }
        return .steps(try DecoderStep.parse(node))
    }
}

/// One step of a SentencePiece-style decoder (tokenizers' decode_chain over the token strings).
enum DecoderStep: Equatable {
    /// Replaces in each token ("▁" to " ").
    case replace(ReplaceRule)
    /// Turns each run of "<0xNN>" tokens into the bytes they stand for: one string when they form valid UTF-8, else
    /// one U+FFFD per byte.
    case byteFallback
    /// Joins all tokens into one.
    case fuse
    /// Removes up to `start` leading and `stop` trailing `content` characters from each token.
    case strip(content: String, start: Int, stop: Int)
    /// Replaces the replacement character by a space in each token; in the first token it is removed instead unless
    /// the prepend scheme is never.
    case metaspace(MetaspaceOptions)
    /// WordPiece: a token after the first loses the prefix ("##") when it starts with it, else gets a space before.
    case wordPiece(prefix: String)

    /// tokenizers' WordPiece decoder cleanup, applied to each token after the prefix step.
    static let wordPieceCleanup: [DecoderStep] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { .replace(ReplaceRule(pattern: $0.0, content: $0.1)) }

    /// transformers' clean_up_tokenization, applied to the whole decoded text (a Fuse, then these on the one piece)
    /// when tokenizer_config.json sets clean_up_tokenization_spaces and the model is not BPE.
    static let textCleanup: [DecoderStep] = [.fuse] + [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"),
        (" 've", "'ve"), (" 're", "'re"),
    ].map { .replace(ReplaceRule(pattern: $0.0, content: $0.1)) }

    static func parse(_ node: TokenizerNode) throws(TokenizerError) -> [DecoderStep] {
        let type = try node.type()
        switch type {
        case "Sequence":
            var steps: [DecoderStep] = []
            for child in try node.required("decoders").array() { steps += try parse(child) }
            return steps
        case "Replace": return [.replace(try ReplaceRule(node))]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Strip":
            let contentNode = try node.required("content")
            let content = try contentNode.string()
            guard content.unicodeScalars.count == 1 else { throw contentNode.bad("expected one character") }
            return [.strip(content: content, start: try count(node, "start"), stop: try count(node, "stop"))]
        case "Metaspace": return [.metaspace(try MetaspaceOptions(node))]
        case "WordPiece":
            let prefix = try node.optional("prefix")?.string() ?? "##"
            return [.wordPiece(prefix: prefix)] + (try node.bool("cleanup", default: true) ? wordPieceCleanup : [])
        case "ByteLevel": throw node.unsupported("ByteLevel decoder combined with other decoders")
        default:
            throw node.unsupported("decoder type \(type) (supported: ByteLevel, or Replace, ByteFallback, Fuse, "
                                   + "Strip, Metaspace, WordPiece and Sequences of them)")
        }
    }

    private static func count(_ node: TokenizerNode, _ key: String) throws(TokenizerError) -> Int {
        let child = try node.required(key)
        let value = try child.int()
        guard value >= 0, value <= Int(UInt32.max) else { throw child.bad("expected a count") }
        return value
    }

    /// The section's decoder record (see TokenizerSectionWriter).
    func record(_ pool: inout StringPool) -> [UInt32] {
        switch self {
        case .replace(let rule): [1] + pool.add(rule.pattern) + pool.add(rule.content) + [0]
        case .byteFallback: [2, 0, 0, 0, 0, 0]
        case .fuse: [3, 0, 0, 0, 0, 0]
        case .strip(let content, let start, let stop): [4] + pool.add(content) + [UInt32(start), UInt32(stop), 0]
        case .metaspace(let options):
            [5] + pool.add(options.replacement) + [options.prependScheme == .never ? 0 : 1, 0, 0]
        case .wordPiece(let prefix): [6] + pool.add(prefix) + [0, 0, 0]
        }
    }
}
