#!/usr/bin/env bash
# Runs the test suite (unit, kernel, tokenizer, runtime and golden end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
swift build --build-tests
swift test --skip-build --parallel --num-workers 2
