"""Families K1 (pure SSM), K2 (Mamba + attention hybrids) and K3 (linear attention / delta rule / short conv).

Every hybrid has at least one layer of each kind it mixes (layer lists set through each config's own knobs), SSM
chunk sizes of 8 so that the 18-token prompt spans several chunks (chunked prefill, then recurrent decode steps),
tiny states (d_state 8-16) and 4 experts where the architecture has a MoE.
"""
from __future__ import annotations

import torch
import transformers as T

from corpus_core import CLASSIFY
from corpus_helpers import cfg, dims, gen, logits_head, pooled, rope

SPECIALS = dict(bos_token_id=1, eos_token_id=2, pad_token_id=0)


def dt_bias_above_clamp(model, generator) -> None:
    """NemotronH and Zamba2 clamp dt = softplus(dt + dt_bias) to >= time_step_min (1e-3) in the chunked (prefill)
    scan but not in the single-token update (as mamba_ssm's kernels do), so a run whose dt falls below 1e-3 is not
    KV-cache consistent. dt_bias around 1 keeps dt well above the clamp; the clamp itself is then not exercised."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("dt_bias"):
                param.copy_(1.0 + 0.3 * torch.randn(param.shape, generator=generator))


def without(key: str, **extra) -> dict:
    """dims() minus a key the config derives itself (NemotronH: the layer count comes from layers_block_type)."""
    values = dims(**extra)
    del values[key]
    return values


def mamba1(**extra) -> dict:
    return dict(vocab_size=256, hidden_size=32, state_size=8, num_hidden_layers=2, expand=2, conv_kernel=4,
                tie_word_embeddings=True, use_mambapy=False, **SPECIALS, **extra)


def family_k1() -> list:
    return [
        gen("MambaForCausalLM", "K1", T.MambaForCausalLM, cfg(T.MambaConfig, **mamba1()),
            "Mamba-1: in_proj -> (x, z), causal depthwise conv1d (kernel 4) + SiLU, x_proj -> (dt rank 2, B, C), "
            "dt_proj + softplus, selective scan with A = -exp(A_log) [64, 8], D skip, y * SiLU(z); tied."),
        gen("FalconMambaForCausalLM", "K1", T.FalconMambaForCausalLM, cfg(T.FalconMambaConfig, **mamba1()),
            "Falcon-Mamba: Mamba-1 plus weightless RMSNorm (eps 1e-6) on dt, B and C before the scan."),
        gen("Mamba2ForCausalLM", "K1", T.Mamba2ForCausalLM,
            cfg(T.Mamba2Config, vocab_size=256, hidden_size=32, num_hidden_layers=2, num_heads=4, head_dim=16,
                expand=2, state_size=16, n_groups=2, conv_kernel=4, chunk_size=8, tie_word_embeddings=False,
                **SPECIALS),
            "Mamba-2 (Codestral-Mamba style): in_proj -> (z, xBC, dt), conv1d on xBC, SSD scan with scalar A per "
            "head (4 heads of 16), 2 groups of B/C (state 16), dt_bias + softplus, D skip, gated RMSNorm(y, z) "
            "(group size 32), chunk size 8."),
    ]


def family_k2() -> list:
    jamba = cfg(T.JambaConfig, **dims(num_key_value_heads=2, attn_layer_period=2, attn_layer_offset=1,
                                      expert_layer_period=2, expert_layer_offset=1, num_experts=4,
                                      num_experts_per_tok=2, mamba_d_state=8, use_mamba_kernels=False))
    return [
        gen("JambaForCausalLM", "K2", T.JambaForCausalLM, jamba,
            "Jamba: layer 0 = Mamba-1 mixer (with RMSNorm on dt/B/C) + dense SwiGLU, layer 1 = attention (no "
            "positional encoding, GQA 4/2, head_dim 8) + softmax top-2 of 4 MoE without renormalisation."),
        pooled("JambaForSequenceClassification", "K2", CLASSIFY, T.JambaForSequenceClassification,
               cfg(T.JambaConfig, **dims(num_key_value_heads=2, attn_layer_period=2, attn_layer_offset=1,
                                         expert_layer_period=2, expert_layer_offset=1, num_experts=4,
                                         num_experts_per_tok=2, mamba_d_state=8, use_mamba_kernels=False,
                                         num_labels=2)),
               "Jamba classifier: score head (no bias, 2 labels) on the last non-padding token (pad id 0).",
               head=logits_head, two_sequences=True),
        gen("BambaForCausalLM", "K2", T.BambaForCausalLM,
            cfg(T.BambaConfig, **dims(hidden_size=64, num_key_value_heads=2, attn_layer_indices=[1], mamba_n_heads=8,
                                      mamba_d_head=16, mamba_n_groups=1, mamba_d_state=16, mamba_chunk_size=8,
                                      **rope(10000.0, partial_rotary_factor=0.5))),
            "Bamba: layer 0 Mamba-2 (8 heads of 16, state 16, chunk 8, gated RMSNorm), layer 1 attention (GQA, "
            "partial RoPE 0.5); SwiGLU MLP after every mixer."),
        gen("FalconH1ForCausalLM", "K2", T.FalconH1ForCausalLM,
            cfg(T.FalconH1Config, **dims(hidden_size=64, num_key_value_heads=2, mamba_d_ssm=128, mamba_n_heads=8,
                                         mamba_d_head=16, mamba_n_groups=1, mamba_d_state=16, mamba_chunk_size=8,
                                         mamba_rms_norm=True, mamba_norm_before_gate=False,
                                         lm_head_multiplier=0.5, embedding_multiplier=2.0,
                                         mlp_multipliers=[0.8, 1.2], key_multiplier=0.7,
                                         attention_out_multiplier=0.9, attention_in_multiplier=1.1,
                                         ssm_multipliers=[1.1, 0.9, 1.2, 0.8, 1.3], ssm_in_multiplier=1.2,
                                         ssm_out_multiplier=0.8, **rope(1e11))),
            "Falcon-H1: in every layer attention and Mamba-2 run side by side on the same normed input and are "
            "summed, then a SwiGLU MLP; muP multipliers everywhere (embedding, lm_head, key, attention in/out, ssm "
            "in/out, per-block ssm multipliers via mup_vector, gate/down MLP multipliers); gated RMSNorm after gate."),
        gen("GraniteMoeHybridForCausalLM", "K2", T.GraniteMoeHybridForCausalLM,
            cfg(T.GraniteMoeHybridConfig, **dims(hidden_size=64, num_key_value_heads=2,
                                                 layer_types=["linear_attention", "full_attention"],
                                                 num_local_experts=4, num_experts_per_tok=2, intermediate_size=32,
                                                 shared_intermediate_size=48, mamba_n_heads=8, mamba_d_head=16,
                                                 mamba_n_groups=1, mamba_d_state=16, mamba_chunk_size=8,
                                                 embedding_multiplier=6.0, residual_multiplier=0.4,
                                                 logits_scaling=2.5, attention_multiplier=0.1,
                                                 tie_word_embeddings=True)),
            "Granite-4.0-H: layer 0 Mamba-2, layer 1 attention without positional encoding (NoPE); every layer has "
            "the top-2-of-4 MoE plus the always-on shared MLP; Granite multipliers; tied."),
        gen("NemotronHForCausalLM", "K2", T.NemotronHForCausalLM,
            cfg(T.NemotronHConfig, **without("num_hidden_layers", num_key_value_heads=2, head_dim=16,
                                          layers_block_type=["linear_attention", "full_attention", "mlp", "moe"],
                                          mamba_num_heads=4, mamba_head_dim=16, n_groups=2, ssm_state_size=16,
                                          chunk_size=8, n_routed_experts=4, num_experts_per_tok=2,
                                          moe_intermediate_size=32, moe_shared_expert_intermediate_size=32,
                                          n_group=1, topk_group=1, routed_scaling_factor=1.5)),
            "Nemotron-H: one mixer per block: Mamba-2 (4 heads of 16, 2 groups), attention (NoPE), non-gated ReLU^2 "
            "MLP, MoE (sigmoid + e_score_correction_bias, top-2 of 4, x1.5, shared expert). dt_bias ~ 1 so that dt "
            "stays above time_step_min (prefill clamps dt there, decode does not).",
            randomize_hook=dt_bias_above_clamp),
        gen("Zamba2ForCausalLM", "K2", T.Zamba2ForCausalLM,
            cfg(T.Zamba2Config, vocab_size=256, hidden_size=32, num_hidden_layers=2,
                layers_block_type=["linear_attention", "hybrid"], mamba_d_state=16, n_mamba_heads=4, mamba_ngroups=1,
                chunk_size=8, num_attention_heads=4, num_key_value_heads=4, intermediate_size=64,
                use_shared_attention_adapter=True, adapter_rank=4, use_mem_rope=True, num_mem_blocks=1,
                max_position_embeddings=256, **SPECIALS, **rope()),
            "Zamba2: Mamba-2 backbone; layer 1 is hybrid: the shared transformer block runs on concat(hidden, "
            "original embeddings) (64 wide, RoPE on), with per-invocation LoRA adapters (rank 4) on q/k/v and the "
            "gated GELU MLP, its output projected back and added before the layer's Mamba-2 mixer; tied. dt_bias ~ 1 "
            "(see Nemotron-H).", randomize_hook=dt_bias_above_clamp),
    ]


def family_k3() -> list:
    return [
        gen("Qwen3NextForCausalLM", "K3", T.Qwen3NextForCausalLM,
            cfg(T.Qwen3NextConfig, **dims(num_key_value_heads=2, head_dim=16,
                                          layer_types=["linear_attention", "full_attention"],
                                          linear_key_head_dim=16, linear_value_head_dim=16, linear_num_key_heads=2,
                                          linear_num_value_heads=4, num_experts=4, num_experts_per_tok=2,
                                          moe_intermediate_size=32, shared_expert_intermediate_size=32,
                                          **rope(1e7, partial_rotary_factor=0.25))),
            "Qwen3-Next: layer 0 Gated DeltaNet (conv1d on qkv, l2-normed q/k, 2 key heads / 4 value heads of 16, "
            "g = -exp(A_log) softplus(a + dt_bias), beta = sigmoid(b), SiLU-gated RMSNorm), layer 1 gated full "
            "attention (q_proj emits q and gate, partial RoPE 0.25, (1+w) q/k norm); (1+w) RMSNorms; MoE softmax "
            "top-2 of 4 renormalised + sigmoid-gated shared expert."),
        gen("KimiLinearForCausalLM", "K3", T.KimiLinearForCausalLM,
            cfg(T.KimiLinearConfig, **dims(num_key_value_heads=4, kv_lora_rank=16, qk_rope_head_dim=8,
                                           qk_nope_head_dim=16, v_head_dim=16,
                                           layer_types=["linear_attention", "full_attention"],
                                           mlp_layer_types=["dense", "sparse"], num_local_experts=4,
                                           num_experts_per_tok=2, moe_intermediate_size=32, n_shared_experts=1,
                                           routed_scaling_factor=2.0, linear_head_dim=16, linear_num_heads=2,
                                           linear_conv_kernel_dim=4)),
            "Kimi-Linear: layer 0 KDA (short conv on q/k/v, channel-wise decay from low-rank f_a/f_b + A_log, "
            "beta = sigmoid, sigmoid-gated RMSNorm output) + dense MLP, layer 1 MLA without RoPE + DeepSeek-V3-style "
            "MoE (sigmoid + bias, top-2 of 4, x2, shared expert)."),
        gen("Lfm2ForCausalLM", "K3", T.Lfm2ForCausalLM,
            cfg(T.Lfm2Config, **dims(num_key_value_heads=2, layer_types=["conv", "full_attention"],
                                     block_auto_adjust_ff_dim=False, tie_word_embeddings=True, **rope(1e6))),
            "LFM2: layer 0 gated short conv (in_proj -> B, C, x; B*x -> depthwise causal conv, L=3 -> C*(.) -> "
            "out_proj), layer 1 GQA attention with q/k RMSNorm; SwiGLU (w1, w3, w2); final norm named "
            "embedding_norm; tied."),
        gen("Lfm2MoeForCausalLM", "K3", T.Lfm2MoeForCausalLM,
            cfg(T.Lfm2MoeConfig, **dims(num_key_value_heads=2, layer_types=["conv", "full_attention"],
                                        num_dense_layers=1, num_experts=4, num_experts_per_tok=2,
                                        moe_intermediate_size=32, use_expert_bias=True, routed_scaling_factor=1.5,
                                        tie_word_embeddings=True, **rope(1e6))),
            "LFM2-MoE: layer 0 short conv + dense MLP, layer 1 attention + MoE (sigmoid router, expert_bias for "
            "selection only, top-2 of 4 renormalised, x1.5)."),
        gen("MiniMaxText01ForCausalLM", "K3", T.MiniMaxForCausalLM,
            cfg(T.MiniMaxConfig, **dims(num_key_value_heads=2, head_dim=16, intermediate_size=32,
                                        layer_types=["linear_attention", "full_attention"], block_size=8,
                                        num_local_experts=4, num_experts_per_tok=2, full_attn_alpha_factor=1.2,
                                        full_attn_beta_factor=0.9, linear_attn_alpha_factor=1.1,
                                        linear_attn_beta_factor=0.8, mlp_alpha_factor=1.3, mlp_beta_factor=0.7,
                                        **rope(1e7))),
            "MiniMax-Text-01: layer 0 lightning attention (SiLU q/k/v, per-head exponential decay, block size 8 so "
            "the prompt spans 3 blocks, RMSNorm over heads, sigmoid output gate), layer 1 softmax attention with "
            "full-head RoPE; residual taken after the input norm and scaled by per-sublayer alpha/beta; Mixtral "
            "top-2 of 4 MoE. transformers applies RoPE to the whole head (vLLM honours a checkpoint's rotary_dim).",
            status="alias:MiniMaxForCausalLM"),
        gen("MiniMaxM1ForCausalLM", "K3", T.MiniMaxForCausalLM,
            cfg(T.MiniMaxConfig, **dims(num_key_value_heads=2, head_dim=16, intermediate_size=32,
                                        layer_types=["linear_attention", "full_attention"], block_size=4,
                                        num_local_experts=4, num_experts_per_tok=2, **rope(1e7))),
            "MiniMax-M1: same class as MiniMax-Text-01 (model_type minimax), here with block size 4 and unit "
            "alpha/beta factors.", status="alias:MiniMaxForCausalLM"),
    ]


def cases() -> list:
    return family_k1() + family_k2() + family_k3()
