"""Charts of the plan as small hand-written SVG: posts today vs plan, the service level with its
interval against the target, the budget split; and for sensitivity the frontier and the tornado.

They are drawn from the summary (:mod:`export.summary`), for the report (inline, no script, no
font file: text is text in the reader's fonts) and as files beside the plan's tables. The same
summary gives the same bytes: no date, no random ids, coordinates at one decimal. Every mark
carries the figure it draws (``data-key``, ``data-series``, ``data-value``, at the CSV's precision)
so a reader or a test can read the values back from the SVG.

At more than :data:`export.summary.MAX_BARS` communities the community charts draw streets
(posts: sums), and beyond that districts; the service level becomes a distribution (how many
communities' lower bounds fall in each band, against the target).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from jiedao.export import format as fmt
from jiedao.export.format import csv_number
from jiedao.export.summary import MAX_BARS, AreaLine, CommunityLine, PlanSummary

FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif"
C_TODAY, C_PLAN, C_TARGET, C_MET, C_NOT = "#999999", "#0072B2", "#CC3311", "#009E73", "#D55E00"
BUDGET_COLOURS = ("#0072B2", "#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#999999")
W = 720  # width in px

TEXT = {
    "posts_title": ("社工岗：现有与方案", "Social-worker posts: today and in the plan"),
    "today": ("现有", "today"),
    "plan": ("方案", "plan"),
    "service_title": (
        "网格服务达标率（95%区间）与目标",
        "Grid service level (95% interval) against the target",
    ),
    "target": ("目标", "target"),
    "lower": ("95%下限", "lower 95%"),
    "met": ("达标（下限不低于目标）", "met (lower bound at or above target)"),
    "not_met": ("未达标", "not met"),
    "budget_title": ("每年预算构成", "The year's budget by what it buys"),
    "posts": ("社工岗", "posts"),
    "hours": ("购买服务小时", "purchased service hours"),
    "no_hours": ("不购买小时的经费", "funds buying no hours"),
    "funds": ("服务经费", "service funds"),
    "clerks": ("窗口人员", "window clerks"),
    "overtime": ("有偿加班与值班", "paid overtime and on-call"),
    "by_street": ("（按街道汇总）", " (by street)"),
    "by_district": ("（按区县汇总）", " (by district)"),
    "distribution": (
        "社区达标率下限分布（社区数）",
        "Communities by the lower bound of their level (count)",
    ),
    "frontier_title": (
        "预算前沿：社工岗总量与网格服务达标率",
        "Budget frontier: the posts pool and the grid service level",
    ),
    "tornado_title": ("敏感性：参数变化对社工岗的影响", "Sensitivity: posts when an input moves"),
    "low": ("降低", "lower"),
    "high": ("提高", "higher"),
}


def t(key: str, lang: str) -> str:
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def _n(x: float) -> str:
    """A coordinate at one decimal (so the bytes do not depend on float noise)."""
    text = f"{x:.1f}"
    return "0" if text in ("-0.0", "0.0") else text.removesuffix(".0")


def _value(v: float | int | None) -> str:
    return csv_number(v if not isinstance(v, float) or math.isfinite(v) else None)


def _text(
    x: float, y: float, s: str, *, anchor: str = "start", size: int = 12, **attrs: str
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{escape(s)}</text>"
    )


def _svg(height: float, body: list[str], chart: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{chart}" '
        f'width="{W}" height="{_n(height)}" viewBox="0 0 {W} {_n(height)}" role="img" '
        f'font-family="{FONT}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float, n: int = 5) -> list[float]:
    return [top * i / n for i in range(n + 1)]


# --- posts today vs plan --------------------------------------------------------------------------


def community_labels(summary: PlanSummary) -> dict[str, str]:
    """Each community's name on a chart; with its street where two communities share a name."""
    names = [c.name for c in summary.communities]
    return {
        c.id: c.name if names.count(c.name) == 1 else f"{c.street} · {c.name}"
        for c in summary.communities
    }


