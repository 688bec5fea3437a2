#!/usr/bin/env bash
# Installs what building and testing llmc needs on a fresh Debian machine (idempotent, quiet when already done).
set -euo pipefail
need=()
[ -x /usr/lib/llvm-19/bin/llvm-config ] || need+=(llvm-19-dev)
[ -e /usr/include/x86_64-linux-gnu/cblas.h ] || [ -e /usr/include/cblas.h ] || need+=(libopenblas-dev)
[ -e /usr/include/zstd.h ] || need+=(libzstd-dev)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ "${1:-}" = "--python" ]; then
    python3 -c "import numpy, gguf" 2>/dev/null || pip install -q numpy gguf
fi
