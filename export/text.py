"""What the terminal shows: one renderer per command, reading the frozen results.

Each ``render_*`` returns the text the command prints; the CLI only echoes it. Tables are laid out
by :func:`jiedao.export.table.format_table`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jiedao.export.table import format_table
from jiedao.planning.compare import Comparison
from jiedao.planning.plan import Plan
from jiedao.planning.whatif import SensitivityReport
from jiedao.scenarios.model import Scenario
from jiedao.scenarios.summary import ScenarioSummary
from jiedao.sim.run import STREAMS, Results, summarise

STREAM_LABEL = {
    "window": "window 便民服务窗口",
    "grid": "grid 网格",
    "enforcement": "enforcement 综合执法",
}
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


def render_summary(summary: ScenarioSummary) -> str:
    scenario = summary.scenario
    budget = scenario.budget
    targets = scenario.targets
    fund_pool = (
        f" (pool ¥{budget.fund_pool_yuan:,.0f})" if budget.fund_pool_yuan is not None else ""
    )
    lines = [
        f"Scenario {scenario.name} {scenario.name_zh} ({scenario.source})",
        f"  {len(scenario.districts)} districts, {len(summary.streets)} streets (街道), "
        f"{len(summary.communities)} communities (社区), {scenario.households:,} households, "
        f"{summary.grids} grids (网格)",
        f"  staff: {summary.windows} window clerks (便民服务窗口), "
        f"{summary.enforcement_officers} enforcement officers (综合执法), "
        f"{summary.posts} social-worker posts (社工岗)",
        f"  budget: posts pool {budget.posts_pool} x ¥{budget.post_cost_yuan:,.0f}/year = "
        f"¥{summary.posts_cost_yuan:,.0f}; community funds ¥{summary.funds_yuan:,.0f}/year"
        + fund_pool,
        f"  targets: window {targets.window.share:.0%} wait <= "
        f"{targets.window.max_wait_min:g} min; grid: {targets.grid.urgent_target:.0%} of urgent "
        f"events answered <= {targets.grid.urgent_response_h:g} h and "
        f"{targets.grid.ordinary_target:.0%} of ordinary ones closed <= "
        f"{targets.grid.ordinary_close_days:g} {targets.grid.days} days; enforcement "
        f"{targets.enforcement.share:.0%} closed <= {targets.enforcement.close_days:g} "
        f"{targets.enforcement.days} days",
        *_access_lines(summary),
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
            s.funds_yuan,
        ]
        for s in summary.streets
    ]
    headers = [
        "street",
        "name",
        "communities",
        "households",
        "grids",
        "windows",
        "officers",
        "posts",
        "funds (yuan)",
    ]
    lines.append(format_table(headers, rows))
    return "\n".join(lines)


def _access_lines(summary: ScenarioSummary) -> list[str]:
    scenario = summary.scenario
    categories = scenario.demand.window.categories
    where: dict[str, list[str]] = {}
    for key, c in categories.items():
        done = "" if c.completed_at == c.taken_at else f" (done at {c.completed_at})"
        where.setdefault(c.taken_at, []).append(f"{key}{done}")
    label = {"community": "community station (代办)", "street": "street centre",
             "district": "district hall"}
    matters = "; ".join(f"{label[k]}: {', '.join(v)}" for k, v in where.items())
    communities = summary.communities
    if not communities:
        return []
    n = len(communities)
    bases = sorted({b for c in communities for b in c.travel_basis})
    mean = [sum(getattr(c, f"{w}_travel_min") for c in communities) / n
            for w in ("station", "street", "district")]
    halls = sum(1 for s in summary.streets if s.hall)
    return [
        f"  matters taken at: {matters}",
        f"  travel one way, mean over communities: station {mean[0]:.1f} min, street centre "
        f"{mean[1]:.1f} min, district hall {mean[2]:.1f} min ({', '.join(bases)}); "
        f"{halls} district halls; residents' time ¥{scenario.access.value_of_time_yuan_per_h:g}/h",
    ]


# --- simulate -------------------------------------------------------------------------------------


def _pm(
    results: Results,
    site: str,
    stream: str,
    name: str,
    fmt: str = "{:.1f}",
    values: np.ndarray | None = None,
) -> str:
    mean, half = results.metric(site, stream, name) if values is None else summarise(values)
    if mean != mean:
        return "n/a"
    text = fmt.format(mean)
    return text if half != half else f"{text} ± {fmt.format(half)}"


def render_simulation(results: Results, worst: int = 10) -> str:
    h = results.horizon
    lines = [
        f"Scenario {results.scenario.name}: {results.replications} replications, seed "
        f"{results.seed}; windows {h.days} days (warm-up {h.warmup_days}), grids and enforcement "
        f"{h.case_days} days (warm-up {h.case_warmup_days}); {results.residents:,} residents "
        f"simulated in {results.runtime_s:.1f} s",
        "",
    ]
    rows = []
    for stream in STREAMS:
        if ("city", stream) not in results.values:
            continue
        unit = WAIT_UNIT[stream]
        rows.append(
            [
                STREAM_LABEL[stream],
                _pm(results, "city", stream, "arrivals", "{:,.0f}"),
                _pm(results, "city", stream, f"wait_mean_{unit}", "{:.2f}") + f" {unit}",
                _pm(results, "city", stream, f"wait_p90_{unit}", "{:.2f}") + f" {unit}",
                _pm(results, "city", stream, "target_share", "{:.1%}"),
                _pm(results, "city", stream, "utilisation", "{:.1%}"),
                _pm(results, "city", stream, "abandoned", "{:,.0f}"),
            ]
        )
    lines.append(
        format_table(
            [
                "city: stream",
                "arrivals",
                "wait mean",
                "wait p90",
                "target met",
                "utilisation",
                "abandoned",
            ],
            rows,
        )
    )
    city = results.costs.get("city")
    if city is not None:
        parts = {
            name: _pm(results, "", "", name, "{:.2f}", city[name])
            for name in ("whole_cost_min", "travel_min", "wait_min", "service_min")
        }
        lines.append(
            f"resident's whole cost of window matters: {parts['whole_cost_min']} min a matter "
            f"(travel {parts['travel_min']}, waiting {parts['wait_min']}, service "
            f"{parts['service_min']}); "
            + _pm(results, "", "", "trips_per_matter", "{:.3f}", city["trips_per_matter"])
            + " trips a matter; residents' time "
            + _pm(results, "", "", "whole_cost_yuan_per_year", "¥{:,.0f}",
                  city["whole_cost_yuan_per_year"])
            + " a year (a social cost, not in the budget)"
        )
    if ("city", "grid") in results.values:
        lines += ["", grid_classes(results)]
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
                    results.levels[site],
                    stream,
                    _pm(results, site, stream, "target_share", "{:.1%}"),
                    _pm(results, site, stream, f"wait_mean_{unit}", "{:.2f}") + f" {unit}",
                    _pm(results, site, stream, "utilisation", "{:.1%}"),
                ]
            )
        lines += [
            "",
            format_table(
                ["worst sites", "level", "stream", "target met", "wait mean", "utilisation"], rows
            ),
        ]
    return "\n".join(lines)


def grid_classes(results: Results) -> str:
    """Urgent and ordinary grid events apart, with overtime and on-call hours (city level)."""
    target = results.scenario.targets.grid
    days = "working days" if target.days == "working" else "days"
    rows = [
        [
            "urgent 紧急",
            _pm(results, "city", "grid", "urgent_arrivals", "{:,.0f}"),
            f"on site <= {target.urgent_response_h:g} h",
            _pm(results, "city", "grid", "urgent_target_share", "{:.1%}"),
            f"{target.urgent_target:.0%}",
            _pm(results, "city", "grid", "urgent_response_p90_min", "{:.1f}") + " min",
        ],
        [
            "ordinary 一般",
            _ordinary_arrivals(results),
            f"closed <= {target.ordinary_close_days:g} {days}",
            _pm(results, "city", "grid", "ordinary_target_share", "{:.1%}"),
            f"{target.ordinary_target:.0%}",
            _pm(results, "city", "grid", "ordinary_close_p90_days", "{:.2f}") + " days",
        ],
    ]
    table = format_table(
        ["city: grid events", "arrivals", "target", "met", "target share", "p90"], rows
    )
    return (
        table
        + "\n  grid workers: overtime "
        + _pm(results, "city", "grid", "overtime_h_per_worker_week", "{:.2f}")
        + " h per worker per week (allowed "
        + f"{results.scenario.overtime.grid_h_per_worker_day:g} h a day); on-call "
        + _pm(results, "city", "grid", "on_call_h", "{:,.0f}")
        + " h; duties take "
        + f"{results.metric('city', 'grid', 'duty_workers')[0]:,.1f}"
        + " of "
        + f"{results.metric('city', 'grid', 'grid_staff')[0]:,.1f}"
        + " grid staff-equivalents; window clerks: overtime "
        + _pm(results, "city", "window", "overtime_h_per_worker_week", "{:.2f}")
        + " h per clerk per week"
    )


def _ordinary_arrivals(results: Results) -> str:
    total = results.per_replication("city", "grid", "arrivals")
    urgent = results.per_replication("city", "grid", "urgent_arrivals")
    return f"{float(np.mean(total - urgent)):,.0f}"


# --- compare --------------------------------------------------------------------------------------


def compare_table_rows(
    comparison: Comparison,
    metrics: Sequence[str] = COMPARE_METRICS,
    level: str | None = "city",
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: one row per site, stream and metric (in ``metrics`` order) at ``level``.

    Columns: site, stream, metric, each scenario's ``mean ± ci95``, then per scenario after the
    first its difference from the first and whether it is significant (``yes``/``no``, ``n/a``
    with one replication). Shares are shown in percent, their differences in percentage points.
    """
    names = list(comparison.names)
    baseline, others = names[0], names[1:]
    headers = ["site", "stream", "metric", *names]
    for name in others:
        headers += [f"{name} - {baseline}", "significant"]
    rows: list[list[str]] = []
    for site in comparison.at_level(level):
        for metric in metrics:
            item = site.metrics.get(metric)
            if item is None:
                continue
            row = [site.site, site.stream, metric]
            for name in names:
                value = item.values[name]
                row.append(_format(metric, value.mean, value.ci95))
            for name in others:
                diff = item.differences[name]
                row.append(_format(metric, diff.mean, diff.ci95, signed=True))
                sig = diff.significant
                row.append("n/a" if sig is None else "yes" if sig else "no")
            rows.append(row)
    return headers, rows


