#!/usr/bin/env python3
"""Regenerate the architecture corpus: one tiny random-weight model per seed architecture, with transformers' outputs.

    python3 golden/make_corpus.py [--only CASE ...] [--family A C ...] [--jobs N] [--list]

For every architecture entry of shared/ARCHITECTURES.md section 3 that transformers implements natively (plus the
'emulate' rows, written under the real architecture's config and tensor names) this writes golden/corpus/<case>/:
config.json, model.safetensors (+ generation_config.json) and expected.json (see golden/README.md).
Generative cases: greedy decoding with the KV cache (24 tokens), seeds and weight gains searched until the top-1 /
top-2 log-probability gap exceeds 1e-3 at every step; checked against a no-cache forward and a reload of the saved
directory. golden/corpus/VERSIONS.json records the versions used and every case's seed, gap and size.
Cases that cannot be built are listed with the reason in golden/corpus/SKIPPED.md (written by hand).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(GOLDEN_DIR))

CASE_MODULES = ("corpus_cases_a", "corpus_cases_bcdefg", "corpus_cases_hij", "corpus_cases_k", "corpus_cases_l",
                "corpus_cases_emulated")
CORPUS_DIR = GOLDEN_DIR / "corpus"
GOLDEN_LIMIT = 60 * 1024 * 1024


def all_cases() -> list:
    import importlib
    found = []
    for module_name in CASE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        found.extend(module.cases())
    import corpus_ablations
    corpus_ablations.apply(found)
    names = [c.name for c in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"duplicate case names: {sorted(duplicates)}")
    return found


def _quiet() -> None:
    import warnings

    import torch
    from transformers.utils import logging as transformers_logging
    torch.set_num_threads(1)
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    warnings.filterwarnings("ignore")


def _run_one(name: str) -> tuple[str, dict | None, str | None, float]:
    """Worker entry point: build and write one case by name."""
    _quiet()
    from corpus_core import write_case
    start = time.time()
    case = next(c for c in all_cases() if c.name == name)
    try:
        return name, write_case(case, CORPUS_DIR), None, time.time() - start
    except Exception as error:  # reported per case; the run goes on with the others
        return name, None, f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}", time.time() - start


def _tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _print_table(rows: list[dict]) -> None:
    print(f"\n{'case':48s} {'fam':4s} {'status':28s} {'task':15s} {'seed':>4s} {'min gap':>8s} {'KiB':>6s}")
    for row in sorted(rows, key=lambda r: (r["family"], r["case"])):
        gap = f"{row['gap']:.4f}" if row.get("gap") is not None else "-"
        print(f"{row['case']:48s} {row['family']:4s} {row['status']:28s} {row['task']:15s} {row['seed']:4d} "
              f"{gap:>8s} {row['bytes'] / 1024:6.0f}")
    corpus = _tree_bytes(CORPUS_DIR)
    golden = _tree_bytes(GOLDEN_DIR) - _tree_bytes(GOLDEN_DIR / "__pycache__") if (GOLDEN_DIR / "__pycache__").exists() \
        else _tree_bytes(GOLDEN_DIR)
    print(f"\n{len(rows)} cases; golden/corpus/ {corpus / 2**20:.1f} MiB; golden/ {golden / 2**20:.1f} MiB "
          f"(limit {GOLDEN_LIMIT / 2**20:.0f} MiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="regenerate only these cases")
    parser.add_argument("--family", nargs="*", default=[], help="regenerate only these families (A, B, ..., K2, L)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    _quiet()
    cases = all_cases()
    if args.list:
        for c in cases:
            print(f"{c.name:48s} {c.family:4s} {c.status:30s} {c.task}")
        print(f"{len(cases)} cases")
        return 0
    known = {c.name for c in cases}
    unknown = [n for n in args.only if n not in known]
    if unknown:
        print(f"unknown case(s) {unknown}; see --list", file=sys.stderr)
        return 2
    selected = [c.name for c in cases if (not args.only or c.name in args.only)
                and (not args.family or c.family in args.family)]
    CORPUS_DIR.mkdir(exist_ok=True)
    versions_path = CORPUS_DIR / "VERSIONS.json"
    record = json.loads(versions_path.read_text()) if versions_path.exists() else {"cases": {}}
    record["cases"] = {k: v for k, v in record["cases"].items() if k in known}
    failures = []
    start = time.time()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(_run_one, name) for name in selected]
        for future in as_completed(futures):
            name, row, error, seconds = future.result()
            if error:
                failures.append(name)
                print(f"FAILED {name} ({seconds:.0f} s): {error}", file=sys.stderr, flush=True)
            else:
                record["cases"][name] = row
                print(f"ok {name:48s} {seconds:5.1f} s  gap {row['gap'] if row['gap'] is not None else '-'}"
                      + (f"  (transformers' default attention differs from eager by {row['default_attention_drift']})"
                         if row.get("default_attention_drift") else ""), flush=True)
    from greedy_reference import versions
    record.update(versions())
    record["generated_by"] = "golden/make_corpus.py"
    versions_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    _print_table(list(record["cases"].values()))
    print(f"{len(selected) - len(failures)}/{len(selected)} cases written in {time.time() - start:.0f} s")
    if failures:
        print(f"failed: {failures}", file=sys.stderr)
    total = _tree_bytes(GOLDEN_DIR)
    if total > GOLDEN_LIMIT:
        print(f"golden/ is {total} bytes > {GOLDEN_LIMIT}", file=sys.stderr)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
