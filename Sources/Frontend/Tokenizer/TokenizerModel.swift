/// tokenizer.json's `model`: BPE, WordPiece or Unigram, with the vocabulary, the BPE merges resolved to ids and the
/// options (which a transformers tokenizer class may override, see TransformersTokenizerClass).
struct TokenizerModel {
    /// The algorithm and its own options.
    enum Kind: Equatable {
        case bpe
        /// Greedy longest-match-first (BERT): pieces after the first of a word carry the prefix ("##"); a word of more
        /// characters than the limit, or one that cannot be covered, is the unk token.
        case wordPiece(continuingSubwordPrefix: String, maxInputCharsPerWord: Int)
        /// Viterbi segmentation maximising the sum of the pieces' log probabilities (SentencePiece Unigram), indexed
        /// by id.
        case unigram(scores: [Double])
    }

    var kind: Kind
    /// Token text (in GPT-2's byte alphabet for byte-level BPE) and id, in file order.
    let vocab: [(token: String, id: Int)]
    /// Id of each token, keyed by its UTF-8 bytes (byte-exact, unlike a String key).
    let idOfToken: [[UInt8]: Int]
    /// (left id, right id, merged id), in rank order; a pair listed twice keeps its last rank, like tokenizers.
    let merges: [(left: Int, right: Int, merged: Int)]
    var ignoreMerges: Bool
    var fuseUnk: Bool
    /// A character without a token becomes the "<0xNN>" tokens of its UTF-8 bytes (when all of them exist).
    var byteFallback: Bool
    var unkId: Int?

    init(_ node: TokenizerNode) throws(TokenizerError) {
        let typeNode = node.optional("type")
        switch try typeNode?.string() ?? "BPE" {
        case "BPE": try self.init(bpe: node)
        case "WordPiece": try self.init(wordPiece: node)
        case "Unigram": try self.init(unigram: node)
        case let type: throw (typeNode ?? node).unsupported("model type \(type) (supported: BPE, WordPiece, Unigram)")
        }
    }

    init(kind: Kind, vocab: [(token: String, id: Int)], unkId: Int?, byteFallback: Bool = false,
         fuseUnk: Bool = false) {
        self.kind = kind
        self.vocab = vocab
        idOfToken = Dictionary(vocab.map { (Array($0.token.utf8), $0.id) }, uniquingKeysWith: { _, last in last })
        merges = []
        ignoreMerges = false
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.unkId = unkId
    }

    private init(wordPiece node: TokenizerNode) throws(TokenizerError) {
        let vocab = try Self.parseVocab(try node.required("vocab"))
        let prefix = try node.optional("continuing_subword_prefix")?.string() ?? "##"
        let maxNode = node.optional("max_input_chars_per_word")
        let maxChars = try maxNode?.int() ?? 100
        guard maxChars >= 0, maxChars <= Int(UInt32.max) else { throw (maxNode ?? node).bad("expected a count") }
        self.init(kind: .wordPiece(continuingSubwordPrefix: prefix, maxInputCharsPerWord: maxChars), vocab: vocab,
                  unkId: nil)
        let unkNode = try node.required("unk_token")
        unkId = try Self.id(of: try unkNode.string(), in: idOfToken, unkNode)
    }

    private init(unigram node: TokenizerNode) throws(TokenizerError) {
        var vocab: [(token: String, id: Int)] = []
        var scores: [Double] = []
        for (id, entry) in try node.required("vocab").array().enumerated() {
            let pair = try entry.array()
            guard pair.count == 2, case .number(let score) = pair[1].value, score.isFinite else {
                throw entry.bad("expected [piece, score]")
            }
            vocab.append((try pair[0].string(), id))
            scores.append(score)
        }
        guard !vocab.isEmpty else { throw node.bad("empty Unigram vocabulary") }
        self.init(kind: .unigram(scores: scores), vocab: vocab, unkId: nil,
                  byteFallback: try node.bool("byte_fallback", default: false))
        if let unkNode = node.optional("unk_id") {
            let id = try unkNode.int()
            guard id >= 0, id < vocab.count else { throw unkNode.bad("unk_id out of range") }
            unkId = id
        }
        fuseUnk = true // tokenizers' Unigram always fuses unknown characters
    }

