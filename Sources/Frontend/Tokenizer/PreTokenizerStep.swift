/// The split patterns the runtime matches with hand-written code (tokenizer_pretok.c); any other regex in a
/// tokenizer.json is a compile-time error.
enum SplitPattern: UInt32, CaseIterable {
    case gpt2 = 1, llama3 = 2, qwen2 = 3

    var regex: String {
        switch self {
        case .gpt2: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    init?(regex: String) {
        guard let known = SplitPattern.allCases.first(where: { Array($0.regex.utf8) == Array(regex.utf8) }) else {
            return nil
        }
        self = known
    }
}

/// What a Split keeps of the matches (tokenizers' SplitDelimiterBehavior).
enum SplitBehavior: UInt32, CaseIterable {
    case removed = 0, isolated = 1, mergedWithPrevious = 2, mergedWithNext = 3, contiguous = 4

    var name: String {
        switch self {
        case .removed: "Removed"
        case .isolated: "Isolated"
        case .mergedWithPrevious: "MergedWithPrevious"
        case .mergedWithNext: "MergedWithNext"
        case .contiguous: "Contiguous"
        }
    }
}

/// One step of the pre-tokenizer as the runtime runs it.
enum PreTokenizerStep: Equatable {
    case split(SplitPattern, SplitBehavior, invert: Bool)
    /// A Split on a literal string.
    case splitString(String, SplitBehavior, invert: Bool)
    case digits(individual: Bool)
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Spaces become the replacement character, which is prepended per the scheme; with split, each piece is cut
    /// before every replacement character.
    case metaspace(MetaspaceOptions)
    /// BertPreTokenizer: splits on whitespace (dropped) and isolates each punctuation character.
    case bert
    /// WhitespaceSplit: splits on whitespace (dropped).
    case whitespaceSplit

    /// The section's step record: kind and five arguments (see TokenizerSectionWriter).
    func record(_ pool: inout StringPool) -> [UInt32] {
        switch self {
        case .split(let pattern, let behavior, let invert): [1, pattern.rawValue, behavior.rawValue, invert ? 1 : 0, 0, 0]
        case .digits(let individual): [2, individual ? 1 : 0, 0, 0, 0, 0]
        case .byteLevel(let addPrefixSpace, let useRegex): [3, addPrefixSpace ? 1 : 0, useRegex ? 1 : 0, 0, 0, 0]
        case .metaspace(let options):
            [4] + pool.add(options.replacement) + [options.prependScheme.rawValue, options.split ? 1 : 0, 0]
        case .splitString(let string, let behavior, let invert):
            [5] + pool.add(string) + [behavior.rawValue, invert ? 1 : 0, 0]
        case .bert: [6, 0, 0, 0, 0, 0]
        case .whitespaceSplit: [7, 0, 0, 0, 0, 0]
        }
    }

    /// Parses the `pre_tokenizer` of tokenizer.json (root); none is no step.
    static func parsePipeline(_ root: TokenizerNode) throws(TokenizerError) -> [PreTokenizerStep] {
        guard let node = root.optional("pre_tokenizer") else { return [] }
        return try parse(node)
    }

    private static func parse(_ node: TokenizerNode) throws(TokenizerError) -> [PreTokenizerStep] {
        let type = try node.type()
        switch type {
        case "Sequence":
            var steps: [PreTokenizerStep] = []
            for child in try node.required("pretokenizers").array() { steps += try parse(child) }
            return steps
        case "Split":
            let patternNode = try node.required("pattern")
            let behaviorNode = try node.required("behavior")
            let behaviorName = try behaviorNode.string()
            guard let behavior = SplitBehavior.allCases.first(where: { $0.name == behaviorName }) else {
                throw behaviorNode.unsupported("split behavior \(behaviorName)")
            }
            let invert = try node.bool("invert", default: false)
            if let literal = patternNode.optional("String") {
                return [.splitString(try literal.string(), behavior, invert: invert)]
            }
            guard let regexNode = patternNode.optional("Regex") else {
                throw patternNode.unsupported("Split pattern (expected String or Regex)")
            }
            let regex = try regexNode.string()
            guard let pattern = SplitPattern(regex: regex) else {
                throw regexNode.unsupported("regex \(regex.debugDescription) (known: GPT-2, Llama-3 and Qwen2 patterns)")
            }
            return [.split(pattern, behavior, invert: invert)]
        case "Digits":
            return [.digits(individual: try node.bool("individual_digits", default: false))]
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: try node.bool("add_prefix_space", default: true),
                               useRegex: try node.bool("use_regex", default: true))]
        case "Metaspace":
            return [.metaspace(try MetaspaceOptions(node))]
        case "BertPreTokenizer": return [.bert]
        case "WhitespaceSplit": return [.whitespaceSplit]
        default:
            throw node.unsupported("pre-tokenizer type \(type)")
        }
    }
}
