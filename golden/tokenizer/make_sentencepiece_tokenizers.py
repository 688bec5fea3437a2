#!/usr/bin/env python3
"""Writes the SentencePiece-style BPE tokenizers (▁ for spaces, byte fallback) used by the tokenizer tests to
golden/tokenizer/<name>/ (tokenizer.json, tokenizer_config.json and, where the tokenizer class transformers picks
depends on it, a config.json with only a model_type):

- mistral_v1: Mistral-7B-v0.1's real SentencePiece model (tokenizer.model.v1, shipped in the PyPI wheel
  mistral-common==1.13.1), converted the way Hugging Face's Llama-2 / Mistral-7B-v0.1 tokenizer.json files are:
  normalizer Sequence[Prepend("▁"), Replace(" ", "▁")], no pre-tokenizer, BPE with byte_fallback and fuse_unk,
  decoder Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)], TemplateProcessing "<s> $A".
  model_type "mistral": transformers 5 loads tokenizer.json as it is (TokenizersBackend).
- llama2_class: the same tokenizer.json (a symlink) with model_type "llama" and tokenizer_class "LlamaTokenizer",
  legacy false, like meta-llama/Llama-2-7b-hf: transformers 5's LlamaTokenizer then replaces the normalizer,
  pre-tokenizer and decoder by its own (Metaspace(prepend_scheme="first", split=False), no normalizer).
- sp_legacy: a small trained Llama-2-style tokenizer (vocabulary ~2k, so byte fallback triggers on CJK and emoji)
  with the Prepend + Replace normalizer, loaded as it is (PreTrainedTokenizerFast); normalized and lstrip / rstrip /
  single_word added tokens.
- sp_legacy_llama_always / sp_legacy_llama_no_prefix: the same tokenizer.json under LlamaTokenizer with legacy true
  (Metaspace prepend_scheme "always") and with add_prefix_space false ("never", no Strip decoder).
- sp_metaspace: Metaspace pre-tokenizer (prepend_scheme "first", split false) after a Split on the string "-", NFC,
  decoder Sequence[Replace, ByteFallback, Fuse, Strip], ignore_merges; trained without splitting at "▁", so tokens
  span words (the runtime then cannot merge a text segment by segment).
- sp_metaspace_split: Metaspace(prepend_scheme "always", split true) with a Metaspace decoder, byte tokens 0x80-0x8F
  removed so that some characters become <unk> (fuse_unk), TemplateProcessing with BOS and EOS.
- gemma_style: Gemma's layout (normalizer Replace(" ", "▁") without Prepend, Split(" ") pre-tokenizer, decoder
  without Strip, <pad> <eos> <bos> <unk> <mask> first, TemplateProcessing "<bos> $A") under GemmaTokenizer with
  model_type "gemma", Gemma's chat tokens as added tokens.

Training text: the license texts and multilingual sample of make_small_tokenizers.py. tokenizers' BPE trainer breaks
ties between equally frequent pairs in hash order, so re-training gives slightly different vocabularies: run
make_tokenizer_goldens.py after this script. Requires `tokenizers`,
`transformers`, `sentencepiece` and `protobuf`, and the mistral-common wheel (not installed: with mistral-common
installed transformers loads Mistral models with another backend):

    pip download --no-deps -d /tmp/mc mistral-common==1.13.1
    python3 make_sentencepiece_tokenizers.py /tmp/mc/mistral_common-1.13.1-py3-none-any.whl
"""
import json
import os
import sys
import tempfile
import zipfile

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers.convert_slow_tokenizer import SentencePieceExtractor

from make_small_tokenizers import training_text

HERE = os.path.dirname(os.path.abspath(__file__))
MISTRAL_MODEL = "mistral_common/data/tokenizer.model.v1"
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]


def write_json(path: str, value: dict, compact: bool) -> None:
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        else:
            json.dump(value, f, ensure_ascii=False, indent=2)
            f.write("\n")


