#!/usr/bin/env python3
"""Writes golden/tokenizer/<name>.json: what transformers' AutoTokenizer gives for the tokenizers under
golden/tokenizer/<name>/ on a fixed list of strings. The Swift tests (Tests/TokenizerTests) compare llmc's runtime
tokenizer against these files.

Per text case: ids = tok(text).input_ids, ids_no_special = tok(text, add_special_tokens=False).input_ids,
decoded / decoded_skip_special = tok.decode(ids, skip_special_tokens=False/True).
Per pair case (text pairs, and single texts, with and without truncation): ids / type_ids =
tok(a, b, truncation=True, max_length=m) input_ids / token_type_ids (no truncation when m is None; with
add_special_tokens=False when no_special), truncated = the ids without truncation are longer; error when transformers
refuses the pair (a post-processor without a pair template).
Per decode case (prefixes that may split a UTF-8 character, random id sequences): text = tok.decode(ids) and
bytes_hex = the bytes before U+FFFD replacement (see raw_bytes), checked against tok.decode where that is valid UTF-8.
effective_pipeline: the normalizer, pre-tokenizer, decoder and model options transformers' tokenizer really uses (its
class may replace those of tokenizer.json).
"""
import json
import os
import random
import re
import sys
import unicodedata

import tokenizers
from tokenizers import decoders
import transformers
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ["smollm2", "llama3_style", "qwen2_style", "llama3_add_eos", "gpt2_prefix_space", "split_variants",
         "qwen2_config_specials", "mistral_v1", "llama2_class", "sp_legacy", "sp_legacy_llama_always",
         "sp_legacy_llama_no_prefix", "sp_metaspace", "sp_metaspace_split", "gemma_style", "minilm_l6",
         "xlmr_style", "mpnet_style", "bert_cased_options", "wordpiece_json", "unigram_byte_fallback"]

