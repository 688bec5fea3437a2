"""Building blocks of the architecture corpus (golden/corpus/): case description, random weights, reference runs.

A `Case` says which transformers class to build with which tiny config, what task its expected outputs are for,
and (for emulated rows) how to export the stand-in model's weights under the real architecture's names.
`write_case` builds the model, searches seeds and weight gains until greedy decoding is unambiguous, checks the run
(KV cache against a no-cache forward, reload of the saved directory) and writes golden/corpus/<case>/.
"""
from __future__ import annotations

import copy
import json
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import save_file
from transformers import GenerationConfig

from greedy_reference import versions

PROMPT_LEN = 18
NEW_TOKENS = 24
TOP_K = 5
MIN_GAP = 1e-3  # hard floor for the top-1 minus top-2 log-probability at every greedy step
GOOD_GAP = 2e-2  # the seed search stops at the first run whose smallest gap reaches this
MIN_DISTINCT = 5  # distinct generated tokens required (rejects degenerate repetition)
MAX_SEEDS = 48
GAINS = (1.0, 1.5, 2.0, 3.0)
BOS_ID, EOS_ID, PAD_ID = 1, 2, 0
SPECIAL_IDS = 3  # prompts draw ids from [SPECIAL_IDS, vocab)
MAX_CASE_BYTES = 1_500_000
KV_TOLERANCE = 2e-4  # max |cached - uncached| logit difference, relative to the largest |logit|

GENERATE, EMBED, CLASSIFY, SCORE, REWARD, TOKEN_CLASSIFY, FILL_MASK = (
    "generate", "embed", "classify", "score", "reward", "token_classify", "fill_mask")


class CorpusError(Exception):
    """A corpus case could not be produced as specified; the message names the case."""


@dataclass
class Export:
    """How an emulated row is written: the real checkpoint's config.json and tensors from the stand-in's.

    `config` maps the stand-in config (a dict as save_pretrained writes it) to the real config.json dict;
    `tensors` maps the stand-in's saved tensors {name: tensor} to the real checkpoint's tensors;
    `inverse` maps them back (used to prove the export is lossless).
    """

    config: Callable[[dict], dict]
    tensors: Callable[[dict[str, torch.Tensor], dict], dict[str, torch.Tensor]]
    inverse: Callable[[dict[str, torch.Tensor], dict], dict[str, torch.Tensor]]


@dataclass
class Case:
    """One folder of the corpus."""

    name: str
    architecture: str  # the seed / vLLM architecture name
    family: str  # A-S code of ARCHITECTURES.md section 2
    status: str  # "native", "alias:X" or "emulated:X"
    task: str
    model_class: type
    config: object  # a transformers PretrainedConfig instance
    notes: str = ""
    architectures: list[str] | None = None  # value of config.json "architectures" (default: the class name)
    pooling: str | None = None  # cls / mean / last / step, for pooling tasks
    normalize: bool | None = None
    head: Callable | None = None  # pooling tasks: (model, inputs, outputs) -> dict of head outputs
    bidirectional: bool = False  # decoder used as an encoder: all-True 4D attention mask
    export: Export | None = None
    extra_tensors: Callable[[dict, torch.Generator], dict[str, torch.Tensor]] | None = None  # e.g. unused MTP layers
    two_sequences: bool = False  # pooling tasks: run a padded batch of two sequences
    token_type_ids: bool = False
    randomize_hook: Callable[[torch.nn.Module, torch.Generator], None] | None = None
    # transformers attention implementation the expectations come from; "eager" unless eager is the buggy path
    attention: str = "eager"
    # pooling tasks whose head is not part of the stand-in class (reward heads, score on a bidirectional model):
    # extra_module(config) builds it, it is randomised like the model, passed to `head` as `extra`, and its
    # parameters are written under extra_prefix into the real checkpoint.
    extra_module: Callable[[object], torch.nn.Module] | None = None
    extra_prefix: str = ""
    step_tag_id: int | None = None  # pooling tasks: written at a few positions of the input (process reward)
    # generative cases: (description, config override) pairs; each must change the logits of the recorded run,
    # proving that the knob the case is about is read by transformers (not silently ignored)
    ablations: list[tuple[str, dict]] = field(default_factory=list)
    min_distinct: int = MIN_DISTINCT
    gains: tuple[float, ...] = GAINS
    # generative cases whose routing is discontinuous (top-k experts): the seed search also requires that the model
    # with its weights rounded to bf16 (f32 compute, as `llmc compile --dtype bf16`) produces the same greedy ids,
    # so a near-tie in a router does not make the bf16 check a coin toss
    bf16_stable: bool = False


