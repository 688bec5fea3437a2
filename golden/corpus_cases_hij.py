"""Families H (softmax-router MoE), I (sigmoid / bias-corrected router MoE) and J (DeepSeek MLA).

4 experts of width 32 with top-2 routing everywhere (so routing decisions matter), one shared expert where the
architecture has them, a dense first layer where the architecture has first_k_dense / mlp_layer_types, grouped
top-k with 2 groups where the router supports it. MLA: q LoRA rank 24, kv LoRA rank 16, nope 16 + rope 8 dims.
save_pretrained writes experts in the checkpoints' own layout (per-expert tensors where the real checkpoints
have them), through transformers' conversion mapping.
"""
from __future__ import annotations

import transformers as T

from corpus_helpers import cfg, dims, gen, rope

SLIDE = ["sliding_attention", "full_attention"]


def moe(**extra) -> dict:
    """dims() for MoE configs without a head_dim field: hidden 64 so that heads are 16 wide."""
    return dims(hidden_size=64, num_key_value_heads=2, **extra)


def longrope(head_dim: int, original: int = 16, **extra) -> dict:
    """LongRoPE with distinct short/long factors; original_max_position_embeddings (16) is below the prompt length,
    so the long factors are used from the first forward on (no switch in the middle of a generation)."""
    half = head_dim // 2
    return rope(10000.0, "longrope", short_factor=[1.0 + 0.05 * i for i in range(half)],
                long_factor=[1.0 + 0.5 * i for i in range(half)], original_max_position_embeddings=original, **extra)


