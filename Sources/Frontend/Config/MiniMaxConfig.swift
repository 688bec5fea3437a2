import Foundation
import IR

/// config.json of MiniMax-Text-01 / MiniMax-M1 (`minimax`, transformers' MiniMaxConfig): a decoder whose layers are
/// lightning attention (`linear_attention`) or softmax GQA attention (`full_attention`) per `layer_types` (else odd
/// layers are linear), each followed by a softmax top-k mixture of experts; every sublayer's residual is the normed
/// input, scaled by its alpha factor, plus the sublayer's output scaled by its beta factor. Defaults follow
/// transformers 5.24.
public struct MiniMaxConfig: Decodable, Sendable, DecoderDimensioned {
    /// A sublayer's residual factors: residual · alpha + output · beta.
    public struct Residual: Sendable, Equatable {
        public var alpha: Float
        public var beta: Float
    }

    public var dimensions: DecoderDimensions
    public var rmsNormEps: Float
    /// Per layer: softmax attention (true) or lightning attention (false).
    public var attentionLayers: [Bool]
    public var rope: RopeConfig
    /// Sliding window of the softmax attention layers (`sliding_window`; nil: none).
    public var window: Int?
    public var experts: Int
    public var expertsPerToken: Int
    public var fullAttention: Residual
    public var linearAttention: Residual
    public var mlp: Residual

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let d = try DecoderDimensions(c, defaults: .init(kvHeads: 8, maxPosition: 4096 * 32, tiedEmbeddings: false))
        dimensions = d
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: "rms_norm_eps") ?? 1e-5
        let act = try c.decodeIfPresent(String.self, forKey: "hidden_act") ?? "silu"
        guard act == "silu" else { throw c.invalid("hidden_act", "MiniMax supports silu, got '\(act)'") }
        attentionLayers = try c.attentionLayers(layers: d.layers, other: "linear_attention") ?? (0..<d.layers).map { $0 % 2 == 0 }
        rope = try c.rope(parameters: "rope_parameters", scaling: "rope_scaling", theta: "rope_theta", defaultTheta: 1e6,
                          maxPosition: d.maxPosition)
        window = try c.valueOrNull(Int.self, "sliding_window", default: nil)
        if let window, window <= 0 { throw c.invalid("sliding_window", "must be positive, got \(window)") }
        experts = try c.positiveIfPresent("num_local_experts") ?? 8
        expertsPerToken = try c.positiveIfPresent("num_experts_per_tok") ?? 2
        guard expertsPerToken <= experts else {
            throw c.invalid("num_experts_per_tok", "\(expertsPerToken) experts per token but only \(experts) experts")
        }
        func residual(_ prefix: String) throws -> Residual {
            Residual(alpha: try c.decodeIfPresent(Float.self, forKey: ConfigKey(prefix + "_alpha_factor")) ?? 1,
                     beta: try c.decodeIfPresent(Float.self, forKey: ConfigKey(prefix + "_beta_factor")) ?? 1)
        }
        fullAttention = try residual("full_attn")
        linearAttention = try residual("linear_attn")
        mlp = try residual("mlp")
    }

    /// Lightning attention's per-head log decays −slope_h in layer `layer`: slope_h = (2^(−8/heads))^(h+1) ·
    /// (1 − layer / (layers − 1 + 1e-5) + 1e-5), in f32 as transformers computes it.
    public func logDecays(layer: Int) -> [Float] {
        let base = Float(1 / pow(2, 8 / Double(dimensions.heads)))
        let factor = Float(1 - Double(layer) / (Double(dimensions.layers) - 1 + 1e-5) + 1e-5)
        return (0..<dimensions.heads).map { -(powf(base, Float($0 + 1)) * factor) }
    }
}
