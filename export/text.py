"""What the terminal shows: one renderer per command, reading the frozen results.

Each ``render_*`` returns the text the command prints, in ``lang`` ("zh" or "en": every label,
header, parameter name and category value); the CLI only echoes it. Numbers are formatted by
:mod:`jiedao.export.format` (shares in percent with one decimal and their ranges inside 0-100%,
money with separators and 万元, durations with their unit, never a raw float); tables are laid out
by :func:`jiedao.export.table.format_table`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jiedao.export import format as fmt
from jiedao.export.labels import label, label_or, parameter_label
from jiedao.export.table import format_table
from jiedao.planning.compare import Comparison
from jiedao.planning.plan import Plan
from jiedao.planning.whatif import SensitivityReport
from jiedao.scenarios.summary import ScenarioSummary
from jiedao.sim.run import STREAMS, Results

WAIT_UNIT = {"window": "min", "grid": "min", "enforcement": "days"}
COMPARE_METRICS = (
    "target_share",
    "wait_mean_min",
    "wait_mean_days",
    "wait_p90_min",
    "wait_p90_days",
    "utilisation",
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
            f"分钟；紧急网格事件{fmt.figure(t_g.urgent_response_h)}小时内响应，"
            f"{fmt.pct(t_g.share)}的普通事件{fmt.figure(t_g.ordinary_close_days)}{days[t_g.days]}"
            f"内办结；综合执法{fmt.pct(t_e.share)}的案件{fmt.figure(t_e.close_days)}"
            f"{days[t_e.days]}内办结",
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
            f"urgent grid events answered <= {fmt.figure(t_g.urgent_response_h)} h, "
            f"{fmt.pct(t_g.share)} closed <= {fmt.figure(t_g.ordinary_close_days)} {t_g.days} "
            f"days; enforcement {fmt.pct(t_e.share)} closed <= {fmt.figure(t_e.close_days)} "
            f"{t_e.days} days",
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
            row = [site.site, _stream(site.stream, lang), label_or(metric, lang)]
            for name in names:
                value = item.values[name]
                row.append(_format(metric, value.mean, value.ci95, lang=lang))
            for name in others:
                diff = item.differences[name]
                row.append(_format(metric, diff.mean, diff.ci95, signed=True, lang=lang))
                sig = diff.significant
                row.append(fmt.NA if sig is None else label("yes" if sig else "no", lang))
            rows.append(row)
    return headers, rows


def render_compare(comparison: Comparison, level: str = "city", lang: str = "zh") -> str:
    base = comparison.runs[0]
    headers, rows = compare_table_rows(comparison, level=level, lang=lang)
    head = _t(
        lang,
        f"配对比较（{base.replications}次重复，随机种子{base.seed}）：差值为各方案减去"
        f"{comparison.baseline}，附95%置信半宽；显著 = 区间不含0",
        f"Paired comparison ({base.replications} replications, seed {base.seed}): differences "
        f"are each scenario minus {comparison.baseline}, with 95% half-widths; significant = "
        "the interval excludes 0",
    )
    return head + "\n" + format_table(headers, rows)


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
    unit = next((u for u in ("min", "h", "days") if metric.endswith("_" + u)), "")
    if signed:
        text = fmt.number(mean, sign=True)
        if not fmt.missing(half):
            text += f" ± {fmt.number(half, fmt.decimals_for(mean))}"
        return f"{text} {_unit(unit, lang)}".rstrip()
    return fmt.pm(mean, half, unit=_unit(unit, lang))


# --- sweep ----------------------------------------------------------------------------------------


def render_sweep(summary: dict[str, Any], lang: str = "zh") -> str:
    tables = ", ".join(summary.get("tables", ()))
    if lang == "zh":
        return (
            f"参数扫描：共{summary['total']}个取值点，本次运行{summary['ran']}个，"
            f"已记录{summary['skipped']}个，见 {summary['out']}/points.jsonl"
            + (f"；结果表与图：{tables}" if tables else "")
        )
    return (
        f"sweep: {summary['total']} points, {summary['ran']} run now, "
        f"{summary['skipped']} already recorded, in {summary['out']}/points.jsonl"
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
            + f"；每年成本{fmt.money(r.cost_yuan)}"
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
            + f"; cost {fmt.money(r.cost_yuan, lang)} a year"
        )
        if not cost_mode:
            text += f"; weighted shortfall {fmt.figure(r.objective)}"
    lines.append(text)
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
    if plan.checks:
        met = sum(c.target_met for c in plan.checks.values())
        agree = sum(c.agrees for c in plan.checks.values())
        n = len(plan.checks)
        lines.append(
            _t(
                lang,
                f"  模拟检验（{plan.check_replications}次重复，新的随机数）：{n}个社区中{met}个"
                f"达到目标；{agree}个与其响应曲线在95%区间内一致",
                f"  check by simulation ({plan.check_replications} replications, fresh random "
                f"numbers): {met} of {n} communities meet their target; {agree} of {n} agree with "
                "their curve within the 95% intervals",
            )
        )
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
        needed = c.result.posts_total or 0
        change = needed - c.pool
        if c.checks:
            met = sum(ch.target_met for ch in c.checks.values())
            checked = _t(
                lang,
                f"模拟检验：{len(c.checks)}个街道中{met}个达到窗口目标",
                f"checked: {met} of {len(c.checks)} streets meet the window target",
            )
        else:
            checked = _t(lang, "未经模拟检验", "not checked by simulation")
        lines.append(
            _t(
                lang,
                f"  窗口人员（一窗通办）：需要{fmt.count(needed)}名，现有{fmt.count(c.pool)}名"
                f"（{fmt.count(change, sign=True)}）；{more}个街道增加，{fewer}个减少，"
                f"{same}个不变；{checked}（windows.csv）",
                f"  window clerks (一窗通办): {fmt.count(needed)} needed, "
                f"{fmt.count(c.pool)} today ({fmt.count(change, sign=True)}); more at "
                f"{fmt.plural(more, 'street', 'streets')}, fewer at {fewer}, the same at {same}; "
                f"{checked} (windows.csv)",
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
                fmt.count(proposed - row["posts_current"], sign=True)
                if proposed is not None
                else fmt.NA,
                fmt.yuan(row["funds_proposed_yuan"]),
                fmt.share_range(row["service_level"], row["service_level_ci95"]),
                fmt.pct(row["target"]),
                _yes_no(row["target_met"], lang),
            ]
        )
    keys = ("community", "name", "households", "posts_current", "posts_proposed", "posts_change")
    headers = [label(k, lang) for k in keys] + [
        label("funds_proposed_yuan", lang),
        label("service_level_range", lang),
        label("target", lang),
        label("target_met", lang),
    ]
    lines += ["", format_table(headers, rows)]
    return "\n".join(lines)
