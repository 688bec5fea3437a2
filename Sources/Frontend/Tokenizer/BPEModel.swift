/// tokenizer.json's `model` when it is a BPE: the vocabulary, the merges resolved to ids and the options (which a
/// transformers tokenizer class may override, see TransformersTokenizerClass).
struct BPEModel {
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
        if let typeNode = node.optional("type") {
            let type = try typeNode.string()
            guard type == "BPE" else { throw typeNode.unsupported("model type \(type) (only BPE)") }
        }
        if let dropout = node.optional("dropout"), case .number(let p) = dropout.value, p != 0 {
            throw dropout.unsupported("BPE dropout")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = node.optional(key), try !affix.string().isEmpty { throw affix.unsupported("BPE \(key)") }
        }
        byteFallback = try node.bool("byte_fallback", default: false)
        ignoreMerges = try node.bool("ignore_merges", default: false)
        fuseUnk = try node.bool("fuse_unk", default: false)

        var vocab: [(token: String, id: Int)] = []
        var idOfToken: [[UInt8]: Int] = [:]
        for (token, idNode) in try node.required("vocab").members() {
            let id = try idNode.int()
            guard id >= 0, id < Int(Int32.max) else { throw idNode.bad("token id out of range") }
            vocab.append((token, id))
            idOfToken[Array(token.utf8)] = id
        }
        self.vocab = vocab
        self.idOfToken = idOfToken

        if let unk = node.optional("unk_token") {
            let name = try unk.string()
            guard let id = idOfToken[Array(name.utf8)] else {
                throw TokenizerError.unknownToken(file: node.file, key: unk.path, token: name)
            }
            unkId = id
        } else {
            unkId = nil
        }
        merges = try BPEModel.resolveMerges(try node.required("merges").array(), idOfToken: idOfToken)
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
