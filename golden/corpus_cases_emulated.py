"""'emulate' rows of ARCHITECTURES.md section 3: architectures transformers lacks (remote code or vLLM-only) that are
the same math as a native class after renaming / fusing weights or translating config keys.

The stand-in native model is built, run and checked like any other case; the folder then holds the REAL
architecture's config.json (keys as the remote-code checkpoints spell them, with their auto_map) and the stand-in's
weights under the real tensor names and fused layouts (see corpus_export; the round trip is checked). The expected
outputs are the stand-in's. Each case's notes give the mapping.
"""
from __future__ import annotations

from typing import Callable

import torch
import transformers as T

from corpus_core import EMBED, REWARD, SCORE
from corpus_export import (LLAMA_NAMES, concat_layout, concat_unlayout, fuse_qkv, fused_export, grouped_layout,
                           grouped_unlayout, head_counts, identity_export, prefixed, renaming_export, rope_halves,
                           rope_pairs, split_qkv, Export, Renamer)
from corpus_helpers import cfg, dims, embedding_head, gen, pooled, rope

LLAMA_KEYS = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "hidden_act", "tie_word_embeddings",
              "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range")


def remote(architecture: str, model_type: str, module: str, config_class: str, keys: dict,
           auto_class: str = "AutoModelForCausalLM") -> dict:
    """A remote-code config.json: architectures, model_type and auto_map as the Hub repositories have them."""
    return {"architectures": [architecture], "model_type": model_type, "torch_dtype": "float32",
            "auto_map": {"AutoConfig": f"configuration_{module}.{config_class}",
                         auto_class: f"modeling_{module}.{architecture}"}, **keys}


def llama_keys(c: dict, drop=()) -> dict:
    keys = {k: c[k] for k in LLAMA_KEYS if k in c and k not in drop}
    keys["rope_theta"] = (c.get("rope_parameters") or {}).get("rope_theta", 10000.0)
    keys["rope_scaling"] = None
    return keys


def llama_remote(architecture, model_type, module, config_class, **extra):
    return lambda c: remote(architecture, model_type, module, config_class, {**llama_keys(c), **extra})


# ---------------------------------------------------------------------------------------------------------------
# generative rows

def internlm2_export() -> Export:
    pairs = [("model.embed_tokens.weight", "model.tok_embeddings.weight"), ("model.norm.weight", "model.norm.weight"),
             ("lm_head.weight", "output.weight"),
             ("model.layers.{i}.wqkv.weight", "model.layers.{i}.attention.wqkv.weight"),
             ("model.layers.{i}.self_attn.o_proj.weight", "model.layers.{i}.attention.wo.weight"),
             ("model.layers.{i}.mlp.gate_proj.weight", "model.layers.{i}.feed_forward.w1.weight"),
             ("model.layers.{i}.mlp.up_proj.weight", "model.layers.{i}.feed_forward.w3.weight"),
             ("model.layers.{i}.mlp.down_proj.weight", "model.layers.{i}.feed_forward.w2.weight"),
             ("model.layers.{i}.input_layernorm.weight", "model.layers.{i}.attention_norm.weight"),
             ("model.layers.{i}.post_attention_layernorm.weight", "model.layers.{i}.ffn_norm.weight")]
    config = llama_remote("InternLM2ForCausalLM", "internlm2", "internlm2", "InternLM2Config", bias=False,
                          attn_implementation="eager")
    return fused_export(config, pairs, fuse_qkv("model.layers.{i}.self_attn", "model.layers.{i}.wqkv",
                                                grouped_layout),
                        split_qkv("model.layers.{i}.self_attn", "model.layers.{i}.wqkv", grouped_unlayout))


def baichuan_export() -> Export:
    pairs = [(a, b) for a, b in LLAMA_NAMES if "_proj." not in a or "o_proj" in a or "mlp" in a] + [
        ("model.layers.{i}.self_attn.W_pack.weight", "model.layers.{i}.self_attn.W_pack.weight")]
    config = lambda c: remote("BaiChuanForCausalLM", "baichuan", "baichuan", "BaiChuanConfig",
                              llama_keys(c, drop=("num_key_value_heads",)))
    return fused_export(config, pairs,
                        fuse_qkv("model.layers.{i}.self_attn", "model.layers.{i}.self_attn.W_pack", concat_layout),
                        split_qkv("model.layers.{i}.self_attn", "model.layers.{i}.self_attn.W_pack", concat_unlayout))


