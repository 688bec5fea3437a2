#!/usr/bin/env python3
"""Benchmark llmc-compiled binaries against llama.cpp (llama-cpp-python) on the same weights.

    python3 scripts/bench.py --hf-dir /work/models/smollm2 models/smollm2-f32.bin models/smollm2-bf16.bin [--json]

Each binary's precision comes from `BIN info --json` ("dtype"); write BIN=PREC to override it. Without binaries,
only llama.cpp is measured, for --precisions (default f32 bf16).

For every precision, llama.cpp gets a GGUF of the same weights made by llama.cpp's own convert_hf_to_gguf.py
(taken from the llama-cpp-python source distribution matching the installed version, fetched with `pip download`)
and cached under --gguf-cache. Both sides run with --threads threads and measure the same two workloads:

    decode   a 17-token prompt, then 128 greedy tokens (argmax, EOS ignored): generated tokens per second
    prefill  one 512-token prompt: prompt tokens per second

Rounds alternate between the backends (ours, llama.cpp, ours, ...); in every round each backend reports the best
of --repeat runs (ours: `BIN bench --repeat`, which also absorbs the first touch of the mmapped weights; llama.cpp:
the model stays loaded), and the table shows the median over --rounds rounds.

Also measured: decode as a % of the bandwidth roofline (the read bandwidth of --threads threads measured by
scripts/read_bandwidth.c, compiled with cc, or --bandwidth; divided by the bytes of weights a decode step reads: every
tensor in the binary's `info --json` table except gather-only embedding rows), and each binary's first-token latency:
process start to the first byte of generated text on a pipe for a short prompt, and the CPU time of that process
(medians of --first-token-runs runs). `--json` prints every measured value (each run, each round's load average)
plus the medians; `--output FILE` also writes that JSON to FILE (scripts/plot_bench.py draws it).
Requires llama-cpp-python (`pip install llama-cpp-python==0.3.36`, a 5-9 minute source build) and, for the
conversion, torch + transformers.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FIRST_TOKEN_PROMPT = "Hello"
DECODE_PROMPT = 17
DECODE_TOKENS = 128
PREFILL_TOKENS = 512
OUTTYPES = {"f32": "f32", "float32": "f32", "bf16": "bf16", "bfloat16": "bf16", "f16": "f16", "float16": "f16",
            "q8_0": "q8_0", "int8": "q8_0", "q4_0": "q4_0", "int4": "q4_0"}
# What llmc's --dtype is called for each llama.cpp precision.
OURS = {"f32": "f32", "bf16": "bf16", "f16": "f16", "q8_0": "int8", "q4_0": "int4"}
# Formats llama.cpp's converter does not write: made from its f32 GGUF by llama.cpp's own quantizer.
QUANTIZED_FROM_F32 = {"q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0"}
PREFILL_KEYS = ("prefill_tok_s", "prefill_tokens_per_second", "prefill_tps", "prefill")
DECODE_KEYS = ("decode_tok_s", "decode_tokens_per_second", "decode_tps", "decode")


class BenchError(Exception):
    """A benchmark step failed; the message names the binary, file or command."""


def synthetic_ids(count: int, vocab: int) -> list[int]:
    """The prompt ids llmc's `bench` uses: (13 i + 7) mod min(vocab, 997)."""
    span = min(vocab, 997)
    return [(i * 13 + 7) % span for i in range(count)]


def default_cache() -> Path:
    return Path("/work/models/gguf") if Path("/work/models").is_dir() else Path.home() / ".cache" / "llmc" / "gguf"


# ---- GGUF files for llama.cpp ------------------------------------------------------------------------------------