FIXED_CASES = [
    # empty and whitespace
    "", " ", "  ", "\n", "\t", "\r\n", "\r", "\r\r\n", "\n\n\n", " \n", "  \n  \n  ", "\v\f", "\x85",
    "\u00a0", "a\u00a0b", "a\u2003b", "\u3000", "a \u3000 b", "a\u2028b", "a\u200bb", "a \nb", "a  \n\tb",
    # plain text and spacing
    "Hello", "Hello world", " Hello world", "Hello  world", "Hello   world  ", "hello\nworld", "hello\n\nworld",
    "hello \n world", "line1\r\nline2\r\n", "\t\tindented\ttabs", "trailing spaces   ", "   leading spaces",
    "The quick brown fox jumps over the lazy dog.", "THE QUICK BROWN FOX", "MiXeD CaSe WoRdS",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
    "This program is free software: you can redistribute it and/or modify it under the terms of the GNU General "
    "Public License as published by the Free Software Foundation, either version 3 of the License.",
    # contractions
    "I'm here", "you're", "they've", "she'll", "he'd", "it's", "don't", "I'M SHOUTING", "YOU'RE", "THEY'VE",
    "'s", "''", "rock'n'roll", "O'Neil's", "it\u2019s", "'S'T'RE'VE'M'LL'D", "x'\u017f", "can't won't shouldn't",
    "' s", "'ll've'd",
    # digits and numbers
    "123", "1234567890", "3.14159", "1,000,000", "2024-01-15", "$100.00", "12abc34", "abc123def",
    "In 2024, 365 days", "31415926535897932384626433832795028841971693993751",
    "\u0663\u0664\u0665", "\u2460\u2461\u2462", "\u216b", "\u00bd", "10\u00b2", "\uff10\uff11\uff12", "0x1F600",
    "v1.2.3-rc4", "+1 (555) 123-4567", "1e-10", "99 bottles of beer",
    # accents, NFC and combining marks
    "caf\u00e9", "cafe\u0301", "na\u00efve r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m", "\u212b", "Stra\u00dfe",
    "\u1100\u1161\u11a8", "a\u0302\u0323", "a\u0323\u0302", "\u0323\u0302x", "\ufb01", "\u3231", "\u0958",
    "e\u0301\u0301\u0301", "\u0041\u030a\u0301", "\u00f4\u0323", "o\u031b\u0323", "Zalgo: Z\u0351\u036b\u0343a\u0310\u0304l\u0357g\u0351o\u0308",
    # scripts
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
    "\u4f60\u597d\u4e16\u754c", "\u3053\u3093\u306b\u3061\u306f", "\ud55c\uad6d\uc5b4", "\u0645\u0631\u062d\u0628\u0627",
    "\u05e9\u05dc\u05d5\u05dd", "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0e44\u0e17\u0e22",
    "\u0295\u2022\u1d25\u2022\u0294", "\u03a9\u2248\u00e7\u221a\u222b",
    "\u6211\u4eec\u4eca\u5929\u53bb\u5317\u4eac\u3002\u4f60\u597d\uff0c\u4e16\u754c\uff01",
    "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002", "\u00bf\u0044\u00f3nde est\u00e1 la ni\u00f1a?",
    "Gr\u00f6\u00dfe, \u00dcberm\u00e4\u00dfig, sch\u00f6n", "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",
    "\U00020000", "\u2200x\u2208\u211d: x\u00b2\u22650", "mixed\u4e2d\u6587and English",
    # emoji
    "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", "\u2764\ufe0f", "I \u2764\ufe0f NY \U0001f5fd", "\U0001f389\U0001f389\U0001f389",
    "\U0001f600\U0001f601", "emoji\U0001f680in\U0001f680words",
    # code
    "def main():\n    for i in range(10):\n        print(f\"{i}: {i ** 2}\")\n    return 0\n",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "<div class=\"x\"><p>Hello &amp; welcome</p></div>", "https://example.com/path?q=1&r=2#frag",
    "user.name+tag@example.co.uk", "^[a-z0-9_-]{3,16}$", "# Title\n\n- item 1\n- item 2\n\n```python\nx = 1\n```",
    "ls -la | grep foo > out.txt 2>&1", "x+=1;y-=2", "if (a<=b && c!=d) { return; }", "fn main() -> Result<(), E> {}",
    "    indented with spaces", "\tindented with tab", "SELECT * FROM users WHERE id = 1;", "a_b_c __init__ self.x",
    # punctuation and symbols
    "...", "!!!???", "\u2014\u2013-", "\u00abquoted\u00bb", "\u201csmart quotes\u201d", "(parens) [brackets] {braces}",
    "#hashtag @mention", "50% off!!!", "a/b\\c", "~`^", "====", "-->", "::", "?!", " .", " ,", "a , b . c",
    # control and unusual code points
    "\x00", "a\x00b", "a\x01b", "\x7f", "\ufeffBOM", "\ufffd", "\ue000", "\U0010fffd",
    # special and added tokens written in the text
    "<|im_start|>user\nHi<|im_end|>", "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|>Hello", "Hello<|endoftext|>", "<|im_start|><|im_end|>", "<|eot_id|>",
    "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", "text <|reserved_special_token_5|> more",
    "<|begin", "<|begin_of_text", "<|begin_of_text|", "<|begin_of_text|><|begin_of_text|>",
    "x [[LSTRIP]] y", "x   [[LSTRIP]]y", "[[LSTRIP]]", "a[[RSTRIP]]   b", "a [[RSTRIP]]\n\nb", "[[RSTRIP]][[LSTRIP]]",
    "a  [[RSTRIP]]  [[LSTRIP]]  b", "magicword", "a magicword b", "amagicword", "magicwords", "magicword_x",
    "(magicword)", "\u00e9magicword", "hello world", "hello worlds", "say hello world!", "caf\u00e9 au lait",
    "cafe\u0301 au lait", "<tool_call>{\"a\":1}</tool_call>", "r\u00e9sum\u00e9", "re\u0301sume\u0301", "my resume",
    "<filename>main.py<file_sep>", "<repo_name>", "<|endoftext|><|endoftext|>", "<|im_end|>\n",
    "the cat <|pad|> x<|extra_0|>y", "other theme",
    # code points whose class or normalization depends on the Unicode version (see scripts/gen_unicode_tables.py)
    "x\U0001403f's \U000139ca're", "\U0003228c'll", "\U00011de0\U00011de1 \U00016ff4", "\u07fd\u08d5\U0001d16f",
    "\U00011935\U00011930", "a\u1df6\U0001e8d6\uaab3", "\u0e4f\u0e5a 1\u0e51\u0e52",
    # SentencePiece-style tokenizers: ▁, byte tokens and BOS/EOS written in the text, spaces around special tokens
    "<s>", "</s>", "<unk>", "<s>Hello", "Hello</s>", "<s> Hello", " <s> Hello", "Hello <s>", "Hi</s>there", "<s><s>",
    "<bos>Hi<eos>", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n", "<pad><mask>", "[INST] Hi [/INST]",
    "\u2581", "\u2581\u2581Hello", "Hello\u2581world", "\u2581 \u2581", "<0x41>", "<0xE4><0xBD>", "<0x+F>",
    "a-b-c", "--x", "well-known  fact", "-", " - ", "  <|im_start|>  x", "  Hello  ", "x\n\ny", " \tTab",
    "\U0001f600\U0001f600 test", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\u4e2d\u6587 and English",
    "\u00e9", "hellohello world", " magicword ", "x magicword", "magicword\tx", "\u0080\u0085\u008f", "\u00c0\u00c5",
    "\u0100\u0101", "\u0800", "\U00010000", "\ud7ff\ue000", "\u00a0\u00a0x", "x\u3000y",
    # WordPiece / BERT: accents and case, words over max_input_chars_per_word (100), punctuation, cleanup on decode
    "\u00dcn\u00efc\u00f6d\u00e9 \u00c0\u00c9\u00ce\u00d5\u00dc", "\u0130stanbul", "\u01c5ungla", "\u03a3\u0391\u03a3 \u03c3\u03b1\u03c2",
    "x" * 100, "x" * 101, "\u00e9" * 100, "\u00e9" * 101, "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "[CLS] text [SEP] more [MASK]", "[cls] [unk]", "hello , world ! it ' s , don ' t do not", "a . b ? c ! d",
    "unaffable unbelievably", "\u00bfQu\u00e9? \u00a1S\u00ed!", "\u3001\u3002\u300c\u300d", "\u00b7\u2027\u30fb", "\u1100\u1161",
    "\u00a7\u00b6\u2020\u2021", "\u0300abc", "a\u0300\u0301\u0302b", "\u1e9e\u00df", "\u2160\u2161", "\U0001f970 new emoji",
    "\u200d\u200c\u00ad", "soft\u00adhyphen", "tab\tsep\x0bvert\x0cff", "\x1b[31mred\x1b[0m",
    # Unigram / XLM-R: <mask> with lstrip, NFKC-like Precompiled map (width forms, ligatures, compatibility, graphemes)
    "Paris is the <mask> of France.", "x   <mask>y", "<mask>", "\uff21\uff22\uff23 \uff71\uff72 \uff76\uff9e", "\ufb03 \u2163 \u33a1 \u00bc",
    "e\u0301 a\u0302\u0323 \u0915\u094d\u0937 \u0627\u064e\u0644", "\u1100\u1161\u11a8\u1100\u1161", "a\u200db", "\u2028\u2029\u00a0\u2009x",
    "\u0130I\u0131i", "\u01c4\u01c5\u01c6", "\u2126\u212a\u212b", "\ufe0f\u20e3 1\ufe0f\u20e3", "\u3000\u3000full\u3000width",
    # normalized added tokens (matched after normalization, e.g. lowercased or NFKC'd)
    "zzqx ZzQx ZZQX \uff3a\uff3a\uff31\uff38 \uff5a\uff5a\uff51\uff58", "Hello World hello world HELLO WORLD", "xzzqxy",
    # long inputs
    " " * 50, "\n" * 20, "ab" * 100, "a" * 300, "9" * 100, "\u4e00" * 50, "hello " * 40,
]