def _post_rows(summary: PlanSummary) -> tuple[str, list[tuple[str, str, int, int]]]:
    """(suffix key, rows of (id, label, today, plan)): communities, else streets, else districts."""
    if len(summary.communities) <= MAX_BARS:
        names = community_labels(summary)
        return "", [
            (c.id, names[c.id], c.posts_today, c.posts_plan or 0) for c in summary.communities
        ]
    areas: Sequence[AreaLine] = summary.streets
    key = "by_street"
    if len(areas) > MAX_BARS:
        areas, key = summary.districts, "by_district"
    return key, [(a.id, a.name, a.posts_today, a.posts_plan) for a in areas]


def posts_chart(summary: PlanSummary, lang: str = "zh") -> str:
    suffix, rows = _post_rows(summary)
    title = t("posts_title", lang) + (t(suffix, lang) if suffix else "")
    left, right, top, row_h = 170.0, 60.0, 56.0, 24.0
    height = top + row_h * max(len(rows), 1) + 40
    top_value = _nice_max(max((max(r[2], r[3]) for r in rows), default=1))
    scale = (W - left - right) / top_value
    body = [_text(W / 2, 20, title, anchor="middle", size=15, font_weight="bold")]
    body += _legend([(C_TODAY, t("today", lang)), (C_PLAN, t("plan", lang))], 34)
    for tick in _ticks(top_value):
        x = left + tick * scale
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 4)}" x2="{_n(x)}" y2="{_n(height - 36)}" '
            'stroke="#ddd"/>'
        )
        body.append(_text(x, height - 22, fmt.figure(tick), anchor="middle", size=11))
    bar = (row_h - 6) / 2
    for i, (key, name, today, plan) in enumerate(rows):
        y = top + i * row_h
        body.append(_text(left - 6, y + row_h / 2 + 2, name, anchor="end", size=11))
        for j, (series, value, colour) in enumerate(
            (("today", today, C_TODAY), ("plan", plan, C_PLAN))
        ):
            yy = y + 2 + j * bar
            body.append(
                f'<rect x="{_n(left)}" y="{_n(yy)}" width="{_n(value * scale)}" '
                f'height="{_n(bar)}" fill="{colour}" data-key="{escape(key)}" '
                f'data-series="{series}" data-value="{_value(value)}"/>'
            )
        change = plan - today
        body.append(
            _text(
                left + max(today, plan) * scale + 4,
                y + row_h / 2 + 3,
                f"{fmt.count(plan)} ({fmt.count(change, sign=True)})"
                if change
                else fmt.count(plan),
                size=10,
            )
        )
    return _svg(height, body, "posts", title)


