"""Small constructors shared by the corpus case lists (corpus_cases_*.py)."""
from __future__ import annotations

import dataclasses
import re

import torch

from corpus_core import (BOS_ID, CLASSIFY, EMBED, EOS_ID, GENERATE, PAD_ID, REWARD, SCORE, Case, CorpusError,
                         pool)

VOCAB = 256


# brand spellings written as one word in case names (InternLM3 -> internlm3, not intern_lm3)
WORDS = {"InternLM": "internlm", "HunYuan": "hunyuan", "IQuest": "iquest", "SmolLM": "smollm", "MiniCPM": "minicpm",
         "MiniMax": "minimax", "ChatGLM": "chatglm", "BaiChuan": "baichuan", "QWen": "qwen", "TeleFLM": "teleflm",
         "MiMo": "mimo", "GritLM": "gritlm", "OLMoE": "olmoe", "OLMo": "olmo", "GPTBigCode": "gpt_bigcode",
         "GPTNeoX": "gpt_neox", "GPTJ": "gptj", "GPT2": "gpt2", "XLMRoberta": "xlm_roberta", "ModernBert": "modernbert",
         "NomicBert": "nomic_bert", "StableLm": "stablelm", "PhiMoE": "phimoe", "DotsOCR": "dots_ocr",
         "LongcatFlash": "longcat_flash", "MPT": "mpt", "OPT": "opt", "LM": "lm", "MoE": "moe"}


def snake(architecture: str) -> str:
    """LlamaForCausalLM -> llama_for_causal_lm, GPT2LMHeadModel -> gpt2_lm_head_model."""
    name = architecture
    for word, spelled in WORDS.items():
        name = re.sub(word + r"(\d*)", lambda m: f"_{spelled}{m.group(1)}_", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"_+", "_", name).strip("_").lower()


def cfg(config_class, **values):
    """Instantiate a config, refusing keys the class does not declare (a typo would silently be ignored)."""
    declared = {f.name for f in dataclasses.fields(config_class)} | {"num_labels"}
    unknown = sorted(set(values) - declared)
    if unknown:
        raise CorpusError(f"{config_class.__name__} has no field(s) {unknown}")
    return config_class(**values)


def dims(**extra) -> dict:
    """The sizes most decoders share: vocab 256, hidden 32, 2 layers, 4 query heads, intermediate 64."""
    base = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                max_position_embeddings=256, bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID,
                tie_word_embeddings=False)
    base.update(extra)
    return base


def rope(theta: float = 10000.0, rope_type: str = "default", **extra) -> dict:
    return {"rope_parameters": {"rope_type": rope_type, "rope_theta": theta, **extra}}


def gen(architecture: str, family: str, model_class, config, notes: str, status: str = "native",
        suffix: str = "", **kw) -> Case:
    """A generative case named after the architecture (plus an optional suffix)."""
    name = snake(architecture) + (f"_{suffix}" if suffix else "")
    return Case(name, architecture, family, status, GENERATE, model_class, config, notes,
                architectures=kw.pop("architectures", [architecture]), **kw)


def pooled(architecture: str, family: str, task: str, model_class, config, notes: str, status: str = "native",
           suffix: str = "", **kw) -> Case:
    name = snake(architecture) + (f"_{suffix}" if suffix else "")
    return Case(name, architecture, family, status, task, model_class, config, notes,
                architectures=kw.pop("architectures", [architecture]), **kw)


# heads: (model, inputs, outputs, last_hidden_state, extra head module or None) -> dict of recorded outputs

def embedding_head(how: str, normalize: bool):
    def head(model, inputs, outputs, hidden, extra=None):
        return {"pooled": pool(hidden, inputs["attention_mask"], how, normalize)[0]}
    return head


def logits_head(model, inputs, outputs, hidden, extra=None):
    return {"logits": outputs.logits}


def token_logits_head(model, inputs, outputs, hidden, extra=None):
    return {"token_logits": outputs.logits[0]}


def pooler_head(how: str, normalize: bool):
    """BERT-like models: the embedding (pooling of the last hidden state) and transformers' pooler output."""
    def head(model, inputs, outputs, hidden, extra=None):
        result = {"pooled": pool(hidden, inputs["attention_mask"], how, normalize)[0]}
        if getattr(outputs, "pooler_output", None) is not None:
            result["pooler_output"] = outputs.pooler_output[0]
        return result
    return head


def embed_case(architecture, family, model_class, config, notes, how="last", normalize=True, **kw) -> Case:
    return pooled(architecture, family, EMBED, model_class, config, notes, pooling=how, normalize=normalize,
                  head=kw.pop("head", embedding_head(how, normalize)), **kw)


def score_case(architecture, family, model_class, config, notes, task=SCORE, **kw) -> Case:
    return pooled(architecture, family, task, model_class, config, notes, head=logits_head, two_sequences=True,
                  **kw)


def step_reward_head(step_tag_id: int, returned_ids: list[int]):
    """Process reward (vLLM STEP pooling): at every step-tag position, softmax over the logits of returned_ids."""
    def head(model, inputs, outputs, hidden, extra=None):
        logits = outputs.logits[0]
        positions = (inputs["input_ids"][0] == step_tag_id).nonzero().flatten()
        scores = torch.softmax(logits[positions][:, returned_ids].float(), dim=-1)
        return {"token_logits": logits, "step_tag_id": step_tag_id, "returned_token_ids": returned_ids,
                "step_positions": positions.tolist(), "step_scores": scores}
    return head


__all__ = ["VOCAB", "snake", "cfg", "dims", "rope", "gen", "pooled", "embedding_head", "logits_head",
           "token_logits_head", "pooler_head", "embed_case", "score_case", "step_reward_head", "CLASSIFY", "EMBED",
           "REWARD", "SCORE", "GENERATE"]
