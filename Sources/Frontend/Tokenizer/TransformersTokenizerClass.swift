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
            if TransformersModelTypes.llama.contains(modelType) { return try llama(tokenizerConfig) }
            return TransformersModelTypes.gemma.contains(modelType) ? .gemma : .tokenizerJSON
        }
        var name = try classNode.string()
        if name.hasSuffix("Fast") { name.removeLast(4) }
        guard ["LlamaTokenizer", "GemmaTokenizer", "CodeLlamaTokenizer"].contains(name) else { return .tokenizerJSON }
        // A LlamaTokenizer declared for a byte-level tokenizer.json, or a model type whose registered class wins.
        if name == "LlamaTokenizer" && tokenizerJSONMentionsByteLevel { return .tokenizerJSON }
        if let modelType, TransformersModelTypes.loadTokenizerJSON.contains(modelType) { return .tokenizerJSON }
        switch name {
        case "LlamaTokenizer": return try llama(tokenizerConfig)
        case "GemmaTokenizer": return .gemma
        default: throw classNode.unsupported("tokenizer class \(name) (an infilling tokenizer)")
        }
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
}
