"""How a number reads: one set of formatters for every renderer (terminal, XLSX summary, CSV).

A person reads (docs/interfaces.md, "Numbers a person reads"):

- **Shares** as percentages with one decimal: ``pct(0.9853) == "98.5%"``. A share beside a target
  ("met" / "not met") is rounded *down* (``rounding="down"``), so "90.0%" always means at least
  90.0% and never stands beside "not met".
- **A share's interval** as its range, clipped to 0-100%, its lower end rounded down and its upper
  end up: ``share_range(0.898, 0.234) == "89.8% (66.4-100.0)"`` (the interval shown always
  contains the computed one and never leaves 0-100%).
- **Differences of shares** in signed percentage points: ``pp(0.032, 0.005) == "+3.2 pp ± 0.5"``.
- **Money** in yuan with thousands separators, ``yuan(6_200_000) == "¥6,200,000"``; in summaries
  also in 万元: ``money(6_200_000) == "¥6,200,000（620万元）"``.
- **Counts** with thousands separators: ``count(226070) == "226,070"``.
- **Other numbers** with at most two decimals and never in exponent notation: two decimals below
  10, one below 100, none from 100 on (``number(1147.7333) == "1,148"``,
  ``number(11330.2) == "11,330"``).
- **Durations** with their unit: ``duration(2.384, "min") == "2.38 min"``.

Files scripts read keep full numbers, at a fixed precision: :func:`csv_number` writes at most
:data:`CSV_DECIMALS` decimal places, as a plain decimal (``0.9999999999999999`` is ``1``).
"""

from __future__ import annotations

import math
from typing import Final

SHARE_DECIMALS: Final = 1  # "98.5%"
MAX_DECIMALS: Final = 2  # the most decimals any printed number carries
CSV_DECIMALS: Final = 6  # CSV numbers: at most this many decimal places
NA: Final = "n/a"
_EPS: Final = 1e-9  # rounding down 0.9 * 100 must give 90.0, not 89.9


def missing(value: float | None) -> bool:
    """``None``, NaN or an infinity: nothing a person can read."""
    return value is None or not math.isfinite(value)


def round_down(value: float, decimals: int) -> float:
    scale = 10**decimals
    return math.floor(value * scale + _EPS) / scale


def round_up(value: float, decimals: int) -> float:
    scale = 10**decimals
    return math.ceil(value * scale - _EPS) / scale


def _rounded(value: float, decimals: int, rounding: str) -> float:
    if rounding == "down":
        return round_down(value, decimals)
    if rounding == "up":
        return round_up(value, decimals)
    if rounding != "nearest":
        raise ValueError(f"rounding must be nearest, down or up, got {rounding!r}")
    return value


def _zero(text: str) -> str:
    """``-0.0`` reads as ``0.0``."""
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


# --- shares ---------------------------------------------------------------------------------------


def pct(
    share: float | None,
    *,
    rounding: str = "nearest",
    decimals: int = SHARE_DECIMALS,
    sign: bool = False,
) -> str:
    """A share (0-1) as a percentage: ``pct(0.9853) == "98.5%"``; ``n/a`` when missing."""
    if missing(share):
        return NA
    value = _rounded(float(share) * 100, decimals, rounding)  # type: ignore[arg-type]
    return _zero(f"{value:{'+' if sign else ''},.{decimals}f}") + "%"


def share_bounds(mean: float, half: float | None) -> tuple[float, float]:
    """The interval ``mean ± half`` kept inside 0-1: a share cannot leave it."""
    if missing(half):
        return mean, mean
    width = float(half)  # type: ignore[arg-type]
    return max(0.0, mean - width), min(1.0, mean + width)


def share_range(
    mean: float | None,
    half: float | None,
    *,
    rounding: str = "down",
    decimals: int = SHARE_DECIMALS,
) -> str:
    """A share with its 95% interval: ``"89.8% (66.4-100.0)"``.

    The interval is clipped to 0-100%; its lower end is rounded down and its upper end up, so the
    range shown contains the computed one. The mean is rounded down by default: a share is read
    against a target, and rounding up would show "90.0%" for 89.96%.
    """
    if missing(mean):
        return NA
    text = pct(mean, rounding=rounding, decimals=decimals)
    if missing(half):
        return text
    low, high = share_bounds(float(mean), half)  # type: ignore[arg-type]
    lo = round_down(low * 100, decimals)
    hi = round_up(high * 100, decimals)
    return f"{text} ({lo:.{decimals}f}-{hi:.{decimals}f})"


def ratio_pm(value: float | None, half: float | None, *, decimals: int = SHARE_DECIMALS) -> str:
    """A ratio that may pass 100% (utilisation, with overtime) as ``"41.8% ± 0.5"``: its
    half-width in percentage points, no range (it is not a share of a whole)."""
    if missing(value):
        return NA
    text = pct(value, decimals=decimals)
    if not missing(half):
        text += f" ± {float(half) * 100:.{decimals}f}"  # type: ignore[arg-type]
    return text