def family_h() -> list:
    return [
        gen("MixtralForCausalLM", "H", T.MixtralForCausalLM,
            cfg(T.MixtralConfig, **dims(num_key_value_heads=2, head_dim=16, num_local_experts=4, num_experts_per_tok=2,
                                        intermediate_size=32, **rope(1e6))),
            "Mixtral: softmax over 4 experts, top-2, renormalised; experts saved per expert (w1 gate, w3 up, w2 down).",
            bf16_stable=True),
        gen("Qwen2MoeForCausalLM", "H", T.Qwen2MoeForCausalLM,
            cfg(T.Qwen2MoeConfig, **moe(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                                        shared_expert_intermediate_size=48, norm_topk_prob=False, **rope(1e6))),
            "Qwen1.5/2-MoE: softmax top-2 of 4 without renormalisation, shared expert scaled by "
            "sigmoid(shared_expert_gate(x)), q/k/v bias."),
        gen("Qwen3MoeForCausalLM", "H", T.Qwen3MoeForCausalLM,
            cfg(T.Qwen3MoeConfig, **moe(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                                        norm_topk_prob=True, **rope(1e6))),
            "Qwen3-MoE: softmax top-2 of 4, renormalised (norm_topk_prob), per-head q/k RMSNorm, no shared expert."),
        gen("OLMoEForCausalLM", "H", T.OlmoeForCausalLM,
            cfg(T.OlmoeConfig, **moe(num_experts=4, num_experts_per_tok=2, intermediate_size=32, clip_qkv=4.0,
                                     norm_topk_prob=False, **rope())),
            "OLMoE: softmax top-2 of 4 without renormalisation, q/k RMSNorm over the full projected width, q/k/v "
            "clamped to [-4, 4].", status="alias:OlmoeForCausalLM", architectures=["OlmoeForCausalLM"]),
        gen("DbrxForCausalLM", "H", T.DbrxForCausalLM,
            cfg(T.DbrxConfig, d_model=64, n_heads=4, n_layers=2, max_seq_len=256, vocab_size=256,
                attn_config={"kv_n_heads": 2, "clip_qkv": 4.0, "rope_theta": 500000.0},
                ffn_config={"ffn_hidden_size": 32, "moe_num_experts": 4, "moe_top_k": 2,
                            "moe_normalize_expert_weights": 1.0},
                bos_token_id=1, eos_token_id=2, pad_token_id=0, **rope(500000.0)),
            "DBRX: LayerNorm without bias, fused Wqkv clamped to [-4, 4], GQA 4/2, softmax top-2 of 4 renormalised "
            "by the 1-norm, experts stored as 2-D stacks (w1, v1, w2)."),
        gen("Ernie4_5_MoeForCausalLM", "H", T.Ernie4_5_MoeForCausalLM,
            cfg(T.Ernie4_5_MoeConfig, **moe(moe_num_experts=4, moe_k=2, moe_intermediate_size=32,
                                            moe_num_shared_experts=1, moe_layer_start_index=1,
                                            tie_word_embeddings=True, **rope(500000.0))),
            "Ernie-4.5-MoE: layer 0 dense, layer 1 MoE: softmax router, top-2 chosen on softmax + "
            "e_score_correction_bias (random), weights renormalised (clamp min moe_norm_min), 1 shared expert, "
            "interleaved RoPE, tied."),
        gen("FlexOlmoForCausalLM", "H", T.FlexOlmoForCausalLM,
            cfg(T.FlexOlmoConfig, **moe(num_experts=4, num_experts_per_tok=2, intermediate_size=32, **rope())),
            "FlexOlmo: OLMo-2 post-norm block with full-width q/k norm and a softmax top-2 of 4 MoE (no renorm)."),
        gen("GptOssForCausalLM", "H", T.GptOssForCausalLM,
            cfg(T.GptOssConfig, **dims(num_key_value_heads=2, head_dim=16, num_local_experts=4, num_experts_per_tok=2,
                                       intermediate_size=32, sliding_window=8, layer_types=SLIDE,
                                       **rope(150000.0, "yarn", factor=32.0, beta_fast=32.0, beta_slow=1.0,
                                              original_max_position_embeddings=64, truncate=False))),
            "GPT-OSS: router with bias, top-2 logits then softmax over the 2; clamped SwiGLU "
            "(gate<=7, |up|<=7, (up+1)*gate*sigmoid(1.702 gate)) with interleaved gate/up columns and biases; "
            "q/k/v/o bias; learned per-head sinks; layer 0 sliding window 8; yarn RoPE (factor 32)."),
        gen("GraniteMoeForCausalLM", "H", T.GraniteMoeForCausalLM,
            cfg(T.GraniteMoeConfig, **moe(num_local_experts=4, num_experts_per_tok=2, intermediate_size=32,
                                          embedding_multiplier=6.0, residual_multiplier=0.4, logits_scaling=2.5,
                                          attention_multiplier=0.1, tie_word_embeddings=True, **rope())),
            "GraniteMoE: top-2 of 4 on the router logits then softmax over the 2, Granite multipliers, tied."),
        gen("GraniteMoeSharedForCausalLM", "H", T.GraniteMoeSharedForCausalLM,
            cfg(T.GraniteMoeSharedConfig, **moe(num_local_experts=4, num_experts_per_tok=2, intermediate_size=32,
                                                shared_intermediate_size=48, embedding_multiplier=6.0,
                                                residual_multiplier=0.4, logits_scaling=2.5, attention_multiplier=0.1,
                                                **rope())),
            "GraniteMoeShared: GraniteMoE plus an always-on shared SwiGLU MLP (width 48)."),
        gen("HunYuanMoEV1ForCausalLM", "H", T.HunYuanMoEV1ForCausalLM,
            cfg(T.HunYuanMoEV1Config, **dims(num_key_value_heads=2, head_dim=16, num_experts=4, moe_topk=2,
                                             intermediate_size=32, **rope())),
            "HunYuan-MoE: softmax top-2 of 4 renormalised plus an always-on shared MLP, q/k RMSNorm after RoPE."),
        gen("PhiMoEForCausalLM", "H", T.PhimoeForCausalLM,
            cfg(T.PhimoeConfig, **moe(num_local_experts=4, num_experts_per_tok=2, intermediate_size=32,
                                      attention_bias=True, lm_head_bias=True, router_jitter_noise=0.0,
                                      **longrope(16, short_mscale=1.1, long_mscale=1.3))),
            "Phi-3.5-MoE: LayerNorm, SparseMixer top-2 routing, q/k/v/o and lm_head bias, LongRoPE with long "
            "factors and long_mscale 1.3 (prompt longer than original_max_position_embeddings 16).",
            status="alias:PhimoeForCausalLM"),
    ]


