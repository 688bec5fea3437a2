"""Weight and config exports for emulated rows: the stand-in (native transformers) model's tensors, written under
the names and fused layouts of the real (remote-code / vLLM-only) checkpoint, and back.

Each exporter is a pair of pure functions over {name: tensor}; corpus_core checks that export followed by import
gives back exactly the stand-in's tensors, so a wrong split or permutation cannot go unnoticed.
"""
from __future__ import annotations

import re
from typing import Callable

import torch

from corpus_core import CorpusError, Export

Tensors = dict[str, torch.Tensor]


class Renamer:
    """Bidirectional tensor renaming from (stand-in template, real template) pairs; '{i}' matches a layer index,
    '{rest}' any remainder of the name.

    Every tensor must match exactly one template: an unmapped tensor is an error, not a silent pass-through.
    """

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    @staticmethod
    def _match(template: str, name: str) -> dict | None:
        pattern = "^" + re.escape(template).replace(r"\{i\}", r"(?P<i>\d+)").replace(r"\{rest\}", r"(?P<rest>.+)") + "$"
        found = re.match(pattern, name)
        return found.groupdict() if found else None

    def _map(self, name: str, forward: bool) -> str:
        for standin, real in self.pairs:
            source, target = (standin, real) if forward else (real, standin)
            groups = self._match(source, name)
            if groups is not None:
                return target.format(**groups)
        raise CorpusError(f"no export rule for tensor {name}")

    def forward(self, tensors: Tensors) -> Tensors:
        return {self._map(k, True): v for k, v in tensors.items()}

    def backward(self, tensors: Tensors) -> Tensors:
        return {self._map(k, False): v for k, v in tensors.items()}


def prefixed(pairs: list[tuple[str, str]], standin_prefix: str, real_prefix: str) -> list[tuple[str, str]]:
    return [(standin_prefix + a, real_prefix + b) for a, b in pairs]


LLAMA_NAMES = [
    ("model.embed_tokens.weight", "model.embed_tokens.weight"),
    ("model.norm.weight", "model.norm.weight"),
    ("lm_head.weight", "lm_head.weight"),
] + [(f"model.layers.{{i}}.{part}", f"model.layers.{{i}}.{part}") for part in (
    "input_layernorm.weight", "post_attention_layernorm.weight", "input_layernorm.bias", "post_attention_layernorm.bias",
    "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
    "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias", "self_attn.o_proj.bias",
    "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")] + [
    ("model.norm.bias", "model.norm.bias")]


def identity_export(config: Callable[[dict], dict]) -> Export:
    """Same tensor names as the stand-in (Aquila, Xverse, InternLM, MiMo, Orion, GritLM, ...): only config.json changes."""
    return Export(config, lambda t, c: dict(t), lambda t, c: dict(t))


def renaming_export(config: Callable[[dict], dict], pairs: list[tuple[str, str]]) -> Export:
    renamer = Renamer(pairs)
    return Export(config, lambda t, c: renamer.forward(t), lambda t, c: renamer.backward(t))


def fused_export(config: Callable[[dict], dict], pairs: list[tuple[str, str]],
                 fuse: Callable[[Tensors, dict], Tensors], split: Callable[[Tensors, dict], Tensors]) -> Export:
    """Rename, with fuse() run on the stand-in names first (export) and split() after renaming back (import)."""
    renamer = Renamer(pairs)
    return Export(config, lambda t, c: renamer.forward(fuse(dict(t), c)), lambda t, c: split(renamer.backward(t), c))


def layers(config: dict) -> range:
    return range(config["num_hidden_layers"])


def head_counts(config: dict) -> tuple[int, int, int]:
    heads = config["num_attention_heads"]
    kv = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or config["hidden_size"] // heads
    return heads, kv, head_dim


def fuse_qkv(prefix: str, fused: str, layout: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, dict], torch.Tensor],
             suffixes=("weight",)):
    """Replace {prefix}.{q,k,v}_proj.{suffix} of every layer by one fused tensor {prefix-less fused name}."""
    def fuse(tensors: Tensors, config: dict) -> Tensors:
        for i in layers(config):
            for suffix in suffixes:
                names = [f"{prefix.format(i=i)}.{p}_proj.{suffix}" for p in "qkv"]
                if names[0] not in tensors:
                    continue
                q, k, v = (tensors.pop(n) for n in names)
                tensors[f"{fused.format(i=i)}.{suffix}"] = layout(q, k, v, config)
        return tensors
    return fuse


def split_qkv(prefix: str, fused: str, unlayout, suffixes=("weight",)):
    def split(tensors: Tensors, config: dict) -> Tensors:
        for i in layers(config):
            for suffix in suffixes:
                name = f"{fused.format(i=i)}.{suffix}"
                if name not in tensors:
                    continue
                q, k, v = unlayout(tensors.pop(name), config)
                for p, value in zip("qkv", (q, k, v)):
                    tensors[f"{prefix.format(i=i)}.{p}_proj.{suffix}"] = value
        return tensors
    return split


def concat_layout(q, k, v, config):
    """[q; k; v] stacked along the output dimension (Baichuan W_pack, QWen c_attn, ChatGLM query_key_value)."""
    return torch.cat([q, k, v], dim=0)


def concat_unlayout(fused, config):
    heads, kv, head_dim = head_counts(config)
    return torch.split(fused, [heads * head_dim, kv * head_dim, kv * head_dim], dim=0)


def grouped_layout(q, k, v, config):
    """InternLM2 wqkv: per kv head h: the h-th group of q heads, then k_h, then v_h (each head_dim rows)."""
    heads, kv, head_dim = head_counts(config)
    group = heads // kv
    rest = q.shape[1:]
    qg = q.reshape(kv, group, head_dim, *rest)
    return torch.cat([qg, k.reshape(kv, 1, head_dim, *rest), v.reshape(kv, 1, head_dim, *rest)], dim=1) \
        .reshape(kv * (group + 2) * head_dim, *rest)


def grouped_unlayout(fused, config):
    heads, kv, head_dim = head_counts(config)
    group = heads // kv
    rest = fused.shape[1:]
    g = fused.reshape(kv, group + 2, head_dim, *rest)
    return (g[:, :group].reshape(heads * head_dim, *rest), g[:, group].reshape(kv * head_dim, *rest),
            g[:, group + 1].reshape(kv * head_dim, *rest))


def rope_pairs(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """HF half-split rotary layout -> Meta/fairseq2 interleaved-pair layout (rows of q_proj / k_proj)."""
    out, hidden = weight.shape
    return weight.reshape(n_heads, 2, out // n_heads // 2, hidden).transpose(1, 2).reshape(out, hidden)


def rope_halves(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Inverse of rope_pairs (what vLLM's fairseq2 loader does when it reads the checkpoint)."""
    out, hidden = weight.shape
    return weight.reshape(n_heads, out // n_heads // 2, 2, hidden).transpose(1, 2).reshape(out, hidden)