# ---------------------------------------------------------------------------------------------------------------
# random weights

def _fan_in(module: torch.nn.Module, param: torch.Tensor) -> int:
    kind = type(module).__name__
    if kind == "Conv1D":  # GPT-2 style transposed linear: weight [in, out]
        return param.shape[0]
    if isinstance(module, torch.nn.Conv1d):
        return max(1, param.shape[1] * param.shape[2])
    if param.ndim == 3:  # fused expert weights [E, a, b]: fan-in is one of a, b; the geometric mean is close enough
        return max(1, int((param.shape[1] * param.shape[2]) ** 0.5))
    return param.shape[-1]


def randomize(model: torch.nn.Module, seed: int, gain: float, hook=None) -> None:
    """Overwrite every parameter so that outputs are far from uniform and no feature is a no-op.

    Norm weights are drawn around 1 (0.5 + U[0,1)), every bias and every 1-D non-norm parameter (router biases,
    attention sinks, A_log, D, dt_bias, ...) is its default plus noise (never exactly 0 or 1), embeddings are N(0,1)
    and matrices N(0, gain^2 / fan_in).
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module_name, module in model.named_modules():
            is_norm = "norm" in type(module).__name__.lower() or module_name.split(".")[-1].endswith(("norm", "ln", "ln_f"))
            for pname, param in module.named_parameters(recurse=False):
                noise = torch.randn(param.shape, generator=generator)
                if isinstance(module, torch.nn.Embedding) and param.ndim == 2:
                    param.copy_(noise)
                elif param.ndim <= 1 and is_norm and pname == "weight":
                    param.copy_(param + (torch.rand(param.shape, generator=generator) - 0.5))
                elif param.ndim <= 1:
                    param.copy_(param + 0.2 * noise)
                else:
                    param.copy_(gain * noise / _fan_in(module, param) ** 0.5)
        if hook is not None:
            hook(model, generator)


# ---------------------------------------------------------------------------------------------------------------
# building and running

def build(case: Case, override: dict | None = None) -> torch.nn.Module:
    """A fresh model in eval mode; the global RNG is reset first because randomize() perturbs the values of
    _init_weights (random for some parameters, e.g. dt biases, attention sinks) instead of replacing them."""
    torch.manual_seed(0)
    config = case.config.__class__.from_dict({**case.config.to_dict(), **(override or {})})
    try:
        model = case.model_class._from_config(config, attn_implementation=case.attention, dtype=torch.float32)
    except (ValueError, ImportError):
        model = case.model_class._from_config(config, dtype=torch.float32)
    return model.eval()


def prompt_for(case: Case, length: int = PROMPT_LEN, salt: str = "") -> list[int]:
    generator = torch.Generator().manual_seed(sum(map(ord, case.name + salt)))
    return torch.randint(SPECIAL_IDS, case.config.vocab_size, (length,), generator=generator).tolist()


@dataclass
class GenerativeRun:
    prompt_ids: list[int]
    output_ids: list[int]
    step_logits: torch.Tensor  # [NEW_TOKENS, vocab] float32

    @property
    def is_plain_greedy(self) -> bool:
        """True when every token is the argmax of the raw logits (min_new_tokens did not have to suppress EOS)."""
        return self.output_ids == self.step_logits.argmax(-1).tolist()

    @property
    def logprobs(self) -> torch.Tensor:
        return torch.log_softmax(self.step_logits.float(), dim=-1)

    @property
    def min_gap(self) -> float:
        top = torch.topk(self.logprobs, 2, dim=-1).values
        return float((top[:, 0] - top[:, 1]).min())

    def top_logprobs(self) -> list:
        values, indices = torch.topk(self.logprobs, TOP_K, dim=-1)
        return [[[int(i), float(v)] for i, v in zip(ids, vals)] for ids, vals in zip(indices, values)]


def greedy(model: torch.nn.Module, prompt: list[int]) -> GenerativeRun:
    """model.generate (greedy, KV cache), keeping the raw logits of every step."""
    config = GenerationConfig(do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                              eos_token_id=EOS_ID, pad_token_id=PAD_ID, bos_token_id=BOS_ID)
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), generation_config=config, output_logits=True,
                             return_dict_in_generate=True, use_cache=True)
    ids = out.sequences[0, len(prompt):].tolist()
    logits = torch.stack([step[0].float() for step in out.logits])
    if len(ids) != NEW_TOKENS:
        raise CorpusError(f"generate returned {len(ids)} tokens instead of {NEW_TOKENS}")
    return GenerativeRun(list(prompt), ids, logits)


def uncached_logits(model: torch.nn.Module, run: GenerativeRun) -> torch.Tensor:
    ids = run.prompt_ids + run.output_ids[:-1]
    with torch.no_grad():
        logits = model(torch.tensor([ids]), use_cache=False).logits[0].float()
    return logits[len(run.prompt_ids) - 1:]


def relative_drift(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / a.abs().max().clamp(min=1.0))


def bf16_rounded_run(model: torch.nn.Module, prompt: list[int]) -> GenerativeRun:
    """The greedy run of a copy of `model` whose floating-point weights are rounded to bf16 (computing in f32)."""
    rounded = copy.deepcopy(model)
    with torch.no_grad():
        for param in rounded.parameters():
            if param.dtype.is_floating_point:
                param.copy_(param.to(torch.bfloat16).float())
    return greedy(rounded, prompt)


def search_generative(case: Case) -> tuple[int, float, torch.nn.Module, GenerativeRun]:
    """Try seeds and gains until greedy decoding has a clear winner at every step and does not degenerate."""
    prompt = prompt_for(case)
    best = None
    for seed in range(MAX_SEEDS):
        gain = case.gains[seed % len(case.gains)]
        model = build(case)
        randomize(model, seed, gain, case.randomize_hook)
        run = greedy(model, prompt)
        if not run.is_plain_greedy or EOS_ID in run.output_ids or len(set(run.output_ids)) < case.min_distinct:
            continue
        gap = run.min_gap
        if not torch.isfinite(run.step_logits).all():
            continue
        if case.bf16_stable and bf16_rounded_run(model, prompt).output_ids != run.output_ids:
            continue
        if gap >= GOOD_GAP:
            return seed, gain, model, run
        if gap > MIN_GAP and (best is None or gap > best[3].min_gap):
            best = (seed, gain, model, run)
    if best is None:
        raise CorpusError(f"{case.name}: no seed below {MAX_SEEDS} gives a non-degenerate run with gap > {MIN_GAP}")
    return best


# ---------------------------------------------------------------------------------------------------------------
# pooling / encoder runs

def pooling_inputs(case: Case) -> dict[str, torch.Tensor]:
    first = prompt_for(case, 16)
    if case.step_tag_id is not None:
        for position in (4, 9, 15):
            first[position] = case.step_tag_id
    if not case.two_sequences:
        inputs = {"input_ids": torch.tensor([first]), "attention_mask": torch.ones(1, len(first), dtype=torch.long)}
    else:
        second = prompt_for(case, 11, "second")
        pad_id = case.config.pad_token_id if case.config.pad_token_id is not None else PAD_ID
        pad = [pad_id] * (len(first) - len(second))
        inputs = {"input_ids": torch.tensor([first, second + pad]),
                  "attention_mask": torch.tensor([[1] * len(first), [1] * len(second) + [0] * len(pad)])}
    if case.token_type_ids:
        types = torch.zeros_like(inputs["input_ids"])
        types[:, 9:] = 1
        inputs["token_type_ids"] = types * inputs["attention_mask"]
    return inputs


def bidirectional_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """An additive 4D mask [batch, 1, q, k]: every query sees every non-padding key (no causal triangle).

    Additive (0 / float32 min), not boolean: transformers passes a 4D mask through unchanged and eager attention
    adds it to the scores, so a boolean mask would add 1 to visible keys and 0 to padding.
    """
    keys = attention_mask.bool()[:, None, None, :].expand(-1, 1, attention_mask.shape[1], -1)
    return torch.where(keys, 0.0, torch.finfo(torch.float32).min)


def run_pooling(case: Case, model: torch.nn.Module, inputs: dict, extra: torch.nn.Module | None = None) -> dict:
    call = dict(inputs)
    if case.bidirectional:
        call["attention_mask"] = bidirectional_mask(inputs["attention_mask"])
    with torch.no_grad():
        outputs = model(**call, output_hidden_states=True)
    hidden = outputs.hidden_states[-1] if getattr(outputs, "last_hidden_state", None) is None \
        else outputs.last_hidden_state
    result = {"last_hidden_state": hidden}
    if case.head is not None:
        with torch.no_grad():
            result.update(case.head(model, inputs, outputs, hidden, extra))
    return result


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: str, normalize: bool) -> torch.Tensor:
    mask = attention_mask.float()
    if how == "cls":
        pooled = hidden[:, 0]
    elif how == "mean":
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    elif how == "last":
        last = attention_mask.sum(1) - 1
        pooled = hidden[torch.arange(hidden.shape[0]), last]
    else:
        raise CorpusError(f"unknown pooling {how}")
    return torch.nn.functional.normalize(pooled, dim=-1) if normalize else pooled


# ---------------------------------------------------------------------------------------------------------------
# writing

def _rounded(value):
    """JSON-ready copy with float32 values written with 9 significant digits (exact round trip for float32).
    Non-finite floats (e.g. an infinite drift when greedy ids differ) become the strings "inf"/"nan": JSON has no
    literal for them."""
    if isinstance(value, torch.Tensor):
        value = value.detach().float().tolist()
    if isinstance(value, float):
        return float(f"{value:.9g}") if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _save_generation_config(model, out_dir: Path) -> None:
    GenerationConfig(bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID, do_sample=False) \
        .save_pretrained(out_dir)


def _save(case: Case, model: torch.nn.Module, out_dir: Path, generator: torch.Generator,
          extra: torch.nn.Module | None = None) -> None:
    """save_pretrained, then for emulated rows rewrite config.json and the tensors under the real names."""
    model.save_pretrained(out_dir)
    if case.task == GENERATE:
        _save_generation_config(model, out_dir)
    config = json.loads((out_dir / "config.json").read_text())
    config["architectures"] = case.architectures or [case.model_class.__name__]
    (out_dir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    if case.export is None and case.extra_tensors is None and extra is None:
        return
    from safetensors.torch import load_file
    tensors = load_file(out_dir / "model.safetensors")
    if case.export is not None:
        real_config = case.export.config(config)
        real = case.export.tensors(tensors, config)
        back = case.export.inverse(real, config)
        if sorted(back) != sorted(tensors) or any(not torch.equal(back[k], tensors[k]) for k in tensors):
            raise CorpusError(f"{case.name}: exporting to the real layout and back does not give the same tensors")
    else:
        real_config, real = config, dict(tensors)
    if case.extra_tensors is not None:
        real.update(case.extra_tensors(real_config, generator))
    if extra is not None:
        real.update({case.extra_prefix + k: v.detach().clone() for k, v in extra.state_dict().items()})
    (out_dir / "config.json").write_text(json.dumps(real_config, indent=2, sort_keys=True) + "\n")
    save_file({k: v.contiguous() for k, v in sorted(real.items())}, out_dir / "model.safetensors",
              metadata={"format": "pt"})


def _check_reload(case: Case, model: torch.nn.Module, out_dir: Path,
                  compare: Callable[[torch.nn.Module], float]) -> float | None:
    """The saved directory alone, loaded with eager attention, must reproduce the outputs.

    Returns the drift under transformers' default attention implementation (sdpa) when that one disagrees (a
    transformers bug worth knowing about; the expectations follow eager attention), else None.
    Emulated rows cannot be loaded by transformers; their export was proven lossless in _save, and the stand-in's
    own save/reload is checked instead.
    """
    with tempfile.TemporaryDirectory() as tmp:
        source = out_dir
        if case.export is not None:
            model.save_pretrained(tmp)
            source = tmp
        drift = compare(case.model_class.from_pretrained(source, attn_implementation=case.attention).eval())
        if drift > KV_TOLERANCE:
            raise CorpusError(f"{case.name}: the saved model, reloaded, differs (drift {drift:.3g})")
        drift = compare(case.model_class.from_pretrained(source).eval())
    return drift if drift > KV_TOLERANCE else None


def base_record(case: Case, seed: int, gain: float) -> dict:
    return {"architecture": case.architecture, "model_type": case.config.model_type, "family": case.family,
            "status": case.status, "task": case.task, "case": case.name, "seed": seed, "init_gain": gain,
            "transformers_class": case.model_class.__name__, "notes": case.notes, "versions": versions()}


ABLATION_MIN_CHANGE = 1e-3  # relative logit change an ablation must cause


def measure_ablations(case: Case, model: torch.nn.Module, run: GenerativeRun) -> list[dict]:
    """Rebuild with each ablation's config override and the same weights; the logits must change."""
    reference = uncached_logits(model, run)
    state = model.state_dict()
    results = []
    for description, override in case.ablations:
        other = build(case, override)
        other.load_state_dict(state, strict=True)
        change = relative_drift(reference, uncached_logits(other, run))
        if change < ABLATION_MIN_CHANGE:
            raise CorpusError(f"{case.name}: ablation '{description}' changes the logits by only {change:.3g}")
        results.append({"description": description, "relative_logit_change": change})
    return results