def llama_cpp_source(cache: Path) -> Path:
    """vendor/llama.cpp of the llama-cpp-python sdist matching the installed package (extracted once into cache)."""
    import llama_cpp
    version = llama_cpp.__version__
    root = cache / f"llama_cpp_python-{version}" / "vendor" / "llama.cpp"
    if (root / "convert_hf_to_gguf.py").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "llama-cpp-python",
                   "--quiet", "-d", tmp, f"llama-cpp-python=={version}"]
        result = subprocess.run(command, capture_output=True, text=True)
        archives = list(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        if result.returncode != 0 or len(archives) != 1:
            raise BenchError(f"`{' '.join(command)}` did not produce the sdist:\n{result.stderr.strip()}")
        prefix = f"llama_cpp_python-{version}/vendor/llama.cpp/"
        wanted = (prefix + "convert_hf_to_gguf.py", prefix + "conversion/", prefix + "gguf-py/")
        with tarfile.open(archives[0]) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith(wanted)]
            archive.extractall(cache, members=members, filter="data")
    if not (root / "convert_hf_to_gguf.py").exists():
        raise BenchError(f"{root}/convert_hf_to_gguf.py missing after extracting the sdist")
    return root


def gguf_for(hf_dir: Path, outtype: str, cache: Path) -> Path:
    """A GGUF of hf_dir at outtype, converted by llama.cpp; reused while newer than the safetensors."""
    target = cache / f"{hf_dir.resolve().name}-{outtype}.gguf"
    sources = list(hf_dir.glob("*.safetensors")) + [hf_dir / "config.json"]
    if target.exists() and all(target.stat().st_mtime >= s.stat().st_mtime for s in sources):
        return target
    partial = target.with_name(target.name + ".partial")
    if outtype in QUANTIZED_FROM_F32:
        import ctypes
        import llama_cpp
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = getattr(llama_cpp, QUANTIZED_FROM_F32[outtype])
        f32 = gguf_for(hf_dir, "f32", cache)
        print(f"quantizing {f32} to {outtype} with llama.cpp ...", file=sys.stderr)
        if llama_cpp.llama_model_quantize(str(f32).encode(), str(partial).encode(), ctypes.byref(params)) != 0:
            partial.unlink(missing_ok=True)
            raise BenchError(f"llama.cpp could not quantize {f32} to {outtype}")
        os.replace(partial, target)
        return target
    source = llama_cpp_source(cache)
    command = [sys.executable, str(source / "convert_hf_to_gguf.py"), str(hf_dir), "--outtype", outtype,
               "--outfile", str(partial)]
    env = {**os.environ, "PYTHONPATH": str(source / "gguf-py")}
    print(f"converting {hf_dir} to {outtype} GGUF with llama.cpp ...", file=sys.stderr)
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BenchError(f"`{' '.join(command)}` failed:\n{result.stderr.strip()[-2000:]}")
    os.replace(partial, target)
    return target


# ---- the two backends --------------------------------------------------------------------------------------------

@dataclass
class Speeds:
    prefill: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)  # everything each round measured


