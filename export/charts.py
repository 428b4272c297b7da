"""Charts as PNG and SVG: tornado, budget frontier, waiting-time distribution, before/after reform,
and a sweep's varied field against its key figures.

Every chart function is pure: it takes plain numbers and labels and returns a
:class:`matplotlib.figure.Figure` drawn on the Agg canvas (pyplot is never imported, nothing is
shown, no global figure state is kept). :func:`save_figure` renders a figure to PNG and SVG in
memory and writes each file atomically (temporary name in the same folder, then ``os.replace``,
through :func:`export.files.atomic_write_bytes`). SVG text is stored as paths, so the SVG shows the
same glyphs on a machine without the font.

Chinese labels and the font
---------------------------
matplotlib's default font (DejaVu Sans) has no Chinese glyphs and matplotlib does not look for
another font by itself: it draws empty boxes and warns "Glyph ... missing". So the charts name a CJK
family explicitly (``font.sans-serif`` first entry, DejaVu Sans after it for any symbol the CJK font
lacks), chosen by :func:`cjk_font` in this order:

1. ``JIEDAO_CJK_FONT=/path/to/font.otf|ttf|ttc`` in the environment, if set (registered with
   ``fontManager.addfont``);
2. a Simplified-Chinese system font that matplotlib's font manager already knows (Noto Sans CJK
   SC, Noto Sans SC, Source Han Sans SC/CN, Sarasa Gothic SC, WenQuanYi Zen/Micro Hei, Droid Sans
   Fallback, Microsoft YaHei, PingFang SC, Hiragino Sans GB, Heiti SC, SimHei), provided it covers
   every character of :mod:`export.labels`;
3. the packaged font: **Noto Sans SC Regular** (``NotoSansSC-Regular.otf``, the Simplified-Chinese
   subset OTF of Google/Adobe's Noto Sans CJK, 8.3 MB, about 30,900 characters: GB 2312 and far
   beyond, plus Latin, digits and common symbols), brought by the PyPI package
   ``pylopdf-fonts-zh-cn`` (a data-only wheel of about 17 MB with no dependencies; it also carries
   Noto Serif SC, unused here). The package and both fonts are under the **SIL Open Font License
   1.1**, its text in the package's ``LICENSE`` (``pylopdf_fonts_zh_cn-*.dist-info/licenses``);
   the files are the unmodified ones of the notofonts/noto-cjk repository. It is a core dependency
   in ``pyproject.toml``, so ``pip install .`` alone is enough on a fresh machine. The charts only
   use the font to draw (and SVGs hold paths, not the font), which the OFL allows without
   conditions; nothing of the font is redistributed by jiedao itself.

If none is found the charts still render, with a warning, and Chinese text shows as boxes.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import FuncFormatter, PercentFormatter

from jiedao.export.files import atomic_write_bytes
from jiedao.export.labels import LANGS, chinese_characters, label, label_or

ENV_FONT = "JIEDAO_CJK_FONT"
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_PACKAGE_FILE = "NotoSansSC-Regular.otf"
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Sarasa Gothic SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
)
STREAM_ORDER = ("window", "urgent", "ordinary", "grid", "enforcement")
DPI = 150

# Colour-blind-safe pairs (Okabe-Ito)
C_LOW, C_HIGH = "#0072B2", "#D55E00"
C_BEFORE, C_AFTER = "#999999", "#0072B2"
C_LINE, C_SHADOW, C_TARGET = "#0072B2", "#D55E00", "#CC3311"


# --- the font -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CjkFont:
    """The CJK font the charts use: its file, the family name matplotlib knows it by, its source."""

    path: Path
    family: str
    source: str  # "env", "system" or "package"
    face_index: int = 0

    def charmap(self) -> dict[int, int]:
        return _charmap(str(self.path), self.face_index)


@lru_cache(maxsize=16)
def _charmap(path: str, face_index: int = 0) -> dict[int, int]:
    font = FT2Font(path, face_index=face_index) if face_index else FT2Font(path)
    return dict(font.get_charmap())


def _covers(path: str, face_index: int, chars: str) -> bool:
    try:
        cmap = _charmap(path, face_index)
    except Exception:  # an unreadable or unsupported font file: not a candidate
        return False
    return all(ord(ch) in cmap for ch in chars if not ch.isspace())


def _register(path: Path, source: str) -> CjkFont | None:
    """Add a font file to matplotlib's font manager; the family name it is found under."""
    path = path.resolve()
    if not path.is_file():
        return None
    try:
        font_manager.fontManager.addfont(str(path))
    except Exception:
        return None
    for entry in font_manager.fontManager.ttflist:
        if Path(entry.fname).resolve() == path and getattr(entry, "index", 0) == 0:
            return CjkFont(path, entry.name, source, 0)
    return None