def write_generative(case: Case, out_dir: Path) -> dict:
    seed, gain, model, run = search_generative(case)
    drift = relative_drift(run.step_logits, uncached_logits(model, run))
    if drift > KV_TOLERANCE:
        raise CorpusError(f"{case.name}: KV-cache logits differ from a no-cache forward by {drift:.3g} (relative)")

    def compare(other: torch.nn.Module) -> float:
        again = greedy(other, run.prompt_ids)
        if again.output_ids != run.output_ids or not again.is_plain_greedy:
            return float("inf")
        return relative_drift(run.step_logits, again.step_logits)

    _save(case, model, out_dir, torch.Generator().manual_seed(seed + 1000))
    default_drift = _check_reload(case, model, out_dir, compare)
    record = base_record(case, seed, gain)
    record.update({"prompt_ids": run.prompt_ids, "output_ids": run.output_ids, "top_logprobs": run.top_logprobs(),
                   "last_logits": run.step_logits[0], "min_top1_top2_gap": run.min_gap,
                   "kv_cache_drift": drift})
    if default_drift is not None:
        record["default_attention_drift"] = default_drift
    if case.ablations:
        record["ablations"] = measure_ablations(case, model, run)
    return record


def write_pooling(case: Case, out_dir: Path) -> dict:
    seed, gain = 0, case.gains[0]
    model = build(case)
    randomize(model, seed, gain, case.randomize_hook)
    extra = None
    if case.extra_module is not None:
        extra = case.extra_module(case.config).eval()
        randomize(extra, seed + 7, gain)
    inputs = pooling_inputs(case)
    result = run_pooling(case, model, inputs, extra)
    for key, value in result.items():
        if isinstance(value, torch.Tensor) and not torch.isfinite(value).all():
            raise CorpusError(f"{case.name}: {key} is not finite")

    def compare(other: torch.nn.Module) -> float:
        again = run_pooling(case, other, inputs, extra)
        return max(relative_drift(value, again[key]) for key, value in result.items()
                   if isinstance(value, torch.Tensor) and value.is_floating_point())

    _save(case, model, out_dir, torch.Generator().manual_seed(seed + 1000), extra)
    default_drift = _check_reload(case, model, out_dir, compare)
    record = base_record(case, seed, gain)
    record["input_ids"] = inputs["input_ids"].tolist()
    if case.two_sequences:
        record["attention_mask"] = inputs["attention_mask"].tolist()
    if "token_type_ids" in inputs:
        record["token_type_ids"] = inputs["token_type_ids"].tolist()
    if case.bidirectional:
        record["attention"] = "bidirectional"
    if case.pooling:
        record["pooling"] = case.pooling
    if case.normalize is not None:
        record["normalize"] = case.normalize
    if default_drift is not None:
        record["default_attention_drift"] = default_drift
    record["last_hidden_state"] = result.pop("last_hidden_state")[0]
    record.update(result)
    return record


def write_case(case: Case, root: Path) -> dict:
    """Build, check and write golden/corpus/<case>/; returns a summary row for the size table."""
    out_dir = root / case.name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    try:
        record = write_generative(case, out_dir) if case.task == GENERATE else write_pooling(case, out_dir)
    except Exception:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    (out_dir / "expected.json").write_text(json.dumps(_rounded(record), allow_nan=False) + "\n")
    size = sum(f.stat().st_size for f in out_dir.iterdir())
    if size > MAX_CASE_BYTES:
        raise CorpusError(f"{case.name}: {size} bytes > {MAX_CASE_BYTES}")
    return {"case": case.name, "family": case.family, "status": case.status, "task": case.task, "bytes": size,
            "seed": record["seed"], "gap": record.get("min_top1_top2_gap"),
            "default_attention_drift": record.get("default_attention_drift")}
