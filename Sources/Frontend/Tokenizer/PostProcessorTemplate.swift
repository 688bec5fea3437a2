/// What tokenizer.json's `post_processor` lays out around one text or a pair of texts: tokenizers' templates, with
/// special tokens (added only when special tokens are requested) and the sequences, each with the token type id its
/// tokens get (BERT's token_type_ids).
struct PostProcessorTemplate: Equatable {
    /// One item of a template.
    enum Item: Equatable {
        case special(id: Int, typeId: Int)
        /// Sequence A (the text, or the first text of a pair) or B (the second text).
        case sequence(isB: Bool, typeId: Int)

        /// The section's (value, type id) words: value >= 0 a token id, -1 sequence A, -2 sequence B.
        var record: [UInt32] {
            switch self {
            case .special(let id, let typeId): [UInt32(id), UInt32(typeId)]
            case .sequence(let isB, let typeId): [UInt32(bitPattern: isB ? -2 : -1), UInt32(typeId)]
            }
        }
    }

    var single: [Item] = [.sequence(isB: false, typeId: 0)]
    /// nil when the post-processor cannot lay out a pair (a TemplateProcessing without `pair`).
    var pair: [Item]? = [.sequence(isB: false, typeId: 0), .sequence(isB: true, typeId: 1)]

    /// Parses a post-processor; nil (no post-processor) adds nothing and gives the second text type id 1, like
    /// tokenizers.
    init(_ node: TokenizerNode?) throws(TokenizerError) {
        guard let node else { return }
        let type = try node.type()
        switch type {
        case "ByteLevel":
            break // only adjusts offsets
        case "TemplateProcessing":
            var idsOfSpecial: [String: [Int]] = [:]
            for (name, special) in try node.optional("special_tokens")?.members() ?? [] {
                idsOfSpecial[name] = try special.required("ids").array().map { node throws(TokenizerError) in
                    try node.int()
                }
            }
            single = try Self.parseTemplate(try node.required("single"), pair: false, idsOfSpecial: idsOfSpecial)
            pair = try node.optional("pair").map { pairNode throws(TokenizerError) in
                try Self.parseTemplate(pairNode, pair: true, idsOfSpecial: idsOfSpecial)
            }
        case "BertProcessing":
            let cls = try Self.tokenId(try node.required("cls")), sep = try Self.tokenId(try node.required("sep"))
            single = [.special(id: cls, typeId: 0), .sequence(isB: false, typeId: 0), .special(id: sep, typeId: 0)]
            pair = single + [.sequence(isB: true, typeId: 1), .special(id: sep, typeId: 1)]
        case "RobertaProcessing":
            let cls = try Self.tokenId(try node.required("cls")), sep = try Self.tokenId(try node.required("sep"))
            single = [.special(id: cls, typeId: 0), .sequence(isB: false, typeId: 0), .special(id: sep, typeId: 0)]
            pair = single + [.special(id: sep, typeId: 0), .sequence(isB: true, typeId: 0),
                             .special(id: sep, typeId: 0)]
        case "Sequence":
            // ByteLevel only adjusts offsets; a chain of several templates is not supported.
            let children = try node.required("processors").array()
            var laidOut: [TokenizerNode] = []
            for child in children where try child.type() != "ByteLevel" { laidOut.append(child) }
            guard laidOut.count <= 1 else {
                throw node.unsupported("post-processor Sequence with more than one processor besides ByteLevel")
            }
            if let child = laidOut.first { self = try PostProcessorTemplate(child) }
        default:
            throw node.unsupported("post-processor type \(type) (supported: TemplateProcessing, BertProcessing, "
                                   + "RobertaProcessing, ByteLevel, Sequence)")
        }
    }

    /// A template as transformers' tokenizer classes build it (e.g. XLMRobertaTokenizer's `<s> $A </s> </s> $B </s>`).
    init(single: [Item], pair: [Item]?) {
        self.single = single
        self.pair = pair
    }

    /// The id of a ["token", id] pair (Roberta/Bert processors).
    private static func tokenId(_ node: TokenizerNode) throws(TokenizerError) -> Int {
        let pair = try node.array()
        guard pair.count == 2 else { throw node.bad("expected [token, id]") }
        return try pair[1].int()
    }

    /// A template list: each item `{"Sequence": {"id": "A"|"B", "type_id": n}}` or
    /// `{"SpecialToken": {"id": name, "type_id": n}}`, with sequence A once (and B once in a pair template).
    private static func parseTemplate(_ node: TokenizerNode, pair: Bool, idsOfSpecial: [String: [Int]])
        throws(TokenizerError) -> [Item] {
        var items: [Item] = []
        for item in try node.array() {
            if let sequence = item.optional("Sequence") {
                let idNode = try sequence.required("id")
                let name = try idNode.string()
                guard name == "A" || (pair && name == "B") else {
                    throw idNode.unsupported("template sequence \(name)")
                }
                items.append(.sequence(isB: name == "B", typeId: try typeId(sequence)))
            } else if let special = item.optional("SpecialToken") {
                let name = try special.required("id").string()
                guard let ids = idsOfSpecial[name] else {
                    throw TokenizerError.missingKey(file: node.file, key: "\(node.path).special_tokens.\(name)")
                }
                let typeId = try typeId(special)
                items += ids.map { .special(id: $0, typeId: typeId) }
            } else {
                throw item.unsupported("template item (expected Sequence or SpecialToken)")
            }
        }
        let sequences = items.compactMap { item -> Bool? in if case .sequence(let isB, _) = item { isB } else { nil } }
        guard sequences.filter({ !$0 }).count == 1, sequences.filter({ $0 }).count == (pair ? 1 : 0) else {
            throw node.bad(pair ? "pair template needs $A and $B once each" : "single template needs $A once")
        }
        return items
    }

    private static func typeId(_ node: TokenizerNode) throws(TokenizerError) -> Int {
        let child = try node.required("type_id")
        let value = try child.int()
        guard value >= 0, value <= Int(Int32.max) else { throw child.bad("expected a type id") }
        return value
    }
}
