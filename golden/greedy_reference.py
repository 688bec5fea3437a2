"""Greedy decoding with transformers that records what llmc's outputs are compared against.

Shared by make_goldens.py (tiny random models) and make_smollm2_expected.py (the real SmolLM2).
"""
from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np
import torch
import transformers

TOP_K = 5


@dataclass
class GreedyRun:
    """The result of greedy decoding: generated ids and, per step, the top-k log-probabilities."""

    prompt_ids: list[int]
    output_ids: list[int]
    top_logprobs: list[list[list[float]]]  # per step: [[token_id, logprob] x TOP_K], best first
    step_logits: list[torch.Tensor]  # per step: the float32 logits the step's token was chosen from
    min_gap: float  # smallest top-1 minus top-2 log-probability over all steps

    @property
    def last_logits(self) -> list[float]:
        """Logits (full vocabulary) at the last prompt position, i.e. those of the first generated token."""
        return [float(x) for x in self.step_logits[0]]


def greedy_generate(model, prompt_ids: list[int], new_tokens: int) -> GreedyRun:
    """Run the prompt through model.forward, then new_tokens one-token steps reusing the KV cache.

    The next token is the argmax of the step's logits (first index on ties, like torch.argmax); the recorded
    log-probabilities are log_softmax of those logits computed in float32.
    """
    device = next(model.parameters()).device
    output_ids: list[int] = []
    top_logprobs: list[list[list[float]]] = []
    step_logits: list[torch.Tensor] = []
    gaps: list[float] = []
    with torch.no_grad():
        outputs = model(torch.tensor([prompt_ids], device=device), use_cache=True)
        for step in range(new_tokens):
            logits = outputs.logits[0, -1]
            next_id = int(torch.argmax(logits))
            logits32 = logits.float()
            logprobs = torch.log_softmax(logits32, dim=-1)
            values, indices = torch.topk(logprobs, TOP_K)
            top_logprobs.append([[int(i), float(v)] for i, v in zip(indices, values)])
            step_logits.append(logits32.clone())
            gaps.append(float(values[0] - values[1]))
            output_ids.append(next_id)
            if step + 1 < new_tokens:
                outputs = model(torch.tensor([[next_id]], device=device), cache=outputs.cache, use_cache=True)
    return GreedyRun(list(prompt_ids), output_ids, top_logprobs, step_logits, min(gaps))


def no_cache_logits(model, run: GreedyRun) -> torch.Tensor:
    """Logits of one full forward pass (no KV cache) over prompt + generated tokens, at the generating positions."""
    ids = run.prompt_ids + run.output_ids[:-1]
    with torch.no_grad():
        logits = model(torch.tensor([ids]), use_cache=False).logits[0].float()
    return logits[len(run.prompt_ids) - 1:]


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "numpy": np.__version__}
