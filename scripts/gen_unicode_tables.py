#!/usr/bin/env python3
"""Generates Sources/RuntimeLib/unicode_tables.c: the Unicode data the runtime tokenizer needs, matching the
Unicode versions inside Hugging Face tokenizers 0.23 (the reference), each checked against it code point by code point:

- Character classes (one flags byte per range):
  \\p{L}, \\p{N}: Unicode 16.0 (Oniguruma, which runs tokenizers' Split regexes);
  numeric: Unicode 17.0 (Rust's char::is_numeric, used by the Digits pre-tokenizer);
  White_Space (= Oniguruma's and Rust regex's \\s, Rust's char::is_whitespace; stable since Unicode 4.1);
  \\w of Rust regex (Alphabetic + Mark + Nd + Pc + Join_Control, Unicode 16.0; used by single_word added tokens);
  "needs NFC work" (NFC_QC != Yes or ccc != 0).
- NFC data from Unicode 9.0, the tables of tokenizers' NFC (unicode-normalization-alignments): canonical combining
  classes, full canonical decompositions (Hangul excluded: algorithmic), primary composition pairs.

Sources: the PyPI package unicodedata2 at 16.0.0 and 17.0.0 (downloaded by this script with pip into a temporary
directory), Python's own unicodedata (14.0 in Python 3.11) restricted to the code points assigned in Unicode 9.0 for NFC
(normalization data of assigned characters never changes), and perl's Unicode::UCD (14.0) for the Word property
(extended with the letters, marks, Nd, Nl and Pc of Unicode 15-16) and the 9.0 repertoire.

Usage: python3 scripts/gen_unicode_tables.py  (rewrites the C file; commit it)
"""
import glob
import os
import subprocess
import sys
import tempfile
import unicodedata
import zipfile

from c_tables import c_array, runs

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "RuntimeLib", "unicode_tables.c")
MAX_CP = 0x10FFFF
HANGUL_S, HANGUL_S_END = 0xAC00, 0xAC00 + 11172
UC_L, UC_N, UC_WS, UC_WORD, UC_NFC, UC_NUMERIC = 1, 2, 4, 8, 16, 32
NFC_UNICODE_VERSION = "9.0"

WHITE_SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
               *range(0x2000, 0x200B)}


