#!/usr/bin/env python3
"""Recreates golden/tokenizer/mpnet_style/: an MPNet-style tokenizer (MPNetTokenizer as in sentence-transformers'
all-mpnet-base-v2: <s> <pad> </s> <unk> first, then an uncased WordPiece vocabulary, <mask> last; BertNormalizer,
BertPreTokenizer, RobertaProcessing <s> $A </s></s> $B </s>, WordPiece decoder, and transformers' own
clean_up_tokenization_spaces on decoded text), built with the tokenizers library
from the first 6000 entries of all-MiniLM-L6-v2's real vocabulary (golden/tokenizer/minilm_l6).

Usage: python3 make_mpnet_tokenizer.py
"""
import json
import os

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "mpnet_style")
KEPT = 6000


def main() -> None:
    with open(os.path.join(HERE, "minilm_l6", "tokenizer.json"), encoding="utf-8") as f:
        bert_vocab = json.load(f)["model"]["vocab"]
    pieces = ["<s>", "<pad>", "</s>", "<unk>"] + [t for t, _ in sorted(bert_vocab.items(), key=lambda kv: kv[1])][:KEPT]
    pieces.append("<mask>")
    vocab = {piece: i for i, piece in enumerate(pieces)}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "[UNK]"])
    from tokenizers import AddedToken
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    os.makedirs(OUT_DIR, exist_ok=True)
    tok.save(os.path.join(OUT_DIR, "tokenizer.json"))
    config = {"bos_token": "<s>", "clean_up_tokenization_spaces": True, "cls_token": "<s>", "do_lower_case": True,
              "eos_token": "</s>",
              "mask_token": "<mask>", "model_max_length": 512, "pad_token": "<pad>", "sep_token": "</s>",
              "strip_accents": None, "tokenize_chinese_chars": True, "tokenizer_class": "MPNetTokenizer",
              "unk_token": "[UNK]"}
    with open(os.path.join(OUT_DIR, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(OUT_DIR, "config.json"), "w", encoding="utf-8") as f:
        json.dump({"model_type": "mpnet"}, f)
    print(f"wrote {OUT_DIR} ({len(vocab)} tokens)")


if __name__ == "__main__":
    main()
