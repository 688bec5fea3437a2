import Foundation

/// Compact binary form of a tokenizer.json (+ tokenizer_config.json), stored in the blob and read by RuntimeLib.
///
/// Supported: byte-level BPE as GPT-2, Llama-3, SmolLM2 and Qwen2 use it. Normalizer none or NFC; pre-tokenizer
/// Split on the GPT-2 / Llama-3 / Qwen2 regexes, Digits and ByteLevel (last); BPE with either merges format,
/// ignore_merges, unk/fuse_unk; added tokens; post-processors TemplateProcessing, ByteLevel, Roberta/Bert and
/// Sequence; decoder ByteLevel. Anything else throws a `TokenizerError` naming the file and key. The format is
/// described in TokenizerSectionWriter.swift.
public struct TokenizerSection {
    public let bytes: [UInt8]
    /// Id of tokenizer_config.json's bos_token, if any.
    public let bosId: Int?
    /// Id of tokenizer_config.json's eos_token, if any.
    public let eosIds: [Int]
    /// Number of ids the tokenizer knows (highest id + 1).
    public let vocabSize: Int

    /// Builds the section from `tokenizer.json` (and `tokenizer_config.json` when present); nil when there is no
    /// tokenizer.json.
    public static func build(modelDirectory: URL) throws -> TokenizerSection? {
        let tokenizerURL = modelDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else { return nil }
        let root = try readJSON(tokenizerURL)
        let configURL = modelDirectory.appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.fileExists(atPath: configURL.path) ? try readJSON(configURL) : nil
        return try build(tokenizer: root, config: config)
    }

    private static func readJSON(_ url: URL) throws(TokenizerError) -> TokenizerNode {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw .unreadable(file: url.path) }
        return TokenizerNode(value: try TokenizerJSON.parse([UInt8](data), file: url.path), file: url.path, path: "")
    }

    private static func build(tokenizer root: TokenizerNode, config: TokenizerNode?) throws(TokenizerError)
        -> TokenizerSection {
        let nfc = try parseNormalizer(root.optional("normalizer"))
        try checkDecoder(root)
        let steps = try PreTokenizerStep.parsePipeline(root)
        let model = try BPEModel(try root.required("model"))
        var added = try (root.optional("added_tokens")?.array() ?? []).map { node throws(TokenizerError) in
            try AddedToken(node)
        }
        // transformers 5 keeps tokenizer.json's post-processor even when tokenizer_config.json sets add_bos_token /
        // add_eos_token (golden/tokenizer/llama3_add_eos checks this).
        let template = try PostProcessorTemplate(root.optional("post_processor"))

        let specials = try config.map { cfg throws(TokenizerError) in try ConfigSpecialTokens(cfg) }
        if let specials {
            // transformers adds the special tokens named in tokenizer_config.json that tokenizer.json lacks.
            var nextId = max(model.vocab.map(\.id).max() ?? -1, added.map(\.id).max() ?? -1) + 1
            for token in specials.all where !added.contains(where: { $0.content.utf8.elementsEqual(token.content.utf8) }) {
                let id = model.idOfToken[Array(token.content.utf8)] ?? nextId
                if id == nextId { nextId += 1 }
                added.append(AddedToken(id: id, content: token.content, special: true, lstrip: token.lstrip,
                                        rstrip: token.rstrip, singleWord: token.singleWord, normalized: token.normalized))
            }
        }
        func idOf(_ content: String?) -> Int? {
            guard let content else { return nil }
            return added.last(where: { $0.content.utf8.elementsEqual(content.utf8) })?.id
                ?? model.idOfToken[Array(content.utf8)]
        }
        let bosId = idOf(specials?.bos?.content)
        let eosId = idOf(specials?.eos?.content)

        // Normalized added tokens are matched, and decoded, in their normalized form (like tokenizers).
        let contents = added.map { $0.normalized && nfc ? $0.content.precomposedStringWithCanonicalMapping : $0.content }
        let tokens = tokenTable(model: model, added: Array(zip(added, contents)))
        let writer = TokenizerSectionWriter(
            nfc: nfc, ignoreMerges: model.ignoreMerges, fuseUnk: model.fuseUnk, unkId: model.unkId, tokens: tokens,
            merges: model.merges, added: zip(added, contents).map { ($0, Array($1.utf8)) }, steps: steps,
            template: template)
        return TokenizerSection(bytes: writer.serialize(), bosId: bosId, eosIds: eosId.map { [$0] } ?? [],
                                vocabSize: tokens.count)
    }

    /// The id table: each id's decoded bytes; added tokens take precedence over the model vocabulary (like
    /// tokenizers' id_to_token).
    private static func tokenTable(model: BPEModel, added: [(token: AddedToken, content: String)])
        -> [TokenizerSectionWriter.Token?] {
        let count = max(model.vocab.map(\.id).max() ?? -1, added.map(\.token.id).max() ?? -1) + 1
        var tokens = [TokenizerSectionWriter.Token?](repeating: nil, count: count)
        for (token, id) in model.vocab {
            let bytes = ByteLevelAlphabet.bytes(of: token)
            tokens[id] = .init(bytes: bytes ?? Array(token.utf8), special: false, bpe: bytes != nil)
        }
        for (token, content) in added {
            let bytes = ByteLevelAlphabet.decodedBytes(of: content)
            let bpe = tokens[token.id].map { $0.bpe && $0.bytes == bytes } ?? false
            tokens[token.id] = .init(bytes: bytes, special: token.special, bpe: bpe)
        }
        return tokens
    }

    /// Normalizer: none, NFC, or a Sequence of those.
    private static func parseNormalizer(_ node: TokenizerNode?) throws(TokenizerError) -> Bool {
        guard let node else { return false }
        let type = try node.type()
        switch type {
        case "NFC": return true
        case "Sequence":
            var nfc = false
            for child in try node.required("normalizers").array() { nfc = try parseNormalizer(child) || nfc }
            return nfc
        default: throw node.unsupported("normalizer type \(type) (only NFC)")
        }
    }

    private static func checkDecoder(_ root: TokenizerNode) throws(TokenizerError) {
        let decoder = try root.required("decoder")
        let type = try decoder.type()
        guard type == "ByteLevel" else { throw decoder.unsupported("decoder type \(type) (only ByteLevel)") }
    }
}
