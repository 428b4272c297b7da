"""What the terminal shows: one renderer per command, reading the frozen results.

Each ``render_*`` returns the text the command prints, in ``lang`` ("zh" or "en": every label,
header, parameter name and category value); the CLI only echoes it. Numbers are formatted by
:mod:`jiedao.export.format` (shares in percent with one decimal and their ranges inside 0-100%,
money with separators and 万元, durations with their unit, never a raw float); tables are laid out
by :func:`jiedao.export.table.format_table`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from jiedao.export import format as fmt
from jiedao.export.labels import label, label_or, parameter_label
from jiedao.export.sweep import SweepSummary
from jiedao.export.table import format_table
from jiedao.planning.compare import Comparison
from jiedao.planning.plan import Plan
from jiedao.planning.whatif import SensitivityReport
from jiedao.scenarios.model import Scenario
from jiedao.scenarios.summary import ScenarioSummary
from jiedao.sim.run import STREAMS, Results, summarise

WAIT_UNIT = {"window": "min", "grid": "min", "enforcement": "days"}
COMPARE_METRICS = (
    "target_share",
    "urgent_target_share",
    "ordinary_target_share",
    "urgent_response_p90_min",
    "wait_mean_min",
    "wait_mean_days",
    "wait_p90_min",
    "wait_p90_days",
    "utilisation",
    "overtime_h_per_worker_week",
)
UNIT_ZH = {"min": "分钟", "h": "小时", "days": "天"}


def _t(lang: str, zh: str, en: str) -> str:
    """The sentence in the reader's language."""
    return zh if lang == "zh" else en


def _unit(unit: str, lang: str) -> str:
    return UNIT_ZH.get(unit, unit) if lang == "zh" else unit


def _yes_no(value: bool | None, lang: str) -> str:
    if value is None:
        return fmt.NA
    if lang == "zh":
        return label("yes", lang) if value else label("no", lang)
    return "yes" if value else "NO"


def _stream(stream: str, lang: str) -> str:
    return label_or(stream, lang)


# --- overrides ------------------------------------------------------------------------------------


def render_changes(scenario: Scenario, flag: str = "--set") -> list[str]:
    """One line per field a relative override (``+=``, ``-=``, ``*=``) changed: its resulting
    value, so a planner sees what ``windows*=1.5`` made of each street."""
    origin = scenario.origin
    if origin is None:
        return []
    relative = {o.label for o in origin.overrides if getattr(o, "relative", False)}
    return [
        f"{flag} {label}: {path} {_value_text(old)} -> {_value_text(new)}"
        for path, old, new, label in origin.changes
        if label in relative
    ]


def _value_text(value: Any) -> str:
    return f"{value:.10g}" if isinstance(value, float) else repr(value)


# --- scenario show --------------------------------------------------------------------------------


def render_summary(summary: ScenarioSummary, lang: str = "zh") -> str:
    scenario = summary.scenario
    budget = scenario.budget
    targets = scenario.targets
    n_districts, n_streets = len(scenario.districts), len(summary.streets)
    n_communities = len(summary.communities)
    pool = budget.fund_pool_yuan
    t_w, t_g, t_e = targets.window, targets.grid, targets.enforcement
    if lang == "zh":
        days = {"working": "个工作日", "calendar": "天"}
        lines = [
            f"方案 {scenario.name} {scenario.name_zh}（{scenario.source}）",
            f"  {n_districts}个区县，{n_streets}个街道，{n_communities}个社区，"
            f"{fmt.count(scenario.households)}户，{fmt.count(summary.grids)}个网格",
            f"  人员：窗口人员{fmt.count(summary.windows)}名，综合执法人员"
            f"{fmt.count(summary.enforcement_officers)}名，社工岗{fmt.count(summary.posts)}个",
            f"  预算：社工岗总量{fmt.count(budget.posts_pool)}个 × 每岗每年"
            f"{fmt.yuan(budget.post_cost_yuan)} = {fmt.money(summary.posts_cost_yuan)}；"
            f"社区经费每年{fmt.money(summary.funds_yuan)}"
            + (f"；经费总额{fmt.money(pool)}" if pool is not None else ""),
            f"  目标：窗口{fmt.pct(t_w.share)}的办事群众等待不超过{fmt.figure(t_w.max_wait_min)}"
            f"分钟；网格：{fmt.pct(t_g.urgent_target)}的紧急事件{fmt.figure(t_g.urgent_response_h)}"
            f"小时内到场，{fmt.pct(t_g.ordinary_target)}的普通事件"
            f"{fmt.figure(t_g.ordinary_close_days)}{days[t_g.days]}内办结；综合执法"
            f"{fmt.pct(t_e.share)}的案件{fmt.figure(t_e.close_days)}{days[t_e.days]}内办结",
            *_access_lines(summary, lang),
            "",
        ]
    else:
        lines = [
            f"Scenario {scenario.name} {scenario.name_zh} ({scenario.source})",
            f"  {fmt.plural(n_districts, 'district', 'districts')}, "
            f"{fmt.plural(n_streets, 'street', 'streets')} (街道), "
            f"{fmt.plural(n_communities, 'community', 'communities')} (社区), "
            f"{fmt.count(scenario.households)} households, {fmt.count(summary.grids)} grids (网格)",
            f"  staff: {fmt.count(summary.windows)} window clerks (便民服务窗口), "
            f"{fmt.count(summary.enforcement_officers)} enforcement officers (综合执法), "
            f"{fmt.count(summary.posts)} social-worker posts (社工岗)",
            f"  budget: posts pool {fmt.count(budget.posts_pool)} x "
            f"{fmt.yuan(budget.post_cost_yuan)} a year = "
            f"{fmt.money(summary.posts_cost_yuan, lang)}; "
            f"community funds {fmt.money(summary.funds_yuan, lang)} a year"
            + (f" (pool {fmt.money(pool, lang)})" if pool is not None else ""),
            f"  targets: window {fmt.pct(t_w.share)} wait <= {fmt.figure(t_w.max_wait_min)} min; "
            f"grid: {fmt.pct(t_g.urgent_target)} of urgent events answered on site <= "
            f"{fmt.figure(t_g.urgent_response_h)} h and {fmt.pct(t_g.ordinary_target)} of "
            f"ordinary ones closed <= {fmt.figure(t_g.ordinary_close_days)} {t_g.days} days; "
            f"enforcement {fmt.pct(t_e.share)} closed <= {fmt.figure(t_e.close_days)} "
            f"{t_e.days} days",
            *_access_lines(summary, lang),
            "",
        ]
    rows = [
        [
            s.site,
            s.name_zh or s.name,
            s.communities,
            s.households,
            s.grids,
            s.windows,
            s.enforcement_officers,
            s.posts,
            fmt.yuan(s.funds_yuan),
        ]
        for s in summary.streets
    ]
    keys = ("street", "name", "communities", "households", "grids", "windows", "officers", "posts")
    headers = [label(k, lang) for k in keys] + [label("funds_yuan", lang)]
    lines.append(format_table(headers, rows))
    return "\n".join(lines)


PLACE = {
    "community": ("社区工作站（代办）", "community station (代办)"),
    "street": ("街道便民服务中心", "street centre"),
    "district": ("区政务服务大厅", "district hall"),
}