def qwen_config(c: dict) -> dict:
    heads, _, head_dim = head_counts(c)
    keys = {"vocab_size": c["vocab_size"], "hidden_size": c["hidden_size"],
            "intermediate_size": 2 * c["intermediate_size"],  # QWen-1 halves it: w1/w2 are intermediate_size // 2
            "num_hidden_layers": c["num_hidden_layers"], "num_attention_heads": heads, "kv_channels": head_dim,
            "layer_norm_epsilon": c["rms_norm_eps"], "max_position_embeddings": c["max_position_embeddings"],
            "seq_length": 2048,  # longer than any golden sequence: dynamic NTK and logn scaling stay inactive
            "rotary_emb_base": c["rope_parameters"]["rope_theta"], "rotary_pct": 1.0, "use_dynamic_ntk": True,
            "use_logn_attn": True, "no_bias": True, "scale_attn_weights": True, "tie_word_embeddings": False,
            "use_flash_attn": False, "bf16": False, "fp16": False, "fp32": True, "initializer_range": 0.02,
            "layer_norm_eps": c["rms_norm_eps"], "emb_dropout_prob": 0.0, "attn_dropout_prob": 0.0}
    return remote("QWenLMHeadModel", "qwen", "qwen", "QWenConfig", keys)


def qwen_export() -> Export:
    pairs = [("model.embed_tokens.weight", "transformer.wte.weight"), ("model.norm.weight", "transformer.ln_f.weight"),
             ("lm_head.weight", "lm_head.weight"),
             ("model.layers.{i}.input_layernorm.weight", "transformer.h.{i}.ln_1.weight"),
             ("model.layers.{i}.post_attention_layernorm.weight", "transformer.h.{i}.ln_2.weight"),
             ("model.layers.{i}.c_attn.weight", "transformer.h.{i}.attn.c_attn.weight"),
             ("model.layers.{i}.c_attn.bias", "transformer.h.{i}.attn.c_attn.bias"),
             ("model.layers.{i}.self_attn.o_proj.weight", "transformer.h.{i}.attn.c_proj.weight"),
             ("model.layers.{i}.mlp.up_proj.weight", "transformer.h.{i}.mlp.w1.weight"),  # a1 = w1(x)
             ("model.layers.{i}.mlp.gate_proj.weight", "transformer.h.{i}.mlp.w2.weight"),  # a1 * silu(w2(x))
             ("model.layers.{i}.mlp.down_proj.weight", "transformer.h.{i}.mlp.c_proj.weight")]
    both = ("weight", "bias")
    return fused_export(qwen_config, pairs,
                        fuse_qkv("model.layers.{i}.self_attn", "model.layers.{i}.c_attn", concat_layout, both),
                        split_qkv("model.layers.{i}.self_attn", "model.layers.{i}.c_attn", concat_unlayout, both))


def chatglm_config(c: dict) -> dict:
    heads, kv, head_dim = head_counts(c)
    keys = {"num_layers": c["num_hidden_layers"], "padded_vocab_size": c["vocab_size"], "vocab_size": c["vocab_size"],
            "hidden_size": c["hidden_size"], "ffn_hidden_size": c["intermediate_size"], "kv_channels": head_dim,
            "num_attention_heads": heads, "multi_query_attention": kv < heads, "multi_query_group_num": kv,
            "seq_length": c["max_position_embeddings"], "layernorm_epsilon": c["rms_norm_eps"], "rmsnorm": True,
            "add_bias_linear": False, "add_qkv_bias": True, "apply_residual_connection_post_layernorm": False,
            "post_layer_norm": True, "original_rope": True, "rope_ratio": c["rope_parameters"]["rope_theta"] / 1e4,
            "apply_query_key_layer_scaling": True, "attention_softmax_in_fp32": True, "fp32_residual_connection": False,
            "hidden_dropout": 0.0, "attention_dropout": 0.0, "tie_word_embeddings": False,
            "eos_token_id": c["eos_token_id"], "pad_token_id": c["pad_token_id"]}
    return remote("ChatGLMModel", "chatglm", "chatglm", "ChatGLMConfig", keys, auto_class="AutoModel")


