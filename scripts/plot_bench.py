#!/usr/bin/env python3
"""Bar chart (SVG, no plotting library needed) of tokens/s per precision, llmc vs llama.cpp, from bench.py's JSON.

    python3 scripts/bench.py --hf-dir models/smollm2 BIN... --output bench.json
    python3 scripts/plot_bench.py bench.json -o docs/bench.svg

Two panels, decode and prefill-512; per precision one bar for llmc and one for llama.cpp (medians), with the
ratio above each pair.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape

COLORS = {"llmc": "#1f77b4", "llama.cpp": "#ff7f0e"}
PANEL_W, PANEL_H, MARGIN_L, MARGIN_T, MARGIN_B, GAP = 420, 300, 60, 50, 60, 40


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= value."""
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def panel(rows: list[dict], phase: str, title: str, x0: float) -> list[str]:
    values = [v for r in rows for v in (r[phase]["ours_tok_s"] or 0, r[phase]["llama_cpp_tok_s"])]
    top = nice_ceiling(max(values) * 1.15)
    scale = PANEL_H / top
    base_y = MARGIN_T + PANEL_H
    out = [f'<text x="{x0 + PANEL_W / 2}" y="{MARGIN_T - 22}" text-anchor="middle" font-size="15" '
           f'font-weight="bold">{escape(title)}</text>']
    for i in range(6):  # grid and axis labels
        value = top * i / 5
        y = base_y - value * scale
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{value:g}</text>')
    out.append(f'<text transform="translate({x0 - 45},{MARGIN_T + PANEL_H / 2}) rotate(-90)" text-anchor="middle" '
               f'font-size="12">tokens/s</text>')
    group = PANEL_W / len(rows)
    bar = group * 0.32
    for index, row in enumerate(rows):
        cell = row[phase]
        center = x0 + group * (index + 0.5)
        for offset, (name, value) in zip((-bar, 0), (("llmc", cell["ours_tok_s"] or 0),
                                                     ("llama.cpp", cell["llama_cpp_tok_s"]))):
            height = value * scale
            out.append(f'<rect x="{center + offset:.1f}" y="{base_y - height:.1f}" width="{bar:.1f}" '
                       f'height="{height:.1f}" fill="{COLORS[name]}"><title>{name} {value:.1f} tok/s</title></rect>')
            out.append(f'<text x="{center + offset + bar / 2:.1f}" y="{base_y - height - 4:.1f}" text-anchor="middle" '
                       f'font-size="10">{value:.0f}</text>')
        if cell.get("ratio"):
            tallest = max(cell["ours_tok_s"] or 0, cell["llama_cpp_tok_s"]) * scale
            out.append(f'<text x="{center:.1f}" y="{base_y - tallest - 18:.1f}" text-anchor="middle" font-size="11" '
                       f'font-weight="bold">{cell["ratio"]:.2f}×</text>')
        label = f'{row.get("llmc_dtype", row["precision"])} / {row["precision"].upper()}'
        out.append(f'<text x="{center:.1f}" y="{base_y + 18}" text-anchor="middle" font-size="12">{escape(label)}</text>')
    out.append(f'<line x1="{x0}" y1="{base_y}" x2="{x0 + PANEL_W}" y2="{base_y}" stroke="#333"/>')
    return out


def render(report: dict) -> str:
    rows = report["results"]
    width = 2 * (MARGIN_L + PANEL_W) + GAP
    height = MARGIN_T + PANEL_H + MARGIN_B + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" viewBox="0 0 {width} {height}">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    parts += panel(rows, "decode", f'decode ({report["decode_prompt"]}-token prompt + {report["decode_tokens"]} tokens)',
                   MARGIN_L)
    parts += panel(rows, "prefill", f'prefill ({report["prefill_tokens"]}-token prompt)', 2 * MARGIN_L + PANEL_W + GAP)
    legend_y = MARGIN_T + PANEL_H + 42
    for i, (name, color) in enumerate(COLORS.items()):
        x = MARGIN_L + i * 110
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y}" font-size="12">{name}</text>')
    note = (f'SmolLM2-135M-Instruct, {report["threads"]} threads, median of {report["rounds"]} rounds, '
            f'{report["date"]}, load average {max(report["load_average"]):.1f}')
    parts.append(f'<text x="{width - 10}" y="{legend_y}" text-anchor="end" font-size="11" fill="#555">{escape(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="JSON written by scripts/bench.py --output (or --json)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="SVG file to write")
    args = parser.parse_args(argv)
    try:
        report = json.loads(args.report.read_text())
        svg = render(report)
    except (OSError, ValueError, KeyError) as error:
        print(f"plot_bench: {args.report}: {error}", file=sys.stderr)
        return 1
    args.output.write_text(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