def _access_lines(summary: ScenarioSummary, lang: str) -> list[str]:
    """Where each matter is taken (and done), the mean travel times and the value of time."""
    scenario = summary.scenario
    communities = summary.communities
    if not communities:
        return []
    where: dict[str, list[str]] = {}
    for key, c in scenario.demand.window.categories.items():
        name = (c.name_zh or key) if lang == "zh" else key
        done = (
            ""
            if c.completed_at == c.taken_at
            else _t(lang, f"（在{PLACE[c.completed_at][0]}办结）", f" (done at {c.completed_at})")
        )
        where.setdefault(c.taken_at, []).append(f"{name}{done}")
    n = len(communities)
    mean = [
        sum(getattr(c, f"{w}_travel_min") for c in communities) / n
        for w in ("station", "street", "district")
    ]
    bases = ", ".join(sorted({b for c in communities for b in c.travel_basis}))
    halls = sum(1 for s in summary.streets if s.hall)
    vot = fmt.yuan(scenario.access.value_of_time_yuan_per_h)
    if lang == "zh":
        matters = "；".join(f"{PLACE[k][0]}：{'、'.join(v)}" for k, v in where.items())
        return [
            f"  事项受理地点：{matters}",
            f"  单程出行时间（各社区平均）：社区工作站{fmt.number(mean[0], 1)}分钟，街道中心"
            f"{fmt.number(mean[1], 1)}分钟，区政务大厅{fmt.number(mean[2], 1)}分钟（{bases}）；"
            f"区政务大厅{halls}个；群众时间按每小时{vot}计",
        ]
    matters = "; ".join(f"{PLACE[k][1]}: {', '.join(v)}" for k, v in where.items())
    return [
        f"  matters taken at: {matters}",
        f"  travel one way, mean over communities: station {fmt.number(mean[0], 1)} min, street "
        f"centre {fmt.number(mean[1], 1)} min, district hall {fmt.number(mean[2], 1)} min "
        f"({bases}); {halls} district halls; residents' time at {vot} an hour",
    ]


# --- simulate -------------------------------------------------------------------------------------


def _site_share(results: Results, site: str, stream: str, name: str) -> str:
    mean, half = results.metric(site, stream, name)
    if name == "utilisation":  # busy over on-duty time: overtime can lift it past 100%
        return fmt.ratio_pm(mean, half)
    return fmt.share_range(mean, half)


def _site_duration(results: Results, site: str, stream: str, name: str, unit: str) -> str:
    mean, half = results.metric(site, stream, name)
    return fmt.duration(mean, unit, half)


def _site_count(results: Results, site: str, stream: str, name: str) -> str:
    mean, half = results.metric(site, stream, name)
    if fmt.missing(mean):
        return fmt.NA
    return fmt.count(mean) + ("" if fmt.missing(half) else f" ± {fmt.count(half)}")


def render_simulation(results: Results, worst: int = 10, lang: str = "zh") -> str:
    h = results.horizon
    if lang == "zh":
        head = (
            f"方案 {results.scenario.name}：{results.replications}次重复，随机种子{results.seed}；"
            f"窗口模拟{h.days}天（预热{h.warmup_days}天），网格与综合执法模拟{h.case_days}天"
            f"（预热{h.case_warmup_days}天）；共模拟{fmt.count(results.residents)}人次，用时"
            f"{fmt.number(results.runtime_s, 1)}秒。数字为模拟期内的数值（不是全年），"
            "均值 ± 95%置信半宽，达标率后为95%区间"
        )
    else:
        head = (
            f"Scenario {results.scenario.name}: {results.replications} replications, seed "
            f"{results.seed}; windows {h.days} days (warm-up {h.warmup_days}), grids and "
            f"enforcement {h.case_days} days (warm-up {h.case_warmup_days}); "
            f"{fmt.count(results.residents)} residents simulated in "
            f"{fmt.number(results.runtime_s, 1)} s. Figures are for the simulated days, not a "
            "year: mean ± 95% half-width, shares with their 95% range"
        )
    lines = [head, ""]
    rows = []
    for stream in STREAMS:
        if ("city", stream) not in results.values:
            continue
        unit = WAIT_UNIT[stream]
        shown = _unit(unit, lang)
        rows.append(
            [
                _stream(stream, lang),
                _site_count(results, "city", stream, "arrivals"),
                _site_duration(results, "city", stream, f"wait_mean_{unit}", shown),
                _site_duration(results, "city", stream, f"wait_p90_{unit}", shown),
                _site_share(results, "city", stream, "target_share"),
                _site_share(results, "city", stream, "utilisation"),
                _site_count(results, "city", stream, "abandoned"),
            ]
        )
    keys = ("city_stream", "arrivals", "wait_mean", "wait_p90", "target_met_share")
    lines.append(
        format_table(
            [label(k, lang) for k in keys] + [label("utilisation", lang), label("abandoned", lang)],
            rows,
        )
    )
    lines += _whole_cost_lines(results, lang)
    if ("city", "grid") in results.values:
        lines += ["", grid_classes(results, lang)]
    ranked = []
    for (site, stream), metrics in results.values.items():
        if results.levels[site] in ("street", "community"):
            share = (
                float(np.nanmean(metrics["target_share"]))
                if np.any(~np.isnan(metrics["target_share"]))
                else float("nan")
            )
            if share == share:
                ranked.append((share, site, stream))
    ranked.sort()
    if worst and ranked:
        rows = []
        for _, site, stream in ranked[:worst]:
            unit = WAIT_UNIT[stream]
            rows.append(
                [
                    site,
                    label_or(results.levels[site], lang),
                    _stream(stream, lang),
                    _site_share(results, site, stream, "target_share"),
                    _site_duration(results, site, stream, f"wait_mean_{unit}", _unit(unit, lang)),
                    _site_share(results, site, stream, "utilisation"),
                ]
            )
        worst_keys = ("worst_sites", "level", "stream", "target_met_share", "wait_mean")
        headers = [label(k, lang) for k in worst_keys] + [label("utilisation", lang)]
        lines += ["", format_table(headers, rows)]
    return "\n".join(lines)


def _values_pm(values: np.ndarray, decimals: int | None = None, unit: str = "") -> str:
    mean, half = summarise(values)
    return fmt.pm(mean, half, decimals, unit=unit)


def _whole_cost_lines(results: Results, lang: str) -> list[str]:
    """The resident's whole cost of window matters at city level (a social cost)."""
    city = results.costs.get("city")
    if city is None:
        return []
    minutes = _unit("min", lang)
    part = {
        name: _values_pm(city[name], 2, minutes)
        for name in ("whole_cost_min", "travel_min", "wait_min", "service_min")
    }
    trips = _values_pm(city["trips_per_matter"], 3)
    mean, half = summarise(city["whole_cost_yuan_per_year"])
    year = fmt.money(mean, lang) + ("" if fmt.missing(half) else f" ± {fmt.money(half, lang)}")
    return [
        _t(
            lang,
            f"群众办事的全部时间成本：每件{part['whole_cost_min']}（出行{part['travel_min']}，"
            f"排队{part['wait_min']}，办理{part['service_min']}）；每件{trips}趟；群众时间每年"
            f"{year}（社会成本，不计入预算）",
            f"resident's whole cost of window matters: {part['whole_cost_min']} a matter "
            f"(travel {part['travel_min']}, waiting {part['wait_min']}, service "
            f"{part['service_min']}); {trips} trips a matter; residents' time {year} a year "
            "(a social cost, not in the budget)",
        )
    ]


