/// The tokenizer class transformers 5's AutoTokenizer instantiates for a model directory, as far as it changes what
/// runs: most classes load tokenizer.json as it is, but LlamaTokenizer and GemmaTokenizer keep only its vocabulary,
/// merges and post-processor and build their own normalizer, pre-tokenizer, decoder and BPE options (so Llama-2's
/// tokenizer.json normalizer Prepend("▁") + Replace is replaced by a Metaspace pre-tokenizer that prepends "▁" to the
/// start of the text only).
enum TransformersTokenizerClass: Equatable {
    case tokenizerJSON
    /// LlamaTokenizer: no normalizer, Metaspace(prepend_scheme, split false), byte fallback, Strip decoder.
    case llama(addPrefixSpace: Bool, legacy: Bool)
    /// GemmaTokenizer: Replace(" ", "▁") normalizer, byte fallback, unk token, no Strip decoder.
    case gemma
    /// BertTokenizer: BertNormalizer from tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars),
    /// BertPreTokenizer, WordPiece ("##", 100 characters, the config's unk token) over tokenizer.json's vocabulary,
    /// WordPiece decoder, template [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1.
    case bert(lowercase: Bool, stripAccents: Bool?, chineseChars: Bool)
    /// MPNetTokenizer: BertTokenizer's pipeline with the RoBERTa template <s> $A </s> / <s> $A </s> </s> $B </s>
    /// (all type id 0).
    case mpnet(lowercase: Bool, stripAccents: Bool?, chineseChars: Bool)
    /// XLMRobertaTokenizer: only tokenizer.json's Precompiled normalizer, WhitespaceSplit + Metaspace, Unigram over
    /// tokenizer.json's pieces with unk id 3 and no byte fallback, Metaspace decoder, template <s> $A </s> /
    /// <s> $A </s> </s> $B </s> (all type id 0).
    case xlmRoberta(addPrefixSpace: Bool)

    /// Whether the class builds its own normalizer, pre-tokenizer and decoder (tokenizer.json's are not read).
    var rebuildsStages: Bool { self != .tokenizerJSON }

    /// Whether the class builds its own post-processor template.
    var rebuildsPostProcessor: Bool {
        switch self {
        case .bert, .mpnet, .xlmRoberta: true
        case .tokenizerJSON, .llama, .gemma: false
        }
    }

    /// Follows AutoTokenizer.from_pretrained (transformers 5.24, without mistral-common installed): the class named
    /// by tokenizer_config.json (or config.json) unless the model type's registered class overrides it, else the
    /// model type's registered class.
    static func resolve(tokenizerConfig: TokenizerNode?, modelConfig: TokenizerNode?,
                        tokenizerJSONMentionsByteLevel: Bool) throws(TokenizerError) -> TransformersTokenizerClass {
        let modelTypeNode = modelConfig?.optional("model_type")
        let modelType = try modelTypeNode?.string()
        let classNode = tokenizerConfig?.optional("tokenizer_class") ?? modelConfig?.optional("tokenizer_class")
        guard let classNode else {
            guard let modelTypeNode, let modelType else { return .tokenizerJSON }
            if TransformersModelTypes.codeLlama.contains(modelType) {
                throw modelTypeNode.unsupported("\(modelType) (its tokenizer, CodeLlamaTokenizer, infills)")
            }
            if TransformersModelTypes.unreproducedModelTypes.contains(modelType) {
                throw modelTypeNode.unsupported("\(modelType) (its tokenizer class builds its own pipeline, which llmc "
                                                + "does not reproduce)")
            }
            if TransformersModelTypes.llama.contains(modelType) { return try llama(tokenizerConfig) }
            if TransformersModelTypes.bert.contains(modelType) { return try bert(tokenizerConfig) }
            if TransformersModelTypes.mpnet.contains(modelType) { return try mpnet(tokenizerConfig) }
            if TransformersModelTypes.xlmRoberta.contains(modelType) { return try xlmRoberta(tokenizerConfig) }
            return TransformersModelTypes.gemma.contains(modelType) ? .gemma : .tokenizerJSON
        }
        var name = try classNode.string()
        if name.hasSuffix("Fast") { name.removeLast(4) }
        name = TransformersModelTypes.classAliases[name] ?? name
        if TransformersModelTypes.unreproducedClasses.contains(name),
           !(modelType.map(TransformersModelTypes.loadTokenizerJSON.contains) ?? false) {
            throw classNode.unsupported(
                "tokenizer class \(name) (it builds its own pipeline instead of tokenizer.json's; llmc does not "
                + "reproduce it)")
        }
        let rebuilding = ["LlamaTokenizer", "GemmaTokenizer", "CodeLlamaTokenizer", "BertTokenizer", "MPNetTokenizer",
                          "XLMRobertaTokenizer"]
        guard rebuilding.contains(name) else { return .tokenizerJSON }
        // A LlamaTokenizer declared for a byte-level tokenizer.json, or a model type whose registered class wins.
        if name == "LlamaTokenizer" && tokenizerJSONMentionsByteLevel { return .tokenizerJSON }
        if let modelType, TransformersModelTypes.loadTokenizerJSON.contains(modelType) { return .tokenizerJSON }
        switch name {
        case "LlamaTokenizer": return try llama(tokenizerConfig)
        case "GemmaTokenizer": return .gemma
        case "BertTokenizer": return try bert(tokenizerConfig)
        case "MPNetTokenizer": return try mpnet(tokenizerConfig)
        case "XLMRobertaTokenizer": return try xlmRoberta(tokenizerConfig)
        default: throw classNode.unsupported("tokenizer class \(name) (an infilling tokenizer)")
        }
    }