def last_json_object(text: str, what: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise BenchError(f"{what}: no JSON object in its output:\n{text[-1000:]}")


def pick(record: dict, keys: tuple[str, ...], what: str) -> float:
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # e.g. {"prefill": {"tok_s": ...}}
            value = next((v for k, v in value.items() if "tok" in k and isinstance(v, (int, float))), None)
        if isinstance(value, (int, float)):
            return float(value)
    raise BenchError(f"{what}: none of {keys} in {record}")


class OurBinary:
    """An llmc-compiled executable, measured with its `bench` command."""

    def __init__(self, spec: str, threads: int, repeat: int):
        path, _, forced = spec.partition("=")
        self.path = Path(path).resolve()
        if not os.access(self.path, os.X_OK):
            raise BenchError(f"{self.path}: not an executable file")
        self.threads, self.repeat = threads, repeat
        info = self.info()
        self.vocab = int(info.get("vocab_size", 0))
        self.kv_dtype = str(info.get("kv_dtype", "f32"))
        self.weights_bytes = int(info.get("weights_bytes", 0))
        # A decode step reads every weight once, except embedding tables stored as rows (one row per token).
        self.decode_bytes = sum(int(t.get("bytes", 0)) for t in info.get("tensors", [])
                                if not str(t.get("layout", "")).startswith("rows-"))
        dtype = forced or str(info.get("dtype", ""))
        if dtype.lower() not in OUTTYPES:
            raise BenchError(f"{self.path}: precision '{dtype}' unknown; give it as {spec}=f32 or =bf16")
        self.precision = OUTTYPES[dtype.lower()]

    def info(self) -> dict:
        result = subprocess.run([str(self.path), "info", "--json"], capture_output=True, text=True)
        if result.returncode != 0:
            return {}
        try:
            return last_json_object(result.stdout, f"{self.path} info")
        except BenchError:
            return {}

    def run(self, prompt_len: int, gen: int) -> dict:
        command = [str(self.path), "bench", "--prompt-len", str(prompt_len), "--gen", str(gen), "--repeat",
                   str(self.repeat), "--threads", str(self.threads), "--json"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchError(f"`{' '.join(command)}` exited {result.returncode}:\n{result.stderr.strip()[-1000:]}")
        return last_json_object(result.stdout, " ".join(command))

    def measure(self, speeds: Speeds) -> None:
        decode, prefill = self.run(DECODE_PROMPT, DECODE_TOKENS), self.run(PREFILL_TOKENS, 1)
        speeds.decode.append(pick(decode, DECODE_KEYS, f"{self.path} bench"))
        speeds.prefill.append(pick(prefill, PREFILL_KEYS, f"{self.path} bench"))
        speeds.records.append({"decode_run": decode, "prefill_run": prefill})

    def first_token(self, threads: int) -> tuple[float, float]:
        """(wall ms, CPU ms) to the first token: wall from starting the process to the first byte of generated text
        on its stdout (a pipe); CPU is the user + system time of the whole process, which generates only that one
        token and exits (it does not depend on how busy the machine is, the wall time does)."""
        command = [str(self.path), "-p", FIRST_TOKEN_PROMPT, "-n", "1", "--temperature", "0", "--threads", str(threads)]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = process.stdout.read(1) if process.stdout else b""
        elapsed = time.perf_counter() - start
        stderr = process.stderr.read() if process.stderr else b""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0 or not first:
            raise BenchError(f"`{' '.join(command)}` exited {process.returncode} without output:\n{stderr.decode()[-1000:]}")
        return elapsed * 1000, (usage.ru_utime + usage.ru_stime) * 1000


class LlamaCpp:
    """llama.cpp through llama-cpp-python with the model kept loaded; greedy decode is argmax of the last logits."""

    def __init__(self, gguf_path: Path, threads: int, repeat: int):
        from llama_cpp import Llama
        self.gguf_path, self.repeat = gguf_path, repeat
        self.llm = Llama(model_path=str(gguf_path), n_threads=threads, n_threads_batch=threads,
                         n_ctx=PREFILL_TOKENS + DECODE_TOKENS + 64, n_batch=PREFILL_TOKENS, verbose=False)
        self.vocab = self.llm.n_vocab()
        self.prefill_once()  # warm-up: first touch of the mmapped weights

    def argmax(self) -> int:
        import llama_cpp
        logits = llama_cpp.llama_get_logits_ith(self.llm.ctx, -1)
        return int(np.ctypeslib.as_array(ctypes.cast(logits, ctypes.POINTER(ctypes.c_float)),
                                         shape=(self.vocab,)).argmax())

    def prefill_once(self) -> float:
        ids = synthetic_ids(PREFILL_TOKENS, self.vocab)
        self.llm.reset()
        start = time.perf_counter()
        self.llm.eval(ids)
        return PREFILL_TOKENS / (time.perf_counter() - start)

    def decode_once(self) -> float:
        self.llm.reset()
        self.llm.eval(synthetic_ids(DECODE_PROMPT, self.vocab))
        token = self.argmax()
        start = time.perf_counter()
        for _ in range(DECODE_TOKENS):
            self.llm.eval([token])
            token = self.argmax()
        return DECODE_TOKENS / (time.perf_counter() - start)

    def measure(self, speeds: Speeds) -> None:
        decode = [self.decode_once() for _ in range(self.repeat)]
        prefill = [self.prefill_once() for _ in range(self.repeat)]
        speeds.decode.append(max(decode))
        speeds.prefill.append(max(prefill))
        speeds.records.append({"decode_runs_tok_s": decode, "prefill_runs_tok_s": prefill})


# ---- driver ------------------------------------------------------------------------------------------------------

def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def read_bandwidth_gb_s(threads: int) -> float:
    """Read bandwidth with `threads` threads measured by scripts/read_bandwidth.c (cc -O3 -march=native)."""
    source = Path(__file__).with_name("read_bandwidth.c")
    compiler = os.environ.get("CC", "cc")
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "read_bandwidth"
        built = subprocess.run([compiler, "-O3", "-march=native", "-ffast-math", "-pthread", str(source), "-o", str(binary)],
                               capture_output=True, text=True)
        if built.returncode != 0:
            raise BenchError(f"cannot compile {source} with {compiler}:\n{built.stderr.strip()[-1000:]}")
        result = subprocess.run([str(binary), str(threads)], capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchError(f"{source}: exited {result.returncode}")
        return float(last_json_object(result.stdout, str(source))["read_gb_s"])


def load_average() -> float:
    return os.getloadavg()[0]


def summarize(precision: str, ours: Speeds | None, peer: Speeds, binary: "OurBinary | None", bandwidth: float,
              first_token: list[tuple[float, float]]) -> dict:
    row: dict = {"precision": precision, "llmc_dtype": OURS.get(precision, precision)}
    for phase in ("decode", "prefill"):
        theirs = statistics.median(getattr(peer, phase))
        mine = statistics.median(getattr(ours, phase)) if ours else None
        row[phase] = {"ours_tok_s": mine, "llama_cpp_tok_s": theirs, "ratio": mine / theirs if mine else None,
                      "ours_runs": getattr(ours, phase) if ours else [], "llama_cpp_runs": getattr(peer, phase)}
    row["llama_cpp_records"] = peer.records
    if binary is not None and ours is not None:
        roofline = bandwidth * 1e9 / binary.decode_bytes if binary.decode_bytes else None
        row["ours"] = {"binary": str(binary.path), "kv_dtype": binary.kv_dtype, "weights_bytes": binary.weights_bytes,
                       "decode_bytes_per_token": binary.decode_bytes, "records": ours.records}
        row["decode"]["roofline_tok_s"] = roofline
        row["decode"]["ours_roofline_fraction"] = row["decode"]["ours_tok_s"] / roofline if roofline else None
        wall, cpu = [w for w, _ in first_token], [c for _, c in first_token]
        row["first_token_ms"] = {"median": statistics.median(wall), "runs": wall, "cpu_median": statistics.median(cpu),
                                 "cpu_runs": cpu, "prompt": FIRST_TOKEN_PROMPT}
    return row


def print_table(rows: list[dict], args, loads: tuple[float, float], bandwidth: float) -> None:
    print(f"{cpu_name()}, load average {loads[0]:.1f} before / {loads[1]:.1f} after, {args.threads} threads, "
          f"median of {args.rounds} rounds (best of {args.repeat} each), roofline at {bandwidth:.1f} GB/s")
    print(f"decode: {DECODE_PROMPT}-token prompt + {DECODE_TOKENS} greedy tokens; prefill: {PREFILL_TOKENS} tokens; "
          f"first token: prompt {FIRST_TOKEN_PROMPT!r}, process start to first byte on a pipe")
    print(f"{'llmc/llama.cpp':14s} {'phase':8s} {'ours tok/s':>11s} {'llama.cpp tok/s':>16s} {'ratio':>7s} {'roofline':>9s}")
    for row in rows:
        for phase in ("decode", "prefill"):
            cell = row[phase]
            mine = f"{cell['ours_tok_s']:.1f}" if cell["ours_tok_s"] else "-"
            ratio = f"{cell['ratio']:.2f}" if cell["ratio"] else "-"
            fraction = cell.get("ours_roofline_fraction")
            roofline = f"{100 * fraction:.0f}%" if fraction else ""
            pair = f"{row['llmc_dtype']}/{row['precision'].upper()}"
            print(f"{pair:14s} {phase:8s} {mine:>11s} {cell['llama_cpp_tok_s']:>16.1f} {ratio:>7s} {roofline:>9s}")
    for row in rows:
        if "first_token_ms" in row:
            cell = row["first_token_ms"]
            print(f"{row['llmc_dtype']:14s} first token {cell['median']:.1f} ms wall, {cell['cpu_median']:.1f} ms CPU "
                  f"(medians of {len(cell['runs'])})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="*", help="llmc-compiled executables (BIN or BIN=f32|bf16)")
    parser.add_argument("--hf-dir", type=Path, required=True, help="the Hugging Face directory they were compiled from")
    parser.add_argument("--precisions", nargs="*", default=["f32", "bf16"],
                        help="llama.cpp precisions to run when no binary is given")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2, help="runs per round per backend, the best one counts")
    parser.add_argument("--gguf-cache", type=Path, default=default_cache())
    parser.add_argument("--bandwidth", type=float, help="read bandwidth (GB/s) for the decode roofline; default: "
                        "measured with --threads threads (scripts/read_bandwidth.c)")
    parser.add_argument("--first-token-runs", type=int, default=7, help="first-token latency runs per binary")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--output", type=Path, help="also write the JSON object to this file")
    args = parser.parse_args(argv)
    try:
        ours = {}
        for spec in args.binaries:
            binary = OurBinary(spec, args.threads, args.repeat)
            if binary.precision in ours:
                raise BenchError(f"two binaries with precision {binary.precision}")
            ours[binary.precision] = binary
        precisions = list(ours) or [OUTTYPES[p.lower()] for p in args.precisions]
        peers = {p: LlamaCpp(gguf_for(args.hf_dir, p, args.gguf_cache), args.threads, args.repeat)
                 for p in precisions}
        for precision, binary in ours.items():
            if binary.vocab and binary.vocab != peers[precision].vocab:
                raise BenchError(f"{binary.path}: vocab {binary.vocab} but the GGUF has {peers[precision].vocab}")
        load_before = load_average()
        measured_bandwidth = read_bandwidth_gb_s(args.threads)
        bandwidth = args.bandwidth or measured_bandwidth
        measured = {p: (Speeds() if p in ours else None, Speeds()) for p in precisions}
        round_loads = []
        for round_index in range(args.rounds):
            for precision in precisions:
                mine, theirs = measured[precision]
                if mine is not None:
                    ours[precision].measure(mine)
                peers[precision].measure(theirs)
                print(f"round {round_index + 1}/{args.rounds} {precision}: decode "
                      f"{mine.decode[-1] if mine else float('nan'):.1f} vs {theirs.decode[-1]:.1f}, prefill "
                      f"{mine.prefill[-1] if mine else float('nan'):.1f} vs {theirs.prefill[-1]:.1f} tok/s "
                      f"(load {load_average():.1f})", file=sys.stderr)
            round_loads.append(load_average())
        # Alternating binaries, so that a burst of other work does not hit one precision only.
        first_token: dict[str, list[tuple[float, float]]] = {p: [] for p in ours}
        for _ in range(args.first_token_runs):
            for precision, binary in ours.items():
                first_token[precision].append(binary.first_token(args.threads))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    loads = (load_before, load_average())
    if loads[0] > os.cpu_count() or loads[1] > os.cpu_count():
        print(f"bench: warning: load average {max(loads):.1f} exceeds {os.cpu_count()} CPUs; other work skews "
              "both backends (llama.cpp's spinning threads suffer most)", file=sys.stderr)
    rows = [summarize(p, *measured[p], ours.get(p), bandwidth, first_token.get(p, [])) for p in precisions]
    import llama_cpp
    report = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpu": cpu_name(), "load_average": loads,
              "round_load_averages": round_loads, "threads": args.threads, "rounds": args.rounds,
              "repeat": args.repeat, "roofline_bandwidth_gb_s": bandwidth,
              "measured_read_bandwidth_gb_s": measured_bandwidth, "llama_cpp_python": llama_cpp.__version__,
              "decode_prompt": DECODE_PROMPT, "decode_tokens": DECODE_TOKENS, "prefill_tokens": PREFILL_TOKENS,
              "first_token_prompt": FIRST_TOKEN_PROMPT, "binaries": {p: str(b.path) for p, b in ours.items()},
              "ggufs": {p: str(peer.gguf_path) for p, peer in peers.items()}, "results": rows}
    if args.output:
        args.output.write_text(json.dumps(report, indent=1) + "\n")
    if args.json:
        print(json.dumps(report))
    else:
        print_table(rows, args, loads, bandwidth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
