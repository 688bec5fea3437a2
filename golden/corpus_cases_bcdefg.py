"""Families B (post/sandwich norm), C (Gemma), D (LayerNorm RoPE decoders), E (parallel blocks), F (GPT-2-like
learned positions) and G (ALiBi): native and alias rows plus their pooling rows.

Architectures whose one class covers structurally different checkpoints get one case per structure (suffix), e.g.
Falcon-7B (multi-query, one shared LayerNorm), Falcon-40B (new_decoder_architecture) and Falcon-RW (ALiBi).
"""
from __future__ import annotations

import transformers as T

from corpus_core import CLASSIFY
from corpus_helpers import cfg, dims, embed_case, gen, pooled, rope, score_case, logits_head

SLIDE = ["sliding_attention", "full_attention"]


def gpt_sizes(**extra) -> dict:
    """GPT-2-style config names: 64 wide, 4 heads, 2 layers, 128 positions."""
    base = dict(vocab_size=256, n_positions=128, n_embd=64, n_layer=2, n_head=4, n_inner=128, bos_token_id=1,
                eos_token_id=2, pad_token_id=0)
    base.update(extra)
    return base


def family_b() -> list:
    return [
        gen("Exaone4ForCausalLM", "B", T.Exaone4ForCausalLM,
            cfg(T.Exaone4Config, **dims(num_key_value_heads=2, sliding_window=8, layer_types=SLIDE, hidden_size=64,
                                        **rope(1e6))),
            "EXAONE-4: post-norm only (x + RMSNorm(f(x))), per-head qk RMSNorm, layer 0 sliding (window 8, RoPE), "
            "layer 1 full attention without RoPE (NoPE)."),
        gen("Glm4ForCausalLM", "B", T.Glm4ForCausalLM,
            cfg(T.Glm4Config, **dims(num_key_value_heads=2, head_dim=16, attention_bias=True,
                                     **rope(10000.0, partial_rotary_factor=0.5))),
            "GLM-4-0414: sandwich RMSNorms (post_self_attn_layernorm, post_mlp_layernorm), fused gate_up_proj, q/k/v "
            "bias, partial 0.5 interleaved RoPE."),
        gen("OLMo2ForCausalLM", "B", T.Olmo2ForCausalLM,
            cfg(T.Olmo2Config, **dims(hidden_size=64, num_key_value_heads=2, **rope(500000.0))),
            "OLMo-2: post-norm (x + RMSNorm(f(x))), q/k RMSNorm over the full projected width (all heads at once).",
            status="alias:Olmo2ForCausalLM", architectures=["Olmo2ForCausalLM"]),
        gen("OLMo3ForCausalLM", "B", T.Olmo3ForCausalLM,
            cfg(T.Olmo3Config, **dims(hidden_size=64, num_key_value_heads=2, sliding_window=8, layer_types=SLIDE,
                                      **rope(500000.0))),
            "OLMo-3: OLMo-2 block, layer 0 sliding window 8, layer 1 full (both with RoPE).",
            status="alias:Olmo3ForCausalLM", architectures=["Olmo3ForCausalLM"]),
    ]


