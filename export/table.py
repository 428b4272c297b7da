"""Plain-text tables for the terminal: aligned columns, numbers right-aligned, CJK-width aware.

Cells that are numbers are formatted by :mod:`jiedao.export.format` (counts with separators, other
numbers with at most two decimals); a column whose cells all read as numbers (``1,234``,
``98.5% (97.9-99.1)``, ``¥200,000``, ``+3.2 pp ± 0.5``, ``n/a``) is right-aligned.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from jiedao.export import format as fmt

# a formatted number: optional sign and ¥, digits with separators, then a unit or an interval
_NUMERIC = re.compile(r"^[+-]?¥?\d[\d,]*(\.\d+)?(%| pp| min| h| days|万元|分钟|小时|天)?( .*)?$")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def _numeric(value: object) -> bool:
    if value is None or value == "" or value == fmt.NA:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(_NUMERIC.match(value))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        bool(rows)
        and all(_numeric(row[i]) for row in rows)
        and any(row[i] not in ("", None, fmt.NA) for row in rows)
        for i in range(len(headers))
    ]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = [title] if title else []
    lines.append(
        "  ".join(_pad(h, w, n) for h, w, n in zip(headers, widths, numeric, strict=True)).rstrip()
    )
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append(
            "  ".join(_pad(c, w, n) for c, w, n in zip(row, widths, numeric, strict=True)).rstrip()
        )
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return fmt.NA
        return fmt.count(value) if value.is_integer() and abs(value) >= 1000 else fmt.number(value)
    if isinstance(value, int):
        return fmt.count(value)
    return str(value)
