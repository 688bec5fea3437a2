#!/usr/bin/env python3
"""Recreates three small tokenizers that exercise the WordPiece and Unigram options the real ones above do not:

- bert_cased_options/: BertTokenizer (transformers rebuilds the pipeline) with do_lower_case=false,
  strip_accents=true, tokenize_chinese_chars=false over the first 6000 entries of all-MiniLM-L6-v2's vocabulary;
- wordpiece_json/: a tokenizer.json loaded as it is (PreTrainedTokenizerFast): BertNormalizer(clean_text=false,
  handle_chinese_chars=false, strip_accents=null, lowercase=true), WhitespaceSplit then BertPreTokenizer, WordPiece
  with max_input_chars_per_word=12 and continuing_subword_prefix "@@", WordPiece decoder "@@" without cleanup, a
  TemplateProcessing with pair type ids, and added tokens that are normalized (matched lowercased);
- unigram_byte_fallback/: a Unigram trained by the tokenizers library (UnigramTrainer) on the licence texts, with
  the 256 "<0xNN>" pieces added and byte_fallback on, normalizer Strip + Lowercase + Replace, Metaspace pre-tokenizer (prepend first, split), decoders
  ByteFallback + Metaspace, normalized added tokens, loaded as it is.

Usage: python3 make_variant_tokenizers.py
"""
import glob
import json
import os

from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
from tokenizers.models import Unigram, WordPiece

HERE = os.path.dirname(os.path.abspath(__file__))


def write_config(name: str, config: dict) -> None:
    with open(os.path.join(HERE, name, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)


def minilm_vocab(kept: int) -> list[str]:
    with open(os.path.join(HERE, "minilm_l6", "tokenizer.json"), encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    return [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])][:kept]


def bert_cased_options() -> None:
    pieces = minilm_vocab(6000)
    tok = Tokenizer(WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    os.makedirs(os.path.join(HERE, "bert_cased_options"), exist_ok=True)
    tok.save(os.path.join(HERE, "bert_cased_options", "tokenizer.json"))
    write_config("bert_cased_options", {
        "tokenizer_class": "BertTokenizer", "do_lower_case": False, "strip_accents": True,
        "tokenize_chinese_chars": False, "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
        "cls_token": "[CLS]", "mask_token": "[MASK]", "clean_up_tokenization_spaces": True})


def wordpiece_json() -> None:
    pieces = minilm_vocab(6000)
    pieces = [("@@" + p[2:]) if p.startswith("##") else p for p in pieces]
    tok = Tokenizer(WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]", max_input_chars_per_word=12,
                              continuing_subword_prefix="@@"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=None,
                                                lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.BertPreTokenizer()])
    tok.decoder = decoders.WordPiece(prefix="@@", cleanup=False)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] [SEP]:1 $B:1 [SEP]:2",
        special_tokens=[("[CLS]", pieces.index("[CLS]")), ("[SEP]", pieces.index("[SEP]"))])
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.add_tokens([AddedToken("ZzQx", normalized=True), AddedToken("Hello World", normalized=True)])
    os.makedirs(os.path.join(HERE, "wordpiece_json"), exist_ok=True)
    tok.save(os.path.join(HERE, "wordpiece_json", "tokenizer.json"))
    write_config("wordpiece_json", {"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]",
                                    "sep_token": "[SEP]", "cls_token": "[CLS]", "pad_token": "[PAD]"})


def unigram_byte_fallback() -> None:
    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.Strip(left=True, right=False), normalizers.Lowercase(),
                                           normalizers.Replace("``", '"')])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="\u2581",
                                                                                 prepend_scheme="first")])
    trainer = trainers.UnigramTrainer(vocab_size=1500, special_tokens=["<pad>", "<unk>", "<s>", "</s>"],
                                      unk_token="<unk>", max_piece_length=12)
    files = sorted(p for p in glob.glob("/usr/share/common-licenses/*") if os.path.isfile(p))
    tok.train(files, trainer)
    # The trainer keeps no "<0xNN>" pieces: add all 256 (after the others, at the lowest score) and turn
    # byte_fallback on, as SentencePiece models with byte fallback have them.
    state = json.loads(tok.to_str())
    lowest = min(score for _, score in state["model"]["vocab"])
    state["model"]["vocab"] += [[f"<0x{b:02X}>", lowest - 1.0] for b in range(256)]
    state["model"]["byte_fallback"] = True
    tok = Tokenizer.from_str(json.dumps(state))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    tok.add_tokens([AddedToken("ZzQx", normalized=True), AddedToken("Hello World", normalized=True)])
    os.makedirs(os.path.join(HERE, "unigram_byte_fallback"), exist_ok=True)
    tok.save(os.path.join(HERE, "unigram_byte_fallback", "tokenizer.json"))
    write_config("unigram_byte_fallback", {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>",
                                           "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                                           "clean_up_tokenization_spaces": True})


if __name__ == "__main__":
    bert_cased_options()
    wordpiece_json()
    unigram_byte_fallback()
    print("wrote bert_cased_options, wordpiece_json, unigram_byte_fallback")