    /// BertNormalizer options of BertTokenizer and MPNetTokenizer in tokenizer_config.json.
    private static func bertOptions(_ config: TokenizerNode?) throws(TokenizerError)
        -> (lowercase: Bool, stripAccents: Bool?, chineseChars: Bool) {
        (try config?.bool("do_lower_case", default: true) ?? true, try config?.optional("strip_accents")?.bool(),
         try config?.bool("tokenize_chinese_chars", default: true) ?? true)
    }

    private static func bert(_ config: TokenizerNode?) throws(TokenizerError) -> TransformersTokenizerClass {
        let o = try bertOptions(config)
        return .bert(lowercase: o.lowercase, stripAccents: o.stripAccents, chineseChars: o.chineseChars)
    }

    private static func mpnet(_ config: TokenizerNode?) throws(TokenizerError) -> TransformersTokenizerClass {
        let o = try bertOptions(config)
        return .mpnet(lowercase: o.lowercase, stripAccents: o.stripAccents, chineseChars: o.chineseChars)
    }

    private static func xlmRoberta(_ config: TokenizerNode?) throws(TokenizerError) -> TransformersTokenizerClass {
        .xlmRoberta(addPrefixSpace: try config?.bool("add_prefix_space", default: true) ?? true)
    }

    private static func llama(_ config: TokenizerNode?) throws(TokenizerError) -> TransformersTokenizerClass {
        .llama(addPrefixSpace: try config?.bool("add_prefix_space", default: true) ?? true,
               legacy: try config?.bool("legacy", default: false) ?? false)
    }

    /// Replaces what the class rebuilds; `config` is tokenizer_config.json, whose added_tokens_decoder (when present)
    /// replaces tokenizer.json's added tokens.
    func apply(to pipeline: inout TokenizerPipeline, config: TokenizerNode?) throws(TokenizerError) {
        let decoderPrefix: [DecoderStep] = [.replace(ReplaceRule(pattern: "▁", content: " ")), .byteFallback, .fuse]
        switch self {
        case .tokenizerJSON:
            return
        case .llama(let addPrefixSpace, let legacy):
            let scheme: PrependScheme = addPrefixSpace ? (legacy ? .always : .first) : .never
            pipeline.normalizers = []
            pipeline.preTokenizer = [.metaspace(MetaspaceOptions(replacement: "▁", prependScheme: scheme, split: false))]
            pipeline.decoder = .steps(decoderPrefix + (addPrefixSpace ? [.strip(content: " ", start: 1, stop: 0)] : []))
            pipeline.model.unkId = nil
        case .bert(let lowercase, let stripAccents, let chineseChars):
            try applyBert(to: &pipeline, config: config, lowercase: lowercase, stripAccents: stripAccents,
                          chineseChars: chineseChars, roberta: false)
            try replaceAddedTokens(in: &pipeline, config: config)
            return
        case .mpnet(let lowercase, let stripAccents, let chineseChars):
            try applyBert(to: &pipeline, config: config, lowercase: lowercase, stripAccents: stripAccents,
                          chineseChars: chineseChars, roberta: true)
            try replaceAddedTokens(in: &pipeline, config: config)
            return
        case .xlmRoberta(let addPrefixSpace):
            try applyXLMRoberta(to: &pipeline, config: config, addPrefixSpace: addPrefixSpace)
            try replaceAddedTokens(in: &pipeline, config: config)
            return
        case .gemma:
            pipeline.normalizers = [.replace(ReplaceRule(pattern: " ", content: "▁"))]
            pipeline.preTokenizer = [.splitString(" ", .mergedWithPrevious, invert: false)]
            pipeline.decoder = .steps(decoderPrefix)
            let unk = try config?.optional("unk_token").map { node throws(TokenizerError) in
                try ConfigSpecialTokens.Named(node).content
            } ?? "<unk>"
            pipeline.model.unkId = pipeline.model.idOfToken[Array(unk.utf8)]
        }
        pipeline.model.fuseUnk = true
        pipeline.model.byteFallback = true
        pipeline.model.ignoreMerges = false
        try replaceAddedTokens(in: &pipeline, config: config)
    }

