import IR

/// The mixture-of-experts keys of a family-H/I config.json (Mixtral, Qwen2/3-MoE, OLMoE, GraniteMoE, HunYuan-MoE,
/// Ernie 4.5-MoE, MiniMax-M2, GLM-4.5, dots.llm1); the attention and size keys are read by `LlamaConfig`. Key spellings and defaults
/// follow the config classes of transformers 5.24.
struct MoEConfig: Decodable, Sendable {
    /// Routed experts per MoE layer (`num_local_experts`, `num_experts`, `moe_num_experts`, `n_routed_experts`).
    var experts: Int
    /// Experts per token (`num_experts_per_tok`, `moe_topk`, `moe_k`).
    var topK: Int
    /// Width of one expert (`moe_intermediate_size`, else `intermediate_size`).
    var expertSize: Int
    /// Renormalise the top-k probabilities (`norm_topk_prob`; nil when the file leaves it out).
    var normTopK: Bool?
    /// Width of the always-on shared expert (`shared_expert_intermediate_size`, `shared_intermediate_size`, or
    /// `moe_num_shared_experts` / `n_shared_experts` experts of `moe_intermediate_size`); nil without one.
    var sharedExpertSize: Int?
    /// Layer l (0-based) is MoE when (l + 1) is a multiple of `sparseStep` (`decoder_sparse_step`,
    /// `moe_layer_interval`), l lies in `sparseLayers` (Ernie's `moe_layer_start_index` ... `moe_layer_end_index`;
    /// from `first_k_dense_replace` / AFMoE's `num_dense_layers` on)
    /// and is not in `denseLayers` (Qwen-MoE's `mlp_only_layers`, or the "dense" entries of K-EXAONE's
    /// `mlp_layer_types`, which then decides alone).
    var sparseStep: Int
    var sparseLayers: ClosedRange<Int>
    var denseLayers: Set<Int>
    /// `routed_scaling_factor` (AFMoE's `route_scale`; 1 when absent).
    var routedScaling: Float
    /// Expert groups (`n_group`) and groups a token picks from (`topk_group`); 1 and 1 when absent.
    var groups: Int
    var topGroups: Int

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let ernie = try c.decodeIfPresent(String.self, forKey: "model_type") == "ernie4_5_moe"
        let expertKeys = ["num_local_experts", "num_experts", "moe_num_experts", "n_routed_experts"], topKKeys = ["num_experts_per_tok", "moe_topk", "moe_k"]
        experts = try c.positive(expertKeys)
        topK = try c.positive(topKKeys)
        guard topK <= experts else {
            throw c.invalid(c.spelling(topKKeys).stringValue, "\(topK) experts per token but only \(experts) experts")
        }
        expertSize = try c.positive(["moe_intermediate_size", "intermediate_size"])
        normTopK = try c.decodeIfPresent(Bool.self, forKey: "norm_topk_prob")
        let sharedKeys = ["shared_expert_intermediate_size", "shared_intermediate_size"]
        let shared = try c.first(Int.self, sharedKeys)
        guard (shared ?? 0) >= 0 else { throw c.invalid(c.spelling(sharedKeys).stringValue, "must not be negative") }
        let sharedExpertKeys = ["moe_num_shared_experts", "n_shared_experts", "num_shared_experts"]
        let sharedExperts = try c.first(Int.self, sharedExpertKeys) ?? (ernie ? 2 : 0)
        guard sharedExperts >= 0 else { throw c.invalid(c.spelling(sharedExpertKeys).stringValue, "must not be negative") }
        let size = shared ?? sharedExperts * expertSize
        sharedExpertSize = size == 0 ? nil : size
        sparseStep = try c.positiveIfPresent(["decoder_sparse_step", "moe_layer_interval"]) ?? 1
        let firstKeys = ["moe_layer_start_index", "first_k_dense_replace", "num_dense_layers"]
        let first = try c.first(Int.self, firstKeys) ?? (ernie ? 1 : 0)
        let last = try c.decodeIfPresent(Int.self, forKey: "moe_layer_end_index") ?? -1
        guard first >= 0 else { throw c.invalid(c.spelling(firstKeys).stringValue, "must not be negative") }
        guard last == -1 || last >= first else {
            throw c.invalid("moe_layer_end_index", "MoE layers \(first) ... \(last) are not a range (-1: the last layer)")
        }
        sparseLayers = first ... (last == -1 ? Int.max : last)
        denseLayers = Set(try c.decodeIfPresent([Int].self, forKey: "mlp_only_layers") ?? [])
        if let types = try c.decodeIfPresent([String].self, forKey: "mlp_layer_types") {
            if let bad = types.first(where: { $0 != "dense" && $0 != "sparse" }) {
                throw c.invalid("mlp_layer_types", "has '\(bad)' (the types are dense and sparse)")
            }
            let layers = try c.positive(["num_hidden_layers"])
            guard types.count == layers else { throw c.invalid("mlp_layer_types", "has \(types.count) entries for \(layers) layers") }
            denseLayers = Set(types.indices.filter { types[$0] == "dense" })
            (sparseStep, sparseLayers) = (1, 0 ... Int.max)
        }
        routedScaling = try c.first(Float.self, ["routed_scaling_factor", "route_scale"]) ?? 1
        groups = try c.positiveIfPresent("n_group") ?? 1
        topGroups = try c.positiveIfPresent("topk_group") ?? 1
        guard MoERouting(topK: topK, renormalize: false, groups: groups, topGroups: topGroups).validGroups(experts: experts) else {
            throw c.invalid("n_group", "\(experts) experts in \(groups) groups of at least two, \(topGroups) kept, must leave \(topK) to pick")
        }
    }

    /// Whether layer `l` has the mixture of experts (else the dense MLP of `intermediate_size`).
    func isSparse(_ l: Int) -> Bool { !denseLayers.contains(l) && (l + 1) % sparseStep == 0 && sparseLayers.contains(l) }
}
