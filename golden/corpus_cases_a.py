"""Family A (Llama-like pre-norm decoders): native and alias rows, and their pooling rows.

Every case switches on the knob its architecture is known for (biases are random, norms are not all ones), with
sizes kept tiny: hidden 32 with head_dim 16 where the config has a head_dim, otherwise hidden 64 / 4 heads.
"""
from __future__ import annotations

import transformers as T

from corpus_core import REWARD
from corpus_helpers import (cfg, dims, embed_case, gen, pooled, rope, score_case, step_reward_head)


def cases() -> list:
    return [
        gen("LlamaForCausalLM", "A", T.LlamaForCausalLM,
            cfg(T.LlamaConfig, **dims(num_key_value_heads=2, head_dim=16, tie_word_embeddings=True, rms_norm_eps=1e-5,
                                      **rope(500000.0, "llama3", factor=8.0, low_freq_factor=1.0,
                                             high_freq_factor=4.0, original_max_position_embeddings=64))),
            "Llama-3.2 style: GQA 4/2, head_dim 16, tied embeddings, llama3 RoPE scaling (theta 5e5)."),
        gen("MistralForCausalLM", "A", T.MistralForCausalLM,
            cfg(T.MistralConfig, **dims(num_key_value_heads=2, head_dim=16, sliding_window=8, **rope(1e6))),
            "Mistral: sliding_window 8 (< prompt length) on every layer; query q sees keys q-8 < k <= q."),
        gen("Qwen2ForCausalLM", "A", T.Qwen2ForCausalLM,
            cfg(T.Qwen2Config, **dims(hidden_size=64, num_key_value_heads=2, tie_word_embeddings=True,
                                      **rope(1e6))),
            "Qwen2: random q/k/v biases, no o_proj bias, tied embeddings."),
        gen("Qwen3ForCausalLM", "A", T.Qwen3ForCausalLM,
            cfg(T.Qwen3Config, **dims(num_key_value_heads=2, head_dim=16, **rope(1e6))),
            "Qwen3: per-head q/k RMSNorm before RoPE, head_dim 16 != hidden/heads."),
        gen("ApertusForCausalLM", "A", T.ApertusForCausalLM,
            cfg(T.ApertusConfig, **dims(hidden_size=64, num_key_value_heads=2, intermediate_size=96,
                                        **rope(12e6, "llama3", factor=8.0, low_freq_factor=1.0,
                                               high_freq_factor=4.0, original_max_position_embeddings=64))),
            "Apertus: non-gated up->xIELU->down MLP (learned alpha_p/alpha_n/beta/eps per layer), per-head qk "
            "RMSNorm, llama3 RoPE."),
        gen("ArceeForCausalLM", "A", T.ArceeForCausalLM,
            cfg(T.ArceeConfig, **dims(num_key_value_heads=2, head_dim=16, intermediate_size=96, **rope())),
            "Arcee AFM: non-gated up->ReLU^2->down MLP."),
        gen("Ernie4_5ForCausalLM", "A", T.Ernie4_5ForCausalLM,
            cfg(T.Ernie4_5Config, **dims(num_key_value_heads=2, head_dim=16, use_bias=True, tie_word_embeddings=True,
                                         **rope(500000.0))),
            "Ernie 4.5: GPT-J interleaved RoPE pairs (0::2 / 1::2), use_bias (q/k/v/o and MLP biases), tied."),
        gen("ExaoneForCausalLM", "A", T.LlamaForCausalLM,
            cfg(T.ExaoneConfig, **dims(num_key_value_heads=2, head_dim=16, **rope(500000.0))),
            "EXAONE-3: LlamaForCausalLM math; save_pretrained writes the EXAONE tensor names "
            "(transformer.h.N.attn.attention.q_proj, mlp.c_fc_0 = gate, c_fc_1 = up, ...).",
            status="alias:LlamaForCausalLM"),
        gen("GlmForCausalLM", "A", T.GlmForCausalLM,
            cfg(T.GlmConfig, **dims(num_key_value_heads=2, head_dim=16, attention_bias=True,
                                    **rope(10000.0, partial_rotary_factor=0.5))),
            "GLM-4 (GlmForCausalLM): fused gate_up_proj, q/k/v bias, partial (0.5) GPT-J-interleaved RoPE."),
        gen("GraniteForCausalLM", "A", T.GraniteForCausalLM,
            cfg(T.GraniteConfig, **dims(hidden_size=64, num_key_value_heads=2, tie_word_embeddings=True,
                                        embedding_multiplier=6.0, residual_multiplier=0.4, logits_scaling=2.5,
                                        attention_multiplier=0.1, **rope())),
            "Granite: embedding x6, residual branches x0.4, softmax scale 0.1 (not 1/sqrt(head_dim)), logits / 2.5."),
        gen("HunYuanDenseV1ForCausalLM", "A", T.HunYuanDenseV1ForCausalLM,
            cfg(T.HunYuanDenseV1Config, **dims(num_key_value_heads=2, head_dim=16,
                                               **rope(10000.0, "dynamic", factor=1.0, alpha=1000.0))),
            "HunYuan dense: per-head q/k RMSNorm applied AFTER RoPE; RoPE 'dynamic' with alpha = NTK-alpha: "
            "base = theta * alpha^(d/(d-2)), fixed (not sequence-dependent)."),
        gen("InternLM3ForCausalLM", "A", T.LlamaForCausalLM,
            cfg(T.InternLM3Config, **dims(num_key_value_heads=2, head_dim=16, **rope(50000000.0))),
            "InternLM3: LlamaForCausalLM math under model_type internlm3.", status="alias:LlamaForCausalLM"),
        gen("IQuestCoderForCausalLM", "A", T.LlamaForCausalLM,
            cfg(T.IQuestCoderConfig, **dims(num_key_value_heads=2, head_dim=16, **rope(500000.0))),
            "IQuest-Coder: LlamaForCausalLM math under model_type iquestcoder.", status="alias:LlamaForCausalLM"),
        gen("Phi3ForCausalLM", "A", T.Phi3ForCausalLM,
            cfg(T.Phi3Config, **dims(hidden_size=64, num_key_value_heads=2, sliding_window=12,
                                     tie_word_embeddings=True, **rope(10000.0, partial_rotary_factor=0.75))),
            "Phi-3/4-mini: fused qkv_proj and gate_up_proj, partial RoPE 0.75 (12 of 16 dims), sliding window 12, "
            "tied."),
        gen("Phi3ForCausalLM", "A", T.Phi3ForCausalLM,
            cfg(T.Phi3Config, **dims(hidden_size=64, num_key_value_heads=2, original_max_position_embeddings=16,
                                     rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0,
                                                      "short_factor": [1.0 + 0.05 * i for i in range(8)],
                                                      "long_factor": [1.0 + 0.5 * i for i in range(8)],
                                                      "original_max_position_embeddings": 16})),
            "Phi-3-128k style LongRoPE: the prompt (18) is longer than original_max_position_embeddings (16), so "
            "the long factors (divide each frequency) and the attention factor sqrt(1 + ln(256/16)/ln(16)) apply "
            "from the first forward on.", suffix="longrope"),
        gen("SeedOssForCausalLM", "A", T.SeedOssForCausalLM,
            cfg(T.SeedOssConfig, **dims(num_key_value_heads=2, head_dim=16, attention_bias=True,
                                        attention_out_bias=True, attention_dropout=0.0, residual_dropout=0.0,
                                        **rope(1e7))),
            "Seed-OSS: q/k/v bias and (switched on here) o_proj bias."),
        gen("SmolLM3ForCausalLM", "A", T.SmolLM3ForCausalLM,
            cfg(T.SmolLM3Config, **dims(num_key_value_heads=2, num_hidden_layers=4, tie_word_embeddings=True,
                                        **rope(5e6))),
            "SmolLM3: NoPE every 4th layer (no_rope_layer_interval 4: layer 3 has no RoPE), tied."),
        # pooling rows of family A
        embed_case("LlamaModel", "A", T.LlamaModel,
                   cfg(T.LlamaConfig, **dims(num_key_value_heads=2, head_dim=16, **rope(500000.0))),
                   "Decoder as embedder: causal LlamaModel, last-token pooling, L2-normalised.", two_sequences=True),
        embed_case("Qwen2Model", "A", T.Qwen2Model,
                   cfg(T.Qwen2Config, **dims(hidden_size=64, num_key_value_heads=2, **rope(1e6))),
                   "gte-Qwen2 style: causal Qwen2Model, last-token pooling, L2-normalised.", two_sequences=True),
        embed_case("Qwen3Model", "A", T.Qwen3Model,
                   cfg(T.Qwen3Config, **dims(num_key_value_heads=2, head_dim=16, **rope(1e6))),
                   "Qwen3-Embedding style: last-token pooling, L2-normalised.", two_sequences=True),
        score_case("Qwen2ForSequenceClassification", "A", T.Qwen2ForSequenceClassification,
                   cfg(T.Qwen2Config, **dims(hidden_size=64, num_key_value_heads=2, num_labels=1, **rope(1e6))),
                   "Reranker: score head (no bias) on the last non-padding token (pad id 0, right padding)."),
        score_case("Qwen3ForSequenceClassification", "A", T.Qwen3ForSequenceClassification,
                   cfg(T.Qwen3Config, **dims(num_key_value_heads=2, head_dim=16, num_labels=1, **rope(1e6))),
                   "Qwen3-Reranker converted to a 1-label classifier: score on the last non-padding token."),
        pooled("LlamaForCausalLM", "A", REWARD, T.LlamaForCausalLM,
               cfg(T.LlamaConfig, **dims(num_key_value_heads=2, head_dim=16, **rope())),
               "Process reward model (math-shepherd style): LM logits at every step-tag position, softmax over "
               "the two returned token ids (vLLM STEP pooling).",
               suffix="prm", pooling="step", step_tag_id=200, head=step_reward_head(200, [7, 9])),
    ]
