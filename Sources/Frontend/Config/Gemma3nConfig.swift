import Foundation
import IR

/// config.json of Gemma-3n text (`gemma3n_text`): Gemma 3's attention layout plus AltUp streams, LAuReL, per-layer
/// embeddings, per-layer MLP widths with Gaussian top-k activation sparsity and KV sharing across the last layers.
/// Defaults are those of transformers' Gemma3nTextConfig.
public struct Gemma3nConfig: Decodable, Sendable, DecoderDimensioned {
    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    public var attentionBias: Bool
    /// `hidden_activation`: the MLP gate's and the per-layer input gate's function.
    public var activation: UnaryOp
    public var finalSoftcap: Float?
    public var layerTypes: [AttentionLayerType]
    public var slidingWindow: Int?
    public var rope: LayerTypeRope
    /// MLP width of each layer (`intermediate_size`, one value or one per layer).
    public var intermediateSizes: [Int]
    /// Target sparsity of each layer's MLP gate (0: dense); the cut-off is mean + Φ⁻¹(sparsity)·std per row. Kept in
    /// f64 so Φ⁻¹ is taken of the config's value (0.95), not of its f32 rounding.
    public var activationSparsity: [Double]
    /// Rows of the per-layer embedding table (`vocab_size_per_layer_input`); larger ids read row 0.
    public var perLayerVocabSize: Int
    /// Width of each layer's slice of the per-layer inputs (`hidden_size_per_layer_input`).
    public var perLayerWidth: Int
    /// Number of AltUp streams and the one the layers compute on.
    public var altupStreams: Int
    public var altupActiveIndex: Int
    /// Multiply the corrected active stream by `altup.correct_output_scale` before the per-layer input gate.
    public var altupCorrectScale: Bool
    public var laurelRank: Int
    /// Trailing layers that attend over the cache of an earlier layer of their type instead of their own K/V.
    public var kvSharedLayers: Int

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let modelType = try c.decode(String.self, forKey: "model_type")
        guard modelType == "gemma3n_text" else {
            throw c.invalid("model_type", "'\(modelType)' is not Gemma-3n text (gemma3n_text)")
        }
        var d = try DecoderDimensions(c, defaults: .init(kvHeads: 2, headDim: 256, intermediateMultiple: 8, maxPosition: 32_768,
                                                         tiedEmbeddings: true),
                                      keys: ["intermediate_size": []])
        let layers = d.layers
        guard d.headDim % 2 == 0 else { throw c.invalid("head_dim", "must be even for RoPE") }
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: "rms_norm_eps") ?? 1e-6
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: "attention_bias") ?? false
        activation = try c.activation("hidden_activation", default: "gelu_pytorch_tanh")
        finalSoftcap = try c.valueOrNull(Float.self, "final_logit_softcapping", default: 30)
        if let cap = finalSoftcap, !(cap > 0) { throw c.invalid("final_logit_softcapping", "must be positive or null") }
        layerTypes = try c.layerTypes("layer_types", layers: layers) { ($0 + 1) % 5 == 0 ? .full : .sliding }
        let window = try c.valueOrNull(Int.self, "sliding_window", default: 512)
        if let window, window <= 0 { throw c.invalid("sliding_window", "must be positive") }
        slidingWindow = try c.slidingWindow("sliding_window", for: layerTypes, window: window)
        rope = try c.layerTypeRope(parameters: "rope_parameters", scaling: "rope_scaling", theta: "rope_theta",
                                   slidingTheta: "rope_local_base_freq", defaultFull: 1_000_000, defaultSliding: 10000,
                                   maxPosition: d.maxPosition)

        intermediateSizes = try c.perLayerIfPresent(Int.self, "intermediate_size", layers: layers)
            ?? Array(repeating: 16_384, count: layers)
        guard intermediateSizes.allSatisfy({ $0 > 0 }) else { throw c.invalid("intermediate_size", "must be positive") }
        // The widest layer's (the recipe reads `intermediateSizes`).
        d.intermediateSize = intermediateSizes.max() ?? 0
        dimensions = d
        // transformers: 0.95 on the first 10 layers of models deeper than 10, else dense.
        let sparseLayers = layers > 10 ? 10 : 0
        activationSparsity = try c.perLayerIfPresent(Double.self, "activation_sparsity_pattern", layers: layers)
            ?? (0..<layers).map { $0 < sparseLayers ? 0.95 : 0 }
        guard activationSparsity.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw c.invalid("activation_sparsity_pattern", "values must lie in [0, 1)")
        }
        perLayerVocabSize = try c.positiveIfPresent(["vocab_size_per_layer_input"]) ?? 262_144
        perLayerWidth = try c.positiveIfPresent(["hidden_size_per_layer_input"]) ?? 256
        altupStreams = try c.positiveIfPresent(["altup_num_inputs"]) ?? 4
        altupActiveIndex = try c.decodeIfPresent(Int.self, forKey: "altup_active_idx") ?? 0
        guard (0..<altupStreams).contains(altupActiveIndex) else {
            throw c.invalid("altup_active_idx", "must index one of the \(altupStreams) AltUp streams")
        }
        altupCorrectScale = try c.decodeIfPresent(Bool.self, forKey: "altup_correct_scale") ?? true
        laurelRank = try c.positiveIfPresent(["laurel_rank"]) ?? 64
        kvSharedLayers = try c.decodeIfPresent(Int.self, forKey: "num_kv_shared_layers") ?? 15
        guard (0..<layers).contains(kvSharedLayers) else {
            throw c.invalid("num_kv_shared_layers", "must be in 0..<\(layers)")
        }
        if try c.decodeIfPresent(Bool.self, forKey: "use_bidirectional_attention") == true {
            throw c.invalid("use_bidirectional_attention", "bidirectional attention is not supported for causal generation")
        }
        let producers = layerTypes[..<(layers - kvSharedLayers)]
        guard Set(producers) == Set(layerTypes) else {
            throw c.invalid("num_kv_shared_layers", "a layer type of the shared layers has no earlier layer producing its cache")
        }
    }

    /// The fused act(gate)·up kernel's form of `activation`, when it has one.
    public var gatedActivation: GatedActivation? {
        switch activation {
        case .geluTanh: .geluTanh
        case .gelu: .gelu
        case .silu: .silu
        default: nil
        }
    }

    /// The window each layer's attention uses (nil: full causal).
    public var layerWindows: [Int?] { layerTypes.windows(slidingWindow) }

    /// The KV cache slot each layer reads: its own (slots in layer order) for the first `layers − kvSharedLayers`
    /// layers, else the slot of the last of those with the same layer type.
    public var cacheSlots: [Int] {
        let producers = dimensions.layers - kvSharedLayers
        return (0..<dimensions.layers).map { l in
            l < producers ? l : (0..<producers).last { layerTypes[$0] == layerTypes[l] } ?? 0
        }
    }
}

extension KeyedDecodingContainer where Key == ConfigKey {
    /// One value for every layer, given as a list of `layers` values or one value for all; nil when absent.
    func perLayerIfPresent<T: Decodable>(_ type: T.Type, _ key: String, layers: Int) throws -> [T]? {
        if let list = try? decodeIfPresent([T].self, forKey: ConfigKey(key)) {
            guard list.count == layers else { throw invalid(key, "has \(list.count) entries for \(layers) layers") }
            return list
        }
        return try decodeIfPresent(T.self, forKey: ConfigKey(key)).map { Array(repeating: $0, count: layers) }
    }
}