def chatglm_export() -> Export:
    pairs = [("model.embed_tokens.weight", "transformer.embedding.word_embeddings.weight"),
             ("model.norm.weight", "transformer.encoder.final_layernorm.weight"),
             ("lm_head.weight", "transformer.output_layer.weight"),
             ("model.layers.{i}.input_layernorm.weight", "transformer.encoder.layers.{i}.input_layernorm.weight"),
             ("model.layers.{i}.post_attention_layernorm.weight",
              "transformer.encoder.layers.{i}.post_attention_layernorm.weight"),
             ("model.layers.{i}.qkv.weight", "transformer.encoder.layers.{i}.self_attention.query_key_value.weight"),
             ("model.layers.{i}.qkv.bias", "transformer.encoder.layers.{i}.self_attention.query_key_value.bias"),
             ("model.layers.{i}.self_attn.o_proj.weight", "transformer.encoder.layers.{i}.self_attention.dense.weight"),
             ("model.layers.{i}.mlp.gate_up_proj.weight", "transformer.encoder.layers.{i}.mlp.dense_h_to_4h.weight"),
             ("model.layers.{i}.mlp.down_proj.weight", "transformer.encoder.layers.{i}.mlp.dense_4h_to_h.weight")]
    both = ("weight", "bias")
    return fused_export(chatglm_config, pairs,
                        fuse_qkv("model.layers.{i}.self_attn", "model.layers.{i}.qkv", concat_layout, both),
                        split_qkv("model.layers.{i}.self_attn", "model.layers.{i}.qkv", concat_unlayout, both))


def chatglm_inv_freq(config: dict, generator) -> dict:
    """ChatGLM checkpoints also store the rotary buffer (unused by loaders that recompute it)."""
    dim = config["kv_channels"] // 2
    base = 10000.0 * config["rope_ratio"]
    return {"transformer.rotary_pos_emb.inv_freq":
            1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))}


def fairseq2_export() -> Export:
    pairs = [("model.embed_tokens.weight", "decoder_frontend.embed.weight"),
             ("model.norm.weight", "decoder.layer_norm.weight"), ("lm_head.weight", "final_proj.weight"),
             ("model.layers.{i}.input_layernorm.weight", "decoder.layers.{i}.self_attn_layer_norm.weight"),
             ("model.layers.{i}.post_attention_layernorm.weight", "decoder.layers.{i}.ffn_layer_norm.weight"),
             ("model.layers.{i}.self_attn.q_proj.weight", "decoder.layers.{i}.self_attn.q_proj.weight"),
             ("model.layers.{i}.self_attn.k_proj.weight", "decoder.layers.{i}.self_attn.k_proj.weight"),
             ("model.layers.{i}.self_attn.v_proj.weight", "decoder.layers.{i}.self_attn.v_proj.weight"),
             ("model.layers.{i}.self_attn.o_proj.weight", "decoder.layers.{i}.self_attn.output_proj.weight"),
             ("model.layers.{i}.mlp.gate_proj.weight", "decoder.layers.{i}.ffn.gate_proj.weight"),
             ("model.layers.{i}.mlp.up_proj.weight", "decoder.layers.{i}.ffn.inner_proj.weight"),
             ("model.layers.{i}.mlp.down_proj.weight", "decoder.layers.{i}.ffn.output_proj.weight")]
    renamer = Renamer(pairs)

    def permute(tensors, config, fn):
        heads, kv, _ = head_counts(config)
        out = dict(tensors)
        for name, value in tensors.items():
            if ".q_proj." in name:
                out[name] = fn(value, heads)
            elif ".k_proj." in name:
                out[name] = fn(value, kv)
        return out

    def config(c: dict) -> dict:
        real = remote("Fairseq2LlamaForCausalLM", "llama", "llama", "LlamaConfig", {**llama_keys(c),
                                                                                      "head_dim": c["head_dim"]})
        del real["auto_map"]  # a vLLM-only architecture: no remote code
        return real
    return Export(config, lambda t, c: permute(renamer.forward(t), c, rope_pairs),
                  lambda t, c: renamer.backward(permute(t, c, rope_halves)))