def grid_classes(results: Results, lang: str = "zh") -> str:
    """Urgent and ordinary grid events apart, with overtime and on-call hours (city level)."""
    target = results.scenario.targets.grid
    days = _t(lang, "个工作日", "working days") if target.days == "working" else _unit("days", lang)
    ordinary = results.per_replication("city", "grid", "arrivals") - results.per_replication(
        "city", "grid", "urgent_arrivals"
    )
    rows = [
        [
            _t(lang, "紧急", "urgent"),
            _site_count(results, "city", "grid", "urgent_arrivals"),
            _t(
                lang,
                f"{fmt.figure(target.urgent_response_h)}小时内到场",
                f"on site <= {fmt.figure(target.urgent_response_h)} h",
            ),
            _site_share(results, "city", "grid", "urgent_target_share"),
            fmt.pct(target.urgent_target),
            _site_duration(results, "city", "grid", "urgent_response_p90_min", _unit("min", lang)),
        ],
        [
            _t(lang, "一般", "ordinary"),
            fmt.count(float(np.mean(ordinary))),
            _t(
                lang,
                f"{fmt.figure(target.ordinary_close_days)}{days}内办结",
                f"closed <= {fmt.figure(target.ordinary_close_days)} {days}",
            ),
            _site_share(results, "city", "grid", "ordinary_target_share"),
            fmt.pct(target.ordinary_target),
            _site_duration(results, "city", "grid", "ordinary_close_p90_days", _unit("days", lang)),
        ],
    ]
    headers = _t(lang, "全市网格事件|事件数|目标|达标|目标达标率|90%分位", "city: grid events|"
                 "arrivals|target|met|target share|p90").split("|")  # fmt: skip
    overtime = _site_duration(results, "city", "grid", "overtime_h_per_worker_week", "h")
    clerks = _site_duration(results, "city", "window", "overtime_h_per_worker_week", "h")
    on_call = _site_count(results, "city", "grid", "on_call_h")
    duty = fmt.number(results.metric("city", "grid", "duty_workers")[0], 1)
    staff = fmt.number(results.metric("city", "grid", "grid_staff")[0], 1)
    allowed = fmt.figure(results.scenario.overtime.grid_h_per_worker_day)
    return (
        format_table(headers, rows)
        + "\n"
        + _t(
            lang,
            f"  网格员：每人每周加班{overtime}（每天最多{allowed}小时）；值班{on_call}小时；"
            f"日常职责占用{staff}个网格人员当量中的{duty}个；窗口人员：每人每周加班{clerks}",
            f"  grid workers: overtime {overtime} per worker per week (allowed {allowed} h a "
            f"day); on-call {on_call} h; duties take {duty} of {staff} grid staff-equivalents; "
            f"window clerks: overtime {clerks} per clerk per week",
        )
    )


# --- compare --------------------------------------------------------------------------------------