def save(name: str, tok: Tokenizer | None, config: dict, model_type: str | None, share_from: str | None = None) -> None:
    """Writes golden/tokenizer/<name>/; share_from makes tokenizer.json a symlink to another directory's."""
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "tokenizer.json")
    if os.path.lexists(path):
        os.remove(path)
    if share_from:
        os.symlink(os.path.join("..", share_from, "tokenizer.json"), path)
    else:
        write_json(path, json.loads(tok.to_str()), compact=True)
    write_json(os.path.join(out, "tokenizer_config.json"), config, compact=False)
    config_path = os.path.join(out, "config.json")
    if model_type:
        write_json(config_path, {"model_type": model_type}, compact=False)
    elif os.path.exists(config_path):
        os.remove(config_path)
    print(f"wrote {out}")


def llama_decoder(strip: bool = True) -> decoders.Decoder:
    steps = [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
    if strip:
        steps.append(decoders.Strip(content=" ", left=1, right=0))
    return decoders.Sequence(steps)


def bos_template(bos: str, bos_id: int, eos: str | None = None, eos_id: int | None = None):
    single = f"{bos}:0 $A:0" + (f" {eos}:0" if eos else "")
    pair = f"{bos}:0 $A:0 {bos}:1 $B:1" + (f" {eos}:1" if eos else "")
    specials = [(bos, bos_id)] + ([(eos, eos_id)] if eos else [])
    return processors.TemplateProcessing(single=single, pair=pair, special_tokens=specials)


def make_mistral_v1(wheel: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as z:
            z.extract(MISTRAL_MODEL, tmp)
        extracted = SentencePieceExtractor(os.path.join(tmp, MISTRAL_MODEL)).extract(models.BPE)
    vocab, merges = extracted["vocab"], extracted["merges"]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = llama_decoder()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ["<unk>", "<s>", "</s>"]])
    tok.post_processor = bos_template("<s>", vocab["<s>"])
    added_decoder = {str(vocab[t]): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                     "single_word": False, "special": True} for t in ["<unk>", "<s>", "</s>"]}
    base = {"add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": added_decoder,
            "bos_token": "<s>", "clean_up_tokenization_spaces": False, "eos_token": "</s>",
            "model_max_length": 1000000000000000019884624838656, "pad_token": None, "sp_model_kwargs": {},
            "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>", "use_default_system_prompt": False}
    save("mistral_v1", tok, {**base, "legacy": True}, "mistral")
    save("llama2_class", None, {**base, "legacy": False}, "llama", share_from="mistral_v1")


def train_sentencepiece_style(normalizer, pre_tokenizer, specials: list[str], vocab_size: int,
                              dropped_bytes: range = range(0)) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """BPE over ▁-marked words with a small alphabet (rare characters are left to byte fallback); returns the
    vocabulary laid out like a SentencePiece one (special tokens, then the <0xNN> byte tokens, then the learned
    pieces) and the merges."""
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, limit_alphabet=160, show_progress=False)
    tok.train_from_iterator(training_text(), trainer=trainer)
    learned = json.loads(tok.to_str())["model"]
    ordered = specials + [t for i, t in enumerate(BYTE_TOKENS) if i not in dropped_bytes]
    ordered += [t for t, _ in sorted(learned["vocab"].items(), key=lambda kv: kv[1]) if t not in ordered]
    return {t: i for i, t in enumerate(ordered)}, [tuple(m) for m in learned["merges"]]


def sp_bpe(vocab: dict[str, int], merges, unk: str | None, ignore_merges: bool = False) -> Tokenizer:
    return Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=unk, fuse_unk=True, byte_fallback=True,
                                ignore_merges=ignore_merges))


def add_test_tokens(tok: Tokenizer) -> None:
    """Added tokens with every flag: normalized ones are matched after the normalizer (and decoded in that form)."""
    tok.add_tokens([
        AddedToken("[[LSTRIP]]", special=True, lstrip=True, normalized=False),
        AddedToken("[[RSTRIP]]", special=False, rstrip=True, normalized=False),
        AddedToken("magicword", special=False, single_word=True, normalized=True),
        AddedToken("hello world", special=False, normalized=True),
        AddedToken("café", special=False, normalized=False),
        AddedToken("<|im_start|>", special=True, normalized=False),
        AddedToken("<|im_end|>", special=True, normalized=False),
    ])


