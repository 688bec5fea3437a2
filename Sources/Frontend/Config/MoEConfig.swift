import IR

/// The mixture-of-experts keys of a family-H config.json (softmax-router MoE: Mixtral, Qwen2/3-MoE, OLMoE,
/// GraniteMoE); the attention and size keys are read by `LlamaConfig`. Key spellings and defaults follow the
/// config classes of transformers 5.24.
struct MoEConfig: Decodable, Sendable {
    /// Routed experts per MoE layer (`num_local_experts`, or `num_experts`).
    var experts: Int
    /// Experts per token (`num_experts_per_tok`).
    var topK: Int
    /// Width of one expert (`moe_intermediate_size`, else `intermediate_size`).
    var expertSize: Int
    /// Renormalise the top-k probabilities (`norm_topk_prob`; nil when the file leaves it out).
    var normTopK: Bool?
    /// Width of the always-on shared expert (`shared_expert_intermediate_size`, `shared_intermediate_size`); nil
    /// or 0 without one.
    var sharedExpertSize: Int?
    /// Every `sparseStep`-th layer (1-based) is MoE unless listed in `denseLayers` (`decoder_sparse_step`,
    /// `mlp_only_layers`; Qwen-MoE).
    var sparseStep: Int
    var denseLayers: Set<Int>

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        experts = try c.positive(["num_local_experts", "num_experts"])
        topK = try c.positive(["num_experts_per_tok"])
        guard topK <= experts else {
            throw c.invalid("num_experts_per_tok", "\(topK) experts per token but only \(experts) experts")
        }
        expertSize = try c.positive(["moe_intermediate_size", "intermediate_size"])
        normTopK = try c.decodeIfPresent(Bool.self, forKey: "norm_topk_prob")
        let sharedKeys = ["shared_expert_intermediate_size", "shared_intermediate_size"]
        let shared = try c.first(Int.self, sharedKeys)
        guard (shared ?? 0) >= 0 else { throw c.invalid(c.spelling(sharedKeys).stringValue, "must not be negative") }
        sharedExpertSize = shared == 0 ? nil : shared
        sparseStep = try c.positiveIfPresent("decoder_sparse_step") ?? 1
        denseLayers = Set(try c.decodeIfPresent([Int].self, forKey: "mlp_only_layers") ?? [])
    }

    /// Whether layer `l` has the mixture of experts (else the dense MLP of `intermediate_size`).
    func isSparse(_ l: Int) -> Bool { !denseLayers.contains(l) && (l + 1) % sparseStep == 0 }
}