def compare_table_rows(
    comparison: Comparison,
    metrics: Sequence[str] = COMPARE_METRICS,
    level: str | None = "city",
    lang: str = "en",
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: one row per site, stream and metric (in ``metrics`` order) at ``level``.

    Columns: site, stream, metric (labels in ``lang``), each scenario's value (a share with its
    95% range inside 0-100%, another figure ``mean ± ci95`` with its unit), then per scenario
    after the first its difference from the first and whether it is significant (``yes``/``no``,
    ``n/a`` with one replication). Differences of shares are in percentage points.
    """
    names = list(comparison.names)
    baseline, others = names[0], names[1:]
    headers = [label("site", lang), label("stream", lang), label("metric", lang), *names]
    for name in others:
        headers += [f"{name} - {baseline}", label("significant", lang)]
    rows: list[list[str]] = []
    for site in comparison.at_level(level):
        for metric in metrics:
            item = site.metrics.get(metric)
            if item is None:
                continue
            head = [site.site, _stream(site.stream, lang), label_or(metric, lang)]
            rows.append(head + _compared_cells(metric, item, names, others, lang))
    return headers, rows


def _compared_cells(
    metric: str, item: Any, names: Sequence[str], others: Sequence[str], lang: str
) -> list[str]:
    """Each run's value, then each later run's difference and whether it is significant."""
    cells = [_format(metric, v.mean, v.ci95, lang=lang) for v in (item.values[n] for n in names)]
    for name in others:
        diff = item.differences[name]
        cells.append(_format(metric, diff.mean, diff.ci95, signed=True, lang=lang))
        sig = diff.significant
        cells.append(fmt.NA if sig is None else label("yes" if sig else "no", lang))
    return cells


COST_ROWS = (
    ("whole_cost_min", "全部时间成本（分钟/件）", "whole cost, min a matter"),
    ("travel_min", "  出行（往返）", "  travel (there and back)"),
    ("wait_min", "  窗口排队", "  waiting in window queues"),
    ("service_min", "  办理", "  service"),
    ("trips_per_matter", "每件趟数", "trips a matter"),
    ("travel_per_trip_min", "每趟单程（分钟）", "travel a trip, min one way"),
    ("whole_cost_yuan", "全部时间成本（元/件）", "whole cost, yuan a matter"),
    ("whole_cost_yuan_per_year", "群众时间（元/年）", "residents' time, yuan a year"),
)


def compare_cost_rows(
    comparison: Comparison, level: str | None = "city", lang: str = "en"
) -> tuple[list[str], list[list[str]]]:
    """The resident's whole cost per site at ``level``: each scenario's value and the difference
    from the first (columns as :func:`compare_table_rows`)."""
    names = list(comparison.names)
    baseline, others = names[0], names[1:]
    headers = [label("site", lang), _t(lang, "全部时间成本", "whole cost"), *names]
    for name in others:
        headers += [f"{name} - {baseline}", label("significant", lang)]
    rows: list[list[str]] = []
    for site in comparison.costs_at_level(level):
        for metric, zh, en in COST_ROWS:
            item = site.metrics.get(metric)
            if item is None:
                continue
            rows.append(
                [site.site, _t(lang, zh, en)] + _compared_cells(metric, item, names, others, lang)
            )
    return headers, rows


def _minutes(value: float | None, half: float | None = None, sign: bool = True) -> str:
    if value is None:
        return fmt.NA
    text = fmt.number(value, 2, sign=sign)
    return text if half is None else f"{text} ± {fmt.number(half, 2)}"


def break_even_lines(
    comparison: Comparison, level: str | None = "city", lang: str = "en"
) -> list[str]:
    """The verdict on whole cost per site at ``level``, which effect drives it, and where it
    flips."""
    lines = []
    baseline = comparison.baseline
    for b in comparison.break_even:
        if level is not None and comparison.runs[0].levels.get(b.site, "city") != level:
            continue
        d = b.whole_cost
        travel, wait = b.effects.get("travel"), b.effects.get("wait")
        parts = ", ".join(f"{part} {_minutes(value)}" for part, value in b.effects.items())
        lines.append(
            f"{b.site}: whole cost {b.scenario} - {baseline} = {_minutes(d.mean, d.ci95)} min a "
            f"matter ({parts}): {b.scenario} is {b.verdict}"
            + (" than " + baseline if b.verdict in ("lower", "higher") else "")
            + f"; {_effect(travel, wait)}"
        )
        if b.margin_min is not None:
            sign = "longer" if b.margin_min >= 0 else "shorter"
            saving = ""
            if b.travel_saving_min is not None and b.break_even_saving_min is not None:
                now = b.travel_saving_min
                even = b.break_even_saving_min
                saving = (
                    f"; its trips are {_minutes(abs(now), sign=False)} min "
                    f"{'shorter' if now >= 0 else 'longer'} each way than {baseline}'s now, and "
                    "the two cost the same where they are "
                    f"{_minutes(abs(even), sign=False)} min "
                    f"{'shorter' if even >= 0 else 'longer'}"
                )
            could = "could be" if b.margin_min >= 0 else "would have to be"
            until = "before its whole cost equals" if b.margin_min >= 0 else "for its cost to equal"
            lines.append(
                f"  break-even: every trip of {b.scenario} {could} "
                f"{_minutes(abs(b.margin_min), b.margin_ci95, sign=False)} min {sign} each way "
                f"{until} {baseline}'s{saving}"
            )
    return lines


def _effect(travel: float | None, wait: float | None) -> str:
    if travel is None or wait is None:
        return "the effects are undefined"
    pair = f"travel {_minutes(travel)}, queues {_minutes(wait)} min"
    if travel < 0 <= wait:
        side = "access outweighs pooling" if abs(travel) > wait else "pooling outweighs access"
        return f"{side} ({pair})"
    if wait < 0 <= travel:
        side = "pooling outweighs access" if abs(wait) > travel else "access outweighs pooling"
        return f"{side} ({pair})"
    both = "shorter" if travel < 0 else "longer"
    return f"both travel and queues are {both} ({pair})"


def pairing_lines(comparison: Comparison, lang: str = "en") -> list[str]:
    """Which figures are paired (the same residents in both runs) and which come from
    independent runs (Welch intervals)."""
    out = []
    for name in comparison.names[1:]:
        paired: list[str] = []
        independent: list[str] = []
        for site in comparison.at_level("city") + comparison.costs_at_level("city"):
            shown = (
                _t(lang, "全部时间成本", "whole cost")
                if site in comparison.costs
                else _stream(site.stream, lang)
            )
            item = next(iter(site.metrics.values()), None)
            if item is None or shown in paired + independent:
                continue
            (paired if item.differences[name].paired else independent).append(shown)
        text = f"{name} vs {comparison.baseline}: "
        if paired:
            text += _t(
                lang,
                f"配对（两次运行为同一批群众）：{'、'.join(paired)}",
                f"paired (the same residents in both runs): {', '.join(paired)}",
            )
        if independent:
            text += "; " if paired else ""
            text += _t(
                lang,
                f"独立运行，Welch区间：{'、'.join(independent)}（随机数流按不同的地点或编号命名）",
                f"independent runs, Welch intervals: {', '.join(independent)} (their random "
                "streams are named by sites or keys that differ)",
            )
        out.append(text)
    return out


def render_compare(comparison: Comparison, level: str = "city", lang: str = "zh") -> str:
    base = comparison.runs[0]
    shown, note = comparison.level_shown(level)
    headers, rows = compare_table_rows(comparison, level=shown, lang=lang)
    lines = [note] if note else []
    lines.append(
        _t(
            lang,
            f"比较（{base.replications}次重复，随机种子{base.seed}）：差值为各方案减去"
            f"{comparison.baseline}，附95%置信半宽；显著 = 区间不含0",
            f"Comparison ({base.replications} replications, seed {base.seed}): differences are "
            f"each scenario minus {comparison.baseline}, with 95% half-widths; significant = the "
            "interval excludes 0",
        )
    )
    lines += pairing_lines(comparison, lang)
    lines.append(format_table(headers, rows))
    cost_headers, cost_rows = compare_cost_rows(comparison, level=shown, lang=lang)
    if cost_rows:
        vot = fmt.yuan(base.scenario.access.value_of_time_yuan_per_h)
        lines += [
            "",
            _t(
                lang,
                "群众办理窗口事项的全部时间成本（出行、排队、办理；网上办理的事项只计办理时间）；"
                f"按每小时{vot}折算为元，是社会成本，从不计入预算",
                "The resident's whole cost of window matters (trips, waits, service; a matter "
                f"done online costs its service only); yuan at {vot} an hour, a social cost "
                "never added to the budget",
            ),
            format_table(cost_headers, cost_rows),
        ]
        lines += break_even_lines(comparison, level=shown, lang=lang)
    return "\n".join(lines)


def _is_share(metric: str) -> bool:
    return metric.endswith("share") or metric.endswith("utilisation")


def _format(
    metric: str,
    mean: float | None,
    half: float | None,
    signed: bool = False,
    lang: str = "en",
) -> str:
    if mean is None:
        return fmt.NA
    if _is_share(metric):
        if signed:
            return fmt.pp(mean, half)
        if metric.endswith("utilisation"):
            return fmt.ratio_pm(mean, half)
        return fmt.share_range(mean, half)
    if metric.endswith("_yuan") or metric.endswith("_per_year"):
        if signed:
            return fmt.yuan(mean, sign=True) + ("" if fmt.missing(half) else f" ± {fmt.yuan(half)}")
        return fmt.yuan(mean) + ("" if fmt.missing(half) else f" ± {fmt.yuan(half)}")
    if metric == "trips_per_matter":
        text = fmt.number(mean, 3, sign=signed)
        return text + ("" if fmt.missing(half) else f" ± {fmt.number(half, 3)}")
    unit = next((u for u in ("min", "h", "days") if metric.endswith("_" + u)), "")
    if signed:
        text = fmt.number(mean, sign=True)
        if not fmt.missing(half):
            text += f" ± {fmt.number(half, fmt.decimals_for(mean))}"
        return f"{text} {_unit(unit, lang)}".rstrip()
    return fmt.pm(mean, half, unit=_unit(unit, lang))


# --- sweep ----------------------------------------------------------------------------------------


def render_sweep(summary: SweepSummary, lang: str = "zh") -> str:
    tables = ", ".join(summary.tables)
    if lang == "zh":
        return (
            f"参数扫描：共{summary.total}个取值点，本次运行{summary.ran}个，"
            f"已记录{summary.skipped}个，见 {summary.out}/points.jsonl"
            + (f"；结果表与图：{tables}" if tables else "")
        )
    return (
        f"sweep: {summary.total} points, {summary.ran} run now, "
        f"{summary.skipped} already recorded, in {summary.out}/points.jsonl"
        + (f"; results: {tables}" if tables else "")
    )


# --- sensitivity ----------------------------------------------------------------------------------


def _posts(value: int | None, lang: str) -> str:
    return label("infeasible", lang) if value is None else fmt.count(value)


def _amount(value: float | None, lang: str) -> str:
    return label("infeasible", lang) if value is None else fmt.number(value)


def render_sensitivity(report: SensitivityReport, lang: str = "zh") -> str:
    base = report.base
    categories = {
        key: (c.name_zh or c.name or key) if lang == "zh" else (c.name or key)
        for key, c in report.scenario.demand.window.categories.items()
    }
    change = fmt.pct(report.change, decimals=0)
    cost = fmt.money(base.cost_yuan, lang) if base.cost_yuan is not None else fmt.NA
    head = _t(
        lang,
        f"方案 {report.scenario.name} 的敏感性：每个参数分别上调、下调{change}；基准方案需要"
        f"{_posts(base.posts_required, lang)}个社工岗（每年成本{cost}），"
        f"加权达标缺口{_amount(base.shortfall, lang)}",
        f"Sensitivity of {report.scenario.name}: each figure moved +-{change} one at a time; "
        f"the base plan needs {_posts(base.posts_required, lang)} posts (cost {cost} a year), "
        f"weighted shortfall {_amount(base.shortfall, lang)}",
    )
    lines = [head, ""]
    rows = [
        [
            rank,
            parameter_label(r.path, lang, categories),
            _posts(r.low.posts_required, lang),
            _posts(r.high.posts_required, lang),
            _amount(r.low.shortfall, lang),
            _amount(r.high.shortfall, lang),
        ]
        for rank, r in enumerate(report.rows, start=1)
    ]
    keys = ("rank", "parameter", "posts_needed_low", "posts_needed_high", "shortfall_low")
    lines.append(
        format_table([label(k, lang) for k in keys] + [label("shortfall_high", lang)], rows)
    )
    frontier = [
        [
            fmt.count(p.pool),
            fmt.pct(p.service_level, rounding="down"),
            _amount(p.shortfall, lang),
            _amount(p.shadow_price, lang),
        ]
        for p in report.frontier_posts
    ]
    frontier_keys = ("posts_pool", "service_level", "shortfall", "shadow_price_per_post")
    lines += ["", format_table([label(k, lang) for k in frontier_keys], frontier)]
    if report.uncertainty:
        risky = sorted(report.uncertainty, key=lambda u: u.probability)[:10]
        spread = fmt.pct(report.spread, decimals=0)
        lines += [
            "",
            _t(
                lang,
                f"需求在±{spread}内变化时达标的概率（最不确定的在前）",
                f"demand +-{spread}: probability of meeting the target (least sure first)",
            ),
            format_table(
                [label(k, lang) for k in ("community", "probability_target_met", "interval95")],
                [
                    [
                        u.community_id,
                        fmt.pct(u.probability),
                        f"{fmt.pct(u.low, rounding='down')}-{fmt.pct(u.high, rounding='up')}",
                    ]
                    for u in risky
                ],
            ),
        ]
    return "\n".join(lines)


# --- plan -----------------------------------------------------------------------------------------

# per-community constraints an allocation meets with equality, in plain words (count first)
SITE_BINDING = {
    "fund_floor": (
        "{n}个社区的经费正好是其标准经费（经费下限）",
        "{n} held at their standard funds (the fund floor)",
    ),
    "posts_floor": (
        "{n}个社区只保留最少的社工岗（党建岗位）",
        "{n} kept at their minimum posts (the party-building posts)",
    ),
    "posts_max": ("{n}个社区已达社工岗上限", "{n} at their maximum posts"),
    "fairness": ("{n}个社区正好处于公平底线", "{n} held exactly at the fairness floor"),
    "target": ("{n}个社区正好达到目标", "{n} planned exactly at their target"),
}
COMMUNITIES = ("个社区", "communities")


def _posts_range(low: float | None, high: float | None, lang: str) -> str:
    lo = None if fmt.missing(low) else fmt.count(int(np.ceil(low - 1e-9)))  # type: ignore[operator]
    hi = None if fmt.missing(high) else fmt.count(int(np.floor(high + 1e-9)))  # type: ignore[operator]
    return _range(lo, hi, _t(lang, "个", " posts"), lang)


def _money_range(low: float | None, high: float | None, lang: str) -> str:
    lo = None if fmt.missing(low) else fmt.yuan(low)
    hi = None if fmt.missing(high) else fmt.yuan(high)
    return _range(lo, hi, "", lang)


def _range(lo: str | None, hi: str | None, unit: str, lang: str) -> str:
    if lo is not None and hi is not None:
        return _t(
            lang, f"总量在{lo}至{hi}{unit}之间时成立", f"true for a pool of {lo} to {hi}{unit}"
        )
    if lo is not None:
        return _t(lang, f"总量不少于{lo}{unit}时成立", f"true for a pool of {lo}{unit} or more")
    if hi is not None:
        return _t(lang, f"总量不超过{hi}{unit}时成立", f"true for a pool of up to {hi}{unit}")
    return _t(lang, "对任何总量都成立", "true for any pool")


def _pool_line(price: Any, plan: Plan, lang: str) -> str:
    """A shadow price in words: is the pool a limit, what one more unit is worth, and for which
    pools that holds."""
    r = plan.result
    cost_mode = plan.mode.value == "cost"
    posts = price.constraint.startswith("posts")
    used = r.binding is not None and price.constraint in r.binding
    what = _t(lang, "社工岗总量", "posts pool") if posts else _t(lang, "经费总额", "fund pool")
    if posts:
        size = _t(lang, f"{fmt.count(price.rhs)}个", f"{fmt.count(price.rhs)} posts")
        rng = _posts_range(price.lower, price.upper, lang)
        one = _t(lang, "多一个社工岗", "one more post")
    else:
        size = fmt.yuan(price.rhs)
        rng = _money_range(price.lower, price.upper, lang)
        one = _t(lang, "多¥10,000经费", "¥10,000 more")
    ranged = f"（{rng}）" if lang == "zh" else f" ({rng})"
    if price.source != "lp_relaxation":
        ranged = ""
    if abs(price.value) < 1e-9:
        state = (
            _t(
                lang,
                f"{size}全部用完，但{one}不会改进方案",
                f"all {size} used, but {one} would not improve the plan",
            )
            if used
            else _t(
                lang,
                f"{size}不是限制：{one}不会改进方案",
                f"{size}, not a limit: {one} would not improve the plan",
            )
        )
    else:
        gain = (
            _t(lang, f"每年节省{fmt.yuan(price.value)}", f"saves {fmt.yuan(price.value)} a year")
            if cost_mode
            else _t(
                lang,
                f"减少加权达标缺口{fmt.number(price.value)}",
                f"reduces the weighted shortfall by {fmt.number(price.value)}",
            )
        )
        state = _t(lang, f"{size}是限制：{one}{gain}", f"{size}, a limit: {one} {gain}")
    return f"  {what}{'：' if lang == 'zh' else ': '}{state}{ranged}"


def _marginal(value: float | None, cost_mode: bool, lang: str) -> str:
    if value is None:
        return _t(lang, "未计算", "not computed")
    if abs(value) < 1e-9:
        return _t(lang, "不会改进方案", "would not improve the plan")
    if cost_mode:
        return _t(lang, f"每年节省{fmt.yuan(value)}", f"would save {fmt.yuan(value)} a year")
    return _t(
        lang,
        f"减少加权达标缺口{fmt.number(value)}",
        f"would reduce the weighted shortfall by {fmt.number(value)}",
    )


def render_plan(plan: Plan, lang: str = "zh") -> str:
    from jiedao.export.plan import allocation_rows, window_rows

    r, s = plan.result, plan.sensitivity
    scenario = plan.scenario
    cost_mode = plan.mode.value == "cost"
    how = (
        _t(lang, "以最低成本达到每个社区的目标", "meet every target at least cost")
        if cost_mode
        else _t(lang, "在总量内使加权达标缺口最小", "least weighted shortfall within the pools")
    )
    source = {
        "simulated": _t(lang, "响应曲线为模拟所得", "curves simulated"),
        "given": _t(lang, "响应曲线由使用者提供", "curves given"),
    }.get(plan.curve_source, plan.curve_source)
    status = r.status.value
    if status == "optimal":
        solved = _t(lang, f"已求得最优解（{r.method}）", f"optimal ({r.method})")
    elif status == "feasible":
        gap = fmt.pct(r.gap, rounding="up") if r.gap is not None else fmt.NA
        solved = _t(
            lang,
            f"可行解，与最优相差不超过{gap}（{r.method}）",
            f"feasible, within {gap} of the best possible ({r.method})",
        )
    else:
        solved = status
    runtime = fmt.number(plan.runtime_s, 1)
    lines = [
        _t(
            lang,
            f"{scenario.name} 的方案（{how}，{source}）：{solved}；用时{runtime}秒",
            f"Plan for {scenario.name} ({how}; {source}): {solved}; {runtime} s",
        )
    ]
    pool = scenario.budget.posts_pool
    posts = r.posts_total or 0
    left = pool - posts
    fund_pool = scenario.budget.fund_pool_yuan
    funds = r.funds_total_yuan or 0.0
    whole = fund_pool is not None and abs(funds - fund_pool) < 0.5
    pool_text = ""
    if lang == "zh":
        if fund_pool is not None and not cost_mode:
            pool_text = "（经费总额全部分配）" if whole else f"，经费总额{fmt.money(fund_pool)}"
        text = (
            f"  社工岗：建议{fmt.count(posts)}个"
            + (f"，总量{fmt.count(pool)}个" if not cost_mode else "")
            + (f"（{fmt.count(left)}个未用）" if left > 0 and not cost_mode else "")
            + f"；经费：{fmt.money(r.funds_total_yuan)}"
            + pool_text
            + f"；社工岗与经费每年{fmt.money(r.cost_yuan)}"
        )
        if not cost_mode:
            text += f"；加权达标缺口{fmt.figure(r.objective)}"
    else:
        if fund_pool is not None and not cost_mode:
            pool_text = " (the whole pool)" if whole else f" of {fmt.money(fund_pool, lang)}"
        text = (
            f"  posts: {fmt.count(posts)}"
            + (f" of the pool of {fmt.count(pool)}" if not cost_mode else "")
            + (f" ({fmt.count(left)} not needed)" if left > 0 and not cost_mode else "")
            + f"; funds {fmt.money(r.funds_total_yuan, lang)}"
            + pool_text
            + f"; posts and funds {fmt.money(r.cost_yuan, lang)} a year"
        )
        if not cost_mode:
            text += f"; weighted shortfall {fmt.figure(r.objective)}"
    lines.append(text)
    lines += placement_lines(plan, lang)
    if s is not None and cost_mode and s.marginal_post is None and s.marginal_funds is None:
        lines.append(
            _t(
                lang,
                "  最低成本方案不受总量限制：它给出达到全部目标所需的社工岗与经费",
                "  a least-cost plan is not held to the pools: it says what the targets need",
            )
        )
    elif s is not None:
        lines.append(
            _t(
                lang,
                f"  多一个社工岗：{_marginal(s.marginal_post, cost_mode, lang)}；"
                f"多¥10,000经费：{_marginal(s.marginal_funds, cost_mode, lang)}",
                f"  one more post {_marginal(s.marginal_post, cost_mode, lang)}; ¥10,000 more "
                f"funds {_marginal(s.marginal_funds, cost_mode, lang)}",
            )
        )
    if s is not None:
        for price in s.shadow_prices.values():
            lines.append(_pool_line(price, plan, lang))
    else:
        for name in ("posts_pool", "fund_pool"):
            if r.binding is not None and name in r.binding:
                lines.append(
                    _t(lang, "  社工岗总量全部用完", "  the posts pool is all used")
                    if name == "posts_pool"
                    else _t(lang, "  经费总额全部分配", "  the fund pool is all handed out")
                )
    per_site = [b for b in (r.binding or ()) if ":" in b]
    if per_site:
        kinds: dict[str, int] = {}
        for name in per_site:
            kind = name.split(":", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        parts = []
        for kind, n in kinds.items():
            zh, en = SITE_BINDING.get(kind, (f"{{n}}个约束{kind}", f"{{n}} at {kind}"))
            parts.append(_t(lang, zh, en).format(n=fmt.count(n)))
        lines.append(_t(lang, f"  社区：{'；'.join(parts)}", f"  communities: {'; '.join(parts)}"))
    if plan.checks or plan.pool_enough is not None or plan.norms is not None:
        lines += plan_verdict(plan, lang)
    else:
        lines.append(
            _t(
                lang,
                "  未经模拟检验（检验重复次数为0，或曲线由使用者提供）",
                "  not checked by simulation (no check replications, or the curves were given)",
            )
        )
    if plan.clerks is not None:
        c = plan.clerks
        rows_w = window_rows(plan)
        more = sum(1 for row in rows_w if (row["clerks_proposed"] or 0) > row["clerks_current"])
        fewer = sum(1 for row in rows_w if (row["clerks_proposed"] or 0) < row["clerks_current"])
        same = len(rows_w) - more - fewer
        planned = c.result.posts_total or 0
        change = planned - c.pool
        n = len(c.checks)
        if c.checks:
            met = sum(ch.target_met for ch in c.checks.values())
            kept = sum(bool(ch.not_below_today) for ch in c.checks.values())
            met_today = sum(bool(ch.met_today) for ch in c.checks.values())
            checked = _t(
                lang,
                f"模拟检验（新的随机数，含高峰班次与复访）：{n}个街道中{met}个按95%下限"
                f"达到窗口目标（现状{met_today}个），{kept}个不低于现状",
                f"checked (fresh random numbers, shifts and return visits): {met} of {n} streets "
                f"meet the window target on the lower 95% bound ({met_today} today), {kept} of "
                f"{n} not below their level today",
            )
        else:
            checked = _t(lang, "未经模拟检验", "not checked by simulation")
        need = (
            _t(lang, f"达到全部窗口目标需要{fmt.count(c.needed)}名", f"the targets need "
               f"{fmt.count(c.needed)}")
            if c.needed is not None
            else _t(lang, "达到全部窗口目标所需人数未能求得", "what the targets need is unknown")
        )  # fmt: skip
        lines.append(
            _t(
                lang,
                f"  窗口人员（一窗通办）：方案{fmt.count(planned)}名，现有{fmt.count(c.pool)}名"
                f"（{fmt.count(change, sign=True)}）；{need}；{more}个街道增加，{fewer}个减少，"
                f"{same}个不变；引擎修正{c.rounds}轮；{checked}（windows.csv）",
                f"  window clerks (一窗通办): {fmt.count(planned)} planned, "
                f"{fmt.count(c.pool)} today ({fmt.count(change, sign=True)}); {need}; more at "
                f"{fmt.plural(more, 'street', 'streets')}, fewer at {fewer}, the same at {same}; "
                f"{c.rounds} engine repair rounds; {checked} (windows.csv)",
            )
        )
        if c.cannot_meet:
            names = ", ".join(c.cannot_meet[:5]) + (", ..." if len(c.cannot_meet) > 5 else "")
            lines.append(
                _t(
                    lang,
                    "  窗口目标无法达到（增加人员后95%下限仍低于目标，未达标并非排队所致）："
                    f"{names}",
                    f"  window target out of reach at {names}: the lower 95% bound stays below the "
                    "target however many clerks the curve was measured at (the misses are not "
                    "queueing: returns, closures or a bad day more clerks do not mend)",
                )
            )
    rows = []
    for row in allocation_rows(plan):
        proposed = row["posts_proposed"]
        rows.append(
            [
                row["community_id"],
                row["community"],
                row["households"],
                row["posts_current"],
                proposed,
                (
                    fmt.count(proposed - row["posts_current"], sign=True)
                    + (_t(lang, " 削减", " cut") if row["cut"] else "")
                )
                if proposed is not None
                else fmt.NA,
                fmt.yuan(row["funds_proposed_yuan"]),
                fmt.share_range(row["service_level"], row["service_level_ci95"]),
                fmt.pct(row["service_level_lower95"], rounding="down"),
                fmt.share_range(row["urgent_level"], row["urgent_level_ci95"]),
                fmt.share_range(row["ordinary_level"], row["ordinary_level_ci95"]),
                fmt.pct(row["target"]),
                _met(row, lang),
                _norm(row),
            ]
        )
    keys = ("community", "name", "households", "posts_current", "posts_proposed", "posts_change")
    headers = [label(k, lang) for k in keys] + [
        label("funds_proposed_yuan", lang),
        label("service_level_range", lang),
        _t(lang, "95%下限", "lower 95%"),
        _t(lang, "紧急", "urgent"),
        _t(lang, "一般", "ordinary"),
        label("target", lang),
        label("target_met", lang),
        _t(lang, "规范（吉林/全国）", "norms Jilin / national"),
    ]
    lines += ["", format_table(headers, rows)]
    return "\n".join(lines)


def placement_lines(plan: Plan, lang: str = "zh") -> list[str]:
    """Posts today against the plan, the cuts by name, who stays below target and why, and the
    optimiser's notes (English: they carry figures the optimiser words itself)."""
    r = plan.result
    lines: list[str] = []
    by_id = r.by_id()
    today = sum(c.posts for c in plan.scenario.communities())
    planned = r.posts_total or 0
    cuts = [a for a in by_id.values() if a.cut]
    raised = sum(1 for a in by_id.values() if a.posts_change is not None and a.posts_change > 0)
    cut_posts = -sum(a.posts_change or 0 for a in cuts)
    names = ", ".join(a.community_id for a in cuts[:5]) + (", ..." if len(cuts) > 5 else "")
    if cuts:
        cut_text = _t(
            lang,
            f"{len(cuts)}个社区削减共{fmt.count(cut_posts)}个岗位（{names}）；"
            "--keep-today 可保持各社区不少于现有岗位",
            f"cuts at {fmt.plural(len(cuts), 'community', 'communities')} "
            f"({fmt.count(cut_posts)} posts: {names}); --keep-today keeps every community at or "
            "above today's posts",
        )
    else:
        cut_text = _t(lang, "没有社区被削减", "no community is cut")
    lines.append(
        _t(
            lang,
            f"  现有{fmt.count(today)}个社工岗，方案{fmt.count(planned)}个"
            f"（{fmt.count(planned - today, sign=True)}）：{raised}个社区增加；{cut_text}",
            f"  posts today {fmt.count(today)}, planned {fmt.count(planned)} "
            f"({fmt.count(planned - today, sign=True)}): more at {raised}; {cut_text}",
        )
    )
    for u in r.unmet[:10]:
        lines.append(
            _t(
                lang,
                f"  未达目标（按下限）：{u.community_id}：{fmt.pct(u.level)}，{u.reason}",
                f"  below target (lower bound): {u.community_id} at {fmt.pct(u.level)}: {u.reason}",
            )
        )
    if len(r.unmet) > 10:
        more = len(r.unmet) - 10
        lines.append(_t(lang, f"  另有{more}个社区未达目标", f"  {more} more below target"))
    for note in r.notes:
        lines.append(f"  {_t(lang, '说明', 'note')}: {note}")
    return lines + budget_lines(plan, lang)


