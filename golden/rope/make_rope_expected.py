#!/usr/bin/env python3
"""Rotary frequency tables as transformers computes them, for llmc's RopeConfig tests (Tests/FrontendTests).

    python3 golden/rope/make_rope_expected.py    # writes golden/rope/expected.json

Each case is a config.json (as save_pretrained writes it) and the `inv_freq` / `attention_scaling` that the model's own
rotary-embedding module holds after construction (the tables a compiled model uses while the sequence is at most
max_position_embeddings long; LongRoPE: its short factors). The script checks that claim: after a forward at the last
position where it should hold (max_position_embeddings, LongRoPE: original_max_position_embeddings) the module's tables
are unchanged. The transformers/torch versions are recorded.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import torch
import transformers as T
from transformers.models.hunyuan_v1_dense.modeling_hunyuan_v1_dense import HunYuanDenseV1RotaryEmbedding
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
from transformers.models.phi3.modeling_phi3 import Phi3RotaryEmbedding

OUT = Path(__file__).resolve().parent / "expected.json"


def llama(head_dim: int, rope: dict, **extra) -> T.LlamaConfig:
    return T.LlamaConfig(vocab_size=32, hidden_size=head_dim * 4, num_attention_heads=4, num_hidden_layers=1,
                         intermediate_size=64, head_dim=head_dim, rope_parameters=rope, **extra)


def factors(count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return sorted(round(1 + rng.random() * (i + 1) / 4, 6) for i in range(count))


def cases():
    yield "default", llama(64, {"rope_type": "default", "rope_theta": 10000.0}), LlamaRotaryEmbedding
    yield "linear", llama(64, {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}), LlamaRotaryEmbedding
    yield "llama3", llama(128, {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
                          max_position_embeddings=131072), LlamaRotaryEmbedding
    yield "dynamic", llama(64, {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0},
                           max_position_embeddings=4096), LlamaRotaryEmbedding
    yield "dynamic_odd_factor", llama(128, {"rope_type": "dynamic", "rope_theta": 1000000.0, "factor": 1.1},
                                      max_position_embeddings=2048), LlamaRotaryEmbedding
    yield "yarn_qwen", llama(128, {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0,
                                   "original_max_position_embeddings": 32768},
                             max_position_embeddings=131072), LlamaRotaryEmbedding
    yield "yarn_mscale_untruncated", llama(64, {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0,
                                                "original_max_position_embeddings": 4096, "mscale": 0.707,
                                                "mscale_all_dim": 1.0, "truncate": False},
                                           max_position_embeddings=163840), LlamaRotaryEmbedding
    yield "yarn_betas_attention_factor", llama(64, {"rope_type": "yarn", "rope_theta": 50000.0, "factor": 8.0,
                                                    "original_max_position_embeddings": 2048, "beta_fast": 16.0,
                                                    "beta_slow": 2.0, "attention_factor": 1.25},
                                               max_position_embeddings=16384), LlamaRotaryEmbedding
    yield "yarn_implicit_factor", llama(32, {"rope_type": "yarn", "rope_theta": 10000.0, "factor": None,
                                             "original_max_position_embeddings": 1024},
                                        max_position_embeddings=8192), LlamaRotaryEmbedding
    phi3 = dict(vocab_size=32, hidden_size=3072, num_attention_heads=32, num_hidden_layers=1, intermediate_size=64,
                max_position_embeddings=131072, original_max_position_embeddings=4096)
    yield "longrope_phi3", T.Phi3Config(**phi3, rope_parameters={
        "rope_type": "longrope", "rope_theta": 10000.0, "short_factor": factors(48, 1),
        "long_factor": factors(48, 2)}), Phi3RotaryEmbedding
    yield "longrope_partial", T.Phi3Config(**{**phi3, "hidden_size": 3072, "num_attention_heads": 24}, rope_parameters={
        "rope_type": "longrope", "rope_theta": 10000.0, "partial_rotary_factor": 0.75,
        "short_factor": factors(48, 3), "long_factor": factors(48, 4)}), Phi3RotaryEmbedding
    yield "ntk_alpha_hunyuan", T.HunYuanDenseV1Config(
        vocab_size=32, hidden_size=256, num_attention_heads=2, num_hidden_layers=1, intermediate_size=64, head_dim=128,
        rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 1.0, "alpha": 1000.0}), \
        HunYuanDenseV1RotaryEmbedding


def main() -> None:
    records = []
    for name, config, rotary in cases():
        module = rotary(config)
        initial = module.inv_freq.clone()
        longest = config.rope_parameters.get("original_max_position_embeddings") \
            if config.rope_parameters["rope_type"] == "longrope" else config.max_position_embeddings
        module(torch.zeros(1, 1, 1), torch.tensor([[longest - 1]]))
        if not torch.equal(module.inv_freq, initial):
            raise SystemExit(f"{name}: inv_freq changed by a sequence of {longest} positions")
        records.append({
            "name": name,
            "config": json.loads(config.to_json_string(use_diff=False)),
            "inv_freq": [float(v) for v in module.inv_freq.to(torch.float32).tolist()],
            "attention_scaling": float(module.attention_scaling),
        })
    versions = {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": T.__version__}
    OUT.write_text(json.dumps({"versions": versions, "cases": records}, indent=1) + "\n")
    print(f"wrote {len(records)} cases to {OUT}")


if __name__ == "__main__":
    main()
