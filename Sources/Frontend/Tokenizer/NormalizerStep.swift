import Foundation

/// One step of tokenizer.json's `normalizer`, applied to each piece of text between added tokens before
/// pre-tokenization (tokenizer_normalize.c).
enum NormalizerStep: Equatable {
    case nfc
    /// Prepends the string to a non-empty piece (Llama-2's "▁").
    case prepend(String)
    case replace(ReplaceRule)

    /// Parses a normalizer: NFC, Prepend, Replace with a string pattern, or a Sequence of those; nil is no step.
    static func parse(_ node: TokenizerNode?) throws(TokenizerError) -> [NormalizerStep] {
        guard let node else { return [] }
        let type = try node.type()
        switch type {
        case "NFC": return [.nfc]
        case "Prepend": return [.prepend(try node.required("prepend").string())]
        case "Replace": return [.replace(try ReplaceRule(node))]
        case "Sequence":
            var steps: [NormalizerStep] = []
            for child in try node.required("normalizers").array() { steps += try parse(child) }
            return steps
        default:
            throw node.unsupported("normalizer type \(type) (supported: NFC, Prepend, Replace, Sequence)")
        }
    }

    /// What the steps make of `text`: the form in which tokenizers matches (and decodes) a normalized added token.
    static func normalize(_ text: String, with steps: [NormalizerStep]) -> [UInt8] {
        var bytes = Array(text.utf8)
        for step in steps {
            switch step {
            case .nfc: bytes = Array(String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
            case .prepend(let prefix): if !bytes.isEmpty { bytes = Array(prefix.utf8) + bytes }
            case .replace(let rule): bytes = rule.apply(to: bytes)
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
        }
    }
}