COST_ROWS = (
    ("whole_cost_min", "whole cost, min a matter"),
    ("travel_min", "  travel (there and back)"),
    ("wait_min", "  waiting in window queues"),
    ("service_min", "  service"),
    ("trips_per_matter", "trips a matter"),
    ("travel_per_trip_min", "travel a trip, min one way"),
    ("whole_cost_yuan", "whole cost, yuan a matter"),
    ("whole_cost_yuan_per_year", "residents' time, yuan a year"),
)


def compare_cost_rows(
    comparison: Comparison, level: str | None = "city"
) -> tuple[list[str], list[list[str]]]:
    """The resident's whole cost per site at ``level``: each scenario's value and the difference
    from the first (columns as :func:`compare_table_rows`)."""
    names = list(comparison.names)
    baseline, others = names[0], names[1:]
    headers = ["site", "whole cost", *names]
    for name in others:
        headers += [f"{name} - {baseline}", "significant"]
    rows: list[list[str]] = []
    for site in comparison.costs_at_level(level):
        for metric, label in COST_ROWS:
            item = site.metrics.get(metric)
            if item is None:
                continue
            row = [site.site, label]
            for name in names:
                value = item.values[name]
                row.append(_format(metric, value.mean, value.ci95))
            for name in others:
                diff = item.differences[name]
                row.append(_format(metric, diff.mean, diff.ci95, signed=True))
                sig = diff.significant
                row.append("n/a" if sig is None else "yes" if sig else "no")
            rows.append(row)
    return headers, rows