def categories(version: str) -> list[str]:
    """General category of every code point in the given Unicode version, from that unicodedata2 release."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                        f"unicodedata2=={version}"], check=True)
        (wheel,) = glob.glob(os.path.join(tmp, "*.whl"))
        zipfile.ZipFile(wheel).extractall(os.path.join(tmp, "pkg"))
        script = ("import sys, unicodedata2 as u; assert u.unidata_version == sys.argv[1], u.unidata_version; "
                  "print(' '.join(u.category(chr(c)) for c in range(0x110000)))")
        out = subprocess.run([sys.executable, "-c", script, version], check=True, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": os.path.join(tmp, "pkg")}).stdout
    return out.split()


def perl_invlist(prop: str) -> list[int]:
    """Inversion list of a Unicode property from perl's Unicode::UCD."""
    out = subprocess.run(["perl", "-MUnicode::UCD=prop_invlist", "-e", f'print join(" ", prop_invlist("{prop}"))'],
                         check=True, capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def invlist_mask(invlist: list[int]) -> bytearray:
    mask = bytearray(MAX_CP + 1)
    for i in range(0, len(invlist), 2):
        end = invlist[i + 1] if i + 1 < len(invlist) else MAX_CP + 1
        mask[invlist[i]:end] = b"\x01" * (end - invlist[i])
    return mask


def canonical_decomposition(cp: int) -> list[int] | None:
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return None
    return [int(x, 16) for x in d.split()]


def full_decomposition(cp: int) -> list[int]:
    d = canonical_decomposition(cp)
    if d is None:
        return [cp]
    return [x for part in d for x in full_decomposition(part)]


def main() -> None:
    cat16 = categories("16.0.0")
    cat17 = categories("17.0.0")
    word = invlist_mask(perl_invlist("Word"))
    in_nfc_version = invlist_mask(perl_invlist(f"In={NFC_UNICODE_VERSION}"))

    compositions = {}
    for cp in range(MAX_CP + 1):
        if HANGUL_S <= cp < HANGUL_S_END or not in_nfc_version[cp]:
            continue
        d = canonical_decomposition(cp)
        if d and len(d) == 2 and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
            compositions[(d[0], d[1])] = cp
    seconds = {second for (_, second) in compositions} | set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))

    flags = bytearray(MAX_CP + 1)
    ccc = bytearray(MAX_CP + 1)
    decompositions = []
    for cp in range(MAX_CP + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        cat = cat16[cp]
        f = 0
        if cat[0] == "L":
            f |= UC_L
        if cat[0] == "N":
            f |= UC_N
        if cat17[cp][0] == "N":
            f |= UC_NUMERIC
        if cp in WHITE_SPACE:
            f |= UC_WS
        if word[cp] or cat[0] in "LM" or cat in ("Nd", "Nl", "Pc"):
            f |= UC_WORD
        if in_nfc_version[cp]:
            ccc[cp] = unicodedata.combining(ch)
            if not (HANGUL_S <= cp < HANGUL_S_END) and canonical_decomposition(cp):
                decompositions.append((cp, full_decomposition(cp)))
        if ccc[cp] or cp in seconds or (in_nfc_version[cp] and unicodedata.normalize("NFC", ch) != ch):
            f |= UC_NFC
        flags[cp] = f

    class_runs = runs(flags)
    ccc_runs = runs(ccc)
    pool = []
    decomp_entries = []
    for cp, seq in decompositions:
        decomp_entries.append((cp, len(pool), len(seq)))
        pool.extend(seq)
    comp_entries = sorted(compositions.items())

    lines = [
        f"// GENERATED by scripts/gen_unicode_tables.py (classes: Unicode 16.0.0, NFC: Unicode {NFC_UNICODE_VERSION}) — do not edit.",
        '#include "unicode_tables.h"',
        "",
        "/* Character classes: run i covers [class_run_start[i], class_run_start[i + 1]) with flags class_run_flags[i]. */",
        f"const uint32_t unicode_class_run_count = {len(class_runs)};",
    ]

    def array(ctype: str, name: str, values: list, per_line: int = 12) -> None:
        lines.extend(c_array(ctype, name, values, per_line))

    lines.append("/* Flags of the ASCII code points (fast path). */")
    array("uint8_t", "unicode_ascii_flags", list(flags[:128]), 32)
    array("uint32_t", "unicode_class_run_start", [hex(s) for s, _ in class_runs])
    array("uint8_t", "unicode_class_run_flags", [f for _, f in class_runs], 24)
    lines += ["", "/* Canonical combining classes, as runs like the classes above. */",
              f"const uint32_t unicode_ccc_run_count = {len(ccc_runs)};"]
    array("uint32_t", "unicode_ccc_run_start", [hex(s) for s, _ in ccc_runs])
    array("uint8_t", "unicode_ccc_run_value", [v for _, v in ccc_runs], 24)
    lines += ["", "/* Full canonical decompositions (Hangul syllables excluded), sorted by code point. */",
              f"const uint32_t unicode_decomp_count = {len(decomp_entries)};"]
    array("uint32_t", "unicode_decomp_cp", [hex(cp) for cp, _, _ in decomp_entries])
    array("uint16_t", "unicode_decomp_offset", [o for _, o, _ in decomp_entries])
    array("uint8_t", "unicode_decomp_length", [n for _, _, n in decomp_entries], 24)
    array("uint32_t", "unicode_decomp_pool", [hex(x) for x in pool])
    lines += ["", "/* Primary composites (Hangul excluded): key (first << 21) | second, sorted; value the composite. */",
              f"const uint32_t unicode_comp_count = {len(comp_entries)};"]
    array("uint64_t", "unicode_comp_key", [f"0x{(a << 21) | b:x}ull" for (a, b), _ in comp_entries], 6)
    array("uint32_t", "unicode_comp_value", [hex(c) for _, c in comp_entries])
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(class_runs)} class runs, {len(ccc_runs)} ccc runs, "
          f"{len(decomp_entries)} decompositions ({len(pool)} code points), {len(comp_entries)} compositions")


if __name__ == "__main__":
    main()