def _legend(items: list[tuple[str, str]], y: float, x0: float = 170.0) -> list[str]:
    out = []
    x = x0
    for colour, name in items:
        out.append(f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="12" height="10" fill="{colour}"/>')
        out.append(_text(x + 16, y, name, size=11))
        x += 24 + 13 * len(name) if any(ord(ch) > 127 for ch in name) else 24 + 7 * len(name)
    return out


# --- service level with intervals -----------------------------------------------------------------


def service_chart(summary: PlanSummary, lang: str = "zh") -> str:
    rows = [c for c in summary.communities if c.level is not None]
    if len(rows) > MAX_BARS:
        return _service_distribution(summary, rows, lang)
    title = t("service_title", lang)
    names = community_labels(summary)
    left, right, top, row_h = 170.0, 70.0, 56.0, 20.0
    height = top + row_h * max(len(rows), 1) + 40
    lows = [c.level.lo for c in rows if c.level] + [c.target for c in rows if c.target is not None]
    x_min = math.floor(min(lows, default=0.0) * 10) / 10 if lows else 0.0
    x_min = max(0.0, min(x_min, 0.9))
    scale = (W - left - right) / (1.0 - x_min)

    def px(share: float) -> float:
        return left + (min(max(share, x_min), 1.0) - x_min) * scale

    body = [_text(W / 2, 20, title, anchor="middle", size=15, font_weight="bold")]
    body += _legend(
        [(C_MET, t("met", lang)), (C_NOT, t("not_met", lang)), (C_TARGET, t("target", lang))], 34
    )
    body.append(_text(W - right + 6, top - 8, t("lower", lang), size=10, font_weight="bold"))
    step = 0.05 if 1.0 - x_min <= 0.3 else 0.1
    k = 0
    while x_min + k * step <= 1.0 + 1e-9:
        tick = x_min + k * step
        x = px(tick)
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 4)}" x2="{_n(x)}" y2="{_n(height - 36)}" '
            'stroke="#ddd"/>'
        )
        body.append(_text(x, height - 22, fmt.pct(tick, decimals=0), anchor="middle", size=11))
        k += 1
    for i, c in enumerate(rows):
        assert c.level is not None
        y = top + i * row_h + row_h / 2
        colour = C_MET if c.met else C_NOT
        body.append(_text(left - 6, y + 4, names[c.id], anchor="end", size=11))
        body.append(
            f'<line x1="{_n(px(c.level.lo))}" y1="{_n(y)}" x2="{_n(px(c.level.hi))}" '
            f'y2="{_n(y)}" stroke="{colour}" stroke-width="2" data-key="{escape(c.id)}" '
            f'data-series="interval" data-lo="{_value(c.level.lo)}" '
            f'data-hi="{_value(c.level.hi)}"/>'
        )
        body.append(
            f'<circle cx="{_n(px(c.level.mean))}" cy="{_n(y)}" r="4" fill="{colour}" '
            f'data-key="{escape(c.id)}" data-series="level" '
            f'data-value="{_value(c.level.mean)}"/>'
        )
        if c.target is not None:
            x = px(c.target)
            body.append(
                f'<line x1="{_n(x)}" y1="{_n(y - 7)}" x2="{_n(x)}" y2="{_n(y + 7)}" '
                f'stroke="{C_TARGET}" stroke-width="2" data-key="{escape(c.id)}" '
                f'data-series="target" data-value="{_value(c.target)}"/>'
            )
        body.append(_text(W - right + 6, y + 4, fmt.pct(c.level.lo, rounding="down"), size=10))
    return _svg(height, body, "service", title)


def distribution_bands(
    rows: Sequence[CommunityLine], width: float = 0.025
) -> list[tuple[float, int, int]]:
    """(band start, communities met, not met) by the lower bound of their level, bands of
    ``width`` from the lowest band holding one to 100%."""
    bounds = [c.level.lo for c in rows if c.level is not None]
    if not bounds:
        return []
    n = int(round(1 / width))
    start = min(int(math.floor(min(bounds) / width + 1e-9)), n - 1)
    bands = []
    for b in range(start, n):
        lo, hi = b * width, (b + 1) * width
        inside = [
            c
            for c in rows
            if c.level is not None and lo - 1e-12 <= c.level.lo < (hi if b < n - 1 else 1.0 + 1e-9)
        ]
        bands.append((lo, sum(1 for c in inside if c.met), sum(1 for c in inside if not c.met)))
    return bands


