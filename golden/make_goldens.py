#!/usr/bin/env python3
"""Regenerate every tiny golden model and its transformers expectations.

    python3 golden/make_goldens.py [--only CASE ...]

For each case below this builds a tiny random-weight model with transformers (f32, eager attention), saves it to
golden/models/<case>/ (config.json, model.safetensors, generation_config.json) and writes expected.json:

    {"architecture", "family", "status", "task", "case", "seed", "prompt_ids", "output_ids",
     "top_logprobs": [[[id, logprob] x 5] per generated step],   # log_softmax in f32, best first
     "last_logits": [...],                                          # full vocabulary, last prompt position
     "min_top1_top2_gap", "ablation", "notes", "versions"}

Greedy decoding runs the prompt through forward() then one-token steps with the KV cache (24 new tokens).
Random init gives near-uniform logits, so weights are drawn with larger gains and seeds are tried until the
top-1/top-2 log-probability gap exceeds MIN_GAP at every step. Each case with a distinguishing feature (RoPE
scaling, sliding window, biases, q/k norm) also records an ablation: the same weights with the feature
switched off must change the logits, proving the expectations actually depend on it.
golden/VERSIONS.json records the python/torch/transformers versions and the seed of every case.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from transformers import (AutoModelForCausalLM, GenerationConfig, LlamaConfig, LlamaForCausalLM, MistralConfig,
                          MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)
from transformers.utils import logging as transformers_logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
from greedy_reference import GreedyRun, greedy_generate, no_cache_logits, versions  # noqa: E402

GOLDEN_DIR = Path(__file__).resolve().parent
PROMPT_LEN = 20
NEW_TOKENS = 24
MIN_GAP = 5e-2  # required top-1 minus top-2 log-probability at every greedy step
MIN_DISTINCT = 6  # required number of distinct generated tokens (rejects degenerate repetition)
MAX_SEEDS = 400
MAX_MODEL_BYTES = 2 * 1024 * 1024
BOS_ID, EOS_ID = 1, 2
SPECIAL_IDS = 3  # prompts draw ids from [SPECIAL_IDS, vocab)


class GoldenError(Exception):
    """A golden case could not be produced as specified; the message names the case."""


@dataclass
class Ablation:
    """Switch one feature off in the config or the weights; the logits must then change."""

    description: str
    config_change: dict = field(default_factory=dict)
    weight_change: Callable[[dict[str, torch.Tensor]], None] | None = None


@dataclass
class Case:
    name: str
    model_class: type
    config: object
    notes: str
    ablation: Ablation | None = None


def zero_matching(*suffixes: str) -> Callable[[dict[str, torch.Tensor]], None]:
    def change(state: dict[str, torch.Tensor]) -> None:
        for name, tensor in state.items():
            if name.endswith(suffixes):
                tensor.zero_()
    return change


def fill_matching(value: float, *suffixes: str) -> Callable[[dict[str, torch.Tensor]], None]:
    def change(state: dict[str, torch.Tensor]) -> None:
        for name, tensor in state.items():
            if name.endswith(suffixes):
                tensor.fill_(value)
    return change


def common(vocab: int, hidden: int, layers: int, heads: int, kv_heads: int, intermediate: int, **extra) -> dict:
    return dict(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                num_key_value_heads=kv_heads, intermediate_size=intermediate, max_position_embeddings=256,
                bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=None, dtype="float32", **extra)


def rope(theta: float, **scaling) -> dict:
    return {"rope_parameters": {"rope_type": scaling.pop("rope_type", "default"), "rope_theta": theta, **scaling}}


def cases() -> list[Case]:
    return [
        Case("llama_gqa", LlamaForCausalLM,
             LlamaConfig(**common(512, 128, 2, 8, 2, 256, rms_norm_eps=1e-5, **rope(10000.0))),
             "Llama, GQA 8 query heads / 2 kv heads (head_dim 16), untied lm_head."),
        Case("llama_mqa_tied", LlamaForCausalLM,
             LlamaConfig(**common(384, 96, 3, 6, 1, 200, rms_norm_eps=1e-6, tie_word_embeddings=True,
                                  **rope(10000.0))),
             "Llama, MQA (1 kv head, head_dim 16), lm_head tied to embed_tokens (no lm_head.weight in the file); "
             "odd sizes: intermediate 200, vocab 384."),
        Case("llama_rope_llama3", LlamaForCausalLM,
             LlamaConfig(**common(256, 128, 2, 4, 2, 192, rms_norm_eps=1e-5,
                                  **rope(500000.0, rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                         high_freq_factor=4.0, original_max_position_embeddings=64))),
             "Llama-3 RoPE scaling, head_dim 32, theta 5e5: wavelengths < 16 unchanged, > 64 divided by 8, "
             "the ones in between smoothly interpolated (all three regions occur at this head_dim).",
             Ablation("rope_type default (no llama3 scaling)", {"rope_parameters": {"rope_type": "default",
                                                                                     "rope_theta": 500000.0}})),
        Case("llama_rope_linear", LlamaForCausalLM,
             LlamaConfig(**common(300, 64, 2, 4, 4, 160, rms_norm_eps=1e-5,
                                  **rope(10000.0, rope_type="linear", factor=4.0))),
             "Linear RoPE scaling (positions divided by 4), plain MHA (4 kv heads), vocab 300.",
             Ablation("rope_type default (no linear scaling)", {"rope_parameters": {"rope_type": "default",
                                                                                     "rope_theta": 10000.0}})),
        Case("llama_head_dim", LlamaForCausalLM,
             LlamaConfig(**common(512, 64, 2, 4, 2, 128, rms_norm_eps=1e-5, head_dim=24, attention_bias=True,
                                  mlp_bias=True, **rope(10000.0))),
             "Llama with head_dim 24 != hidden/heads (q_proj 64->96, o_proj 96->64), bias on q/k/v/o and on "
             "gate/up/down (random, non-zero).",
             Ablation("all biases zero", weight_change=zero_matching(".bias"))),
        Case("mistral_sliding", MistralForCausalLM,
             MistralConfig(**common(256, 64, 3, 4, 2, 128, rms_norm_eps=1e-5, sliding_window=8,
                                    **rope(10000.0))),
             "Mistral with sliding_window 8 < prompt length 20, every layer. transformers' rule: query position q "
             "attends to key positions k with q - 8 < k <= q (the last 8 positions including itself).",
             Ablation("sliding_window None (full causal attention)", {"sliding_window": None})),
        Case("qwen2_bias", Qwen2ForCausalLM,
             Qwen2Config(**common(1000, 96, 2, 6, 2, 224, rms_norm_eps=1e-6, tie_word_embeddings=True,
                                  **rope(1000000.0))),
             "Qwen2: bias on q/k/v (random, non-zero), none on o_proj or the MLP; tied embeddings; vocab 1000.",
             Ablation("q/k/v biases zero", weight_change=zero_matching(".bias"))),
        Case("qwen3_qknorm", Qwen3ForCausalLM,
             Qwen3Config(**common(1024, 64, 4, 4, 2, 192, rms_norm_eps=1e-6, head_dim=32, tie_word_embeddings=False,
                                  **rope(1000000.0))),
             "Qwen3: per-head RMSNorm on q and k (weights of size head_dim 32, applied before RoPE), head_dim 32 "
             "!= hidden/heads 16, no biases.",
             Ablation("q_norm / k_norm weights all ones", weight_change=fill_matching(1.0, "q_norm.weight",
                                                                                      "k_norm.weight"))),
    ]


def randomize(model: torch.nn.Module, seed: int, gain: float) -> None:
    """Draw every parameter so that logits are far from uniform: norms around 1, non-zero biases."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.copy_(0.5 + torch.rand(param.shape, generator=generator))
            elif name.endswith(".bias"):
                param.copy_(0.3 * torch.randn(param.shape, generator=generator))
            elif name.endswith("embed_tokens.weight"):
                param.copy_(torch.randn(param.shape, generator=generator))
            else:
                param.copy_(gain * torch.randn(param.shape, generator=generator) / param.shape[1] ** 0.5)


