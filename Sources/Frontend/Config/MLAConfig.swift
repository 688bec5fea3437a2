import Foundation
import IR

/// The multi-head latent attention keys of DeepSeek-V2/V3 and MiniCPM3 config.json files: q through a low-rank
/// bottleneck (`q_lora_rank`; null: one q_proj), keys and values expanded per head from a `kv_lora_rank` latent plus
/// one shared `qk_rope_head_dim` rotary key, `qk_nope_head_dim + qk_rope_head_dim` per query/key head and
/// `v_head_dim` per value head. Defaults are those of the model type's transformers config class.
struct MLAConfig: Decodable, Sendable {
    var qLoraRank: Int?
    var kvLoraRank: Int
    var nopeDim: Int
    var ropeDim: Int
    var valueDim: Int
    /// Rotary pairs are adjacent dims (DeepSeek's complex form; V3's `rope_interleave`, default true) rather than
    /// the halves of the rope dims (MiniCPM3).
    var interleavedRope: Bool
    /// Factor on the softmax scale: mscale(factor, mscale_all_dim)² for a scaled rope with `mscale_all_dim`
    /// (transformers' `yarn_apply_mscale`), else 1.
    var softmaxFactor: Float

    /// Width of a query and of a key head.
    var qkDim: Int { nopeDim + ropeDim }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let type = try c.decodeIfPresent(String.self, forKey: "model_type") ?? "deepseek_v3"
        let miniCPM = type == "minicpm3"
        if c.contains("q_lora_rank"), try c.decodeNil(forKey: "q_lora_rank") {
            qLoraRank = nil
        } else {
            qLoraRank = try c.positiveIfPresent("q_lora_rank") ?? (miniCPM ? 768 : 1536)
        }
        kvLoraRank = try c.positiveIfPresent("kv_lora_rank") ?? (miniCPM ? 256 : 512)
        nopeDim = try c.positiveIfPresent("qk_nope_head_dim") ?? (miniCPM ? 64 : 128)
        ropeDim = try c.positiveIfPresent("qk_rope_head_dim") ?? (miniCPM ? 32 : 64)
        guard ropeDim % 2 == 0 else { throw c.invalid("qk_rope_head_dim", "must be even for RoPE, got \(ropeDim)") }
        if miniCPM, try c.decodeIfPresent(Int.self, forKey: "v_head_dim") == nil {
            let (hidden, heads) = (try c.positive("hidden_size"), try c.positive("num_attention_heads"))
            valueDim = try c.headDim(hidden: hidden, heads: heads, key: "num_attention_heads")
        } else {
            valueDim = try c.positiveIfPresent("v_head_dim") ?? 128
        }
        interleavedRope = miniCPM ? false : try c.decodeIfPresent(Bool.self, forKey: "rope_interleave") ?? true
        let objectKey = c.contains("rope_parameters") ? "rope_parameters" : "rope_scaling"
        let rope = try c.decodeIfPresent(RopeParametersJSON.self, forKey: ConfigKey(objectKey))
        if let rope, rope.kind != "default", let all = rope.mscaleAllDim, all != 0 {
            guard let factor = rope.factor else { throw c.invalid(objectKey, "mscale_all_dim needs a factor") }
            let mscale = factor <= 1 ? 1 : 0.1 * all * log(factor) + 1
            softmaxFactor = Float(mscale * mscale)
        } else {
            softmaxFactor = 1
        }
    }
}

/// The mixture-of-experts keys of DeepSeek-V2/V3 config.json files: `n_routed_experts` experts of
/// `moe_intermediate_size`, `num_experts_per_tok` per token, `n_shared_experts` always-on experts fused into one MLP,
/// dense MLPs on the first `first_k_dense_replace` layers, and the router's groups, method and scale.
struct DeepseekMoEConfig: Decodable, Sendable {
    var experts: Int
    var topK: Int
    var expertSize: Int
    var sharedExperts: Int
    var firstDense: Int
    /// Expert groups (`n_group`, 1 without) and how many a token picks from (`topk_group`).
    var groups: Int
    var topGroups: Int
    /// V2's `topk_method`: "greedy" or "group_limited_greedy" (V3 always routes by groups).
    var method: String
    var scale: Float
    var normTopK: Bool

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        let v3 = try c.decodeIfPresent(String.self, forKey: "model_type") != "deepseek_v2"
        experts = try c.positiveIfPresent("n_routed_experts") ?? (v3 ? 256 : 64)
        topK = try c.positiveIfPresent("num_experts_per_tok") ?? 8
        guard topK <= experts else {
            throw c.invalid("num_experts_per_tok", "\(topK) experts per token but only \(experts) experts")
        }
        expertSize = try c.positiveIfPresent("moe_intermediate_size") ?? (v3 ? 2048 : 1407)
        sharedExperts = try c.decodeIfPresent(Int.self, forKey: "n_shared_experts") ?? (v3 ? 1 : 2)
        guard sharedExperts >= 0 else { throw c.invalid("n_shared_experts", "must not be negative") }
        firstDense = try c.decodeIfPresent(Int.self, forKey: "first_k_dense_replace") ?? (v3 ? 3 : 0)
        guard firstDense >= 0 else { throw c.invalid("first_k_dense_replace", "must not be negative") }
        method = try c.decodeIfPresent(String.self, forKey: "topk_method") ?? (v3 ? "noaux_tc" : "greedy")
        let grouped = v3 || method == "group_limited_greedy"
        guard v3 || ["greedy", "group_limited_greedy"].contains(method) else {
            throw c.invalid("topk_method", "'\(method)' is not supported (supported: greedy, group_limited_greedy)")
        }
        groups = grouped ? try c.positiveIfPresent("n_group") ?? (v3 ? 8 : 1) : 1
        topGroups = grouped ? try c.positiveIfPresent("topk_group") ?? (v3 ? 4 : 1) : 1
        guard experts % groups == 0, groups == 1 || experts / groups >= 2, topGroups <= groups,
              topK <= topGroups * (experts / groups) else {
            throw c.invalid("n_group", "\(experts) experts in \(groups) groups, \(topGroups) picked, cannot give \(topK) per token")
        }
        scale = try c.decodeIfPresent(Float.self, forKey: "routed_scaling_factor") ?? (v3 ? 2.5 : 1)
        normTopK = try c.decodeIfPresent(Bool.self, forKey: "norm_topk_prob") ?? v3
    }

    /// Whether layer `layer` has the routed experts.
    func isSparse(_ layer: Int) -> Bool { layer >= firstDense }
}