def pp(diff: float | None, half: float | None = None, *, decimals: int = SHARE_DECIMALS) -> str:
    """A difference of shares in signed percentage points: ``"+3.2 pp ± 0.5"``."""
    if missing(diff):
        return NA
    text = _zero(f"{float(diff) * 100:+.{decimals}f}") + " pp"  # type: ignore[arg-type]
    if not missing(half):
        text += f" ± {float(half) * 100:.{decimals}f}"  # type: ignore[arg-type]
    return text


# --- money ----------------------------------------------------------------------------------------


def yuan(value: float | None, *, sign: bool = False) -> str:
    """Yuan, whole, with thousands separators: ``"¥6,200,000"`` (``"+¥10,000"`` with ``sign``)."""
    if missing(value):
        return NA
    amount = round(float(value))  # type: ignore[arg-type]
    prefix = "-" if amount < 0 else "+" if sign and amount > 0 else ""
    return f"{prefix}¥{abs(amount):,}"


def wan(value: float | None, *, sign: bool = False) -> str:
    """Yuan in 万元 (10,000 yuan): ``"620万元"``, ``"46.8万元"``, ``"4.8万元"``."""
    if missing(value):
        return NA
    text = figure(float(value) / 10_000)  # type: ignore[arg-type]
    return f"{'+' if sign and float(value) > 0 else ''}{text}万元"  # type: ignore[arg-type]


def money(value: float | None, lang: str = "zh", *, sign: bool = False) -> str:
    """Yuan as a summary shows them: ``"¥6,200,000（620万元）"``; English: ``(6.2 million)``."""
    if missing(value):
        return NA
    if lang == "en":
        millions = figure(float(value) / 1e6)  # type: ignore[arg-type]
        return f"{yuan(value, sign=sign)} ({millions} million)"
    return f"{yuan(value, sign=sign)}（{wan(value, sign=sign)}）"


# --- counts, numbers, durations -------------------------------------------------------------------


def count(value: float | None, *, sign: bool = False) -> str:
    """A whole number with thousands separators: ``"226,070"``."""
    if missing(value):
        return NA
    return _zero(f"{round(float(value)):{'+' if sign else ''},}")  # type: ignore[arg-type]


def decimals_for(value: float) -> int:
    """Two decimals below 10, one below 100, none from 100 on."""
    size = abs(value)
    return 2 if size < 10 else 1 if size < 100 else 0


def number(value: float | None, decimals: int | None = None, *, sign: bool = False) -> str:
    """Any other number: at most two decimals, thousands separators, never ``1.133e+04``."""
    if missing(value):
        return NA
    v = float(value)  # type: ignore[arg-type]
    d = decimals_for(v) if decimals is None else min(decimals, MAX_DECIMALS)
    return _zero(f"{v:{'+' if sign else ''},.{d}f}")


def figure(value: float | None) -> str:
    """A figure as a planner wrote it: two decimals at most, trailing zeros dropped (``30``,
    ``7.5``, ``150.25``)."""
    text = number(value, MAX_DECIMALS)
    return text.rstrip("0").rstrip(".") if "." in text else text


def pm(mean: float | None, half: float | None, decimals: int | None = None, unit: str = "") -> str:
    """``mean ± half`` at the decimals the mean needs: ``"81.5 ± 9.7"``; with a unit after."""
    if missing(mean):
        return NA
    d = decimals_for(float(mean)) if decimals is None else decimals  # type: ignore[arg-type]
    text = number(mean, d)
    if not missing(half):
        text += f" ± {number(half, d)}"
    return f"{text} {unit}" if unit else text


def duration(value: float | None, unit: str, half: float | None = None) -> str:
    """A duration with its unit: ``"2.38 min"``, ``"81.5 ± 9.7 min"``, ``"0.18 days"``."""
    return pm(value, half, unit=unit)


def plural(n: int, one: str, many: str, lang: str = "en") -> str:
    """``"1 street"``, ``"15 streets"``; Chinese has no plural: ``"15个街道"`` is the caller's."""
    return f"{n:,} {one if n == 1 or lang == 'zh' else many}"


# --- files ----------------------------------------------------------------------------------------


def csv_number(value: object) -> str:
    """A value as a CSV cell: numbers as plain decimals with at most :data:`CSV_DECIMALS`
    places (trailing zeros dropped, never exponent notation); missing numbers empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        text = f"{value:.{CSV_DECIMALS}f}".rstrip("0").rstrip(".")
        return _zero(text) if text not in ("-0", "") else "0"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return csv_number(value.item())
    return str(value)