def family_i() -> list:
    return [
        gen("AfmoeForCausalLM", "I", T.AfmoeForCausalLM,
            cfg(T.AfmoeConfig, **dims(num_key_value_heads=2, head_dim=16, intermediate_size=64,
                                      moe_intermediate_size=32, num_dense_layers=1, num_experts=4,
                                      num_experts_per_tok=2, num_shared_experts=1, route_scale=2.0,
                                      global_attn_every_n_layers=2, sliding_window=8, mup_enabled=True, **rope())),
            "AFMoE: sandwich RMSNorms, per-head q/k norm, gated attention output o(attn * sigmoid(gate(x))), "
            "layer 0 sliding (RoPE, window 8) with a dense MLP, layer 1 global NoPE with the MoE: sigmoid router, "
            "expert_bias for selection only, top-2 of 4 renormalised, route_scale 2, 1 shared expert; muP "
            "embedding * sqrt(hidden)."),
        gen("Dots1ForCausalLM", "I", T.Dots1ForCausalLM,
            cfg(T.Dots1Config, **moe(n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                                     n_shared_experts=1, first_k_dense_replace=1, n_group=2, topk_group=1,
                                     norm_topk_prob=True, routed_scaling_factor=2.0, **rope())),
            "dots.llm1: Qwen3-style attention (q/k norm); layer 0 dense, layer 1 DeepSeek-V3 router: sigmoid + "
            "e_score_correction_bias for selection, 2 groups (group score = sum of top-2), 1 group kept, top-2, "
            "renormalised, x2 routed scaling, 1 shared expert."),
        gen("ExaoneMoeCausalLM", "I", T.ExaoneMoeForCausalLM,
            cfg(T.ExaoneMoeConfig, **moe(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                                         num_shared_experts=1, first_k_dense_replace=1, n_group=2, topk_group=1,
                                         routed_scaling_factor=2.5, sliding_window=8, layer_types=SLIDE, **rope())),
            "K-EXAONE: per-head q/k norm; layer 0 sliding window 8 with RoPE and a dense MLP, layer 1 full attention "
            "NoPE with the DeepSeek-V3-style MoE (sigmoid + bias, 2 groups, top-2, x2.5, 1 shared expert).",
            status="alias:ExaoneMoeForCausalLM", architectures=["ExaoneMoEForCausalLM"]),
        gen("Glm4MoeForCausalLM", "I", T.Glm4MoeForCausalLM,
            cfg(T.Glm4MoeConfig, **moe(n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                                       n_shared_experts=1, first_k_dense_replace=1, n_group=2, topk_group=1,
                                       routed_scaling_factor=2.5, attention_bias=True, use_qk_norm=True,
                                       **rope(10000.0, partial_rotary_factor=0.5))),
            "GLM-4.5: q/k/v bias, per-head q/k norm, partial 0.5 half-split (neox) RoPE; layer 0 dense, layer 1 "
            "sigmoid + bias grouped top-2 router, x2.5, 1 shared expert."),
        gen("MiMoV2FlashForCausalLM", "I", T.MiMoV2FlashForCausalLM,
            cfg(T.MiMoV2FlashConfig, **dims(num_key_value_heads=1, head_dim=24, v_head_dim=16, n_routed_experts=4,
                                            num_experts_per_tok=2, moe_intermediate_size=32, sliding_window=8,
                                            layer_types=["full_attention", "sliding_attention"],
                                            mlp_layer_types=["dense", "sparse"], attention_value_scale=0.707,
                                            rope_parameters={
                                                "full_attention": {"rope_type": "default", "rope_theta": 5e6,
                                                                   "partial_rotary_factor": 0.334},
                                                "sliding_attention": {"rope_type": "default", "rope_theta": 1e4,
                                                                      "partial_rotary_factor": 0.334}})),
            "MiMo-V2-Flash: q/k head_dim 24 with v_head_dim 16, partial RoPE int(24*0.334) = 8 dims with a theta per "
            "layer type, values scaled by 0.707; layer 0 full attention (1 kv head) + dense MLP, layer 1 sliding "
            "window 8 with 2x kv heads and learned sinks + sigmoid/bias top-2 of 4 MoE (no shared expert)."),
        gen("MiniMaxM2ForCausalLM", "I", T.MiniMaxM2ForCausalLM,
            cfg(T.MiniMaxM2Config, **dims(num_key_value_heads=2, head_dim=16, num_local_experts=4,
                                          num_experts_per_tok=2, intermediate_size=32,
                                          **rope(5e6, partial_rotary_factor=0.5))),
            "MiniMax-M2: q/k RMSNorm over the full projected width, partial RoPE 0.5, sigmoid router with "
            "e_score_correction_bias for selection, top-2 of 4 renormalised; experts saved per expert (w1/w3/w2)."),
    ]