POOL = [
    "the", " cat", "Hello", " world", "I'm", "'ve", "don't", "12", "2024", "3.5", " ", "  ", "\n", "\t", "\r\n",
    "caf\u00e9", "e\u0301", "\u00fc", "\u4e2d\u6587", "\u65e5\u672c", "\ud55c", "\u0416", "\U0001f600",
    "\U0001f44d\U0001f3fd", "\u2764\ufe0f", "!", "?", "...", "(", ")", "{", "}", "<", ">", "/", "_", "-", "=",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>", "[[LSTRIP]]", "[[RSTRIP]]",
    "magicword", "hello world", "<tool_call>", "\u00a0", "\u3000", "\u0663", "\u00bd", "x", "Y", "'", "\"", "#",
    "<s>", "</s>", "<bos>", "<eos>", "<start_of_turn>", "<unk>", "\u2581", "-", "\u00c5", "\U0001f680",
]


def random_cases(count: int) -> list[str]:
    rng = random.Random(1234)
    return ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def pair_cases(tok, texts: list[str], count: int) -> list[dict]:
    """Pairs (and single texts, b None) of the case texts, some truncated to a max_length (longest_first)."""
    rng = random.Random(4321)
    n_special = tok.num_special_tokens_to_add(pair=True) if pair_template(tok) else 0
    cases = []
    for k in range(count):
        a = rng.choice(texts)
        b = None if k % 5 == 4 else rng.choice(texts)
        no_special = k % 7 == 6
        max_length = None if k % 3 == 0 else rng.choice([1, 2, 3, 5, 8, 13, 21, 34]) + n_special
        args = {"add_special_tokens": not no_special}
        case = {"a": a, "b": b, "max_length": max_length, "no_special": no_special}
        try:
            full = tok(a, b, **args)
            enc = tok(a, b, truncation=max_length is not None, max_length=max_length, **args)
        except Exception as error:  # noqa: BLE001 - a tokenizer without a pair template refuses pairs
            if b is None:
                raise
            case["error"] = str(error)[:200]
            cases.append(case)
            continue
        ids = enc["input_ids"]
        type_ids = enc["token_type_ids"] if "token_type_ids" in enc else tok(a, b, truncation=max_length is not None,
                                                                              max_length=max_length,
                                                                              return_token_type_ids=True,
                                                                              **args)["token_type_ids"]
        case |= {"ids": ids, "type_ids": type_ids, "truncated": len(full["input_ids"]) > len(ids)}
        cases.append(case)
    return cases


