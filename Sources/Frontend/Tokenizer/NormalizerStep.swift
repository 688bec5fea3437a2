import Foundation

/// One step of tokenizer.json's `normalizer`, applied to each piece of text between added tokens before
/// pre-tokenization (tokenizer_normalize.c).
enum NormalizerStep: Equatable {
    case nfc
    /// Prepends the string to a non-empty piece (Llama-2's "▁").
    case prepend(String)
    case replace(ReplaceRule)
    /// BertNormalizer: clean_text drops control characters and turns whitespace into spaces, handle_chinese_chars
    /// puts spaces around CJK ideographs, strip_accents drops the nonspacing marks of the NFD, lowercase (each in this
    /// order; strip_accents already resolved from tokenizer.json's null = follow lowercase).
    case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool)
    /// Lowercase, character by character (Rust's char::to_lowercase).
    case lowercase
    /// Strip: removes leading (left) and trailing (right) whitespace.
    case strip(left: Bool, right: Bool)
    /// SentencePiece's precompiled normalization (XLM-R, T5): NFKC-like replacements of characters and graphemes.
    case precompiled(PrecompiledCharsmap)

    /// Parses a normalizer: NFC, Prepend, Replace with a string pattern, or a Sequence of those; nil is no step.
    static func parse(_ node: TokenizerNode?) throws(TokenizerError) -> [NormalizerStep] {
        guard let node else { return [] }
        let type = try node.type()
        switch type {
        case "NFC": return [.nfc]
        case "Prepend": return [.prepend(try node.required("prepend").string())]
        case "Replace": return [.replace(try ReplaceRule(node))]
        case "BertNormalizer":
            let lowercase = try node.bool("lowercase", default: true)
            return [.bert(cleanText: try node.bool("clean_text", default: true),
                          handleChineseChars: try node.bool("handle_chinese_chars", default: true),
                          stripAccents: try node.bool("strip_accents", default: lowercase), lowercase: lowercase)]
        case "Lowercase": return [.lowercase]
        case "Precompiled":
            let mapNode = try node.required("precompiled_charsmap")
            return [.precompiled(try PrecompiledCharsmap(base64: try mapNode.string(), mapNode))]
        case "Strip":
            return [.strip(left: try node.bool("strip_left", default: true),
                           right: try node.bool("strip_right", default: true))]
        case "Sequence":
            var steps: [NormalizerStep] = []
            for child in try node.required("normalizers").array() { steps += try parse(child) }
            guard steps.filter({ if case .precompiled = $0 { true } else { false } }).count <= 1 else {
                throw node.unsupported("more than one Precompiled normalizer")
            }
            return steps
        default:
            throw node.unsupported("normalizer type \(type) (supported: NFC, Prepend, Replace, BertNormalizer, "
                                   + "Lowercase, Strip, Precompiled, Sequence)")
        }
    }

    /// The Precompiled steps of a normalizer (alone or in a Sequence), ignoring the others.
    static func precompiledSteps(_ node: TokenizerNode?) throws(TokenizerError) -> [NormalizerStep] {
        guard let node else { return [] }
        switch try node.type() {
        case "Precompiled": return try parse(node)
        case "Sequence":
            var steps: [NormalizerStep] = []
            for child in try node.required("normalizers").array() { steps += try precompiledSteps(child) }
            return steps
        default: return []
        }
    }

    /// What the steps make of `text`: the form in which tokenizers matches (and decodes) a normalized added token;
    /// nil when a step is one only the runtime implements.
    static func normalize(_ text: String, with steps: [NormalizerStep]) -> [UInt8]? {
        var bytes = Array(text.utf8)
        for step in steps {
            switch step {
            case .nfc: bytes = Array(String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
            case .prepend(let prefix): if !bytes.isEmpty { bytes = Array(prefix.utf8) + bytes }
            case .replace(let rule): bytes = rule.apply(to: bytes)
            case .precompiled(let map): bytes = map.apply(to: bytes)
            case .bert, .lowercase, .strip: return nil
            }
        }
        return bytes
    }

    /// The section's normalizer record (see TokenizerSectionWriter).
    func record(_ pool: inout StringPool) -> [UInt32] {
        switch self {
        case .nfc: [1, 0, 0, 0, 0, 0]
        case .prepend(let prefix): [2] + pool.add(prefix) + [0, 0, 0]
        case .replace(let rule): [3] + pool.add(rule.pattern) + pool.add(rule.content) + [0]
        case .bert(let clean, let chinese, let strip, let lower):
            [4, clean ? 1 : 0, chinese ? 1 : 0, strip ? 1 : 0, lower ? 1 : 0, 0]
        case .lowercase: [5, 0, 0, 0, 0, 0]
        case .strip(let left, let right): [6, left ? 1 : 0, right ? 1 : 0, 0, 0, 0]
        case .precompiled(let map): [7] + pool.add(map.serialized) + [0, 0, 0]
        }
    }
}
