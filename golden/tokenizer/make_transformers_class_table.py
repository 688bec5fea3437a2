#!/usr/bin/env python3
"""Writes Sources/Frontend/Tokenizer/TransformersModelTypes.swift: the model types for which transformers'
AutoTokenizer registers a tokenizer class that changes the tokenizer.json pipeline (LlamaTokenizer, GemmaTokenizer,
CodeLlamaTokenizer, BertTokenizer, MPNetTokenizer, XLMRobertaTokenizer), and those that make it load tokenizer.json as it is whatever tokenizer_class says
(TokenizersBackend / MistralCommonBackend registrations and MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS).
TransformersTokenizerClass.swift uses them to pick the pipeline transformers runs. mistral-common must not be installed
(transformers then registers MistralCommonBackend, which llmc does not reproduce, for the Mistral model types).
"""
import os

import transformers
from transformers.models.auto.tokenization_auto import (
    MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS,
    TOKENIZER_MAPPING_NAMES,
)
from transformers.utils import is_mistral_common_available

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "Frontend", "Tokenizer",
                   "TransformersModelTypes.swift")
GENERIC = {"TokenizersBackend", "PythonBackend", "PreTrainedTokenizerFast", "MistralCommonBackend"}


def swift_set(name: str, doc: str, values: set[str]) -> str:
    lines = [f"    /// {doc}", f"    static let {name}: Set<String> = ["]
    row = "       "
    for value in sorted(values):
        item = f' "{value}",'
        if len(row) + len(item) > 118:
            lines.append(row)
            row = "       "
        row += item
    lines.append(row)
    lines.append("    ]")
    return "\n".join(lines)


REPRODUCED = {"BertTokenizer", "MPNetTokenizer", "XLMRobertaTokenizer"}


def aliases(registered: dict[str, str]) -> dict[str, str]:
    """Registered class names that are another class under a second name (MobileBertTokenizer is BertTokenizer)."""
    result = {}
    for name in set(registered.values()):
        cls = getattr(transformers, name, None)
        if isinstance(cls, type) and cls.__name__ != name:
            result[name] = cls.__name__.removesuffix("Fast")
    return result


def unreproduced(registered: dict[str, str]) -> set[str]:
    """Registered classes that define their own __init__ (rebuilding the backend) around a model that is not BPE."""
    from transformers.tokenization_utils_tokenizers import TokenizersBackend
    names = set()
    alias = aliases(registered)
    for name in set(registered.values()) - REPRODUCED - GENERIC:
        if alias.get(name, name) in REPRODUCED:
            continue
        cls = getattr(transformers, name, None)
        if not (isinstance(cls, type) and issubclass(cls, TokenizersBackend) and "__init__" in cls.__dict__):
            continue
        model = getattr(cls, "model", None)
        if model is None or model.__name__ != "BPE":
            names.add(name)
    return names


def main() -> None:
    if is_mistral_common_available():
        raise SystemExit("uninstall mistral-common first (see the docstring)")
    registered = {t: c.removesuffix("Fast") for t, c in TOKENIZER_MAPPING_NAMES.items() if c}
    alias = aliases(registered)
    registered = {t: alias.get(c, c) for t, c in registered.items()}
    sets = [
        swift_set("loadTokenizerJSON", "Model types whose registered class is a generic backend, or whose hub "
                  "tokenizer_class transformers distrusts.",
                  {t for t, c in registered.items() if c in GENERIC} | set(MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS)),
        swift_set("llama", "Model types registered to LlamaTokenizer.",
                  {t for t, c in registered.items() if c == "LlamaTokenizer"}),
        swift_set("gemma", "Model types registered to GemmaTokenizer.",
                  {t for t, c in registered.items() if c == "GemmaTokenizer"}),
        swift_set("codeLlama", "Model types registered to CodeLlamaTokenizer.",
                  {t for t, c in registered.items() if c == "CodeLlamaTokenizer"}),
        swift_set("bert", "Model types registered to BertTokenizer.",
                  {t for t, c in registered.items() if c == "BertTokenizer"}),
        swift_set("mpnet", "Model types registered to MPNetTokenizer.",
                  {t for t, c in registered.items() if c == "MPNetTokenizer"}),
        swift_set("xlmRoberta", "Model types registered to XLMRobertaTokenizer.",
                  {t for t, c in registered.items() if c == "XLMRobertaTokenizer"}),
        swift_set("unreproducedClasses", "Classes that build their own WordPiece/Unigram pipeline; llmc does not "
                  "reproduce them.", unreproduced(registered)),
        swift_set("unreproducedModelTypes", "Model types registered to one of the unreproduced classes.",
                  {t for t, c in registered.items() if c in unreproduced(registered)}),
    ]
    lines = ["    /// Tokenizer class names that are another class (tokenizer_config.json may name either).",
             "    static let classAliases: [String: String] = ["]
    lines += [f'        "{name}": "{target}",' for name, target in sorted(alias.items())]
    sets.append("\n".join(lines + ["    ]"]))
    text = (f"// Generated by golden/tokenizer/make_transformers_class_table.py from transformers "
            f"{transformers.__version__}; do not edit.\n\n"
            "/// Model types (config.json's model_type) by the tokenizer class transformers' AutoTokenizer registers "
            "for them.\nenum TransformersModelTypes {\n" + "\n\n".join(sets) + "\n}\n")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