def build(case: Case, config_change: dict | None = None) -> torch.nn.Module:
    config = case.config.__class__.from_dict({**case.config.to_dict(), **(config_change or {})})
    model = case.model_class._from_config(config, attn_implementation="eager", dtype=torch.float32)
    return model.eval()


def prompt_for(case: Case) -> list[int]:
    generator = torch.Generator().manual_seed(sum(map(ord, case.name)))
    return torch.randint(SPECIAL_IDS, case.config.vocab_size, (PROMPT_LEN,), generator=generator).tolist()


def check_run(case: Case, model: torch.nn.Module, run: GreedyRun) -> None:
    """The golden must be self-consistent: cached steps equal a no-cache forward and model.generate()."""
    cached = torch.stack(run.step_logits)
    drift = (cached - no_cache_logits(model, run)).abs().max().item()
    if drift > 1e-4:
        raise GoldenError(f"{case.name}: KV-cache logits differ from a no-cache forward by {drift}")
    generated = model.generate(torch.tensor([run.prompt_ids]), max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                               do_sample=False)[0, PROMPT_LEN:].tolist()
    if generated != run.output_ids:
        raise GoldenError(f"{case.name}: model.generate() gave {generated}, greedy loop gave {run.output_ids}")


def check_saved(case: Case, out_dir: Path, run: GreedyRun) -> None:
    """Reloading the saved directory (eager and default attention) must reproduce the run."""
    reference = torch.stack(run.step_logits)
    for implementation in ("eager", None):
        model = AutoModelForCausalLM.from_pretrained(out_dir, attn_implementation=implementation).eval()
        again = greedy_generate(model, run.prompt_ids, NEW_TOKENS)
        drift = (torch.stack(again.step_logits) - reference).abs().max().item()
        if again.output_ids != run.output_ids or drift > 1e-4:
            raise GoldenError(f"{case.name}: reloading {out_dir} with attention '{implementation or 'default'}' "
                              f"gives different results (logit drift {drift})")