def mimo_mtp(config: dict, generator) -> dict:
    """MiMo's multi-token-prediction layer (model.mtp_layers.0.*): in the checkpoint, unused for generation."""
    h, i = config["hidden_size"], config["intermediate_size"]
    heads, kv, head_dim = head_counts(config)
    shapes = {"input_layernorm.weight": (h,), "post_attention_layernorm.weight": (h,), "token_layernorm.weight": (h,),
              "hidden_layernorm.weight": (h,), "final_layernorm.weight": (h,), "input_proj.weight": (h, 2 * h),
              "self_attn.q_proj.weight": (heads * head_dim, h), "self_attn.q_proj.bias": (heads * head_dim,),
              "self_attn.k_proj.weight": (kv * head_dim, h), "self_attn.k_proj.bias": (kv * head_dim,),
              "self_attn.v_proj.weight": (kv * head_dim, h), "self_attn.v_proj.bias": (kv * head_dim,),
              "self_attn.o_proj.weight": (h, heads * head_dim), "mlp.gate_proj.weight": (i, h),
              "mlp.up_proj.weight": (i, h), "mlp.down_proj.weight": (h, i)}
    return {f"model.mtp_layers.0.{name}": 0.1 * torch.randn(shape, generator=generator)
            for name, shape in shapes.items()}


def granite_as(architecture: str, model_type: str, module: str, extra: Callable) -> Callable:
    def config(c: dict) -> dict:
        keys = llama_keys(c)
        keys.update(extra(c))
        return remote(architecture, model_type, module, architecture.replace("ForCausalLM", "Config"), keys)
    return config


def stablelm_as_orion(c: dict) -> dict:
    keys = {k: c[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                              "num_attention_heads", "num_key_value_heads", "max_position_embeddings", "hidden_act",
                              "tie_word_embeddings", "bos_token_id", "eos_token_id", "pad_token_id")}
    keys.update(rms_norm_eps=c["layer_norm_eps"],  # Orion names its LayerNorm epsilon rms_norm_eps
                rope_theta=c["rope_parameters"]["rope_theta"], rope_scaling=None)
    return remote("OrionForCausalLM", "orion", "orion", "OrionConfig", keys)


