#!/usr/bin/env python3
"""Sentence-embedding throughput: an llmc-compiled embedder against transformers + torch on the same model.

    python3 scripts/bench_pooling.py --hf-dir /work/models/minilm BIN [BIN ...] [--threads 2] [--rounds 5] [--json]

Workload: one batch of --batch (256) English sentences of 4 to 48 words (seeded, so every run sees the same text),
embedded end to end: tokenization, the forward pass and the model's pooling + normalisation.

    ours    `BIN embed --input FILE --json --threads N` (one process per run: start-up, weight mapping, tokenization,
            packed batches, JSON printing included)
    torch   transformers' AutoTokenizer (fast, padding=True, truncation) + AutoModel under torch.inference_mode, mean
            pooling over the attention mask and F.normalize, torch.set_num_threads(N); model loaded once, outside
            the timing. Run in f32 (the reference every speed-up and cosine is measured against) and, unless
            --no-torch-bf16, with the model in bf16 (`dtype=torch.bfloat16`: bf16 weights and activations, pooling
            in f32) as an extra row

Rounds alternate between the backends; each round takes the best of --repeat runs per backend, the table the median
over rounds, both by wall-clock time and by CPU time (user + system of the process for ours, `time.process_time` for
torch): on a machine shared with other jobs the CPU-time figure is the steadier one. Every backend's embeddings are
compared with torch f32's (the smallest cosine over the batch is reported), so a fast wrong answer shows.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = ("the of and to in is was for on that with as by at from his her it an were are which this be or has had "
         "not but their one new first after also two who they have been its more other into over time year city "
         "people world water music film game system school history team family river house light energy market "
         "computer language science health policy report study model data network power money village church war "
         "station island company season album night road garden student doctor engine kitchen window mountain "
         "quickly slowly happy strong ancient modern local national small large early late open green").split()


def sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 48))]
        words[0] = words[0].capitalize()
        out.append(" ".join(words) + rng.choice([".", "!", "?", "."]))
    return out


def child_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def run_ours(binary: str, path: str, threads: int) -> tuple[float, float, np.ndarray]:
    """Wall seconds, CPU seconds and the embeddings of one `embed --input` run."""
    start, cpu = time.perf_counter(), child_cpu()
    run = subprocess.run([binary, "embed", "--input", path, "--json", "--threads", str(threads)], capture_output=True,
                         text=True)
    seconds, cpu = time.perf_counter() - start, child_cpu() - cpu
    if run.returncode != 0:
        raise SystemExit(f"{binary} embed failed: {run.stderr.strip()}")
    return seconds, cpu, np.array([json.loads(line)["embedding"] for line in run.stdout.splitlines()])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+", help="llmc-compiled builds of the model (e.g. f32 and int8)")
    parser.add_argument("--hf-dir", required=True, help="the Hugging Face directory the binary was compiled from")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-torch-bf16", action="store_true", help="leave out the torch bf16 row")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args()

    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer
    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(args.hf_dir)
    models = {"f32": AutoModel.from_pretrained(args.hf_dir, dtype=torch.float32).eval()}
    if not args.no_torch_bf16:
        models["bf16"] = AutoModel.from_pretrained(args.hf_dir, dtype=torch.bfloat16).eval()

    texts = sentences(args.batch, args.seed)
    file = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    file.write("\n".join(texts) + "\n")
    file.close()

    def torch_once(model) -> tuple[float, float, np.ndarray]:
        start, cpu = time.perf_counter(), time.process_time()
        with torch.inference_mode():
            batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
            hidden = model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=-1)
        return time.perf_counter() - start, time.process_time() - cpu, pooled.numpy()

    def dtype(binary: str) -> str:
        info = subprocess.run([binary, "info", "--json"], capture_output=True, text=True)
        return json.loads(info.stdout).get("dtype", "?") if info.returncode == 0 else "?"

    backends = {f"llmc {dtype(b)} ({Path(b).name})": (lambda b=b: run_ours(b, file.name, args.threads)) for b in args.binaries}
    for precision, model in models.items():
        backends[f"transformers + torch {precision}"] = lambda model=model: torch_once(model)
    load_start = os.getloadavg()[0]
    for once in backends.values():
        once()  # warm-up: page cache, allocator
    wall: dict[str, list[float]] = {name: [] for name in backends}
    cpu: dict[str, list[float]] = {name: [] for name in backends}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, once in backends.items():
            runs = [once() for _ in range(args.repeat)]
            wall[name].append(min(r[0] for r in runs))
            cpu[name].append(min(r[1] for r in runs))
            vectors[name] = runs[-1][2]
    Path(file.name).unlink()
    reference = vectors["transformers + torch f32"]
    tokens = int(sum(len(ids) for ids in tokenizer(texts)["input_ids"]))
    rows = []
    for name in backends:
        v = vectors[name]
        cosine = float(((v * reference).sum(1) / (np.linalg.norm(v, axis=1) * np.linalg.norm(reference, axis=1))).min())
        rows.append({"backend": name, "sentences_per_s_wall": args.batch / statistics.median(wall[name]),
                     "sentences_per_s_cpu": args.batch / statistics.median(cpu[name]), "min_cosine_vs_torch": cosine})
    torch_row = next(row for row in rows if row["backend"] == "transformers + torch f32")
    for row in rows:
        row["speedup_wall"] = row["sentences_per_s_wall"] / torch_row["sentences_per_s_wall"]
        row["speedup_cpu"] = row["sentences_per_s_cpu"] / torch_row["sentences_per_s_cpu"]
    result = {"batch": args.batch, "tokens": tokens, "threads": args.threads, "rounds": args.rounds, "repeat": args.repeat,
              "load_average_start": load_start, "load_average": os.getloadavg()[0], "backends": rows,
              "versions": {"python": platform.python_version(), "torch": torch.__version__,
                           "transformers": transformers.__version__}}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.batch} sentences ({tokens} tokens), {args.threads} threads, median of {args.rounds} rounds "
              f"(best of {args.repeat}), load average {load_start:.1f} before, {result['load_average']:.1f} after")
        print(f"  {'backend':40} {'sent/s wall':>12} {'x torch':>8} {'sent/s CPU':>11} {'x torch':>8} {'min cos':>9}")
        for row in rows:
            print(f"  {row['backend']:40} {row['sentences_per_s_wall']:12.1f} {row['speedup_wall']:8.2f} "
                  f"{row['sentences_per_s_cpu']:11.1f} {row['speedup_cpu']:8.2f} {row['min_cosine_vs_torch']:9.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
