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
        /// `num_key_value_heads` (nil: one per query head).
        var kvHeads: Int?
        /// `head_dim` (nil: hidden_size / num_attention_heads).
        var headDim: Int?
        /// False for config classes that ignore a `head_dim` key.
        var readsHeadDim = true
        var maxPosition: Int
        var tiedEmbeddings: Bool
    }

    /// Reads the sizes; `spellings(name)` lists the names a model type accepts for the standard key `name`, preferred
    /// first (errors name the spelling present in the file, else the first).
    init(_ c: KeyedDecodingContainer<ConfigKey>, defaults: Defaults, spellings: (String) -> [String] = { [$0] }) throws {
        hiddenSize = try c.positive(spellings("hidden_size"))
        layers = try c.positive(spellings("num_hidden_layers"))
        heads = try c.positive(spellings("num_attention_heads"))
        kvHeads = try c.positiveIfPresent(spellings("num_key_value_heads")) ?? defaults.kvHeads ?? heads
        try c.checkGroups(heads: heads, kvHeads: kvHeads, key: c.spelling(spellings("num_key_value_heads")).stringValue)
        let explicitHeadDim = defaults.readsHeadDim ? try c.positiveIfPresent(spellings("head_dim")) : nil
        headDim = try explicitHeadDim ?? defaults.headDim
            ?? c.headDim(hidden: hiddenSize, heads: heads, key: c.spelling(spellings("num_attention_heads")).stringValue)
        intermediateSize = try c.positive(spellings("intermediate_size"))
        vocabSize = try c.positive(spellings("vocab_size"))
        maxPosition = try c.positiveIfPresent(spellings("max_position_embeddings")) ?? defaults.maxPosition
        tiedEmbeddings = try c.decodeIfPresent(Bool.self, forKey: c.spelling(spellings("tie_word_embeddings")))
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
