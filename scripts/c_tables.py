"""What the Unicode table generators (scripts/gen_unicode_*.py) share: run-length compression over code points and
C array emission."""
from __future__ import annotations

CODE_POINTS = 0x110000


def runs(values) -> list[tuple[int, int]]:
    """(first code point, value) of every run of equal values over all code points."""
    result: list[tuple[int, int]] = []
    for cp in range(CODE_POINTS):
        if not result or result[-1][1] != values[cp]:
            result.append((cp, values[cp]))
    return result


def c_array(ctype: str, name: str, values: list, per_line: int = 12) -> list[str]:
    """Lines of `const ctype name[n] = {...};`, per_line values to a line."""
    lines = [f"const {ctype} {name}[{len(values)}] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(str(v) for v in values[i:i + per_line]) + ",")
    lines.append("};")
    return lines
