#!/usr/bin/env python3
"""Recreates golden/tokenizer/xlmr_style/: an XLM-RoBERTa-style tokenizer (SentencePiece Unigram with the nmt_nfkc
precompiled normalization map, XLMRobertaTokenizer's fairseq id layout <s> <pad> </s> <unk> ... <mask>).

No PyPI package ships a real XLM-R tokenizer.json (the checked candidates carry their own formats), so one is made
the way XLM-R's was: the sentencepiece library (0.2.x) trains a Unigram model on text found on any Debian machine (the
licences under /usr/share/common-licenses and the month and day names of every glibc locale, for many scripts) with
its built-in nmt_nfkc normalization rule, whose precompiled_charsmap (a real SentencePiece double-array trie) it stores
in the model; transformers' XLMRobertaTokenizer converts that model to tokenizer.json (Precompiled normalizer,
WhitespaceSplit + Metaspace, Unigram, the <s> $A </s></s> $B </s> template) and saves it.

Also writes precompiled_cases.json: what tokenizers' Precompiled normalizer (with that map) makes of every code point
it changes, and of strings whose graphemes it treats as a whole.

Usage: python3 make_unigram_tokenizer.py
"""
import glob
import json
import os
import re
import tempfile

import sentencepiece as spm
from transformers import XLMRobertaTokenizer

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xlmr_style")
VOCAB_SIZE = 8000
TOKENIZER_CONFIG = {
    "bos_token": "<s>", "clean_up_tokenization_spaces": True, "cls_token": "<s>", "eos_token": "</s>",
    "mask_token": {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "normalized": True, "rstrip": False,
                   "single_word": False},
    "model_max_length": 512, "pad_token": "<pad>", "sep_token": "</s>", "tokenizer_class": "XLMRobertaTokenizer",
    "unk_token": "<unk>",
}


def corpus_lines() -> list[str]:
    lines = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines += [line.strip() for line in f if line.strip()]
    escape = re.compile(r"<U([0-9A-Fa-f]{4,6})>")
    for path in sorted(glob.glob("/usr/share/i18n/locales/*")):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                words = [escape.sub(lambda m: chr(int(m.group(1), 16)), s) for s in re.findall(r'"((?:<U[0-9A-Fa-f]+>)+)"', line)]
                words = [w for w in words if len(w) > 1 and w.isprintable()]
                if words:
                    lines.append(" ".join(words))
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(corpus_lines()) + "\n")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(tmp, "sp"), model_type="unigram",
                                       vocab_size=VOCAB_SIZE, normalization_rule_name="nmt_nfkc",
                                       character_coverage=0.998, num_threads=1, seed_sentencepiece_size=200000,
                                       minloglevel=2)
        model_dir = os.path.join(tmp, "model")
        os.makedirs(model_dir)
        os.rename(os.path.join(tmp, "sp.model"), os.path.join(model_dir, "sentencepiece.bpe.model"))
        tok = XLMRobertaTokenizer.from_pretrained(model_dir)
        tok.model_max_length = 512
        tok.save_pretrained(OUT_DIR)
    for extra in ("sentencepiece.bpe.model", "special_tokens_map.json", "chat_template.jinja"):
        if os.path.exists(os.path.join(OUT_DIR, extra)):
            os.remove(os.path.join(OUT_DIR, extra))
    # A user-added token that is normalized: matched (and decoded) as the Precompiled map makes it, "zzqx".
    path = os.path.join(OUT_DIR, "tokenizer.json")
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    state["added_tokens"].append({"id": len(tok), "content": "\uff3a\uff3a\uff31\uff38", "single_word": False,
                                  "lstrip": False, "rstrip": False, "normalized": True, "special": False})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False, indent=2)
    # xlm-roberta-base's own tokenizer_config.json and config.json model type (<mask> strips the space before it).
    with open(os.path.join(OUT_DIR, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(TOKENIZER_CONFIG, f, indent=1)
    with open(os.path.join(OUT_DIR, "config.json"), "w", encoding="utf-8") as f:
        json.dump({"model_type": "xlm-roberta"}, f)
    print(f"wrote {OUT_DIR}: {os.listdir(OUT_DIR)}, {len(tok)} tokens")
    write_precompiled_cases()


GRAPHEME_CASES = ["e\u0301", "a\u0302\u0323", "\uff76\uff9e", "\uff71\u0301", "\u1100\u1161", "\u1100\u1161\u11a8",
                  "\r\n", "a\u200d", "\u0915\u094d\u0937", "\U0001f468\u200d\U0001f469", "\U0001f1eb\U0001f1f7",
                  "\u2163\u0301", "\ufb01\u0301", "A\u030a", "\u00c5\u0301", "\u0627\u064e", "\u0d15\u0d4d\u0d37",
                  "\u0e01\u0e33", "x\u20dd", "\u3099\u309a", "\u30ab\u3099", "\u03b9\u0308\u0301", "\uff10\u20e3"]


def write_precompiled_cases() -> None:
    """precompiled_cases.json: code point -> output for every code point the map changes; whole-string cases."""
    import json as json_module
    from tokenizers import Tokenizer
    normalizer = Tokenizer.from_file(os.path.join(OUT_DIR, "tokenizer.json")).normalizer
    changed = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        out = normalizer.normalize_str(chr(cp))
        if out != chr(cp):
            changed[str(cp)] = out
    strings = [{"text": text, "normalized": normalizer.normalize_str(text)} for text in GRAPHEME_CASES]
    with open(os.path.join(os.path.dirname(OUT_DIR), "precompiled_cases.json"), "w", encoding="utf-8") as f:
        json_module.dump({"made_by": "golden/tokenizer/make_unigram_tokenizer.py", "tokenizer": "xlmr_style",
                          "changed_code_points": changed, "strings": strings}, f, ensure_ascii=True, indent=0)
        f.write("\n")
    print(f"precompiled_cases: {len(changed)} changed code points, {len(strings)} strings")


if __name__ == "__main__":
    main()
