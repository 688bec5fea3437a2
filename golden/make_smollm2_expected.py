#!/usr/bin/env python3
"""Greedy reference outputs of transformers on the real SmolLM2-135M-Instruct, at f32 and at bf16.

    python3 golden/make_smollm2_expected.py HF_DIR     # HF_DIR from scripts/prepare_smollm2.py

Writes golden/smollm2/expected_f32.json, expected_bf16.json and expected_bf16w.json:

    {"model", "dtype", "weights_sha256", "new_tokens", "versions",
     "cases": [{"prompt", "prompt_ids", "output_ids", "text", "text_skip_special", "first_eos_index", "top_logprobs",
                "min_top1_top2_gap"}]}

Decoding does not stop at EOS (<|im_end|>, id 2): all 32 tokens are recorded and first_eos_index says where a
generator that stops at EOS would end. A min_top1_top2_gap of 0 means a tie (torch.argmax picks the lower id).

Prompts are plain text tokenized by the directory's tokenizer (SmolLM2 adds no BOS). bf16 is model.to(bfloat16):
transformers then computes in bf16 too (activations rounded at every op). bf16w is model.to(bfloat16).to(float32):
bf16-rounded weights with f32 compute, the closer reference for bf16 weights with f32 accumulation.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from greedy_reference import greedy_generate, versions  # noqa: E402

PROMPTS = ["The capital of France is", "def fibonacci(n):", "Once upon a time"]
NEW_TOKENS = 32
OUT_DIR = Path(__file__).resolve().parent / "smollm2"
# label -> dtypes the f32 model is cast through: "bf16w" rounds the weights to bf16 but computes in f32, which is
# what an implementation with bf16 weights and f32 accumulation/activations should match closely.
DTYPES = {"f32": (torch.float32,), "bf16": (torch.bfloat16,), "bf16w": (torch.bfloat16, torch.float32)}


def weights_sha256(hf_dir: Path) -> str:
    digest = hashlib.sha256()
    with open(hf_dir / "model.safetensors", "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()


def expectations(hf_dir: Path, tokenizer, casts: tuple[torch.dtype, ...]) -> list[dict]:
    model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
    for dtype in casts:
        model = model.to(dtype)
    model.eval()
    results = []
    for prompt in PROMPTS:
        prompt_ids = tokenizer(prompt).input_ids
        run = greedy_generate(model, prompt_ids, NEW_TOKENS)
        eos = [i for i, token in enumerate(run.output_ids) if token == tokenizer.eos_token_id]
        results.append({"prompt": prompt, "prompt_ids": prompt_ids, "output_ids": run.output_ids,
                        "text": tokenizer.decode(run.output_ids),
                        "text_skip_special": tokenizer.decode(run.output_ids, skip_special_tokens=True),
                        "first_eos_index": eos[0] if eos else None,
                        "top_logprobs": run.top_logprobs, "min_top1_top2_gap": run.min_gap})
        label = "->".join(str(d).removeprefix("torch.") for d in casts)
        print(f"{label:17s} gap {run.min_gap:.4f}  {prompt!r} -> {results[-1]['text']!r}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hf_dir", type=Path)
    args = parser.parse_args(argv)
    tokenizer = AutoTokenizer.from_pretrained(args.hf_dir)
    sha = weights_sha256(args.hf_dir)
    OUT_DIR.mkdir(exist_ok=True)
    for label, casts in DTYPES.items():
        record = {"model": "SmolLM2-135M-Instruct (scripts/prepare_smollm2.py)", "dtype": label,
                  "weights_sha256": sha, "new_tokens": NEW_TOKENS, "versions": versions(),
                  "cases": expectations(args.hf_dir, tokenizer, casts)}
        (OUT_DIR / f"expected_{label}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