    /// The id of a token of the vocabulary, or an error naming `node`.
    private static func id(of token: String, in idOfToken: [[UInt8]: Int], _ node: TokenizerNode)
        throws(TokenizerError) -> Int {
        guard let id = idOfToken[Array(token.utf8)] else {
            throw TokenizerError.unknownToken(file: node.file, key: node.path, token: token)
        }
        return id
    }

    /// A `{"token": id, ...}` vocabulary.
    private static func parseVocab(_ node: TokenizerNode) throws(TokenizerError) -> [(token: String, id: Int)] {
        var vocab: [(token: String, id: Int)] = []
        for (token, idNode) in try node.members() {
            let id = try idNode.int()
            guard id >= 0, id < Int(Int32.max) else { throw idNode.bad("token id out of range") }
            vocab.append((token, id))
        }
        return vocab
    }

    private init(bpe node: TokenizerNode) throws(TokenizerError) {
        kind = .bpe
        if let dropout = node.optional("dropout"), case .number(let p) = dropout.value, p != 0 {
            throw dropout.unsupported("BPE dropout")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = node.optional(key), try !affix.string().isEmpty { throw affix.unsupported("BPE \(key)") }
        }
        byteFallback = try node.bool("byte_fallback", default: false)
        ignoreMerges = try node.bool("ignore_merges", default: false)
        fuseUnk = try node.bool("fuse_unk", default: false)

        vocab = try Self.parseVocab(try node.required("vocab"))
        var idOfToken: [[UInt8]: Int] = [:]
        for (token, id) in vocab { idOfToken[Array(token.utf8)] = id }
        self.idOfToken = idOfToken
        unkId = try node.optional("unk_token").map { unk throws(TokenizerError) in
            try Self.id(of: try unk.string(), in: idOfToken, unk)
        }
        merges = try Self.resolveMerges(try node.required("merges").array(), idOfToken: idOfToken)
    }

    /// Both merge formats: "left right" strings and [left, right] pairs.
    private static func resolveMerges(_ list: [TokenizerNode], idOfToken: [[UInt8]: Int])
        throws(TokenizerError) -> [(left: Int, right: Int, merged: Int)] {
        func id(_ token: [UInt8], _ node: TokenizerNode) throws(TokenizerError) -> Int {
            guard let id = idOfToken[token] else {
                throw TokenizerError.unknownToken(file: node.file, key: node.path, token: String(decoding: token, as: UTF8.self))
            }
            return id
        }
        var rankOfPair: [Int: Int] = [:] // pair key -> index into resolved
        var resolved: [(left: Int, right: Int, merged: Int, rank: Int)] = []
        resolved.reserveCapacity(list.count)
        for (rank, node) in list.enumerated() {
            let left: [UInt8], right: [UInt8]
            if let pair = node.value.arrayValue {
                guard pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue else {
                    throw node.bad("a merge must be two strings")
                }
                (left, right) = (Array(a.utf8), Array(b.utf8))
            } else {
                let line = Array(try node.string().utf8)
                guard let space = line.firstIndex(of: UInt8(ascii: " ")) else {
                    throw node.bad("a merge string must be \"left right\"")
                }
                (left, right) = (Array(line[..<space]), Array(line[(space + 1)...]))
            }
            let entry = (left: try id(left, node), right: try id(right, node), merged: try id(left + right, node), rank: rank)
            let key = entry.left << 32 | entry.right
            if let previous = rankOfPair[key] { resolved[previous].rank = -1 } // superseded by this later rank
            rankOfPair[key] = resolved.count
            resolved.append(entry)
        }
        return resolved.filter { $0.rank >= 0 }.map { ($0.left, $0.right, $0.merged) }
    }
}