def _pm_text(mean: float | None, half: float | None, spec: str = "+.2f") -> str:
    if mean is None:
        return "n/a"
    text = format(mean, spec)
    return text if half is None else f"{text} ± {format(half, spec.lstrip('+'))}"


def break_even_lines(comparison: Comparison, level: str | None = "city") -> list[str]:
    """The verdict on whole cost per site at ``level``, which effect drives it, and where it
    flips."""
    lines = []
    baseline = comparison.baseline
    for b in comparison.break_even:
        if level is not None and comparison.runs[0].levels.get(b.site, "city") != level:
            continue
        d = b.whole_cost
        travel, wait = b.effects.get("travel"), b.effects.get("wait")
        parts = ", ".join(
            f"{part} {_pm_text(value, None)}" for part, value in b.effects.items()
        )
        lines.append(
            f"{b.site}: whole cost {b.scenario} - {baseline} = {_pm_text(d.mean, d.ci95)} min a "
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
                    f"; its trips are {abs(now):.2f} min "
                    f"{'shorter' if now >= 0 else 'longer'} each way than {baseline}'s now, and "
                    "the two cost the same where they are "
                    f"{abs(even):.2f} min {'shorter' if even >= 0 else 'longer'}"
                )
            could = "could be" if b.margin_min >= 0 else "would have to be"
            until = "before its whole cost equals" if b.margin_min >= 0 else "for its cost to equal"
            lines.append(
                f"  break-even: every trip of {b.scenario} {could} "
                f"{_pm_text(abs(b.margin_min), b.margin_ci95, '.2f')} min {sign} each way {until} "
                f"{baseline}'s{saving}"
            )
    return lines


