/// The sizes every decoder's config.json gives (width, depth, query and key/value heads, head size, MLP width,
/// vocabulary, context, tied embeddings), read under transformers' standard key names with the same checks for every
/// family. Configs that hold one expose its fields as their own (`config.hiddenSize`) through `DecoderDimensioned`.
public struct DecoderDimensions: Equatable, Sendable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var intermediateSize: Int
    public var vocabSize: Int
    public var maxPosition: Int
    public var tiedEmbeddings: Bool
}

extension DecoderDimensions {
    /// A config class's defaults for the keys that may be absent.
    struct Defaults {
        /// Key/value heads (nil: one per query head).
        var kvHeads: Int?
        /// Head size (nil: hidden_size / num_attention_heads).
        var headDim: Int?
        /// MLP width as a multiple of the hidden size (nil: the intermediate key is required).
        var intermediateMultiple: Int?
        var maxPosition: Int
        var tiedEmbeddings: Bool
    }

    /// Reads the sizes under transformers' standard key names. `keys` maps a standard name to the names a config
    /// class reads instead, preferred first (errors name the spelling present in the file, else the first); an empty
    /// list for a key the class does not have. The key/value-group and head-size errors name the first spelling.
    init(_ c: KeyedDecodingContainer<ConfigKey>, defaults: Defaults, keys: [String: [String]] = [:]) throws {
        func names(_ standard: String) -> [String] { keys[standard] ?? [standard] }
        func optional(_ standard: String) throws -> Int? {
            names(standard).isEmpty ? nil : try c.positiveIfPresent(names(standard))
        }
        hiddenSize = try c.positive(names("hidden_size"))
        layers = try c.positive(names("num_hidden_layers"))
        heads = try c.positive(names("num_attention_heads"))
        kvHeads = try optional("num_key_value_heads") ?? defaults.kvHeads ?? heads
        try c.checkGroups(heads: heads, kvHeads: kvHeads, key: names("num_key_value_heads").first ?? "num_key_value_heads")
        headDim = try optional("head_dim") ?? defaults.headDim
            ?? c.headDim(hidden: hiddenSize, heads: heads, key: names("num_attention_heads")[0])
        if let multiple = defaults.intermediateMultiple {
            intermediateSize = try optional("intermediate_size") ?? multiple * hiddenSize
        } else {
            intermediateSize = try c.positive(names("intermediate_size"))
        }
        vocabSize = try c.positive(names("vocab_size"))
        maxPosition = try c.positiveIfPresent(names("max_position_embeddings")) ?? defaults.maxPosition
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: c.spelling(names("tie_word_embeddings")))
            ?? defaults.tiedEmbeddings
    }
}

/// A config whose size fields are a `DecoderDimensions`: `config.hiddenSize` reads and writes
/// `config.dimensions.hiddenSize`.
@dynamicMemberLookup
public protocol DecoderDimensioned {
    var dimensions: DecoderDimensions { get set }
}

extension DecoderDimensioned {
    public subscript<T>(dynamicMember path: WritableKeyPath<DecoderDimensions, T>) -> T {
        get { dimensions[keyPath: path] }
        set { dimensions[keyPath: path] = newValue }
    }
}