BUDGET_ITEMS = {
    "posts": "社工岗",
    "purchased service hours": "购买服务小时",
    "funds buying no hours": "不购买服务小时的经费",
    "window clerks": "窗口人员",
    "paid overtime and on-call hours": "有偿加班与值班小时",
}


def budget_lines(plan: Plan, lang: str = "zh") -> list[str]:
    """One budget line over every staff type the plan plans (yuan and 万元), and what a yuan of
    fund buys beside a post."""
    b = plan.budget
    if b is None:
        return []
    parts = []
    for line in b.lines:
        item = BUDGET_ITEMS.get(line.item, line.item) if lang == "zh" else line.item
        if line.unit == "yuan":
            parts.append(f"{item} {fmt.yuan(line.yuan)}")
        else:
            each = fmt.yuan(line.unit_cost_yuan)
            parts.append(f"{item} {fmt.count(line.quantity)} x {each} = {fmt.yuan(line.yuan)}")
    out = [
        _t(
            lang,
            f"  预算（每年）：{fmt.yuan(b.total_yuan)}（{fmt.wan(b.total_yuan)}）= "
            + "，".join(parts),
            f"  budget a year: {fmt.yuan(b.total_yuan)} ({fmt.wan(b.total_yuan)}) = "
            + "; ".join(parts),
        )
    ]
    v = plan.result.fund_value
    if v is not None and v.yuan_per_staff_equivalent is not None:
        per = fmt.yuan(v.yuan_per_staff_equivalent)
        post = fmt.yuan(v.post_cost_yuan)
        nothing = fmt.pct(v.share_buying_nothing)
        no_hours, flat = fmt.pct(v.share_buying_no_hours), fmt.pct(v.share_on_flat_curves)
        movable = fmt.yuan(v.movable_yuan) if math.isfinite(v.movable_yuan) else "-"
        out.append(
            _t(
                lang,
                f"  每千元经费购买{fmt.number(v.hours_per_yuan * 1000, 2)}小时服务；"
                f"经费购买的一个人员当量{per}，一个社工岗{post}；{nothing}的经费不提高模型计入的服务"
                f"（{no_hours}不购买服务小时，{flat}购买的小时落在达标率已不再上升处）；"
                f"可在社区间调配的经费{movable}",
                f"  ¥1,000 of fund buys {fmt.number(v.hours_per_yuan * 1000, 2)} service hours; a "
                f"staff-equivalent bought with funds costs {per}, a post {post}; {nothing} of the "
                f"funds raises no level the model counts ({no_hours} buys no service hours, "
                f"{flat} buys hours where no level rises any more); funds free to move: {movable}",
            )
        )
    return out


