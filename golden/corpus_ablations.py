"""Per-case ablations: config overrides that switch off the knob a case is about. make_corpus checks that each one
changes the logits of the recorded run (same weights), so a config key that transformers silently ignores cannot
pass as 'exercised'. expected.json records each ablation and the relative logit change it caused.
"""
from __future__ import annotations

NO_WINDOW = ("no sliding window", {"sliding_window": None})
WIDE_WINDOW = ("sliding window wider than the sequence", {"sliding_window": 128})


def plain_rope(theta: float, **extra) -> tuple[str, dict]:
    """Default RoPE; configs with a partial-rotary default (GLM, StableLM, Phi, NeoX, ...) need an explicit 1.0."""
    return ("plain RoPE (no scaling" + (", full rotary)" if extra else ")"),
            {"rope_parameters": {"rope_type": "default", "rope_theta": theta, **extra}})


ABLATIONS: dict[str, list[tuple[str, dict]]] = {
    "llama_for_causal_lm": [plain_rope(500000.0)],
    "mistral_for_causal_lm": [NO_WINDOW],
    "phi3_for_causal_lm": [NO_WINDOW, plain_rope(10000.0, partial_rotary_factor=1.0)],
    "phi3_for_causal_lm_longrope": [plain_rope(10000.0)],
    "glm_for_causal_lm": [plain_rope(10000.0, partial_rotary_factor=1.0)],
    "granite_for_causal_lm": [("unit multipliers", {"embedding_multiplier": 1.0, "residual_multiplier": 1.0,
                                                    "logits_scaling": 1.0, "attention_multiplier": 0.25})],
    "hunyuan_dense_v1_for_causal_lm": [plain_rope(10000.0)],
    "apertus_for_causal_lm": [plain_rope(12e6)],
    "smollm3_for_causal_lm": [("RoPE on every layer", {"no_rope_layer_interval": 1000,
                                                       "no_rope_layers": [1, 1, 1, 1]})],
    "exaone4_for_causal_lm": [WIDE_WINDOW],
    "olmo3_for_causal_lm": [WIDE_WINDOW],
    "glm4_for_causal_lm": [plain_rope(10000.0, partial_rotary_factor=1.0)],
    "gemma2_for_causal_lm": [WIDE_WINDOW, ("no attention soft-cap", {"attn_logit_softcapping": None}),
                             ("no final soft-cap", {"final_logit_softcapping": None}),
                             ("default query scale", {"query_pre_attn_scalar": 16})],
    "gemma3_for_causal_lm": [WIDE_WINDOW, ("no linear scaling on global layers", {"rope_parameters": {
        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
        "full_attention": {"rope_type": "default", "rope_theta": 1e6}}})],
    "gemma3n_for_causal_lm": [("no activation sparsity", {"activation_sparsity_pattern": [0.0] * 4})],
    "nemotron_for_causal_lm": [plain_rope(10000.0, partial_rotary_factor=1.0)],
    "olmo_for_causal_lm": [("no clip_qkv", {"clip_qkv": None})],
    "persimmon_for_causal_lm": [plain_rope(25000.0, partial_rotary_factor=1.0)],
    "stablelm_for_causal_lm": [plain_rope(10000.0, partial_rotary_factor=1.0)],
    "starcoder2_for_causal_lm": [NO_WINDOW],
    "cohere_for_causal_lm": [("logit_scale 1", {"logit_scale": 1.0})],
    "cohere2_for_causal_lm": [WIDE_WINDOW],
    "gptj_for_causal_lm": [("rotary on the whole head", {"rotary_dim": 16})],
    "gpt_neox_for_causal_lm": [plain_rope(10000.0, partial_rotary_factor=1.0), ("sequential residual", {"use_parallel_residual": False})],
    "phi_for_causal_lm": [plain_rope(10000.0, partial_rotary_factor=1.0)],
    "mpt_for_causal_lm": [("no clip_qkv", {"attn_config": {"alibi": True, "alibi_bias_max": 8, "clip_qkv": None}})],
    "olmoe_for_causal_lm": [("no clip_qkv", {"clip_qkv": None})],
    "qwen3_moe_for_causal_lm": [("no top-k renormalisation", {"norm_topk_prob": False})],
    "gpt_oss_for_causal_lm": [WIDE_WINDOW, plain_rope(150000.0)],
    "granite_moe_for_causal_lm": [("unit multipliers", {"embedding_multiplier": 1.0, "residual_multiplier": 1.0,
                                                        "logits_scaling": 1.0, "attention_multiplier": 0.25})],
    "phimoe_for_causal_lm": [plain_rope(10000.0)],
    "afmoe_for_causal_lm": [("no muP embedding scale", {"mup_enabled": False}), ("route_scale 1", {"route_scale": 1.0})],
    "dots1_for_causal_lm": [("routed_scaling_factor 1", {"routed_scaling_factor": 1.0})],
    "glm4_moe_for_causal_lm": [("routed_scaling_factor 1", {"routed_scaling_factor": 1.0})],
    "mimo_v2_flash_for_causal_lm": [("no value scale", {"attention_value_scale": 1.0})],
    "deepseek_v2_for_causal_lm": [("greedy routing (no group limit)", {"topk_method": "greedy"})],
    "deepseek_v3_for_causal_lm": [plain_rope(10000.0)],
    "minicpm3_for_causal_lm": [("no MiniCPM scalings", {"scale_emb": 1.0, "scale_depth": 2 ** 0.5,
                                                        "dim_model_base": 64})],
    "longcat_flash_for_causal_lm": [("routed_scaling_factor 1", {"routed_scaling_factor": 1.0})],
    "falcon_h1_for_causal_lm": [("unit muP multipliers", {"lm_head_multiplier": 1.0, "embedding_multiplier": 1.0,
                                                          "key_multiplier": 1.0, "attention_out_multiplier": 1.0,
                                                          "attention_in_multiplier": 1.0,
                                                          "mlp_multipliers": [1.0, 1.0],
                                                          "ssm_multipliers": [1.0] * 5, "ssm_in_multiplier": 1.0,
                                                          "ssm_out_multiplier": 1.0})],
    "minimax_text01_for_causal_lm": [("unit residual factors", {
        "full_attn_alpha_factor": 1, "full_attn_beta_factor": 1, "linear_attn_alpha_factor": 1,
        "linear_attn_beta_factor": 1, "mlp_alpha_factor": 1, "mlp_beta_factor": 1})],
    "minicpm_for_causal_lm": [("unit multipliers", {"embedding_multiplier": 1.0, "residual_multiplier": 1.0,
                                                    "logits_scaling": 1.0})],
    "teleflm_for_causal_lm": [("unit multipliers", {"embedding_multiplier": 1.0, "logits_scaling": 1.0})],
    "chatglm_model": [plain_rope(20000.0, partial_rotary_factor=1.0)],
}


def apply(cases: list) -> list:
    known = {c.name for c in cases}
    unknown = sorted(set(ABLATIONS) - known)
    if unknown:
        raise SystemExit(f"ablations for unknown cases: {unknown}")
    for case in cases:
        case.ablations = ABLATIONS.get(case.name, [])
    return cases