def pair_template(tok) -> bool:
    """Whether the backend can encode a pair (a TemplateProcessing without pair cannot)."""
    try:
        tok.backend_tokenizer.encode("a", "b")
        return True
    except Exception:  # noqa: BLE001
        return False


def byte_decoder() -> dict[str, int]:
    """The inverse of GPT-2's bytes_to_unicode table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def is_byte_token(token: str) -> int | None:
    """The byte of a "<0xNN>" token as tokenizers' ByteFallback decoder reads it (Rust's u8::from_str_radix, which
    takes an optional "+"), or None."""
    if len(token.encode("utf-8")) != 6 or not token.startswith("<0x") or not token.endswith(">"):
        return None
    digits = token[3:5]
    if not re.fullmatch(r"\+?[0-9A-Fa-f]{1,2}", digits):
        return None
    return int(digits, 16)


WORDPIECE_CLEANUP = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                     (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]


TEXT_CLEANUP = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]


def raw_bytes(tokens: list[str], decoder: dict, table: dict[str, int]) -> bytes:
    """A reference of the decoders llmc supports that keeps every byte: ByteLevel maps each token's characters back to
    bytes (the token's own UTF-8 when one is outside the byte alphabet), ByteFallback turns a run of <0xNN> tokens into
    its raw bytes even when they are not valid UTF-8 (tokenizers gives one U+FFFD per byte then), the other steps as
    tokenizers has them. This is what a streaming decoder must produce before U+FFFD replacement."""
    pieces = [t.encode("utf-8") for t in tokens]
    for step in decoder["decoders"] if decoder["type"] == "Sequence" else [decoder]:
        kind = step["type"]
        if kind == "ByteLevel":
            pieces = [bytes(table[ch] for ch in t) if all(ch in table for ch in t) else t.encode("utf-8")
                      for t in tokens]
        elif kind == "Replace":
            pattern, content = step["pattern"]["String"].encode("utf-8"), step["content"].encode("utf-8")
            pieces = [p.replace(pattern, content) for p in pieces]
        elif kind == "ByteFallback":
            out, run = [], bytearray()
            for p in pieces:
                byte = is_byte_token(p.decode("utf-8", errors="replace"))
                if byte is not None:
                    run.append(byte)
                    continue
                if run:
                    out.append(bytes(run))
                    run.clear()
                out.append(p)
            pieces = out + ([bytes(run)] if run else [])
        elif kind == "Fuse":
            pieces = [b"".join(pieces)]
        elif kind == "Strip":
            content = step["content"].encode("utf-8")
            stripped = []
            for p in pieces:
                for _ in range(step["start"]):
                    if p.startswith(content):
                        p = p[len(content):]
                for _ in range(step["stop"]):
                    if p.endswith(content):
                        p = p[:-len(content)]
                stripped.append(p)
            pieces = stripped
        elif kind == "Metaspace":
            replacement = step["replacement"].encode("utf-8")
            first = b"" if step.get("prepend_scheme", "always") != "never" else b" "
            pieces = [p.replace(replacement, first if i == 0 else b" ") for i, p in enumerate(pieces)]
        elif kind == "WordPiece":
            prefix = step["prefix"].encode("utf-8")
            pieces = [p if i == 0 else p[len(prefix):] if p.startswith(prefix) else b" " + p
                      for i, p in enumerate(pieces)]
            if step["cleanup"]:
                for dirty, clean in WORDPIECE_CLEANUP:
                    pieces = [p.replace(dirty.encode("utf-8"), clean.encode("utf-8")) for p in pieces]
        else:
            raise ValueError(f"no reference for decoder {kind}")
    return b"".join(pieces)


def compact_json(value) -> str:
    """JSON with one key per line but each list of integers (ids) on one line: a third of the size of indent=1.
    Only arrays that json.dumps spread over lines are joined, so no string content changes."""
    text = json.dumps(value, ensure_ascii=True, indent=1)
    def join(match: re.Match) -> str:
        return "[" + ", ".join(item.strip() for item in match.group(0)[1:-1].strip().split(",")) + "]"

    return re.sub(r"\[\n[-\d,\s]*\]", join, text)


def make(name: str) -> None:
    directory = os.path.join(HERE, name)
    tok = AutoTokenizer.from_pretrained(directory)
    backend = tokenizers.Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    # What transformers actually runs: classes such as LlamaTokenizer replace parts of tokenizer.json.
    effective = json.loads(tok.backend_tokenizer.to_str())
    table = byte_decoder()
    texts = FIXED_CASES + random_cases(100)
    cases, mismatches = [], 0
    for text in texts:
        ids = tok(text).input_ids
        if backend.encode(text).ids != ids:
            mismatches += 1
        cases.append({
            "text": text,
            "ids": ids,
            "ids_no_special": tok(text, add_special_tokens=False).input_ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    rng = random.Random(99)
    id_lists = [c["ids_no_special"][: len(c["ids_no_special"]) // 2] for c in cases if len(c["ids_no_special"]) > 2]
    id_lists += [[rng.randrange(len(tok)) for _ in range(rng.randint(1, 8))] for _ in range(60)]
    decode_cases = []
    for ids in id_lists:
        raw = raw_bytes(tok.convert_ids_to_tokens(ids), effective["decoder"], table)
        if tok.clean_up_tokenization_spaces and effective["model"]["type"] != "BPE":
            for dirty, clean in TEXT_CLEANUP:  # transformers' clean_up_tokenization on the joined text
                raw = raw.replace(dirty.encode("utf-8"), clean.encode("utf-8"))
        text = tok.decode(ids)
        if "\ufffd" not in text and raw.decode("utf-8", errors="replace") != text:
            raise AssertionError(f"{name}: the raw-bytes reference disagrees with transformers on {ids}")
        decode_cases.append({"ids": ids, "text": text, "text_skip_special": tok.decode(ids, skip_special_tokens=True),
                             "bytes_hex": raw.hex()})
    golden = {
        "tokenizer": name,
        "made_by": "golden/tokenizer/make_tokenizer_goldens.py",
        "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "python": sys.version.split()[0], "python_unicodedata": unicodedata.unidata_version},
        "vocab_size": len(tok),
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "tokenizer_class": type(tok).__name__,
        "effective_pipeline": {key: effective[key] for key in ["normalizer", "pre_tokenizer", "decoder"]} | {
            "model": {key: value for key, value in effective["model"].items() if key not in ("vocab", "merges")}},
        "cases": cases,
        "pair_cases": pair_cases(tok, texts, 240),
        "decode_cases": decode_cases,
    }
    with open(os.path.join(HERE, f"{name}.json"), "w", encoding="utf-8") as f:
        f.write(compact_json(golden))
        f.write("\n")
    print(f"{name}: {len(cases)} text cases, {len(decode_cases)} decode cases, "
          f"{mismatches} where transformers differs from the raw tokenizers library")


DECODERS = [
    decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                       decoders.Strip(content=" ", left=1, right=0)]),
    decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]),
    decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme="always")]),
    decoders.Metaspace(replacement="▁", prepend_scheme="first"),
    decoders.Metaspace(replacement="▁", prepend_scheme="never"),
    decoders.Metaspace(replacement="_", prepend_scheme="always"),
    decoders.Sequence([decoders.Strip(content=" ", left=2, right=1), decoders.Fuse(),
                       decoders.Strip(content="x", left=1, right=1)]),
    decoders.Sequence([decoders.Replace("ab", "<0x41>"), decoders.ByteFallback(), decoders.Replace("A", "")]),
    decoders.Sequence([decoders.Fuse(), decoders.Replace("▁▁", "_"), decoders.Strip(content="é", left=1, right=1)]),
    decoders.ByteFallback(),
]
DECODER_TOKENS = ["▁Hello", "▁world", "▁", "▁▁", "a▁b▁", "<0xE4>", "<0xBD>", "<0xA0>", "<0x0A>", "<0x41>", "<0x4a>",
                  "<0x+F>", "<0xFF>", "<0x80>", "<0xF0>", "<0x9F>", "<0x98>", "<0xZZ>", "<0x123>", "  x  ", " y",
                  "xx", "ab", "éé", "_a_", "<s>", "</s>", "é▁▁é", "▁x", "▁y"]


def make_decoder_cases() -> None:
    """Writes decoder_cases.json: what tokenizers' decoders make of token lists (decode_chain, then joined), for the
    decoders llmc supports, with the raw bytes (raw_bytes) llmc_tokenizer_decode_bytes must give."""
    rng = random.Random(7)
    lists = [[t] for t in DECODER_TOKENS] + [[], ["<0xE4>", "<0xBD>", "<0xA0>", "<0xE4>"], ["<0xE4>", "<0xBD>"],
                                              ["<0xE4>", "<0xBD>", "▁x"], ["<0xFF>", "<0x41>", "▁y", "<0x80>"]]
    lists += [[rng.choice(DECODER_TOKENS) for _ in range(rng.randint(2, 7))] for _ in range(60)]
    cases, panics = [], 0
    for decoder in DECODERS:
        config = json.loads(decoder.__getstate__())
        for tokens in lists:
            try:
                text = decoder.decode(tokens)
            except BaseException as error:  # noqa: BLE001 - tokenizers 0.23's Strip panics when stop reaches start
                if type(error).__name__ != "PanicException":
                    raise
                panics += 1
                continue
            cases.append({"decoder": config, "tokens": tokens, "text": text,
                          "bytes_hex": raw_bytes(tokens, config, {}).hex()})
    with open(os.path.join(HERE, "decoder_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"made_by": "golden/tokenizer/make_tokenizer_goldens.py",
                   "versions": {"tokenizers": tokenizers.__version__}, "tokens": DECODER_TOKENS, "cases": cases},
                  f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"decoder_cases: {len(cases)} cases ({panics} left out where tokenizers panics)")


def make_class_resolution() -> None:
    """Writes class_resolution.json: the tokenizer class AutoTokenizer picks for combinations of tokenizer_class
    (tokenizer_config.json), model_type (config.json) and a SentencePiece-style or byte-level tokenizer.json."""
    import shutil
    import tempfile
    rows = []
    for tokenizer_json in ["sp_legacy", "llama3_style"]:
        for tokenizer_class in [None, "LlamaTokenizer", "LlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast",
                                "PreTrainedTokenizerFast", "Qwen2Tokenizer"]:
            for model_type in [None, "llama", "mistral", "mixtral", "gemma", "gemma2", "gemma3_text", "qwen2", "phi3",
                               "idefics2", "olmo2", "granite", "starcoder2"]:
                with tempfile.TemporaryDirectory() as tmp:
                    shutil.copy(os.path.join(HERE, tokenizer_json, "tokenizer.json"), tmp)
                    config = {"bos_token": "<s>", "eos_token": "</s>"}
                    if tokenizer_class:
                        config["tokenizer_class"] = tokenizer_class
                    with open(os.path.join(tmp, "tokenizer_config.json"), "w") as f:
                        json.dump(config, f)
                    if model_type:
                        with open(os.path.join(tmp, "config.json"), "w") as f:
                            json.dump({"model_type": model_type}, f)
                    try:
                        chosen = type(AutoTokenizer.from_pretrained(tmp)).__name__
                    except Exception as error:  # noqa: BLE001 - a combination transformers cannot load is left out
                        print(f"skipped {tokenizer_json} {tokenizer_class} {model_type}: {error}")
                        continue
                rows.append({"tokenizer_json": tokenizer_json, "tokenizer_class": tokenizer_class,
                             "model_type": model_type, "class": chosen})
    with open(os.path.join(HERE, "class_resolution.json"), "w", encoding="utf-8") as f:
        json.dump({"made_by": "golden/tokenizer/make_tokenizer_goldens.py",
                   "versions": {"transformers": transformers.__version__}, "rows": rows}, f, indent=1)
        f.write("\n")
    print(f"class_resolution: {len(rows)} combinations")


if __name__ == "__main__":
    for tokenizer_name in sys.argv[1:] or NAMES:
        make(tokenizer_name)
    if not sys.argv[1:]:
        make_class_resolution()
        make_decoder_cases()