def mla(**extra) -> dict:
    """MLA sizes: head_dim must equal qk_rope_head_dim (it is the rotary dimension in these configs)."""
    base = dict(hidden_size=64, num_key_value_heads=4, q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=16,
                qk_rope_head_dim=8, v_head_dim=16)
    return dims(**{**base, **extra})


def family_j() -> list:
    experts = dict(n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32, n_shared_experts=1,
                   first_k_dense_replace=1)
    return [
        gen("DeepseekV2ForCausalLM", "J", T.DeepseekV2ForCausalLM,
            cfg(T.DeepseekV2Config, **mla(head_dim=8, topk_method="group_limited_greedy", n_group=2, topk_group=1,
                                          routed_scaling_factor=1.5, **experts, **rope())),
            "DeepSeek-V2: MLA (q LoRA 24, kv LoRA 16, nope 16 + rope 8, v 16), RoPE in complex/interleaved form on "
            "the rope dims; layer 0 dense, layer 1 softmax router with group-limited greedy top-2 (2 groups, 1 "
            "kept), no renorm, x1.5, 1 shared expert."),
        gen("DeepseekV2ForCausalLM", "J", T.DeepseekV2ForCausalLM,
            cfg(T.DeepseekV2Config, **mla(head_dim=8, topk_method="greedy", **experts,
                                          **{"q_lora_rank": None, **rope()})),
            "DeepSeek-V2-Lite: no q LoRA (plain q_proj), greedy softmax top-2 of 4.", suffix="lite"),
        gen("DeepseekV3ForCausalLM", "J", T.DeepseekV3ForCausalLM,
            cfg(T.DeepseekV3Config, **mla(n_group=2, topk_group=1, routed_scaling_factor=2.5,
                                          norm_topk_prob=True, **experts,
                                          **rope(10000.0, "yarn", factor=4.0, original_max_position_embeddings=32,
                                                 beta_fast=32.0, beta_slow=1.0, mscale=1.0, mscale_all_dim=1.0))),
            "DeepSeek-V3/R1: MLA with interleaved RoPE (rope_interleave), yarn (factor 4, mscale_all_dim 1: softmax "
            "scale multiplied by mscale^2); layer 0 dense, layer 1 sigmoid + e_score_correction_bias grouped top-2, "
            "renormalised, x2.5, 1 shared expert; no MTP layer in the file."),
        gen("MiniCPM3ForCausalLM", "J", T.MiniCPM3ForCausalLM,
            cfg(T.MiniCPM3Config, **mla(tie_word_embeddings=True, scale_emb=12.0, scale_depth=1.4, dim_model_base=32,
                                        **rope())),
            "MiniCPM3: dense MLA (half-split RoPE on the 8 rope dims) with MiniCPM scalings: embeddings x12, "
            "residual branches x1.4/sqrt(2), hidden / (64/32) before the tied lm_head."),
        gen("LongcatFlashForCausalLM", "J", T.LongcatFlashForCausalLM,
            cfg(T.LongcatFlashConfig, vocab_size=256, hidden_size=64, num_layers=2, num_attention_heads=4,
                max_position_embeddings=256, bos_token_id=1, eos_token_id=2, pad_token_id=0, ffn_hidden_size=64,
                q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=16, qk_rope_head_dim=8, head_dim=8, v_head_dim=16,
                moe_topk=2, n_routed_experts=4, zero_expert_num=2, expert_ffn_hidden_size=32,
                routed_scaling_factor=6.0, **rope()),
            "LongCat-Flash: each of the 2 layers has two MLA + dense-MLP sublayers and a shortcut MoE (computed "
            "from the first sublayer, added after the second): softmax router + e_score_correction_bias, 4 real + "
            "2 zero (identity) experts, top-2, x6."),
    ]


def cases() -> list:
    return family_h() + family_i() + family_j()