def family_c() -> list:
    gemma3_rope = {"rope_parameters": {
        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
        "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1e6}}}
    return [
        gen("GemmaForCausalLM", "C", T.GemmaForCausalLM,
            cfg(T.GemmaConfig, **dims(num_key_value_heads=1, head_dim=16, tie_word_embeddings=True, eos_token_id=1,
                                      bos_token_id=2, **rope())),
            "Gemma: RMSNorm x*(1+w), GeGLU (gelu tanh), embeddings * sqrt(hidden) (rounded to the weight dtype), "
            "MQA, head_dim 16, tied. Gemma's eos id is 1 and bos 2."),
        gen("Gemma2ForCausalLM", "C", T.Gemma2ForCausalLM,
            cfg(T.Gemma2Config, **dims(num_key_value_heads=2, head_dim=16,
                                       query_pre_attn_scalar=24, sliding_window=8, layer_types=SLIDE,
                                       attn_logit_softcapping=5.0, final_logit_softcapping=10.0, **rope())),
            "Gemma-2: sandwich (1+w) norms, softmax scale query_pre_attn_scalar^-0.5 = 24^-0.5, attention logits "
            "soft-capped 5*tanh(x/5), final logits 10*tanh(x/10) (small caps so that both bite), layer 0 sliding 8."),
        gen("Gemma3ForCausalLM", "C", T.Gemma3ForCausalLM,
            cfg(T.Gemma3TextConfig, **dims(num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=16, sliding_window=8, layer_types=SLIDE,
                                           **gemma3_rope)),
            "Gemma-3 text: sandwich (1+w) norms, per-head (1+w) q/k norm, layer 0 sliding (window 8, theta 1e4), "
            "layer 1 global (theta 1e6, linear RoPE scaling x8)."),
        gen("Gemma3nForCausalLM", "C", T.Gemma3nForCausalLM,
            cfg(T.Gemma3nTextConfig, **dims(num_hidden_layers=4, num_key_value_heads=2, head_dim=16,
                                            tie_word_embeddings=True, sliding_window=8, layer_types=SLIDE * 2,
                                            vocab_size_per_layer_input=256, hidden_size_per_layer_input=8,
                                            laurel_rank=4, altup_num_inputs=4, num_kv_shared_layers=2,
                                            activation_sparsity_pattern=[0.95, 0.0, 0.0, 0.0],
                                            final_logit_softcapping=30.0,
                                            rope_parameters={
                                                "sliding_attention": {"rope_type": "default", "rope_theta": 1e4},
                                                "full_attention": {"rope_type": "default", "rope_theta": 1e6}})),
            "Gemma-3n text: AltUp (4 streams), LAuReL (rank 4), per-layer embeddings (8 per layer), gaussian top-k "
            "activation sparsity on layer 0 (0.95), q/k/v norms, layers 2-3 reuse the KV of layers 0-1 "
            "(num_kv_shared_layers 2), final soft-cap 30."),
        embed_case("Gemma2Model", "C", T.Gemma2Model,
                   cfg(T.Gemma2Config, **dims(num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=16,
                                              sliding_window=8, layer_types=SLIDE, **rope())),
                   "bge-multilingual-gemma2 style: causal Gemma2Model, last-token pooling, L2-normalised.",
                   two_sequences=True),
        embed_case("Gemma3TextModel", "C", T.Gemma3TextModel,
                   cfg(T.Gemma3TextConfig, **dims(num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=16,
                                                  sliding_window=8, layer_types=SLIDE,
                                                  use_bidirectional_attention=True, **gemma3_rope)),
                   "EmbeddingGemma style: use_bidirectional_attention: no causal mask; with it transformers turns "
                   "config.json's sliding_window w=8 into w//2+1 = 5 and the sliding layer sees keys |q - k| < 5 "
                   "(eager attention; sdpa in transformers 5.24 drops the window, see default_attention_drift), "
                   "mean pooling, L2-normalised "
                   "(the sentence-transformers dense projections are not part of the transformers model).",
                   how="mean", two_sequences=True),
        score_case("GemmaForSequenceClassification", "C", T.GemmaForSequenceClassification,
                   cfg(T.GemmaConfig, **dims(num_key_value_heads=1, head_dim=16, num_labels=1, **rope())),
                   "Gemma reranker as a 1-label classifier: score head on the last non-padding token."),
    ]


def family_d() -> list:
    return [
        gen("Jais2ForCausalLM", "D", T.Jais2ForCausalLM,
            cfg(T.Jais2Config, **dims(num_key_value_heads=2, head_dim=16, **rope())),
            "Jais-2: LayerNorm (weight+bias), non-gated ReLU^2 MLP with biases, q/k/v/o biases."),
        gen("NemotronForCausalLM", "D", T.NemotronForCausalLM,
            cfg(T.NemotronConfig, **dims(num_key_value_heads=2, head_dim=16,
                                         **rope(10000.0, partial_rotary_factor=0.5))),
            "Nemotron-4: LayerNorm1P (layer_norm(x, 1+w, b)), ReLU^2 MLP, partial RoPE 0.5."),
        gen("OLMoForCausalLM", "D", T.OlmoForCausalLM,
            cfg(T.OlmoConfig, **dims(hidden_size=64, clip_qkv=3.0, **rope())),
            "OLMo-1: LayerNorm without weight or bias, q/k/v clamped to [-3, 3] (clip_qkv).",
            status="alias:OlmoForCausalLM", architectures=["OlmoForCausalLM"]),
        gen("PersimmonForCausalLM", "D", T.PersimmonForCausalLM,
            cfg(T.PersimmonConfig, **dims(hidden_size=64, qk_layernorm=True,
                                          **rope(25000.0, partial_rotary_factor=0.5))),
            "Persimmon: fused query_key_value with bias (per-head interleaved q,k,v), per-head q/k LayerNorm, ReLU^2, "
            "partial RoPE 0.5."),
        gen("StableLmForCausalLM", "D", T.StableLmForCausalLM,
            cfg(T.StableLmConfig, **dims(hidden_size=64, num_key_value_heads=2, use_qkv_bias=True,
                                         **rope(10000.0, partial_rotary_factor=0.25))),
            "StableLM-2 (1.6B style): LayerNorm, q/k/v bias, partial RoPE 0.25 (4 of 16 dims), sequential residual."),
        gen("StableLmForCausalLM", "D", T.StableLmForCausalLM,
            cfg(T.StableLmConfig, **dims(hidden_size=64, num_key_value_heads=2, qk_layernorm=True,
                                         use_parallel_residual=True, **rope(10000.0, partial_rotary_factor=0.25))),
            "StableLM-2-12B style: per-head q/k LayerNorm (one LayerNorm per head) and parallel residual "
            "x + attn(ln(x)) + mlp(ln(x)).", suffix="parallel"),
        gen("Starcoder2ForCausalLM", "D", T.Starcoder2ForCausalLM,
            cfg(T.Starcoder2Config, **dims(hidden_size=64, num_key_value_heads=2, sliding_window=8,
                                           tie_word_embeddings=True, **rope(100000.0))),
            "StarCoder2: LayerNorm with bias, non-gated GELU(tanh) MLP with bias, q/k/v/o bias, sliding window 8."),
    ]


def family_e() -> list:
    return [
        gen("CohereForCausalLM", "E", T.CohereForCausalLM,
            cfg(T.CohereConfig, **dims(hidden_size=64, num_key_value_heads=2, tie_word_embeddings=True,
                                       logit_scale=0.5, **rope())),
            "Command-R: mean-centred LayerNorm without bias, parallel attention + MLP from one norm, interleaved "
            "(GPT-J pair) RoPE, logits * 0.5, tied."),
        gen("CohereForCausalLM", "E", T.CohereForCausalLM,
            cfg(T.CohereConfig, **dims(hidden_size=64, num_key_value_heads=2, tie_word_embeddings=True,
                                       logit_scale=0.5, use_qk_norm=True, **rope())),
            "Command-R+ style: as Command-R plus per-head q/k LayerNorm (weights [heads, head_dim], no bias).",
            suffix="qk_norm"),
        gen("Cohere2ForCausalLM", "E", T.Cohere2ForCausalLM,
            cfg(T.Cohere2Config, **dims(hidden_size=64, num_key_value_heads=2, tie_word_embeddings=True,
                                        logit_scale=0.5, sliding_window=8, layer_types=SLIDE, **rope())),
            "Command-A / R7B: layer 0 sliding window 8 with interleaved RoPE, layer 1 full attention without RoPE."),
        gen("FalconForCausalLM", "E", T.FalconForCausalLM,
            cfg(T.FalconConfig, vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                multi_query=True, parallel_attn=True, new_decoder_architecture=False, bias=False,
                ffn_hidden_size=128, bos_token_id=1, eos_token_id=2, **rope()),
            "Falcon-7B: multi-query (1 kv head), one input LayerNorm shared by parallel attention and MLP, fused "
            "query_key_value, no biases, tied."),
        gen("FalconForCausalLM", "E", T.FalconForCausalLM,
            cfg(T.FalconConfig, vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_kv_heads=2, new_decoder_architecture=True, num_ln_in_parallel_attn=2, bias=False,
                ffn_hidden_size=128, bos_token_id=1, eos_token_id=2, **rope()),
            "Falcon-40B/180B: new_decoder_architecture: GQA (4 q / 2 kv heads, fused qkv grouped per kv head), "
            "separate ln_attn and ln_mlp, parallel block.", suffix="new_decoder"),
        gen("FalconForCausalLM", "E", T.FalconForCausalLM,
            cfg(T.FalconConfig, vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                multi_query=False, parallel_attn=False, alibi=True, bias=True, ffn_hidden_size=128, bos_token_id=1, eos_token_id=2),
            "Falcon-RW: ALiBi instead of RoPE, MHA, sequential (not parallel) block, biases. Expectations come from "
            "transformers' default (sdpa) attention: its eager path adds the ALiBi bias twice (once folded into the "
            "mask as alibi/sqrt(head_dim), once more inside FalconAttention), while sdpa, the original Falcon-RW code "
            "and vLLM add it once.", suffix="alibi", attention="sdpa"),
        gen("GPTJForCausalLM", "E", T.GPTJForCausalLM,
            cfg(T.GPTJConfig, **gpt_sizes(rotary_dim=8)),
            "GPT-J: parallel attention + MLP from one LayerNorm, RoPE on the first 8 of 16 head dims in GPT-J "
            "interleaved form, no q/k/v bias, lm_head with bias."),
        gen("GPTNeoXForCausalLM", "E", T.GPTNeoXForCausalLM,
            cfg(T.GPTNeoXConfig, **dims(hidden_size=64, intermediate_size=128,
                                        **rope(10000.0, partial_rotary_factor=0.25))),
            "GPT-NeoX / Pythia: fused query_key_value (per-head interleaved), parallel residual "
            "x + attn(ln1(x)) + mlp(ln2(x)), partial RoPE 0.25, biases."),
        gen("PhiForCausalLM", "E", T.PhiForCausalLM,
            cfg(T.PhiConfig, **dims(hidden_size=64, intermediate_size=128, **rope(10000.0, partial_rotary_factor=0.5))),
            "Phi-1.5/2: one LayerNorm, parallel attention + GELU MLP, partial RoPE 0.5, biases, lm_head bias."),
    ]


def family_f() -> list:
    return [
        gen("GPT2LMHeadModel", "F", T.GPT2LMHeadModel, cfg(T.GPT2Config, **gpt_sizes()),
            "GPT-2: learned absolute positions, pre-LN, Conv1D (transposed [in, out]) weights, fused c_attn, "
            "gelu_new, tied."),
        gen("GPTBigCodeForCausalLM", "F", T.GPTBigCodeForCausalLM, cfg(T.GPTBigCodeConfig, **gpt_sizes()),
            "StarCoder-1 / SantaCoder: GPT-2 block with multi-query attention (c_attn = q + one k + one v head)."),
        gen("OPTForCausalLM", "F", T.OPTForCausalLM,
            cfg(T.OPTConfig, vocab_size=256, hidden_size=64, num_hidden_layers=2, ffn_dim=128, num_attention_heads=4,
                max_position_embeddings=128, pad_token_id=1, bos_token_id=2, eos_token_id=2, dropout=0.0),
            "OPT: learned positions with offset 2 (positions from the attention-mask cumsum), pre-LN, ReLU, q "
            "pre-scaled. pad id 1 and bos = eos = 2 as in the real checkpoints."),
        gen("OPTForCausalLM", "F", T.OPTForCausalLM,
            cfg(T.OPTConfig, vocab_size=256, hidden_size=64, num_hidden_layers=2, ffn_dim=128, num_attention_heads=4,
                max_position_embeddings=128, pad_token_id=1, bos_token_id=2, eos_token_id=2, dropout=0.0,
                do_layer_norm_before=False, word_embed_proj_dim=32),
            "opt-350m style: post-LN (do_layer_norm_before False, no final LayerNorm) and 32-wide embeddings "
            "projected in (project_in) and out (project_out) of the 64-wide model.", suffix="350m"),
        pooled("GPT2ForSequenceClassification", "F", CLASSIFY, T.GPT2ForSequenceClassification,
               cfg(T.GPT2Config, **gpt_sizes(num_labels=3)),
               "GPT-2 classifier: score head (no bias, 3 labels) on the last non-padding token (pad id 0).",
               head=logits_head, two_sequences=True),
    ]


def family_g() -> list:
    return [
        gen("BloomForCausalLM", "G", T.BloomForCausalLM,
            cfg(T.BloomConfig, vocab_size=256, hidden_size=48, n_layer=2, n_head=3, bos_token_id=1, eos_token_id=2,
                pad_token_id=0),
            "BLOOM: ALiBi, LayerNorm on the embeddings, fused query_key_value (per-head interleaved) with bias, "
            "GELU(tanh), tied."),
        gen("MPTForCausalLM", "G", T.MptForCausalLM,
            cfg(T.MptConfig, d_model=64, n_heads=4, n_layers=2, expansion_ratio=2, max_seq_len=128, vocab_size=256,
                attn_config={"alibi": True, "alibi_bias_max": 8, "clip_qkv": 4.0}, learned_pos_emb=False,
                no_bias=True, bos_token_id=1, eos_token_id=2),
            "MPT: ALiBi (alibi_bias_max 8), LayerNorm without bias, fused Wqkv clamped to [-4, 4] (clip_qkv), exact "
            "GELU, no biases, tied.", status="alias:MptForCausalLM"),
    ]


def cases() -> list:
    return family_c() + family_d() + family_e() + family_b() + family_g() + family_f()