def generative() -> list:
    llama_gqa = lambda **kw: cfg(T.LlamaConfig, **dims(num_key_value_heads=2, head_dim=16, **{**rope(), **kw}))
    llama_mha = lambda **kw: cfg(T.LlamaConfig, **dims(num_key_value_heads=4, head_dim=8, **{**rope(), **kw}))
    # The remote-code classes (Aquila, Xverse, InternLM2) derive head_dim = hidden / heads and have no head_dim key.
    llama_derived = lambda **kw: cfg(T.LlamaConfig, **dims(hidden_size=64, num_key_value_heads=2, **{**rope(), **kw}))
    return [
        gen("AquilaForCausalLM", "A", T.LlamaForCausalLM, llama_derived(),
            "Aquila (vLLM maps it to Llama): Llama tensor names and math; only config.json differs "
            "(model_type aquila, auto_map).", status="emulated:LlamaForCausalLM",
            export=identity_export(llama_remote("AquilaForCausalLM", "aquila", "aquila", "AquilaConfig"))),
        gen("XverseForCausalLM", "A", T.LlamaForCausalLM, llama_derived(**rope(500000.0)),
            "XVERSE (vLLM maps it to Llama): Llama tensor names and math, model_type xverse.",
            status="emulated:LlamaForCausalLM",
            export=identity_export(llama_remote("XverseForCausalLM", "xverse", "xverse", "XverseConfig"))),
        gen("InternLMForCausalLM", "A", T.LlamaForCausalLM, llama_mha(attention_bias=True),
            "InternLM-1 (vLLM maps it to Llama): MHA with bias on q/k/v/o (config 'bias': true), Llama names.",
            status="emulated:LlamaForCausalLM",
            export=identity_export(llama_remote("InternLMForCausalLM", "internlm", "internlm", "InternLMConfig",
                                                bias=True))),
        gen("InternLM2ForCausalLM", "A", T.LlamaForCausalLM, llama_derived(**rope(1e6)),
            "InternLM2: Llama math; tensors tok_embeddings, attention.wqkv (per kv head h: its 2 q heads, k_h, v_h, "
            "16 rows each), attention.wo, feed_forward.w1 (gate) / w3 (up) / w2 (down), attention_norm, ffn_norm, "
            "output.", status="emulated:LlamaForCausalLM", export=internlm2_export()),
        gen("BaiChuanForCausalLM", "A", T.LlamaForCausalLM, llama_mha(),
            "Baichuan-7B: Llama MHA math with q/k/v fused as self_attn.W_pack = [q; k; v] (rows). Baichuan2's "
            "NormHead (lm_head rows L2-normalised, detected by vLLM from vocab 125696) is not exercised.",
            status="emulated:LlamaForCausalLM", export=baichuan_export()),
        gen("QWenLMHeadModel", "A", T.Qwen2ForCausalLM,
            cfg(T.Qwen2Config, **dims(num_key_value_heads=4, **rope(10000.0))),
            "Qwen-1: Qwen2 MHA math (q/k/v bias, no o bias); transformer.h.N.attn.c_attn = [q; k; v] (weight and "
            "bias), attn.c_proj = o; MLP c_proj(w1(x) * silu(w2(x))): w1 = up, w2 = gate; config intermediate_size "
            "is twice the MLP width; seq_length 2048 > sequence so dynamic NTK / logn stay off.",
            status="emulated:Qwen2ForCausalLM", export=qwen_export()),
        gen("MiMoForCausalLM", "A", T.Qwen2ForCausalLM,
            cfg(T.Qwen2Config, **dims(hidden_size=64, num_key_value_heads=2, **rope(640000.0))),
            "MiMo-7B: Qwen2 math and names plus one multi-token-prediction layer (model.mtp_layers.0.*, "
            "num_nextn_predict_layers 1) that generation ignores.", status="emulated:Qwen2ForCausalLM",
            export=identity_export(lambda c: remote("MiMoForCausalLM", "mimo", "mimo", "MiMoConfig",
                                                    {**llama_keys(c), "num_nextn_predict_layers": 1,
                                                     "use_sliding_window": False, "attention_dropout": 0.0})),
            extra_tensors=mimo_mtp),
        gen("ChatGLMModel", "A", T.GlmForCausalLM,
            cfg(T.GlmConfig, **dims(num_key_value_heads=2, head_dim=16, attention_bias=True,
                                    **rope(20000.0, partial_rotary_factor=0.5))),
            "ChatGLM2/3 / GLM-4 (remote): GlmForCausalLM math: RoPE on the first half of each head (8 of 16 dims) in "
            "GPT-J pairs, base 10000 * rope_ratio (2); query_key_value = [q (4 heads); k (2 groups); v (2 groups)] "
            "with bias; dense_h_to_4h = [gate; up]; transformer.rotary_pos_emb.inv_freq stored as in the real "
            "checkpoints.", status="emulated:GlmForCausalLM", export=chatglm_export(), extra_tensors=chatglm_inv_freq),
        gen("MiniCPMForCausalLM", "A", T.GraniteForCausalLM,
            cfg(T.GraniteConfig, **dims(hidden_size=64, num_key_value_heads=4, tie_word_embeddings=True,
                                        embedding_multiplier=12.0, residual_multiplier=1.4 / 2 ** 0.5,
                                        logits_scaling=64 / 32, attention_multiplier=16 ** -0.5, **rope())),
            "MiniCPM (dense): GraniteForCausalLM with embedding_multiplier = scale_emb 12, residual_multiplier = "
            "scale_depth / sqrt(layers) = 1.4/sqrt(2), logits_scaling = hidden / dim_model_base = 64/32, "
            "attention_multiplier = head_dim^-0.5; Llama tensor names, tied.", status="emulated:GraniteForCausalLM",
            export=identity_export(granite_as("MiniCPMForCausalLM", "minicpm", "minicpm",
                                              lambda c: {"scale_emb": 12.0, "scale_depth": 1.4,
                                                         "dim_model_base": 32}))),
        gen("TeleFLMForCausalLM", "A", T.GraniteForCausalLM,
            cfg(T.GraniteConfig, **dims(hidden_size=64, num_key_value_heads=2, embedding_multiplier=1.5,
                                        residual_multiplier=1.0, logits_scaling=4.0 / 2.0,
                                        attention_multiplier=16 ** -0.5, **rope())),
            "TeleFLM (vLLM: Llama + muP): embeddings * input_mult (1.5), logits * output_mult / mup_scale_factor "
            "(2/4) = GraniteForCausalLM with logits_scaling 2; Llama tensor names.",
            status="emulated:GraniteForCausalLM",
            export=identity_export(granite_as("TeleFLMForCausalLM", "teleflm", "teleflm",
                                              lambda c: {"use_mup": True, "input_mult": 1.5, "output_mult": 2.0,
                                                         "mup_scale_factor": 4.0}))),
        gen("OrionForCausalLM", "D", T.StableLmForCausalLM,
            cfg(T.StableLmConfig, **dims(hidden_size=64, num_key_value_heads=4,
                                         **rope(10000.0, partial_rotary_factor=1.0))),
            "Orion: StableLmForCausalLM with full RoPE, no q/k/v bias, sequential residual: LayerNorm (weight + bias) "
            "pre-norm Llama block; same tensor names (input_layernorm.bias etc.).",
            status="emulated:StableLmForCausalLM", export=identity_export(stablelm_as_orion)),
        gen("Fairseq2LlamaForCausalLM", "A", T.LlamaForCausalLM, llama_gqa(),
            "fairseq2 Llama (vLLM-only): Llama math; fairseq2 names (decoder_frontend.embed, decoder.layers.N."
            "self_attn_layer_norm / self_attn.output_proj / ffn_layer_norm / ffn.gate_proj / ffn.inner_proj (up) / "
            "ffn.output_proj, decoder.layer_norm, final_proj) and q/k rows in interleaved-pair RoPE order (vLLM "
            "permutes them back). Real checkpoints are model.pt with a {'model_key': ...} wrapper; here safetensors.",
            status="emulated:LlamaForCausalLM", export=fairseq2_export()),
        gen("GritLM", "A", T.MistralForCausalLM,
            cfg(T.MistralConfig, **dims(num_key_value_heads=2, head_dim=16, sliding_window=None, **rope())),
            "GritLM-7B generation: plain causal MistralForCausalLM (config architectures overridden to GritLM as "
            "vLLM's hf_overrides do).", status="emulated:MistralForCausalLM",
            export=identity_export(lambda c: dict(c))),
    ]