def measure_ablation(case: Case, model: torch.nn.Module, run: GreedyRun) -> dict | None:
    ablation = case.ablation
    if ablation is None:
        return None
    state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    if ablation.weight_change is not None:
        ablation.weight_change(state)
    other = build(case, ablation.config_change)
    other.load_state_dict(state, strict=True)
    reference = no_cache_logits(model, run)
    changed = no_cache_logits(other, run)
    diff = (reference - changed).abs().max().item()
    if diff < 1e-2:
        raise GoldenError(f"{case.name}: ablation '{ablation.description}' changes logits by only {diff}")
    flips = int((reference.argmax(-1) != changed.argmax(-1)).sum())
    return {"description": ablation.description, "max_abs_logit_change": diff, "argmax_changes": flips,
            "steps": len(run.output_ids)}


def search(case: Case) -> tuple[int, float, torch.nn.Module, GreedyRun]:
    """Try seeds (and a few gains) until greedy decoding has a clear winner at every step."""
    prompt = prompt_for(case)
    best = None
    for seed in range(MAX_SEEDS):
        gain = (1.0, 1.5, 2.0, 3.0)[seed % 4]
        model = build(case)
        randomize(model, seed, gain)
        run = greedy_generate(model, prompt, NEW_TOKENS)
        acceptable = EOS_ID not in run.output_ids and len(set(run.output_ids)) >= MIN_DISTINCT
        if acceptable and run.min_gap > MIN_GAP:
            return seed, gain, model, run
        if acceptable and (best is None or run.min_gap > best[3].min_gap):
            best = (seed, gain, model, run)
    if best is None:
        raise GoldenError(f"{case.name}: no seed below {MAX_SEEDS} gives a non-degenerate greedy run")
    raise GoldenError(f"{case.name}: best min gap {best[3].min_gap:.3g} (seed {best[0]}) is below {MIN_GAP}")


def write_case(case: Case, out_root: Path) -> dict:
    seed, gain, model, run = search(case)
    check_run(case, model, run)
    ablation = measure_ablation(case, model, run)
    out_dir = out_root / case.name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    model.generation_config = GenerationConfig(bos_token_id=BOS_ID, eos_token_id=EOS_ID, do_sample=False)
    model.save_pretrained(out_dir)
    check_saved(case, out_dir, run)
    size = (out_dir / "model.safetensors").stat().st_size
    if size > MAX_MODEL_BYTES:
        raise GoldenError(f"{case.name}: model.safetensors is {size} bytes > {MAX_MODEL_BYTES}")
    expected = {
        "architecture": case.model_class.__name__,
        "family": "A",
        "status": "native",
        "task": "generate",
        "case": case.name,
        "seed": seed,
        "init_gain": gain,
        "prompt_ids": run.prompt_ids,
        "output_ids": run.output_ids,
        "top_logprobs": run.top_logprobs,
        "last_logits": run.last_logits,
        "min_top1_top2_gap": run.min_gap,
        "ablation": ablation,
        "notes": case.notes,
        "versions": versions(),
    }
    (out_dir / "expected.json").write_text(json.dumps(expected) + "\n")
    print(f"{case.name:18s} seed {seed:3d} gain {gain:.1f}  min gap {run.min_gap:.4f}  "
          f"{len(set(run.output_ids)):2d} distinct  {size / 1024:6.0f} KiB"
          + (f"  ablation Δ{ablation['max_abs_logit_change']:.3g}, {ablation['argmax_changes']} flips"
             if ablation else ""))
    return {"seed": seed, "init_gain": gain, "min_top1_top2_gap": run.min_gap}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="regenerate only these cases")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    transformers_logging.disable_progress_bar()
    selected = [c for c in cases() if not args.only or c.name in args.only]
    if args.only and len(selected) != len(args.only):
        print(f"unknown case in {args.only}; known: {[c.name for c in cases()]}", file=sys.stderr)
        return 2
    versions_path = GOLDEN_DIR / "VERSIONS.json"
    record = json.loads(versions_path.read_text()) if versions_path.exists() else {"cases": {}}
    try:
        for case in selected:
            record["cases"][case.name] = write_case(case, GOLDEN_DIR / "models")
    except GoldenError as error:
        print(f"make_goldens: {error}", file=sys.stderr)
        return 1
    record.update(versions())
    record["generated_by"] = "golden/make_goldens.py"
    versions_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