def _service_distribution(summary: PlanSummary, rows: Sequence[CommunityLine], lang: str) -> str:
    title = t("distribution", lang)
    bands = distribution_bands(rows)
    left, right, top, bottom = 60.0, 30.0, 56.0, 50.0
    height = 360.0
    plot_h = height - top - bottom
    top_value = _nice_max(max((m + n for _, m, n in bands), default=1))
    col = (W - left - right) / max(len(bands), 1)
    body = [_text(W / 2, 20, title, anchor="middle", size=15, font_weight="bold")]
    body += _legend([(C_MET, t("met", lang)), (C_NOT, t("not_met", lang))], 34, left)
    for tick in _ticks(top_value):
        y = top + plot_h - tick / top_value * plot_h
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(W - right)}" y2="{_n(y)}" stroke="#ddd"/>'
        )
        body.append(_text(left - 6, y + 4, fmt.count(tick), anchor="end", size=11))
    for i, (lo, met, not_met) in enumerate(bands):
        x = left + i * col
        base = top + plot_h
        for series, value, colour in (("met", met, C_MET), ("not_met", not_met, C_NOT)):
            h = value / top_value * plot_h
            body.append(
                f'<rect x="{_n(x + 1)}" y="{_n(base - h)}" width="{_n(col - 2)}" height="{_n(h)}" '
                f'fill="{colour}" data-key="{_value(round(lo, 6))}" data-series="{series}" '
                f'data-value="{value}"/>'
            )
            base -= h
        if i % max(1, len(bands) // 8) == 0:
            body.append(_text(x, top + plot_h + 16, fmt.pct(lo), anchor="middle", size=10))
    targets = sorted({c.target for c in rows if c.target is not None})
    if targets and bands:
        first = bands[0][0]
        width = 0.025
        for target in targets[:3]:
            x = left + (target - first) / width * col
            body.append(
                f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(top + plot_h)}" '
                f'stroke="{C_TARGET}" stroke-dasharray="4 3" stroke-width="2" '
                f'data-series="target" data-value="{_value(target)}"/>'
            )
    return _svg(height, body, "service", title)


# --- the budget split -----------------------------------------------------------------------------


def budget_chart(summary: PlanSummary, lang: str = "zh") -> str:
    title = t("budget_title", lang)
    items = [b for b in summary.budget if b.yuan > 0]
    total = sum(b.yuan for b in items)
    left, right = 20.0, 20.0
    height = 110.0 + 20 * len(items)
    body = [_text(W / 2, 20, title, anchor="middle", size=15, font_weight="bold")]
    x = left
    span = W - left - right
    for i, b in enumerate(items):
        w = b.yuan / total * span if total else 0.0
        colour = BUDGET_COLOURS[i % len(BUDGET_COLOURS)]
        body.append(
            f'<rect x="{_n(x)}" y="40" width="{_n(w)}" height="30" fill="{colour}" '
            f'data-key="{escape(b.key)}" data-value="{_value(round(b.yuan, 2))}"/>'
        )
        if w > 50:
            body.append(
                _text(x + w / 2, 60, fmt.pct(b.yuan / total), anchor="middle", size=11, fill="#fff")
            )
        x += w
    for i, b in enumerate(items):
        y = 95 + 20 * i
        colour = BUDGET_COLOURS[i % len(BUDGET_COLOURS)]
        body.append(
            f'<rect x="{_n(left)}" y="{_n(y - 10)}" width="12" height="12" fill="{colour}"/>'
        )
        label = t(b.key, lang) if b.key in TEXT else b.key
        body.append(
            _text(
                left + 18,
                y,
                f"{label}: {fmt.money(b.yuan, lang)} · {fmt.pct(b.yuan / total)}",
                size=12,
            )
        )
    return _svg(height, body, "budget", title)


# --- sensitivity: frontier and tornado -----------------------------------------------------------


