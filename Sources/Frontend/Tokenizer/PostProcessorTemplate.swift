/// What tokenizer.json's `post_processor` adds around a single sequence when special tokens are requested
/// (e.g. Llama-3's BOS): ids before and after the encoded text.
struct PostProcessorTemplate {
    var prefix: [Int] = []
    var suffix: [Int] = []

    /// Parses a post-processor; nil (no post-processor) adds nothing.
    init(_ node: TokenizerNode?) throws(TokenizerError) {
        guard let node else { return }
        let type = try node.type()
        switch type {
        case "ByteLevel":
            break // only adjusts offsets
        case "TemplateProcessing":
            try parseTemplate(node)
        case "RobertaProcessing", "BertProcessing":
            prefix = [try PostProcessorTemplate.tokenId(try node.required("cls"))]
            suffix = [try PostProcessorTemplate.tokenId(try node.required("sep"))]
        case "Sequence":
            // Each processor wraps the result of the previous ones.
            for child in try node.required("processors").array() {
                let inner = try PostProcessorTemplate(child)
                prefix = inner.prefix + prefix
                suffix += inner.suffix
            }
        default:
            throw node.unsupported("post-processor type \(type)")
        }
    }

    /// The id of a ["token", id] pair (Roberta/Bert processors).
    private static func tokenId(_ node: TokenizerNode) throws(TokenizerError) -> Int {
        let pair = try node.array()
        guard pair.count == 2 else { throw node.bad("expected [token, id]") }
        return try pair[1].int()
    }

    private mutating func parseTemplate(_ node: TokenizerNode) throws(TokenizerError) {
        var idsOfSpecial: [String: [Int]] = [:]
        for (name, special) in try node.optional("special_tokens")?.members() ?? [] {
            idsOfSpecial[name] = try special.required("ids").array().map { node throws(TokenizerError) in try node.int() }
        }
        var sawSequence = false
        for item in try node.required("single").array() {
            if let sequence = item.optional("Sequence") {
                let idNode = try sequence.required("id")
                guard try idNode.string() == "A", !sawSequence else {
                    throw idNode.unsupported("single template with a sequence other than one $A")
                }
                sawSequence = true
            } else if let special = item.optional("SpecialToken") {
                let idNode = try special.required("id")
                let name = try idNode.string()
                guard let ids = idsOfSpecial[name] else {
                    throw TokenizerError.missingKey(file: node.file, key: "\(node.path).special_tokens.\(name)")
                }
                if sawSequence { suffix += ids } else { prefix += ids }
            } else {
                throw item.unsupported("template item (expected Sequence or SpecialToken)")
            }
        }
        guard sawSequence else { throw node.bad("single template without $A") }
    }
}
