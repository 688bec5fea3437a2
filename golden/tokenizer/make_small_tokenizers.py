#!/usr/bin/env python3
"""Trains the small byte-level BPE tokenizers used by the tokenizer tests and writes them to golden/tokenizer/<name>/
(tokenizer.json + tokenizer_config.json):

- llama3_style: Llama-3 split regex + ByteLevel(use_regex=False), ignore_merges, BOS added by a TemplateProcessing
  post-processor (inside a Sequence with ByteLevel, like Meta-Llama-3), 256 special tokens after the BPE vocabulary,
  plus non-special added tokens exercising lstrip / rstrip / single_word / normalized.
- llama3_add_eos: the same with add_bos_token=false / add_eos_token=true in tokenizer_config.json (transformers 5
  ignores both for a tokenizer.json with a post-processor).
- qwen2_style: NFC normalizer + Qwen2 split regex (single digits), no BOS, Qwen's chat special tokens.
- qwen2_config_specials: the same with special tokens in tokenizer_config.json that tokenizer.json lacks.
- gpt2_prefix_space, split_variants: the remaining options (see their functions).

Training text: the license texts in /usr/share/common-licenses plus a small multilingual sample below, so that merges
over multi-byte UTF-8 sequences exist. Requires the `tokenizers` package.
"""
import glob
import json
import os

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))

LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

MULTILINGUAL = """
Le logiciel est fourni « tel quel », sans garantie d'aucune sorte. Où est la bibliothèque ? Ça coûte 12,50 €.
Die Software wird ohne Gewähr bereitgestellt. Größe, Übermäßig, schön, Straße. Äpfel und Öl.
El software se proporciona tal cual. ¿Dónde está la niña? Mañana será otro día.
Программное обеспечение предоставляется как есть. Привет, мир! Съешь же ещё этих мягких французских булок.
本软件按原样提供，不提供任何形式的保证。你好，世界！我们今天去北京。
本ソフトウェアは現状のまま提供されます。こんにちは世界。東京は日本の首都です。
소프트웨어는 있는 그대로 제공됩니다. 안녕하세요 세계.
Το λογισμικό παρέχεται ως έχει. Γειά σου κόσμε.
البرنامج مقدم كما هو. مرحبا بالعالم.
यह सॉफ़्टवेयर जैसा है वैसा ही प्रदान किया जाता है। नमस्ते दुनिया।
Emoji: 😀 😂 🎉 👍🏽 ❤️ 🚀 🇫🇷 👨‍👩‍👧‍👦
def main():\n    for i in range(10):\n        print(f"{i}: {i ** 2}")\n\treturn 0
"""


def training_text() -> list[str]:
    lines = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines.extend(f.read().splitlines())
    lines.extend(MULTILINGUAL.strip().splitlines() * 20)
    return lines


def train(pre_tokenizer, normalizer, vocab_size: int, ignore_merges: bool) -> Tokenizer:
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(training_text(), trainer=trainer)
    return tok


def save(tok: Tokenizer, name: str, config: dict, legacy_merges: bool) -> None:
    """Writes the tokenizer; legacy_merges stores merges as "a b" strings (older tokenizer.json files, e.g. Qwen2's)
    instead of [a, b] pairs, so that both formats are tested."""
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    tokenizer_json = json.loads(tok.to_str())
    if legacy_merges:
        tokenizer_json["model"]["merges"] = [f"{a} {b}" for a, b in tokenizer_json["model"]["merges"]]
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {out}: vocab {tok.get_vocab_size()}")


def make_llama3_style() -> None:
    pre = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
        ]
    )
    tok = train(pre, None, 2048, ignore_merges=True)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
    specials += [f"<|reserved_special_token_{i}|>" for i in range(3, 248)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tok.add_tokens([
        AddedToken("[[LSTRIP]]", special=True, lstrip=True, normalized=False),
        AddedToken("[[RSTRIP]]", special=False, rstrip=True, normalized=False),
        AddedToken("magicword", special=False, single_word=True, normalized=True),
        AddedToken("hello world", special=False, normalized=False),
        AddedToken("café", special=False, normalized=False),
        AddedToken("<|begin", special=False, normalized=False),
    ])
    bos = "<|begin_of_text|>"
    bos_id = tok.token_to_id(bos)
    tok.post_processor = processors.Sequence(
        [
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single=f"{bos} $A", pair=f"{bos} $A {bos} $B:1", special_tokens=[(bos, bos_id)]
            ),
        ]
    )
    # The same tokenizer with add_bos_token / add_eos_token set: transformers then replaces the post-processor.
    save(tok, "llama3_add_eos", {
        "bos_token": bos,
        "eos_token": "<|eot_id|>",
        "add_bos_token": False,
        "add_eos_token": True,
        "model_max_length": 131072,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }, legacy_merges=False)
    save(tok, "llama3_style", {
        "bos_token": bos,
        "eos_token": "<|eot_id|>",
        "clean_up_tokenization_spaces": True,
        "model_max_length": 131072,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }, legacy_merges=False)


def make_qwen2_style() -> None:
    pre = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tok = train(pre, normalizers.NFC(), 3000, ignore_merges=False)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False)
                            for s in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]])
    tok.add_tokens([
        AddedToken("<tool_call>", special=False, normalized=False),
        AddedToken("</tool_call>", special=False, normalized=False),
        AddedToken("re\u0301sume\u0301", special=False, normalized=True),
    ])
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    # Special tokens named in tokenizer_config.json but missing from tokenizer.json: transformers adds them (a
    # vocabulary token keeps its id, new ones get ids after the vocabulary).
    save(tok, "qwen2_config_specials", {
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|pad|>",
        "unk_token": "the",
        "additional_special_tokens": ["<|extra_0|>", "<|im_start|>"],
        "tokenizer_class": "PreTrainedTokenizerFast",
    }, legacy_merges=True)
    save(tok, "qwen2_style", {
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": 32768,
        "tokenizer_class": "Qwen2Tokenizer",
    }, legacy_merges=True)


GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def make_gpt2_prefix_space() -> None:
    """GPT-2 / RoBERTa style: ByteLevel(add_prefix_space=True, use_regex=True) alone, RobertaProcessing."""
    tok = train(pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True), None, 1200, ignore_merges=False)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in ["<s>", "</s>", "<pad>"]])
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                      ("<s>", tok.token_to_id("<s>")))
    save(tok, "gpt2_prefix_space", {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>",
                                    "tokenizer_class": "PreTrainedTokenizerFast"}, legacy_merges=False)


def make_split_variants() -> None:
    """Every Split behavior, inverted splits, Digits(individual_digits=False), BertProcessing, and unk/fuse_unk:
    trained on ASCII text without the full byte alphabet, so most non-ASCII bytes have no token."""
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="merged_with_previous", invert=False),
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="contiguous", invert=True),
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="merged_with_next", invert=False),
        pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="removed", invert=True),
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True))
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=["<unk>"], show_progress=False)
    tok.train_from_iterator([line for line in training_text() if line.isascii()], trainer=trainer)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in ["[CLS]", "[SEP]"]])
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    save(tok, "split_variants", {"unk_token": "<unk>", "cls_token": "[CLS]", "sep_token": "[SEP]",
                                 "tokenizer_class": "PreTrainedTokenizerFast"}, legacy_merges=True)


if __name__ == "__main__":
    make_llama3_style()
    make_qwen2_style()
    make_gpt2_prefix_space()
    make_split_variants()