def frontier_chart(points: Sequence[tuple[float, float]], x_label: str, lang: str = "zh") -> str:
    """(budget, level) points joined by a line; the level axis in percent."""
    title = t("frontier_title", lang)
    pts = sorted((float(x), float(y)) for x, y in points if math.isfinite(x) and math.isfinite(y))
    left, right, top, bottom, height = 70.0, 30.0, 40.0, 50.0, 320.0
    plot_w, plot_h = W - left - right, height - top - bottom
    body = [_text(W / 2, 20, title, anchor="middle", size=15, font_weight="bold")]
    if pts:
        x0, x1 = pts[0][0], pts[-1][0]
        y0 = max(0.0, math.floor(min(p[1] for p in pts) * 10) / 10)
        xspan = (x1 - x0) or 1.0

        def px(x: float) -> float:
            return left + (x - x0) / xspan * plot_w

        def py(y: float) -> float:
            return top + plot_h - (y - y0) / (1.0 - y0 or 1.0) * plot_h

        body.append(
            '<polyline fill="none" stroke="#0072B2" stroke-width="2" points="'
            + " ".join(f"{_n(px(x))},{_n(py(y))}" for x, y in pts)
            + '"/>'
        )
        for x, y in pts:
            body.append(
                f'<circle cx="{_n(px(x))}" cy="{_n(py(y))}" r="3.5" fill="#0072B2" '
                f'data-key="{_value(x)}" data-value="{_value(y)}"/>'
            )
        for k in range(5):
            y = y0 + (1.0 - y0) * k / 4
            body.append(_text(left - 6, py(y) + 4, fmt.pct(y, decimals=0), anchor="end", size=11))
        for x in (x0, x1):
            body.append(_text(px(x), height - 30, fmt.figure(x), anchor="middle", size=11))
    body.append(_text(W / 2, height - 10, x_label, anchor="middle", size=12))
    return _svg(height, body, "frontier", title)


def tornado_chart(
    rows: Sequence[tuple[str, float, float, str]], lang: str = "zh", *, x_label: str = ""
) -> str:
    """(input's label, change when lowered, change when raised, key), widest swing first; the
    key (the input's field path) is what the bars carry as ``data-key``."""
    title = t("tornado_title", lang)
    clean = sorted(rows, key=lambda r: -max(abs(r[1]), abs(r[2])))
    left, right, top, row_h = 200.0, 40.0, 56.0, 26.0
    height = top + row_h * max(len(clean), 1) + 20
    span = max((max(abs(lo), abs(hi)) for _, lo, hi, _ in clean), default=1.0) or 1.0
    mid = left + (W - left - right) / 2
    scale = (W - left - right) / 2 / span
    body = [_text(W / 2, 20, title, anchor="middle", size=15, font_weight="bold")]
    body += _legend([(C_PLAN, t("low", lang)), (C_NOT, t("high", lang))], 40, left)
    body.append(
        f'<line x1="{_n(mid)}" y1="{_n(top)}" x2="{_n(mid)}" y2="{_n(height - 20)}" stroke="#000"/>'
    )
    for i, (name, lo, hi, key) in enumerate(clean):
        y = top + i * row_h
        body.append(_text(left - 6, y + row_h / 2 + 4, name, anchor="end", size=11))
        for series, value, colour, yy in (
            ("low", lo, C_PLAN, y + 3),
            ("high", hi, C_NOT, y + row_h / 2),
        ):
            x = mid + min(0.0, value) * scale
            body.append(
                f'<rect x="{_n(x)}" y="{_n(yy)}" width="{_n(abs(value) * scale)}" '
                f'height="{_n(row_h / 2 - 3)}" fill="{colour}" data-key="{escape(key)}" '
                f'data-series="{series}" data-value="{_value(value)}"/>'
            )
            if value:
                end = mid + value * scale + (3 if value > 0 else -3)
                body.append(
                    _text(
                        end,
                        yy + row_h / 2 - 5,
                        fmt.figure(value) if value < 0 else "+" + fmt.figure(value),
                        anchor="start" if value > 0 else "end",
                        size=9,
                    )
                )
    for k in (-1, 0, 1):  # the scale: 0 and the widest swing either side
        body.append(
            _text(
                mid + k * span * scale, height - 6, fmt.figure(k * span), anchor="middle", size=10
            )
        )
    if x_label:
        body.append(_text(mid, height + 12, x_label, anchor="middle", size=11))
    return _svg(height + 20, body, "tornado", title)


def plan_charts(summary: PlanSummary, lang: str = "zh") -> dict[str, str]:
    """The plan's own charts, by file stem."""
    return {
        "chart-posts": posts_chart(summary, lang),
        "chart-service": service_chart(summary, lang),
        "chart-budget": budget_chart(summary, lang),
    }