def _effect(travel: float | None, wait: float | None) -> str:
    if travel is None or wait is None:
        return "the effects are undefined"
    if travel < 0 <= wait:
        side = "access outweighs pooling" if abs(travel) > wait else "pooling outweighs access"
        return f"{side} (travel {travel:+.2f}, queues {wait:+.2f} min)"
    if wait < 0 <= travel:
        side = "pooling outweighs access" if abs(wait) > travel else "access outweighs pooling"
        return f"{side} (queues {wait:+.2f}, travel {travel:+.2f} min)"
    both = "shorter" if travel < 0 else "longer"
    return f"both travel and queues are {both} (travel {travel:+.2f}, queues {wait:+.2f} min)"


def pairing_lines(comparison: Comparison) -> list[str]:
    """Which figures are paired (the same residents in both runs) and which come from
    independent runs (Welch intervals)."""
    out = []
    for name in comparison.names[1:]:
        paired: list[str] = []
        independent: list[str] = []
        for site in comparison.at_level("city") + comparison.costs_at_level("city"):
            label = "whole cost" if site in comparison.costs else site.stream
            item = next(iter(site.metrics.values()), None)
            if item is None or label in paired + independent:
                continue
            (paired if item.differences[name].paired else independent).append(label)
        text = f"{name} vs {comparison.baseline}: "
        if paired:
            text += f"paired (the same residents in both runs): {', '.join(paired)}"
        if independent:
            text += "; " if paired else ""
            text += (
                f"independent runs, Welch intervals: {', '.join(independent)} (their random "
                "streams are named by sites or keys that differ)"
            )
        out.append(text)
    return out