def _met(row: dict[str, Any], lang: str) -> str:
    if row["target_met"] or row["target_met"] is None:
        return _yes_no(row["target_met"], lang)
    if row.get("backlog_grows"):
        return _t(lang, "否（积压增长）", "NO (backlog grows)")
    return _yes_no(False, lang)


def _norm(row: dict[str, Any]) -> str:
    if row["posts_norm_jilin_low"] is None:
        return fmt.NA
    return (
        f"{fmt.count(row['posts_norm_jilin_low'])}-{fmt.count(row['posts_norm_jilin_high'])} / "
        f"{fmt.count(row['workers_norm_national'])}"
    )


def plan_verdict(plan: Plan, lang: str = "zh") -> list[str]:
    """The posts figure with its bounds, the norms beside it, the check, overtime, and the inputs
    it is most sensitive to."""
    r = plan.result
    pool = plan.scenario.budget.posts_pool
    posts = r.posts_total or 0
    lines = []
    if plan.pool_enough is True:
        lines.append(
            _t(
                lang,
                f"  达到全部网格目标所需社工岗：{fmt.count(posts)}个；总量{fmt.count(pool)}个够用"
                f"（余{fmt.count(pool - posts)}个）",
                f"  posts needed to meet every grid target: {fmt.count(posts)}; the pool of "
                f"{fmt.count(pool)} is enough ({fmt.count(pool - posts)} to spare)",
            )
        )
    elif plan.pool_enough is False:
        lines.append(
            _t(
                lang,
                f"  达到全部网格目标所需社工岗：{fmt.count(posts)}个；总量{fmt.count(pool)}个不够："
                f"还需{fmt.count(posts - pool)}个",
                f"  posts needed to meet every grid target: {fmt.count(posts)}; the pool of "
                f"{fmt.count(pool)} is NOT enough: {fmt.count(posts - pool)} more posts are needed",
            )
        )
    if plan.norms is not None:
        low, high, national = plan.norms.totals
        lines.append(
            _t(
                lang,
                f"  对照规范：吉林规定（3,000户以下10-15个社工岗，以上每300-500户增1个）为"
                f"{fmt.count(low)}-{fmt.count(high)}个；全国每万名居民18名社区工作者为"
                f"{fmt.count(national)}名",
                f"  beside it, the norms: Jilin's rule (10-15 posts under 3,000 households, +1 per "
                f"300-500 above) gives {fmt.count(low)}-{fmt.count(high)} posts; the national 18 "
                f"community workers per 10,000 residents gives {fmt.count(national)}",
            )
        )
    if plan.checks:
        checks = list(plan.checks.values())
        n = len(checks)
        agree = sum(c.agrees for c in checks)
        growing = sum(c.backlog_grows for c in checks)
        most = max(c.replications for c in checks)
        reps = (
            f"{plan.check_replications}"
            if most == plan.check_replications
            else f"{plan.check_replications}-{most}"
        )
        lines.append(
            _t(
                lang,
                f"  模拟检验（{reps}次重复，新的随机数，{plan.case_days}天，预热"
                f"{plan.case_warmup_days}天）：{n}个社区中{plan.met}个按95%下限达到网格目标"
                f"（紧急与一般均达标，积压不增长）；{growing}个积压增长；{plan.check_cap_hits}个在"
                f"{plan.max_replications}次重复后仍未定；{agree}个与其响应曲线在95%区间内一致",
                f"  check ({reps} replications, fresh random numbers, {plan.case_days} days, "
                f"warm-up {plan.case_warmup_days}): {plan.met} of {n} communities meet their grid "
                f"targets on the lower 95% bound (urgent and ordinary both, no growing backlog); "
                f"{growing} with a growing backlog; {plan.check_cap_hits} still undecided at "
                f"{plan.max_replications} replications; {agree} of {n} agree with their curve "
                "within the 95% intervals",
            )
        )
        if plan.repairs:
            last = plan.repairs[-1]
            stop = (
                _t(lang, "再移动也无改进", "no move helps")
                if last.moved_posts == 0
                else _t(lang, "全部达标", "every check meets its target")
                if last.met == n
                else _t(lang, "轮数用完", "rounds used up")
            )
            lines.append(
                _t(
                    lang,
                    f"  修正：首次检验{plan.first_met}个达标；{len(plan.repairs)}轮修正"
                    f"（未达标社区在其配置附近重新测量，重新求解），结束原因：{stop}；"
                    "上面的检验是最终检验，使用各轮均未用过的新随机数",
                    f"  repair: the first check found {plan.first_met} of {n} meeting their "
                    f"targets; {fmt.plural(len(plan.repairs), 'round', 'rounds')} (communities "
                    f"below target measured again around their allocation, re-solved), stopped: "
                    f"{stop}; the check above is the final one, on random numbers no round saw",
                )
            )
        week = [
            c.overtime_h_per_worker_week
            for c in checks
            if not fmt.missing(c.overtime_h_per_worker_week)
        ]
        overtime = sum(
            c.overtime_h_per_year for c in checks if not fmt.missing(c.overtime_h_per_year)
        )
        on_call = sum(c.on_call_h_per_year for c in checks if not fmt.missing(c.on_call_h_per_year))
        allowed = fmt.figure(plan.scenario.overtime.grid_h_per_worker_day)
        paid = (
            _t(lang, f"有偿：每年{fmt.money(plan.paid_overtime_yuan, lang)}",
               f"paid: {fmt.money(plan.paid_overtime_yuan, lang)} a year")
            if plan.scenario.overtime.grid_paid
            else _t(lang, "无偿", "unpaid")
        )  # fmt: skip
        per_week = fmt.number(float(np.mean(week)) if week else 0.0, 2)
        lines.append(
            _t(
                lang,
                f"  网格加班：每人每周{per_week}小时（每天最多{allowed}小时），每年"
                f"{fmt.count(overtime)}小时，值班每年{fmt.count(on_call)}小时，{paid}",
                f"  grid overtime: {per_week} h per worker per week (allowed {allowed} h a day), "
                f"{fmt.count(overtime)} h a year, on-call {fmt.count(on_call)} h a year, {paid}",
            )
        )
    if plan.measured is not None:
        m = plan.measured
        halves = [h for b in m.brackets.values() for h in b.half_widths]
        median = fmt.pct(float(np.median(halves)) if halves else 0.0)
        lines.append(
            _t(
                lang,
                f"  响应曲线（{m.case_days}天，预热{m.case_warmup_days}天）：目标两侧的人员水平测到"
                f"95%置信半宽中位数{median}；{m.cap_hits}个社区在{m.max_replications}次重复后仍未定",
                f"  curves ({m.case_days} days, warm-up {m.case_warmup_days}): levels either side "
                f"of each target measured to a median 95% half-width of {median}; {m.cap_hits} "
                f"communities still undecided at {m.max_replications} replications",
            )
        )
        lines.append(
            _t(
                lang,
                f"  测得{fmt.count(m.distinct)}条不同的响应曲线，覆盖"
                f"{fmt.count(len(m.points))}个社区（输入完全相同的社区共用一次测量）",
                f"  {fmt.count(m.distinct)} distinct curves measured for "
                f"{fmt.count(len(m.points))} communities (communities with identical inputs share "
                "one measurement)",
            )
        )
    if plan.elasticities:
        top = ", ".join(
            f"{_input_label(e.path, e.label, lang)} {fmt.number(e.value, 2, sign=True)}"
            for e in plan.elasticities[:5]
        )
        lines.append(
            _t(
                lang,
                f"  最敏感的输入（按负荷估算{fmt.count(plan.load_posts)}个社工岗的弹性；"
                f"jiedao sensitivity 会重新模拟）：{top}",
                f"  most sensitive inputs (elasticity of the load-based estimate of "
                f"{fmt.count(plan.load_posts)} posts; jiedao sensitivity re-simulates): {top}",
            )
        )
    return lines


def _input_label(path: str, fallback: str, lang: str) -> str:
    """An input's label in the reader's language, else the plan's own (English) words for it."""
    shown = parameter_label(path, lang)
    return fallback if shown == path else shown