def _packaged_font_path() -> Path | None:
    try:
        from importlib.resources import files

        resource = files(FONT_PACKAGE).joinpath(FONT_PACKAGE_FILE)
    except ModuleNotFoundError:
        return None
    path = Path(str(resource))
    return path if path.is_file() else None


def _system_font(chars: str) -> CjkFont | None:
    def weight(entry: Any) -> float:
        w = entry.weight
        if isinstance(w, str):
            w = font_manager.weight_dict.get(w, 400)
        return abs(float(w) - 400)

    candidates = [
        e
        for e in font_manager.fontManager.ttflist
        if e.name in SYSTEM_FAMILIES and e.style == "normal" and Path(e.fname).is_file()
    ]
    candidates.sort(key=lambda e: (SYSTEM_FAMILIES.index(e.name), weight(e), e.fname))
    tried: set[str] = set()
    for entry in candidates:
        if entry.name in tried:
            continue  # matplotlib resolves a family to its best weight: test that one only
        tried.add(entry.name)
        found = font_manager.fontManager.findfont(
            font_manager.FontProperties(family=[entry.name]), fallback_to_default=False
        )
        index = getattr(found, "face_index", 0)
        if _covers(str(found), index, chars):
            return CjkFont(Path(found).resolve(), entry.name, "system", index)
    return None


@lru_cache(maxsize=1)
def cjk_font() -> CjkFont | None:
    """The CJK font for charts (see the module docstring for the order), or None if none found."""
    chars = chinese_characters()
    override = os.environ.get(ENV_FONT)
    if override:
        font = _register(Path(override).expanduser(), "env")
        if font is not None:
            return font
        warnings.warn(f"{ENV_FONT}={override!r} is not a usable font file; ignored", stacklevel=2)
    font = _system_font(chars)
    if font is not None:
        return font
    packaged = _packaged_font_path()
    if packaged is not None:
        return _register(packaged, "package")
    return None


def missing_characters(text: str, font: CjkFont | None = None) -> str:
    """The characters of ``text`` (spaces aside) that the chart font cannot draw, in order."""
    font = font or cjk_font()
    if font is None:
        return "".join(dict.fromkeys(ch for ch in text if ord(ch) > 127))
    cmap = font.charmap()
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in cmap))


def _families(font: CjkFont | None) -> list[str]:
    """The CJK family first; DejaVu Sans after it for any symbol the CJK font lacks."""
    return ([font.family] if font else []) + ["DejaVu Sans"]


@contextmanager
def chart_style() -> Iterator[CjkFont | None]:
    """matplotlib settings for jiedao's charts, with the CJK family named first."""
    font = cjk_font()
    if font is None:
        warnings.warn(
            "no CJK font found: Chinese text in charts will show as boxes "
            f"(pip install pylopdf-fonts-zh-cn, or set {ENV_FONT})",
            stacklevel=3,
        )
    families = _families(font)
    rc: dict[Any, Any] = {  # matplotlib's stubs type the keys as a Literal
        # Concrete names, not the generic "sans-serif": a Text keeps the family list it was made
        # with, so a chart drawn later outside this context still uses the CJK font.
        "font.family": families,
        "font.sans-serif": families,
        "axes.unicode_minus": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": "medium",
        "svg.fonttype": "path",
        "svg.hashsalt": "jiedao",
        "savefig.dpi": DPI,
    }
    with matplotlib.rc_context(rc):
        yield font


P = ParamSpec("P")
R = TypeVar("R")