def render_compare(comparison: Comparison, level: str = "city") -> str:
    base = comparison.runs[0]
    shown, note = comparison.level_shown(level)
    headers, rows = compare_table_rows(comparison, level=shown)
    lines = []
    if note:
        lines.append(note)
    lines.append(
        f"Comparison ({base.replications} replications, seed {base.seed}); differences are each "
        f"scenario minus {comparison.baseline}, with 95% CIs"
    )
    lines += pairing_lines(comparison)
    lines.append(format_table(headers, rows))
    cost_headers, cost_rows = compare_cost_rows(comparison, level=shown)
    if cost_rows:
        vot = base.scenario.access.value_of_time_yuan_per_h
        lines += [
            "",
            "The resident's whole cost of window matters (trips, waits, service; a matter done "
            f"online costs its service only); yuan at ¥{vot:g} an hour, a social cost never "
            "added to the budget",
            format_table(cost_headers, cost_rows),
        ]
        lines += break_even_lines(comparison, level=shown)
    return "\n".join(lines)


def _is_share(metric: str) -> bool:
    return metric.endswith("share") or metric.endswith("utilisation")


def _format(metric: str, mean: float | None, half: float | None, signed: bool = False) -> str:
    if mean is None:
        return "n/a"
    mean, half = round(mean, 6), None if half is None else round(half, 6)
    sign = "+" if signed else ""
    if _is_share(metric):
        text = f"{mean * 100:{sign}.1f}" + (" pp" if signed else "%")
        if half is not None:
            text += f" ± {half * 100:.1f}"
        return text
    spec = ".2f" if metric.endswith(("_min", "_h", "_days", "_yuan")) else ",.1f"
    if metric == "trips_per_matter":
        spec = ".3f"
    elif metric.endswith("_per_year"):
        spec = ",.0f"
    text = format(mean, sign + spec)
    if half is not None:
        text += f" ± {format(half, spec)}"
    return text


# --- sweep ----------------------------------------------------------------------------------------


def render_sweep(summary: dict[str, Any]) -> str:
    return (
        f"sweep: {summary['total']} points, {summary['ran']} run now, "
        f"{summary['skipped']} already recorded, in {summary['out']}/points.jsonl"
    )


# --- sensitivity ----------------------------------------------------------------------------------


def _show(value: Any) -> str:
    return "infeasible" if value is None else f"{value:,.4g}"


def render_sensitivity(report: SensitivityReport) -> str:
    base = report.base
    lines = [
        f"Sensitivity of {report.scenario.name}: +-{report.change:.0%} one at a time; base plan "
        f"needs {base.posts_required} posts (cost ¥{(base.cost_yuan or 0):,.0f}/year), "
        f"weighted shortfall {base.shortfall}",
        "",
    ]
    rows = [
        [
            rank,
            r.label,
            _show(r.low.posts_required),
            _show(r.high.posts_required),
            _show(r.low.shortfall),
            _show(r.high.shortfall),
        ]
        for rank, r in enumerate(report.rows, start=1)
    ]
    lines.append(
        format_table(
            [
                "rank",
                "parameter",
                "posts needed (-)",
                "posts needed (+)",
                "shortfall (-)",
                "shortfall (+)",
            ],
            rows,
        )
    )
    lines += [
        "",
        format_table(
            ["posts pool", "service level", "shortfall", "shadow price per post"],
            [
                [p.pool, _show(p.service_level), _show(p.shortfall), _show(p.shadow_price)]
                for p in report.frontier_posts
            ],
        ),
    ]
    if report.uncertainty:
        risky = sorted(report.uncertainty, key=lambda u: u.probability)[:10]
        lines += [
            "",
            f"demand +-{report.spread:.0%}: probability of meeting the target (least sure first)",
            format_table(
                ["community", "P(target met)", "95% interval"],
                [
                    [u.community_id, f"{u.probability:.0%}", f"{u.low:.0%}-{u.high:.0%}"]
                    for u in risky
                ],
            ),
        ]
    return "\n".join(lines)


