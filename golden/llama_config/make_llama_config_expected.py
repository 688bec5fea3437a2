#!/usr/bin/env python3
"""What transformers makes of a minimal config.json of each Llama-like model type (family A), for llmc's
LlamaConfig defaults table (Tests/FrontendTests/LlamaConfigDefaultsTests.swift).

    python3 golden/llama_config/make_llama_config_expected.py    # writes golden/llama_config/expected.json

Each case is a config.json holding only the sizes (no eps, head_dim, biases, rope, tie, ...); the record is read off
the model transformers builds from it: norm epsilon, head_dim and key/value heads (projection shapes), which
projections have a bias, whether the head is tied, the rotary table and attention scaling of its rotary module.
The transformers/torch versions are recorded.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import transformers as T
from transformers import AutoModelForCausalLM
from transformers.models.auto.configuration_auto import CONFIG_MAPPING

OUT = Path(__file__).resolve().parent / "expected.json"
TYPES = ["llama", "mistral", "qwen2", "qwen3", "granite", "phi3", "glm", "ernie4_5", "smollm3", "apertus", "arcee",
         "hunyuan_v1_dense", "seed_oss", "exaone", "internlm3", "iquestcoder"]
# 32 heads: every class default of num_key_value_heads (2, 4, 8, 32) divides it.
SIZES = {"hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 32, "intermediate_size": 64,
         "vocab_size": 64, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}
# HunYuan's attention reads config.head_dim, which has no working default (None ** -0.5 fails): it is required there.
# Mistral's, Qwen2's and Qwen3's default num_key_value_heads (8 / 32 / 32) belong to their default 32-head size; llmc
# falls back to num_attention_heads instead, so those cases name it.
REQUIRED = {"hunyuan_v1_dense": {"head_dim": 8}, "mistral": {"num_key_value_heads": 4},
            "qwen2": {"num_key_value_heads": 4}, "qwen3": {"num_key_value_heads": 4}}


def find(model, suffix):
    return next(m for n, m in model.named_modules() if n.endswith(suffix))


def record(model_type: str) -> dict:
    keys = {**SIZES, **REQUIRED.get(model_type, {})}
    config = CONFIG_MAPPING[model_type](**keys)
    model = AutoModelForCausalLM.from_config(config).eval()
    attn = next(m for n, m in model.named_modules() if n.endswith("layers.0.self_attn"))
    q = getattr(attn, "q_proj", None) or attn.qkv_proj
    o = attn.o_proj
    mlp = find(model, "layers.0.mlp")
    up = getattr(mlp, "up_proj", None) or mlp.gate_up_proj
    norm = find(model, "model.norm")
    rotary = model.model.rotary_emb
    head_dim = attn.head_dim
    kv_heads = (q.weight.shape[0] // head_dim - SIZES["num_attention_heads"]) // 2 if hasattr(attn, "qkv_proj") \
        else attn.k_proj.weight.shape[0] // head_dim
    return {
        "model_type": model_type,
        "config": {"model_type": model_type, **keys},
        "rms_norm_eps": float(getattr(norm, "variance_epsilon", getattr(norm, "eps", None))),
        "head_dim": head_dim,
        "kv_heads": kv_heads,
        "q_rows": q.weight.shape[0],
        "qkv_bias": q.bias is not None,
        "o_bias": o.bias is not None,
        "mlp_bias": up.bias is not None,
        "tied": model.lm_head.weight is model.model.embed_tokens.weight,
        "max_position": config.max_position_embeddings,
        "attention_scaling": float(rotary.attention_scaling),
        "inv_freq": [float(v) for v in rotary.inv_freq.to(torch.float32).tolist()],
    }


def main() -> None:
    records = [record(t) for t in TYPES]
    versions = {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": T.__version__}
    OUT.write_text(json.dumps({"versions": versions, "cases": records}, indent=1) + "\n")
    print(f"wrote {len(records)} cases to {OUT}")


if __name__ == "__main__":
    main()
