/// Everything a tokenizer runs, read from tokenizer.json and then adjusted for what transformers does (its tokenizer
/// class, the special tokens of tokenizer_config.json).
struct TokenizerPipeline {
    var normalizers: [NormalizerStep]
    var preTokenizer: [PreTokenizerStep]
    var model: TokenizerModel
    var decoder: TokenizerDecoder
    var template: PostProcessorTemplate
    var added: [AddedToken]

    /// How the BPE model forms a word's initial symbols.
    enum Symbols {
        /// Byte-level BPE: one symbol per byte, a character of GPT-2's byte alphabet in the vocabulary.
        case bytes
        /// SentencePiece-style BPE: one symbol per character, with byte fallback or unk for the unknown ones.
        case characters
    }

    /// Reads tokenizer.json (root), leaving out what `tokenizerClass` rebuilds (transformers does not read those parts
    /// either, so they need not be supported), except the Precompiled map, which XLMRobertaTokenizer keeps.
    init(_ root: TokenizerNode, for tokenizerClass: TransformersTokenizerClass) throws(TokenizerError) {
        if tokenizerClass.rebuildsStages {
            normalizers = try NormalizerStep.precompiledSteps(root.optional("normalizer"))
            preTokenizer = []
            decoder = .steps([])
        } else {
            normalizers = try NormalizerStep.parse(root.optional("normalizer"))
            preTokenizer = try PreTokenizerStep.parsePipeline(root)
            decoder = try TokenizerDecoder.parse(root)
        }
        model = try TokenizerModel(try root.required("model"))
        template = tokenizerClass.rebuildsPostProcessor ? PostProcessorTemplate(single: [], pair: nil)
            : try PostProcessorTemplate(root.optional("post_processor"))
        added = try (root.optional("added_tokens")?.array() ?? []).map { node throws(TokenizerError) in
            try AddedToken(node)
        }
    }

    /// The id the next new token gets (after the vocabulary and the added tokens).
    private var nextId: Int { max(model.vocab.map(\.id).max() ?? -1, added.map(\.id).max() ?? -1) + 1 }

    /// Adds a token like tokenizers' add_tokens: it takes the id of the vocabulary token with the same content, or
    /// the next free id.
    mutating func add(_ token: AddedToken) {
        var token = token
        token.id = model.idOfToken[Array(token.content.utf8)] ?? nextId
        added.append(token)
    }

    /// Adds the special tokens named in tokenizer_config.json that the tokenizer lacks (transformers does).
    mutating func addMissing(_ specials: ConfigSpecialTokens) {
        for token in specials.all where !added.contains(where: { $0.content.utf8.elementsEqual(token.content.utf8) }) {
            add(AddedToken(id: 0, content: token.content, special: true, lstrip: token.lstrip, rstrip: token.rstrip,
                           singleWord: token.singleWord, normalized: token.normalized))
        }
    }

    /// transformers' decode cleans up the decoded text (" ." to ".", ...) when tokenizer_config.json sets
    /// clean_up_tokenization_spaces, except for BPE models (unless forced).
    mutating func addTextCleanup(config: TokenizerNode?) throws(TokenizerError) {
        guard let config, try config.bool("clean_up_tokenization_spaces", default: false) else { return }
        let forced = try config.bool("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output",
                                     default: false)
        guard model.kind != .bpe || forced else { return }
        guard case .steps(let steps) = decoder else {
            throw .unsupported(file: config.file, key: "clean_up_tokenization_spaces",
                               what: "text cleanup with the ByteLevel decoder")
        }
        decoder = .steps(steps + DecoderStep.textCleanup)
    }

    /// The id of a token by content: the last added token with it, else the vocabulary's.
    func id(of content: String) -> Int? {
        added.last(where: { $0.content.utf8.elementsEqual(content.utf8) })?.id ?? model.idOfToken[Array(content.utf8)]
    }

    /// Checks that the parts fit one of the two supported kinds of BPE: byte-level (a ByteLevel pre-tokenizer step,
    /// last, and the ByteLevel decoder) or SentencePiece-style (neither). `file` names tokenizer.json in errors.
    func symbols(file: String) throws(TokenizerError) -> Symbols {
        let byteLevelSteps = preTokenizer.filter { if case .byteLevel = $0 { true } else { false } }.count
        if model.kind != .bpe, byteLevelSteps > 0 || decoder == .byteLevel {
            throw .unsupported(file: file, key: "pre_tokenizer", what: "ByteLevel with a model other than BPE")
        }
        guard byteLevelSteps > 0 else {
            guard decoder != .byteLevel else {
                throw .unsupported(file: file, key: "decoder", what: "ByteLevel decoder without a ByteLevel pre-tokenizer")
            }
            return .characters
        }
        guard byteLevelSteps == 1, case .byteLevel = preTokenizer.last else {
            throw .unsupported(file: file, key: "pre_tokenizer", what: "ByteLevel that is not the last step")
        }
        guard decoder == .byteLevel else {
            throw .unsupported(file: file, key: "decoder", what: "decoder other than ByteLevel for byte-level BPE")
        }
        // Byte fallback would apply to the UTF-8 of byte-alphabet characters; it never triggers when all have tokens.
        if model.byteFallback, ByteLevelAlphabet.characters.contains(where: { model.idOfToken[Array($0.utf8)] == nil }) {
            throw .unsupported(file: file, key: "model.byte_fallback", what: "byte_fallback with an incomplete byte alphabet")
        }
        return .bytes
    }

    /// What each added token is matched as: its normalized form when it is normalized (tokenizers also decodes it
    /// in that form), left to the runtime when only it implements the normalizer.
    var addedContents: [(token: AddedToken, content: [UInt8])] {
        added.map { token in
            guard token.normalized else { return (token, Array(token.content.utf8)) }
            guard let content = NormalizerStep.normalize(token.content, with: normalizers) else {
                var deferred = token
                deferred.normalizedAtLoad = true
                return (deferred, Array(token.content.utf8))
            }
            return (token, content)
        }
    }
}