# --- plan -----------------------------------------------------------------------------------------


def _level(mean: float | None, half: float | None, lower: float | None = None) -> str:
    if mean is None:
        return "n/a"
    text = f"{mean:.1%}" + (f" ± {half:.1%}" if half is not None else "")
    return text + (f" ({lower:.1%})" if lower is not None else "")


def _norm(row: dict[str, Any]) -> str:
    if row["posts_norm_jilin_low"] is None:
        return "n/a"
    return (
        f"{row['posts_norm_jilin_low']}-{row['posts_norm_jilin_high']} / "
        f"{row['workers_norm_national']:.0f}"
    )


def plan_verdict(plan: Plan) -> list[str]:
    """The posts figure with its bounds, the norms beside it, overtime, and the inputs it is most
    sensitive to."""
    r = plan.result
    pool = plan.scenario.budget.posts_pool
    lines = []
    if plan.pool_enough is True:
        lines.append(
            f"  posts needed to meet every grid target: {r.posts_total}; the pool of {pool} is "
            f"enough ({pool - (r.posts_total or 0)} to spare)"
        )
    elif plan.pool_enough is False:
        lines.append(
            f"  posts needed to meet every grid target: {r.posts_total}; the pool of {pool} is "
            f"NOT enough: {(r.posts_total or 0) - pool} more posts are needed"
        )
    if plan.norms is not None:
        low, high, national = plan.norms.totals
        lines.append(
            f"  beside it, the norms: Jilin's rule (10-15 posts under 3,000 households, +1 per "
            f"300-500 above) gives {low}-{high} posts; the national 18 community workers per "
            f"10,000 residents gives {national:,.0f}"
        )
    if plan.checks:
        met = plan.met
        agree = sum(c.agrees for c in plan.checks.values())
        growing = sum(c.backlog_grows for c in plan.checks.values())
        n = len(plan.checks)
        most = max(c.replications for c in plan.checks.values())
        reps = (
            f"{plan.check_replications}" if most == plan.check_replications
            else f"{plan.check_replications}-{most}"
        )  # fmt: skip
        lines.append(
            f"  check ({reps} replications, fresh seeds, "
            f"{plan.case_days} days, warm-up {plan.case_warmup_days}): {met}/{n} communities meet "
            f"their grid targets on the lower 95% bound (urgent and ordinary both, no growing "
            f"backlog); {growing} with a growing backlog; {plan.check_cap_hits} still undecided at "
            f"{plan.max_replications} replications; {agree}/{n} agree with their curve within "
            "the CIs"
        )
        checks = [c for c in plan.checks.values()]
        week = [c.overtime_h_per_worker_week for c in checks]
        week = [w for w in week if w == w]
        overtime = sum(
            c.overtime_h_per_year for c in checks if c.overtime_h_per_year == c.overtime_h_per_year
        )
        on_call = sum(
            c.on_call_h_per_year for c in checks if c.on_call_h_per_year == c.on_call_h_per_year
        )
        paid = (
            f"paid: ¥{plan.paid_overtime_yuan:,.0f}/year"
            if plan.scenario.overtime.grid_paid
            else "unpaid"
        )
        lines.append(
            f"  grid overtime: {np.mean(week) if week else 0.0:.2f} h per worker per week "
            f"(allowed {plan.scenario.overtime.grid_h_per_worker_day:g} h a day), {overtime:,.0f} "
            f"h a year, on-call {on_call:,.0f} h a year, {paid}"
        )
    if plan.measured is not None:
        m = plan.measured
        halves = [h for b in m.brackets.values() for h in b.half_widths]
        lines.append(
            f"  curves ({m.case_days} days, warm-up {m.case_warmup_days}): levels either side of "
            f"each target measured to a median 95% half-width of "
            f"{float(np.median(halves)) if halves else 0.0:.1%}; {m.cap_hits} communities still "
            f"undecided at {m.max_replications} replications"
        )
    if plan.elasticities:
        top = ", ".join(f"{e.label} {e.value:+.2f}" for e in plan.elasticities[:5])
        lines.append(
            f"  most sensitive inputs (elasticity of the load-based estimate of "
            f"{plan.load_posts:,.0f} posts; jiedao sensitivity re-simulates): {top}"
        )
    return lines


