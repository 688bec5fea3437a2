"""Family L (encoders: BERT, RoBERTa, XLM-R, GTE, NomicBERT, ModernBERT) with their pooling and classification heads.

Inputs are a padded batch of two sequences (16 and 11 tokens, right padding with the model's pad id), token type
ids where the model has them (second half = segment 1); "last_hidden_state" is the first sequence's.
Embedding cases record the pooled (and L2-normalised) vector as the serving stack computes it from the last hidden
state; BERT-like models also record transformers' own pooler output (tanh(dense(CLS))).
"""
from __future__ import annotations

import torch
import transformers as T

from corpus_core import EMBED, SCORE, TOKEN_CLASSIFY
from corpus_helpers import cfg, embed_case, logits_head, pooled, pooler_head, rope, token_logits_head

ENCODER = dict(vocab_size=256, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
               max_position_embeddings=64)


def bert(**extra) -> dict:
    return dict(ENCODER, type_vocab_size=2, pad_token_id=0, **extra)


def roberta(**extra) -> dict:
    return dict(ENCODER, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2, **extra)


def modernbert(**extra) -> dict:
    return dict(ENCODER, num_hidden_layers=3, pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1,
                sep_token_id=2, local_attention=8,
                layer_types=["full_attention", "sliding_attention", "sliding_attention"],
                rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 160000.0},
                                 "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}, **extra)


def splade_head(model, inputs, outputs, hidden, extra=None):
    """SPLADE: max over non-padding tokens of log(1 + relu(MLM logits)), one weight per vocabulary entry."""
    weights = torch.log1p(torch.relu(outputs.logits[0]))
    mask = inputs["attention_mask"][0].bool()[:, None]
    return {"token_logits": outputs.logits[0], "pooled": torch.where(mask, weights, 0.0).max(0).values}


def cases() -> list:
    return [
        embed_case("BertModel", "L", T.BertModel, cfg(T.BertConfig, **bert()),
                   "BERT: word + learned position + token type embeddings, embedding LayerNorm, post-LN blocks, "
                   "GELU (erf); CLS pooling, L2-normalised; pooler_output = tanh(dense(CLS)) as transformers "
                   "computes it.", how="cls", head=pooler_head("cls", True), two_sequences=True,
                   token_type_ids=True),
        embed_case("RobertaModel", "L", T.RobertaModel, cfg(T.RobertaConfig, **roberta()),
                   "RoBERTa: position ids count non-padding tokens from padding_idx + 1 = 2; pad id 1; mean pooling "
                   "over non-padding tokens, L2-normalised.", how="mean", head=pooler_head("mean", True),
                   two_sequences=True),
        embed_case("GteModel", "L", T.GteModel,
                   cfg(T.GteConfig, **dict(ENCODER, type_vocab_size=1, pad_token_id=1, **rope(20000.0))),
                   "GTE (mGTE): post-LN encoder with RoPE (no position table), fused qkv_proj with bias, GeGLU "
                   "(up_gate_proj) with bias on down_proj; save_pretrained writes the 'new' checkpoint names; CLS "
                   "pooling, L2-normalised.", how="cls", two_sequences=True),
        embed_case("NomicBertModel", "L", T.NomicBertModel,
                   cfg(T.NomicBertConfig, **bert(**rope(1000.0))),
                   "NomicBERT: post-LN encoder with RoPE, fused Wqkv without bias, SwiGLU (fc11 up, fc12 gate, fc2); "
                   "mean pooling, L2-normalised.", how="mean", two_sequences=True, token_type_ids=True),
        embed_case("ModernBertModel", "L", T.ModernBertModel, cfg(T.ModernBertConfig, **modernbert()),
                   "ModernBERT: pre-LN without biases (layer 0 attn_norm = identity), embedding LayerNorm, fused Wqkv, "
                   "GeGLU (Wi), layer 0 global (theta 1.6e5), layers 1-2 local: bidirectional window 8 = keys with "
                   "|q - k| <= 4 (theta 1e4); final LayerNorm; CLS pooling, L2-normalised.", how="cls",
                   two_sequences=True),
        pooled("BertForSequenceClassification", "L", SCORE, T.BertForSequenceClassification,
               cfg(T.BertConfig, **bert(num_labels=1)),
               "Cross-encoder: pooler tanh(dense(CLS)) then a 1-label classifier; sentence pair via token types.",
               head=logits_head, two_sequences=True, token_type_ids=True),
        pooled("RobertaForSequenceClassification", "L", SCORE, T.RobertaForSequenceClassification,
               cfg(T.RobertaConfig, **roberta(num_labels=1)),
               "RoBERTa cross-encoder head: dense -> tanh -> out_proj on the <s> token.", head=logits_head,
               two_sequences=True),
        pooled("XLMRobertaForSequenceClassification", "L", SCORE, T.XLMRobertaForSequenceClassification,
               cfg(T.XLMRobertaConfig, **roberta(num_labels=1)),
               "bge-reranker style XLM-R cross-encoder (RoBERTa classification head, 1 label).", head=logits_head,
               two_sequences=True),
        pooled("BertForTokenClassification", "L", TOKEN_CLASSIFY, T.BertForTokenClassification,
               cfg(T.BertConfig, **bert(num_labels=5)),
               "Per-token linear classifier (5 labels) on the last hidden state.", head=token_logits_head,
               two_sequences=True, token_type_ids=True),
        pooled("ModernBertForTokenClassification", "L", TOKEN_CLASSIFY, T.ModernBertForTokenClassification,
               cfg(T.ModernBertConfig, **modernbert(num_labels=5, classifier_bias=True)),
               "ModernBERT token classifier: prediction head (dense -> GELU -> LayerNorm) then a 5-label classifier "
               "with bias.", head=token_logits_head, two_sequences=True),
        pooled("BertSpladeSparseEmbeddingModel", "L", EMBED, T.BertForMaskedLM,
               cfg(T.BertConfig, **bert()),
               "SPLADE (naver/splade-v3 style): the checkpoint is a BertForMaskedLM; the sparse embedding is the max "
               "over non-padding tokens of log(1 + relu(MLM logits)) (vLLM SPLADE pooling, computed here from "
               "transformers' MLM logits); the MLM decoder is tied to the word embeddings.",
               status="emulated:BertForMaskedLM", architectures=["BertForMaskedLM"], pooling="splade_max",
               head=splade_head, two_sequences=True, token_type_ids=True),
    ]
