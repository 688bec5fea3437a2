import Foundation

/// Compact binary form of a tokenizer.json (+ tokenizer_config.json, config.json), stored in the blob and read by
/// RuntimeLib.
///
/// Supported models: BPE, byte-level (GPT-2, Llama-3, SmolLM2, Qwen2) and SentencePiece-style with "▁" and byte
/// fallback (Llama-2, Mistral, Gemma, Phi-3); WordPiece (BERT); Unigram (XLM-RoBERTa, SentencePiece). Normalizers NFC,
/// Prepend, Replace, BertNormalizer, Lowercase, Strip, Precompiled and Sequence; pre-tokenizers Split on the GPT-2 /
/// Llama-3 / Qwen2 regexes or on a string, Digits, ByteLevel (last), Metaspace, BertPreTokenizer, WhitespaceSplit;
/// BPE with either merges format, ignore_merges, unk/fuse_unk, byte_fallback; added tokens; post-processors
/// TemplateProcessing, ByteLevel, Roberta/Bert and Sequence (single and pair templates with token type ids);
/// decoders ByteLevel, or Replace, ByteFallback, Fuse, Strip, Metaspace and WordPiece. The pipeline is the one
/// transformers 5 runs, including the parts its LlamaTokenizer, GemmaTokenizer, BertTokenizer and XLMRobertaTokenizer
/// classes rebuild (TransformersTokenizerClass). Anything else throws a `TokenizerError` naming the file and key. The
/// format is described in TokenizerSectionWriter.swift.
public struct TokenizerSection {
    public let bytes: [UInt8]
    /// Id of tokenizer_config.json's bos_token, if any.
    public let bosId: Int?
    /// Id of tokenizer_config.json's eos_token, if any.
    public let eosIds: [Int]
    /// Number of ids the tokenizer knows (highest id + 1).
    public let vocabSize: Int

    /// Builds the section from `tokenizer.json` (and `tokenizer_config.json`, `config.json` when present); nil when
    /// there is no tokenizer.json.
    public static func build(modelDirectory: URL) throws -> TokenizerSection? {
        guard let (pipeline, specials, file) = try pipeline(modelDirectory: modelDirectory) else { return nil }
        return try build(pipeline, symbols: pipeline.symbols(file: file), added: pipeline.addedContents,
                         bos: specials?.bos?.content, eos: specials?.eos?.content)
    }

    /// The pipeline transformers runs for the tokenizer of `modelDirectory` (its tokenizer class applied, the special
    /// tokens of tokenizer_config.json added), those special tokens, and tokenizer.json's path; nil when there is no
    /// tokenizer.json.
    static func pipeline(modelDirectory: URL) throws(TokenizerError)
        -> (pipeline: TokenizerPipeline, specials: ConfigSpecialTokens?, file: String)? {
        guard let (root, text) = try readJSON(modelDirectory.appendingPathComponent("tokenizer.json")) else {
            return nil
        }
        let config = try readJSON(modelDirectory.appendingPathComponent("tokenizer_config.json"))?.node
        let modelConfig = try readJSON(modelDirectory.appendingPathComponent("config.json"))?.node
        let tokenizerClass = try TransformersTokenizerClass.resolve(
            tokenizerConfig: config, modelConfig: modelConfig,
            tokenizerJSONMentionsByteLevel: text.contains(Array(#""ByteLevel""#.utf8)))
        var pipeline = try TokenizerPipeline(root, for: tokenizerClass)
        try tokenizerClass.apply(to: &pipeline, config: config)
        let specials = try config.map { cfg throws(TokenizerError) in try ConfigSpecialTokens(cfg) }
        if let specials { pipeline.addMissing(specials) }
        try pipeline.addTextCleanup(config: config)
        return (pipeline, specials, root.file)
    }

    /// The parsed file and its bytes, or nil when it does not exist.
    private static func readJSON(_ url: URL) throws(TokenizerError) -> (node: TokenizerNode, text: [UInt8])? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw .unreadable(file: url.path) }
        let text = [UInt8](data)
        return (TokenizerNode(value: try TokenizerJSON.parse(text, file: url.path), file: url.path, path: ""), text)
    }

    private static func build(_ pipeline: TokenizerPipeline, symbols: TokenizerPipeline.Symbols,
                              added: [(token: AddedToken, content: [UInt8])], bos: String?,
                              eos: String?) -> TokenizerSection {
        let tokens = tokenTable(model: pipeline.model, added: added, symbols: symbols)
        let decoderSteps: [DecoderStep] = if case .steps(let steps) = pipeline.decoder { steps } else { [] }
        var model = pipeline.model
        if symbols == .bytes { model.byteFallback = false } // never applies (see TokenizerPipeline.symbols)
        let writer = TokenizerSectionWriter(
            model: model, characterSymbols: symbols == .characters, tokens: tokens, added: added,
            normalizers: pipeline.normalizers, preTokenizer: pipeline.preTokenizer, decoder: decoderSteps,
            template: pipeline.template)
        let eosId = eos.flatMap(pipeline.id(of:))
        return TokenizerSection(bytes: writer.serialize(), bosId: bos.flatMap(pipeline.id(of:)),
                                eosIds: eosId.map { [$0] } ?? [], vocabSize: tokens.count)
    }

    /// The id table: each id's text as the runtime decodes it (byte-level tokens already mapped back to bytes);
    /// added tokens take precedence over the model vocabulary (like tokenizers' id_to_token).
    private static func tokenTable(model: TokenizerModel, added: [(token: AddedToken, content: [UInt8])],
                                   symbols: TokenizerPipeline.Symbols) -> [TokenizerSectionWriter.Token?] {
        let count = max(model.vocab.map(\.id).max() ?? -1, added.map(\.token.id).max() ?? -1) + 1
        var tokens = [TokenizerSectionWriter.Token?](repeating: nil, count: count)
        for (token, id) in model.vocab {
            let bytes = symbols == .bytes ? ByteLevelAlphabet.bytes(of: token) : Array(token.utf8)
            tokens[id] = .init(bytes: bytes ?? Array(token.utf8), special: false, bpe: bytes != nil)
        }
        for (token, content) in added {
            let text = String(decoding: content, as: UTF8.self)
            let bytes = symbols == .bytes ? ByteLevelAlphabet.decodedBytes(of: text) : content
            let bpe = tokens[token.id].map { $0.bpe && $0.bytes == bytes } ?? false
            tokens[token.id] = .init(bytes: bytes, special: token.special, bpe: bpe)
        }
        return tokens
    }
}