def _styled(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with chart_style() as font:
            fig = func(*args, **kwargs)
            if isinstance(fig, Figure):  # tick labels made at draw time get the family too
                for ax in fig.axes:
                    ax.tick_params(labelfontfamily=_families(font))
            return fig

    return wrapper


# --- helpers ------------------------------------------------------------------------------------


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _num(value: Any) -> float:
    """A finite float, or nan for None / non-numbers."""
    if value is None:
        return math.nan
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


def _fmt(value: float, signed: bool = False) -> str:
    if not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    a = abs(value)
    if a >= 1000:
        return f"{value:{sign},.0f}"
    if a >= 100:
        return f"{value:{sign}.0f}"
    if a >= 10:
        return f"{value:{sign}.1f}"
    return f"{value:{sign}.2f}"


def _no_data(ax: Axes, lang: str) -> None:
    ax.text(0.5, 0.5, label("no_data", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


# --- charts -------------------------------------------------------------------------------------


@_styled
def tornado(
    rows: Sequence[tuple[str, float | None, float | None]],
    title: str,
    lang: str = "zh",
    *,
    x_label: str | None = None,
    low_label: str | None = None,
    high_label: str | None = None,
) -> Figure:
    """One-at-a-time sensitivity: per parameter, the change in the output when it is lowered
    (``low_change``) and raised (``high_change``); the widest swing at the top.

    ``rows`` are ``(parameter_label, low_change, high_change)``; None or nan draws no bar.
    """
    _check_lang(lang)
    clean = [(str(p), _num(lo), _num(hi)) for p, lo, hi in rows]

    def swing(row: tuple[str, float, float]) -> float:
        return max((abs(v) for v in row[1:] if math.isfinite(v)), default=0.0)

    clean.sort(key=swing, reverse=True)
    n = len(clean)
    fig = _new_figure(8.0, max(2.8, 0.5 * n + 1.6))
    ax = fig.add_subplot()
    ax.set_title(title)
    if not clean:
        _no_data(ax, lang)
        return fig
    y = np.arange(n, dtype=float)[::-1]  # first (widest) row at the top
    lows = np.array([r[1] for r in clean])
    highs = np.array([r[2] for r in clean])
    h = 0.38
    ax.barh(
        y + h / 2,
        np.nan_to_num(highs),
        height=h,
        color=C_HIGH,
        label=high_label or label("high", lang),
    )
    ax.barh(
        y - h / 2, np.nan_to_num(lows), height=h, color=C_LOW, label=low_label or label("low", lang)
    )
    ax.axvline(0.0, color="black", linewidth=0.8)
    span = max(float(np.nanmax(np.abs(np.concatenate([lows, highs])), initial=0.0)), 1e-12)
    pad = 0.02 * span
    for yy, values in ((y + h / 2, highs), (y - h / 2, lows)):
        for yi, v in zip(yy, values, strict=True):
            if math.isfinite(v):
                ax.text(
                    v + (pad if v >= 0 else -pad),
                    yi,
                    _fmt(v, signed=True),
                    va="center",
                    ha="left" if v >= 0 else "right",
                    fontsize="small",
                )
    ax.set_xlim(-1.25 * span, 1.25 * span)
    ax.set_yticks(y, [r[0] for r in clean])
    ax.set_xlabel(x_label or label("change", lang))
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    return fig


@_styled
def budget_frontier(
    points: Sequence[tuple[float, float, float | None]],
    x_label: str,
    lang: str = "zh",
    *,
    title: str | None = None,
    y_label: str | None = None,
    shadow_label: str | None = None,
) -> Figure:
    """The service level each budget buys, with the shadow price of the budget at each point.

    ``points`` are ``(budget, service_level, shadow_price | None)``; the budget is yuan or posts
    (say which in ``x_label``), the service level a share 0-1. Shadow prices, where given, go on a
    second axis on the right.
    """
    _check_lang(lang)
    pts = sorted(((_num(x), _num(s), _num(p)) for x, s, p in points), key=lambda t: t[0])
    pts = [t for t in pts if math.isfinite(t[0])]
    fig = _new_figure(8.0, 4.8)
    ax = fig.add_subplot()
    ax.set_title(title or label("budget_frontier", lang))
    if not pts:
        _no_data(ax, lang)
        return fig
    x = np.array([t[0] for t in pts])
    level = np.array([t[1] for t in pts])
    shadow = np.array([t[2] for t in pts])
    handles = ax.plot(
        x, level, marker="o", color=C_LINE, label=y_label or label("service_level", lang)
    )
    if len(pts) <= 12:
        for xi, si in zip(x, level, strict=True):
            if math.isfinite(si):
                ax.annotate(
                    f"{si:.1%}",
                    (xi, si),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize="small",
                )
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel(y_label or label("service_level", lang))
    ax.set_xlabel(x_label)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.grid(True, alpha=0.3)
    finite = level[np.isfinite(level)]
    if finite.size:  # room above the highest point for its label, no ticks far past 100%
        lo, hi = float(finite.min()), float(finite.max())
        pad = max(0.08 * (hi - lo), 0.02)
        ax.set_ylim(lo - pad, hi + pad)
    if np.any(np.isfinite(shadow)):
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ok = np.isfinite(shadow)
        handles += ax2.plot(
            x[ok],
            shadow[ok],
            marker="s",
            linestyle="--",
            color=C_SHADOW,
            label=shadow_label or label("shadow_price", lang),
        )
        ax2.set_ylabel(shadow_label or label("shadow_price", lang), color=C_SHADOW)
        ax2.tick_params(axis="y", colors=C_SHADOW)
        ax2.set_ylim(bottom=min(0.0, float(np.min(shadow[ok]))))
    ax.legend(handles=handles, loc="lower right", fontsize="small", frameon=False)
    return fig


def _time_unit(values_min: np.ndarray, target_min: float) -> tuple[float, str, str]:
    """Divisor from minutes, unit key, axis-label key: minutes, hours or days, by the scale."""
    finite = values_min[np.isfinite(values_min)]
    scale = float(np.quantile(finite, 0.9)) if finite.size else 0.0
    if math.isfinite(target_min):
        scale = max(scale, target_min)
    if scale <= 180:
        return 1.0, "minutes", "wait_min"
    if scale <= 72 * 60:
        return 60.0, "hours", "wait_h"
    return 1440.0, "days", "wait_days"


MAX_ECDF_POINTS = 2000


@_styled
def wait_distribution(
    waits_by_stream: Mapping[str, np.ndarray | Sequence[float]],
    targets_by_stream: Mapping[str, float | None],
    lang: str = "zh",
    *,
    title: str | None = None,
    units: Mapping[str, str] | None = None,
    shares: Mapping[str, float] | None = None,
) -> Figure:
    """Waiting-time distribution per stream: one panel each, the empirical CDF of the waits with
    the stream's target marked and the share of cases within it.

    Waits and targets are in minutes, each panel in minutes, hours or days by its scale; or, for a
    stream in ``units`` (``"min"`` or ``"days"``), already in that unit and shown in it (one unit
    per stream, as the tables: :data:`export.summary.UNITS`). An infinite wait is one who gave up
    or is still waiting past the target: it counts against the share within the target (as in the
    tables) and the curve tops out below 100%. ``shares``, where given, is the share within the
    target the tables print (the mean of the replications' shares), shown instead of the pooled
    one the curve reaches (they differ by the replications' spread only).
    Streams are shown window, urgent, ordinary, grid, enforcement first, then any others.
    """
    _check_lang(lang)
    units = units or {}
    streams = [s for s in STREAM_ORDER if s in waits_by_stream]
    streams += [s for s in waits_by_stream if s not in streams]
    n = max(len(streams), 1)
    fig = _new_figure(4.2 * n, 3.9)
    axes = fig.subplots(1, n, squeeze=False)[0]
    fig.suptitle(title or label("wait", lang))
    if not streams:
        _no_data(axes[0], lang)
        return fig
    for i, (ax, stream) in enumerate(zip(axes, streams, strict=True)):
        every = np.asarray(waits_by_stream[stream], dtype=float).ravel()
        every = every[~np.isnan(every)]
        waits = every[np.isfinite(every)]
        reached = waits.size / every.size if every.size else 1.0  # the rest gave up / still open
        target = _num(targets_by_stream.get(stream))
        ax.set_title(label_or(stream, lang))
        if waits.size == 0:
            _no_data(ax, lang)
            continue
        if stream in units:
            unit = "minutes" if units[stream] == "min" else units[stream]
            div, axis_key = 1.0, "time_min" if unit == "minutes" else "time_days"
        else:
            div, unit, axis_key = _time_unit(waits, target)
        if waits.size > MAX_ECDF_POINTS:  # quantiles keep the SVG small for large samples
            probs = np.linspace(0.0, 1.0, MAX_ECDF_POINTS + 1)
            xs, ys = np.quantile(waits, probs), probs * reached
        else:
            xs = np.sort(waits)
            ys = np.arange(1, xs.size + 1) / xs.size * reached
        xs = np.concatenate([[min(0.0, float(xs[0]))], xs]) / div
        ys = np.concatenate([[0.0], ys])
        ax.step(xs, ys, where="post", color=C_LINE, linewidth=1.6)
        if math.isfinite(target):
            share = float(np.mean(every <= target))
            if shares is not None and math.isfinite(_num(shares.get(stream))):
                share = float(_num(shares.get(stream)))
            ax.axvline(target / div, color=C_TARGET, linestyle="--", linewidth=1.2)
            ax.text(
                0.97,
                0.05,
                f"{label('target', lang)} {_fmt(target / div)} {label(unit, lang)}\n"
                f"{label('within_target', lang)} {share:.1%}"
                + (f"\n{label('not_in_time', lang)} {1 - reached:.1%}" if reached < 1 else ""),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize="small",
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85, "linewidth": 0.5},
            )
        ax.set_ylim(0.0, 1.02)
        ax.set_xlim(left=min(0.0, float(xs[0])))
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        ax.set_xlabel(label(axis_key, lang))
        if i == 0:
            ax.set_ylabel(label("cumulative_share", lang))
        ax.grid(True, alpha=0.3)
    return fig


VariantRow = tuple[str, Sequence[tuple[float | None, float | None]], bool]
VARIANT_COLOURS = (C_BEFORE, C_AFTER, "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442")


def error_extent(mean: float, half: float, share: bool) -> tuple[float, float]:
    """(below, above) lengths of an error bar ``mean ± half`` kept inside the metric's range:
    0-1 for a share (the t-interval clipped, as the tables show it), at or above 0 otherwise
    (times and counts are never negative)."""
    if not (math.isfinite(mean) and math.isfinite(half)):
        return 0.0, 0.0
    low = max(0.0, mean - half)
    high = min(1.0, mean + half) if share else mean + half
    return max(0.0, mean - low), max(0.0, high - mean)


@_styled
def variants_chart(
    metrics: Sequence[VariantRow],
    names: Sequence[str],
    lang: str = "zh",
    *,
    title: str | None = None,
) -> Figure:
    """Every variant side by side: per metric a panel, a bar per variant (``names``, the first
    the baseline) with its 95% interval kept inside the metric's range (:func:`error_extent`),
    and each variant's change against the baseline. ``metrics`` are ``(label, [(mean, ci95) per
    variant], is_share)``; a share's axis is in percent."""
    _check_lang(lang)
    names = [str(n) for n in names]
    n = len(metrics)
    k = max(len(names), 1)
    ncols = min(max(n, 1), 3 if k > 2 else 4)
    nrows = max(1, math.ceil(n / ncols))
    fig = _new_figure((0.9 + 0.75 * k) * ncols + 0.6, 3.2 * nrows + 0.7)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    fig.suptitle(title or f"{label('compare', lang)}: {' / '.join(names)}")
    if n == 0:
        _no_data(axes[0], lang)
        return fig
    colours = [VARIANT_COLOURS[i % len(VARIANT_COLOURS)] for i in range(k)]
    for ax, (name, values, share) in zip(axes, metrics, strict=False):
        means = np.array([_num(m) for m, _ in values])
        halves = np.abs(np.array([_num(c) for _, c in values]))
        extents = [error_extent(m, h, share) for m, h in zip(means, halves, strict=True)]
        xs = np.arange(len(values))
        ax.bar(  # a variant without the figure gets no bar (not a bar at 0)
            xs,
            means,
            yerr=np.array(extents).T if extents else None,
            capsize=4,
            width=0.65,
            color=colours[: len(values)],
            error_kw={"linewidth": 1.0},
        )
        for xi, (m, (_, above)) in enumerate(zip(means, extents, strict=True)):
            if math.isfinite(m):
                ax.annotate(
                    f"{m:.1%}" if share else _fmt(m),
                    (xi, m + above),
                    textcoords="offset points",
                    xytext=(0, 3),
                    ha="center",
                    va="bottom",
                    fontsize="x-small",
                )
        heading = str(name)
        base = means[0] if means.size else math.nan
        for other, m in zip(names[1:], means[1:], strict=False):
            change = m - base
            if math.isfinite(change):
                shown = f"{change * 100:+.1f} pp" if share else _fmt(change, signed=True)
                heading += f"\n{other}: Δ {shown}"
        ax.set_title(heading, fontsize="small")
        ax.set_xticks(xs, names[: len(values)], rotation=20 if k > 3 else 0, fontsize="small")
        ax.axhline(0.0, color="black", linewidth=0.6)
        if share:
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
            ax.set_ylim(0.0, 1.08)
        else:
            ax.set_ylim(bottom=0.0)
            ax.margins(y=0.15)
        ax.grid(True, axis="y", alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig


def before_after(
    metrics: Sequence[tuple[str, float, float | None, float, float | None]],
    lang: str = "zh",
    *,
    title: str | None = None,
    before_label: str | None = None,
    after_label: str | None = None,
) -> Figure:
    """Two variants (before/after reform): :func:`variants_chart` with two names. ``metrics`` are
    ``(label, before_mean, before_ci, after_mean, after_ci)``; the CIs are half-widths, None for
    none; a metric whose label names a share (達标/share/%) is kept inside 0-100%."""
    names = (before_label or label("before", lang), after_label or label("after", lang))
    rows: list[VariantRow] = [
        (name, [(b, b_ci), (a, a_ci)], _share_like(name, b, a))
        for name, b, b_ci, a, a_ci in metrics
    ]
    return variants_chart(rows, names, lang, title=title or label("before_after", lang))


def _share_like(name: str, *values: float | None) -> bool:
    words = ("share", "达标", "%", "率")
    finite = [_num(v) for v in values if math.isfinite(_num(v))]
    return any(w in name for w in words) and all(0.0 <= v <= 1.0 for v in finite)


# --- sweep (issue 14): a varied field against the sweep's key figures ----------------------------

SweepSeries = Sequence[tuple[Any, float | None, float | None, float | None]]


@_styled
def sweep_chart(
    x_label: str,
    panels: Sequence[tuple[str, bool, Sequence[tuple[str, SweepSeries]]]],
    lang: str = "zh",
    *,
    title: str | None = None,
) -> Figure:
    """One varied field (the x axis) against the sweep's key figures: a panel per figure,
    ``(heading, is_share, series)``, and in it a line per combination of the other varied
    fields, ``(name, [(x, mean, low, high), ...])``. Error bars run from ``low`` to ``high``
    (the 95% interval as the results table gives it, inside 0-100% for a share); a share's axis
    is in percent. Values that are not numbers are placed in the order given."""
    _check_lang(lang)
    n = len(panels)
    ncols = min(max(n, 1), 3)
    nrows = max(1, math.ceil(n / ncols))
    fig = _new_figure(3.4 * ncols + 0.4, 2.9 * nrows + 0.7)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    fig.suptitle(title or f"{label('sweep', lang)}: {x_label}")
    if n == 0:
        _no_data(axes[0], lang)
        return fig
    xs_all = [x for _, _, series in panels for _, points in series for x, *_ in points]
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs_all)
    order: list[Any] = []
    for x in xs_all:
        if x not in order:
            order.append(x)
    for ax, (heading, share, series) in zip(axes, panels, strict=False):
        for name, points in series:
            xs = [float(x) if numeric else float(order.index(x)) for x, *_ in points]
            means = np.array([_num(m) for _, m, _, _ in points])
            lows = np.array([_num(lo) for _, _, lo, _ in points])
            highs = np.array([_num(hi) for _, _, _, hi in points])
            below = np.nan_to_num(np.clip(means - lows, 0, None))
            above = np.nan_to_num(np.clip(highs - means, 0, None))
            ax.errorbar(
                xs, means, yerr=[below, above], marker="o", capsize=3, linewidth=1.2, label=name
            )
        ax.set_title(heading, fontsize="medium")
        ax.set_xlabel(x_label, fontsize="small")
        if not numeric:
            ax.set_xticks(range(len(order)), [str(x) for x in order])
        elif len(order) <= 12:
            ax.set_xticks([float(x) for x in order], [f"{float(x):,.6g}" for x in order])
        if share:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
            ax.set_ylim(bottom=max(0.0, ax.get_ylim()[0]), top=min(1.005, ax.get_ylim()[1]))
        else:
            ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.grid(True, alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize="x-small")
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig


# --- saving -------------------------------------------------------------------------------------

_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": "jiedao (matplotlib)"},
    "svg": {"Date": None, "Creator": "jiedao (matplotlib)"},
}


def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, drawn with the chart style (and so the CJK font)."""
    if fmt not in _METADATA:
        raise ValueError(f"unknown chart format {fmt!r}: png or svg")
    buf = io.BytesIO()
    with chart_style():
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
    return buf.getvalue()


def save_figure(fig: Figure, path_without_suffix: str | os.PathLike[str]) -> list[Path]:
    """Write ``<path>.png`` and ``<path>.svg`` atomically; returns ``[png_path, svg_path]``.

    Both are rendered in memory first, so a failure leaves neither file half-written. Existing
    files are replaced: whether that is allowed (``--force``) is the caller's decision.
    """
    base = Path(path_without_suffix)
    data = {fmt: render(fig, fmt) for fmt in ("png", "svg")}
    paths = []
    for fmt, payload in data.items():
        path = base.with_name(f"{base.name}.{fmt}")
        atomic_write_bytes(path, payload)
        paths.append(path)
    return paths