def make_sp_legacy() -> None:
    legacy = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    specials = ["<unk>", "<s>", "</s>"]
    vocab, merges = train_sentencepiece_style(legacy, pre_tokenizers.Metaspace(prepend_scheme="never"), specials,
                                              2000)
    tok = sp_bpe(vocab, merges, "<unk>")
    tok.normalizer = legacy
    tok.decoder = llama_decoder()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    add_test_tokens(tok)
    tok.post_processor = bos_template("<s>", vocab["<s>"])
    base = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "clean_up_tokenization_spaces": False}
    save("sp_legacy", tok, {**base, "tokenizer_class": "PreTrainedTokenizerFast"}, None)
    llama = {**base, "tokenizer_class": "LlamaTokenizer", "add_bos_token": True}
    save("sp_legacy_llama_always", None, {**llama, "legacy": True}, "llama", share_from="sp_legacy")
    save("sp_legacy_llama_no_prefix", None, {**llama, "legacy": False, "add_prefix_space": False}, "llama",
         share_from="sp_legacy")


def make_sp_metaspace() -> None:
    meta = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    pre = pre_tokenizers.Sequence([pre_tokenizers.Split("-", behavior="merged_with_next"), meta])
    specials = ["<unk>", "<s>", "</s>"]
    vocab, merges = train_sentencepiece_style(normalizers.NFC(), pre_tokenizers.Metaspace(split=False), specials, 1500)
    tok = sp_bpe(vocab, merges, "<unk>", ignore_merges=True)
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre
    tok.decoder = llama_decoder()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    add_test_tokens(tok)
    tok.post_processor = bos_template("<s>", vocab["<s>"])
    save("sp_metaspace", tok, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                               "tokenizer_class": "PreTrainedTokenizerFast"}, None)


def make_sp_metaspace_split() -> None:
    specials = ["<unk>", "<s>", "</s>"]
    vocab, merges = train_sentencepiece_style(None, pre_tokenizers.Metaspace(), specials, 1200,
                                              dropped_bytes=range(0x80, 0x90))
    tok = sp_bpe(vocab, merges, "<unk>")
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁",
                                                                                 prepend_scheme="always")])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    tok.post_processor = bos_template("<s>", vocab["<s>"], "</s>", vocab["</s>"])
    save("sp_metaspace_split", tok, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                                     "tokenizer_class": "PreTrainedTokenizerFast"}, None)


GEMMA_SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
GEMMA_CHAT = ["<start_of_turn>", "<end_of_turn>"]


def make_gemma_style() -> None:
    replace = normalizers.Replace(" ", "▁")
    vocab, merges = train_sentencepiece_style(replace, pre_tokenizers.Metaspace(prepend_scheme="never"),
                                              GEMMA_SPECIALS + GEMMA_CHAT, 2500)
    tok = sp_bpe(vocab, merges, "<unk>")
    tok.normalizer = replace
    tok.pre_tokenizer = pre_tokenizers.Split(" ", behavior="merged_with_previous")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in GEMMA_SPECIALS + GEMMA_CHAT])
    tok.add_tokens([AddedToken("hello world", special=False, normalized=True)])
    tok.post_processor = bos_template("<bos>", vocab["<bos>"])
    save("gemma_style", tok, {"add_bos_token": True, "add_eos_token": False, "bos_token": "<bos>",
                              "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>",
                              "mask_token": "<mask>", "additional_special_tokens": GEMMA_CHAT,
                              "tokenizer_class": "GemmaTokenizer"}, "gemma")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    make_mistral_v1(sys.argv[1])
    make_sp_legacy()
    make_sp_metaspace()
    make_sp_metaspace_split()
    make_gemma_style()