def render_plan(plan: Plan) -> str:
    from jiedao.export.plan import allocation_rows, window_rows

    r, s = plan.result, plan.sensitivity
    lines = [
        f"Plan for {plan.scenario.name} ({plan.mode.value} mode, curves {plan.curve_source}): "
        f"{r.message}; {plan.runtime_s:.1f} s",
        f"  posts {r.posts_total} (pool {plan.scenario.budget.posts_pool}), funds "
        f"¥{r.funds_total_yuan:,.0f}, cost ¥{r.cost_yuan:,.0f}/year"
        + (f"; weighted shortfall {r.objective:.4g}" if plan.mode.value == "shortfall" else ""),
    ]
    if s is not None:
        unit = "shortfall reduced" if plan.mode.value == "shortfall" else "yuan saved"
        lines.append(
            f"  one more post: {s.marginal_post if s.marginal_post is not None else 'n/a'} "
            f"{unit}; ¥10,000 more funds: "
            f"{s.marginal_funds if s.marginal_funds is not None else 'n/a'} {unit}"
        )
        for price in s.shadow_prices.values():
            low = "-inf" if price.lower is None else f"{price.lower:,.6g}"
            high = "inf" if price.upper is None else f"{price.upper:,.6g}"
            lines.append(
                f"  shadow price {price.constraint}: {price.value:.4g} per {price.unit}, "
                f"holds for right-hand side {low} .. {high}"
            )
    binding = [b for b in (r.binding or ()) if ":" not in b]
    per_site = [b for b in (r.binding or ()) if ":" in b]
    lines.append(
        f"  binding: {', '.join(binding) or 'no pool'}"
        + (f"; {len(per_site)} community floors/caps" if per_site else "")
    )
    lines += plan_verdict(plan)
    if plan.clerks is not None:
        c = plan.clerks
        rows_w = window_rows(plan)
        more = sum(1 for row in rows_w if (row["clerks_proposed"] or 0) > row["clerks_current"])
        fewer = sum(1 for row in rows_w if (row["clerks_proposed"] or 0) < row["clerks_current"])
        met = sum(ch.target_met for ch in c.checks.values())
        lines.append(
            f"  window clerks (一窗通办): {c.result.posts_total} of {c.pool} needed; more at "
            f"{more} streets, fewer at {fewer}; check: {met}/{len(c.checks)} streets meet the "
            "window target (windows.csv)"
        )
    rows = [
        [
            row["community_id"],
            row["community"],
            row["households"],
            row["posts_current"],
            row["posts_proposed"],
            row["funds_proposed_yuan"],
            _level(row["service_level"], row["service_level_ci95"], row["service_level_lower95"]),
            _level(row["urgent_level"], row["urgent_level_ci95"]),
            _level(row["ordinary_level"], row["ordinary_level_ci95"]),
            f"{row['target']:.0%}" if row["target"] is not None else "n/a",
            "yes"
            if row["target_met"]
            else ("NO (backlog grows)" if row["backlog_grows"] else "NO"),
            _norm(row),
        ]
        for row in allocation_rows(plan)
    ]
    lines += [
        "",
        format_table(
            [
                "community",
                "name",
                "households",
                "posts now",
                "posts plan",
                "funds plan (yuan)",
                "grid level (low 95%)",
                "urgent",
                "ordinary",
                "target",
                "met",
                "norms Jilin / national",
            ],
            rows,
        ),
    ]
    return "\n".join(lines)