    /// The config's added_tokens_decoder (when present) replaces tokenizer.json's added tokens.
    private func replaceAddedTokens(in pipeline: inout TokenizerPipeline, config: TokenizerNode?)
        throws(TokenizerError) {
        if let decoderNode = config?.optional("added_tokens_decoder") {
            // transformers adds them by increasing key; tokenizers gives each the id of its vocabulary entry, or the
            // next free one.
            var entries: [(key: Int, node: TokenizerNode)] = []
            for (key, node) in try decoderNode.members() {
                guard let id = Int(key), id >= 0 else { throw node.bad("added_tokens_decoder key is not an id") }
                entries.append((id, node))
            }
            pipeline.added = []
            for (key, node) in entries.sorted(by: { $0.key < $1.key }) {
                pipeline.add(try AddedToken(node, id: key))
            }
        }
    }


    /// The content of a special token named in tokenizer_config.json, or `fallback` (the class's default).
    private static func special(_ key: String, _ config: TokenizerNode?, _ fallback: String) throws(TokenizerError)
        -> String {
        try config?.optional(key).map { node throws(TokenizerError) in try ConfigSpecialTokens.Named(node).content }
            ?? fallback
    }

    /// The id of a special token the class's template uses.
    private static func templateId(_ content: String, _ pipeline: TokenizerPipeline, _ config: TokenizerNode?)
        throws(TokenizerError) -> Int {
        guard let id = pipeline.id(of: content) else {
            throw TokenizerError.unknownToken(file: config?.file ?? "tokenizer_config.json", key: "special tokens",
                                              token: content)
        }
        return id
    }

    /// BertTokenizer's pipeline, with MPNetTokenizer's <s> / </s> RoBERTa template when `roberta`.
    private func applyBert(to pipeline: inout TokenizerPipeline, config: TokenizerNode?, lowercase: Bool,
                           stripAccents: Bool?, chineseChars: Bool, roberta: Bool) throws(TokenizerError) {
        let unk = try Self.special("unk_token", config, "[UNK]")
        guard let unkId = pipeline.model.idOfToken[Array(unk.utf8)] else {
            throw TokenizerError.unknownToken(file: config?.file ?? "tokenizer_config.json", key: "unk_token",
                                              token: unk)
        }
        pipeline.model = TokenizerModel(kind: .wordPiece(continuingSubwordPrefix: "##", maxInputCharsPerWord: 100),
                                        vocab: pipeline.model.vocab, unkId: unkId)
        pipeline.normalizers = [.bert(cleanText: true, handleChineseChars: chineseChars,
                                      stripAccents: stripAccents ?? lowercase, lowercase: lowercase)]
        pipeline.preTokenizer = [.bert]
        pipeline.decoder = .steps([.wordPiece(prefix: "##")] + DecoderStep.wordPieceCleanup)
        let cls = try Self.templateId(try Self.special("cls_token", config, roberta ? "<s>" : "[CLS]"), pipeline,
                                      config)
        let sep = try Self.templateId(try Self.special("sep_token", config, roberta ? "</s>" : "[SEP]"), pipeline,
                                      config)
        pipeline.template = roberta ? Self.robertaTemplate(cls: cls, sep: sep) : PostProcessorTemplate(
            single: [.special(id: cls, typeId: 0), .sequence(isB: false, typeId: 0), .special(id: sep, typeId: 0)],
            pair: [.special(id: cls, typeId: 0), .sequence(isB: false, typeId: 0), .special(id: sep, typeId: 0),
                   .sequence(isB: true, typeId: 1), .special(id: sep, typeId: 1)])
    }

    /// <s> $A </s> / <s> $A </s> </s> $B </s>, all type id 0 (RobertaProcessing, XLM-R's TemplateProcessing).
    private static func robertaTemplate(cls: Int, sep: Int) -> PostProcessorTemplate {
        let single: [PostProcessorTemplate.Item] = [.special(id: cls, typeId: 0), .sequence(isB: false, typeId: 0),
                                                    .special(id: sep, typeId: 0)]
        return PostProcessorTemplate(single: single, pair: single + [.special(id: sep, typeId: 0),
                                                                     .sequence(isB: true, typeId: 0),
                                                                     .special(id: sep, typeId: 0)])
    }

    private func applyXLMRoberta(to pipeline: inout TokenizerPipeline, config: TokenizerNode?, addPrefixSpace: Bool)
        throws(TokenizerError) {
        guard case .unigram = pipeline.model.kind else {
            throw TokenizerError.unsupported(
                file: config?.file ?? "tokenizer_config.json", key: "tokenizer_class",
                what: "XLMRobertaTokenizer over a tokenizer.json model that is not Unigram")
        }
        pipeline.model.unkId = pipeline.model.vocab.count > 3 ? 3 : nil
        pipeline.model.byteFallback = false
        pipeline.normalizers = pipeline.normalizers.filter { if case .precompiled = $0 { true } else { false } }
        let metaspace = MetaspaceOptions(replacement: "▁", prependScheme: addPrefixSpace ? .always : .never,
                                         split: true)
        pipeline.preTokenizer = [.whitespaceSplit, .metaspace(metaspace)]
        pipeline.decoder = .steps([.metaspace(metaspace)])
        let bos = try Self.templateId(try Self.special("bos_token", config, "<s>"), pipeline, config)
        let eos = try Self.templateId(try Self.special("eos_token", config, "</s>"), pipeline, config)
        pipeline.template = Self.robertaTemplate(cls: bos, sep: eos)
    }
}