# ---------------------------------------------------------------------------------------------------------------
# pooling rows

def add_prefix_export(config, prefix: str, pairs=None) -> Export:
    """Stand-in base model (no prefix) -> real checkpoint with `prefix` (+ optional renames under it)."""
    if pairs is None:
        return Export(config, lambda t, c: {prefix + k: v for k, v in t.items()},
                      lambda t, c: {k[len(prefix):]: v for k, v in t.items() if k.startswith(prefix)})
    return renaming_export(config, prefixed(pairs, "", prefix))


def last_token(values: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    return values[torch.arange(values.shape[0]), attention_mask.sum(1) - 1]


def bidirectional_score_head(model, inputs, outputs, hidden, extra):
    mask = inputs["attention_mask"].float()[..., None]
    pooled_hidden = (hidden * mask).sum(1) / mask.sum(1)
    return {"pooled": pooled_hidden[0], "logits": extra(pooled_hidden)}


def reward_head(model, inputs, outputs, hidden, extra):
    """Reward models: the head on every token; the reward is the value at the last non-padding token."""
    per_token = extra(hidden)
    return {"token_logits": per_token[0], "score": last_token(per_token, inputs["attention_mask"])}


def process_reward_head(step_tag_id: int):
    def head(model, inputs, outputs, hidden, extra):
        per_token = extra(hidden)[0]
        positions = (inputs["input_ids"][0] == step_tag_id).nonzero().flatten()
        return {"token_logits": per_token, "step_tag_id": step_tag_id, "step_positions": positions.tolist(),
                "step_scores": torch.softmax(per_token[positions], dim=-1)}
    return head


def linear(out: int, bias: bool = False):
    return lambda c: torch.nn.Linear(c.hidden_size, out, bias=bias)


def mlp_head(out: int):
    return lambda c: torch.nn.Sequential(torch.nn.Linear(c.hidden_size, c.hidden_size), torch.nn.ReLU(),
                                         torch.nn.Linear(c.hidden_size, out))


INTERNLM2_BASE = [("embed_tokens.weight", "tok_embeddings.weight"), ("norm.weight", "norm.weight"),
                  ("layers.{i}.wqkv.weight", "layers.{i}.attention.wqkv.weight"),
                  ("layers.{i}.self_attn.o_proj.weight", "layers.{i}.attention.wo.weight"),
                  ("layers.{i}.mlp.gate_proj.weight", "layers.{i}.feed_forward.w1.weight"),
                  ("layers.{i}.mlp.up_proj.weight", "layers.{i}.feed_forward.w3.weight"),
                  ("layers.{i}.mlp.down_proj.weight", "layers.{i}.feed_forward.w2.weight"),
                  ("layers.{i}.input_layernorm.weight", "layers.{i}.attention_norm.weight"),
                  ("layers.{i}.post_attention_layernorm.weight", "layers.{i}.ffn_norm.weight")]


def gte_new_config(architecture: str, auto_class: str):
    def config(c: dict) -> dict:
        keys = {k: c[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                  "num_attention_heads", "max_position_embeddings", "type_vocab_size",
                                  "layer_norm_eps", "pad_token_id", "hidden_act", "initializer_range")}
        keys.update(position_embedding_type="rope", rope_theta=c["rope_parameters"]["rope_theta"], rope_scaling=None,
                    pack_qkv=True, layer_norm_type="layer_norm", logn_attention_scale=False,
                    logn_attention_clip1=False, unpad_inputs=False, use_memory_efficient_attention=False,
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
        for label_key in ("id2label", "label2id"):
            if label_key in c:
                keys[label_key] = c[label_key]
        return {"architectures": [architecture], "model_type": "new", "torch_dtype": "float32",
                "auto_map": {"AutoConfig": "Alibaba-NLP/new-impl--configuration.NewConfig",
                             auto_class: f"Alibaba-NLP/new-impl--modeling.{architecture}"}, **keys}
    return config


def pooling() -> list:
    llama = lambda: cfg(T.LlamaConfig, **dims(num_key_value_heads=2, head_dim=16, **rope(500000.0)))
    qwen2 = lambda: cfg(T.Qwen2Config, **dims(hidden_size=64, num_key_value_heads=2, **rope(1e6)))
    bidirectional_config = lambda arch, auto: (lambda c: remote(arch, "llama_bidirec", "llama_bidirectional_model",
                                                                "LlamaBidirectionalConfig",
                                                                {**llama_keys(c), "pooling": "avg",
                                                                 "temperature": 1.0, "head_dim": c["head_dim"],
                                                                 **({"id2label": {"0": "LABEL_0"}}
                                                                    if arch.endswith("Classification") else {})},
                                                                auto_class=auto))
    # InternLM2's config class has no head_dim (it is hidden_size / num_attention_heads), so the stand-in keeps that.
    internlm2 = lambda: cfg(T.LlamaConfig, **dims(num_key_value_heads=2, **rope(500000.0)))
    internlm2_pairs = INTERNLM2_BASE
    return [
        pooled("GritLM", "A", EMBED, T.MistralModel,
               cfg(T.MistralConfig, **dims(num_key_value_heads=2, head_dim=16, sliding_window=None, **rope())),
               "GritLM embedding mode: MistralModel with bidirectional attention (every query sees every "
               "non-padding key), mean pooling over all tokens (the input has no instruction prefix to strip), "
               "L2-normalised. The file is the full MistralForCausalLM checkpoint (model.* plus an lm_head unused "
               "here).", suffix="embed", status="emulated:MistralModel", bidirectional=True, pooling="mean",
               normalize=True, head=embedding_head("mean", True), two_sequences=True,
               export=add_prefix_export(lambda c: {**c, "architectures": ["GritLM"]}, "model."),
               extra_tensors=lambda c, g: {"lm_head.weight": torch.randn(c["vocab_size"], c["hidden_size"],
                                                                         generator=g) / c["hidden_size"] ** 0.5}),
        pooled("LlamaBidirectionalModel", "A", EMBED, T.LlamaModel, llama(),
               "NVIDIA llama-nemoretriever style (remote LlamaBidirectionalModel, a LlamaModel: tensors without a "
               "'model.' prefix): bidirectional attention, mean ('avg') pooling, L2-normalised.",
               status="emulated:LlamaModel", bidirectional=True, pooling="mean", normalize=True,
               head=embedding_head("mean", True), two_sequences=True,
               export=identity_export(bidirectional_config("LlamaBidirectionalModel", "AutoModel"))),
        pooled("LlamaBidirectionalForSequenceClassification", "A", SCORE, T.LlamaModel, llama(),
               "NVIDIA reranker style: LlamaModel (under 'model.') with bidirectional attention, mean pooling over "
               "non-padding tokens, then score (Linear, no bias, 1 label) divided by temperature 1.",
               status="emulated:LlamaModel", bidirectional=True, pooling="mean", head=bidirectional_score_head,
               two_sequences=True, extra_module=linear(1), extra_prefix="score.",
               export=add_prefix_export(bidirectional_config("LlamaBidirectionalForSequenceClassification",
                                                             "AutoModelForSequenceClassification"), "model.")),
        pooled("InternLM2ForRewardModel", "A", REWARD, T.LlamaModel, internlm2(),
               "InternLM2 reward model: InternLM2 backbone (model.tok_embeddings, fused grouped wqkv, ...) + "
               "v_head (Linear hidden -> 1, no bias); reward = v_head output at the last non-padding token.",
               status="emulated:LlamaModel", pooling="last", head=reward_head, two_sequences=True,
               extra_module=linear(1), extra_prefix="v_head.",
               export=fused_export(lambda c: remote("InternLM2ForRewardModel", "internlm2", "internlm2",
                                                    "InternLM2Config", {**llama_keys(c), "bias": False},
                                                    auto_class="AutoModel"),
                                   prefixed(internlm2_pairs, "", "model."),
                                   fuse_qkv("layers.{i}.self_attn", "layers.{i}.wqkv", grouped_layout),
                                   split_qkv("layers.{i}.self_attn", "layers.{i}.wqkv", grouped_unlayout))),
        pooled("Qwen2ForRewardModel", "A", REWARD, T.Qwen2Model, qwen2(),
               "Qwen2.5-Math-RM style: Qwen2Model (under 'model.') + score = Linear(h, h) -> ReLU -> Linear(h, 1) "
               "(score.0, score.2, with biases) on every token; reward = value at the last non-padding token.",
               status="emulated:Qwen2Model", pooling="last", head=reward_head, two_sequences=True,
               extra_module=mlp_head(1), extra_prefix="score.",
               export=add_prefix_export(lambda c: {**c, "architectures": ["Qwen2ForRewardModel"],
                                                   "auto_map": {"AutoModel": "modeling_qwen2_rm.Qwen2ForRewardModel"}},
                                        "model.")),
        pooled("Qwen2ForProcessRewardModel", "A", REWARD, T.Qwen2Model, qwen2(),
               "Qwen2.5-Math-PRM style: Qwen2Model + score Linear(h, h) -> ReLU -> Linear(h, 2); at every step-tag "
               "token (id 200 here; <extra_0> in the real tokenizer) softmax over the 2 classes (vLLM STEP pooling).",
               status="emulated:Qwen2Model", pooling="step", head=process_reward_head(200), step_tag_id=200,
               extra_module=mlp_head(2), extra_prefix="score.",
               export=add_prefix_export(lambda c: {**c, "architectures": ["Qwen2ForProcessRewardModel"],
                                                   "auto_map": {"AutoModel":
                                                                "modeling_qwen2_rm.Qwen2ForProcessRewardModel"}},
                                        "model.")),
        pooled("GteNewModel", "L", EMBED, T.GteModel,
               cfg(T.GteConfig, vocab_size=256, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                   intermediate_size=64, max_position_embeddings=64, type_vocab_size=1, pad_token_id=1,
                   **rope(160000.0)),
               "gte-multilingual-base (remote 'new' model, vLLM GteNewModel): transformers' GteModel writes the very "
               "same tensor names (embeddings.*, encoder.layer.N.attention.qkv_proj, attn_ln, mlp.up_gate_proj, "
               "mlp_ln); config.json as the remote code spells it (model_type new, NewModel). CLS pooling, "
               "L2-normalised. (The real checkpoint adds NTK rope_scaling; not exercised here.)",
               status="emulated:GteModel", pooling="cls", normalize=True, head=embedding_head("cls", True),
               two_sequences=True, architectures=["NewModel"],
               export=identity_export(gte_new_config("NewModel", "AutoModel"))),
        pooled("GteNewForSequenceClassification", "L", SCORE, T.GteForSequenceClassification,
               cfg(T.GteConfig, vocab_size=256, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                   intermediate_size=64, max_position_embeddings=64, type_vocab_size=1, pad_token_id=1, num_labels=1,
                   **rope(160000.0)),
               "gte-multilingual-reranker style: 'new.*' encoder + new.pooler.dense (tanh on CLS) + classifier "
               "(1 label).", status="emulated:GteForSequenceClassification", head=lambda m, i, o, h, e=None:
               {"logits": o.logits}, two_sequences=True, architectures=["NewForSequenceClassification"],
               export=renaming_export(gte_new_config("NewForSequenceClassification",
                                                     "AutoModelForSequenceClassification"),
                                      [("gte.{rest}", "new.{rest}"), ("classifier.weight", "classifier.weight"),
                                       ("classifier.bias", "classifier.bias")])),
    ]


def cases() -> list:
    return generative() + pooling()
