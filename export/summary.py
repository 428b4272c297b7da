"""One summary of a plan that every output reads: the report, its charts and the terminal headline.

:func:`plan_summary` walks the plan result once and freezes what a person reads into plain
objects: totals (posts, funds, clerks and what they cost a year), one line per community, street
and district (today, plan, change; the check's level with its interval clipped to 0-1 and whether
the target is met on the lower bound), the budget split, the risks, and where the figures come
from. A figure is computed here once; renderers format it (:mod:`export.format`) and never add it
up again.

Units (one per stream, everywhere a person reads them): :data:`UNITS`. Windows and urgent grid
response in minutes; ordinary grid events and enforcement cases in days.

Shares' intervals: the check's service level is a mean of per-replication shares; its interval is
the replication t-interval (mean ± half-width) clipped to 0-1 (:class:`Share`). ``lo`` and ``hi``
are those ends.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from jiedao.planning.plan import Plan

# stream -> (unit, minutes per unit): the unit each stream's times are read in
UNITS: dict[str, tuple[str, float]] = {
    "window": ("min", 1.0),
    "urgent": ("min", 1.0),
    "grid": ("days", 1440.0),  # ordinary grid events
    "ordinary": ("days", 1440.0),
    "enforcement": ("days", 1440.0),
}

# communities (or streets) beyond which a chart draws streets (or districts) instead of one bar each
MAX_BARS = 60


def in_unit(stream: str, minutes: float) -> float:
    """A duration in minutes expressed in the stream's unit (:data:`UNITS`)."""
    unit = UNITS.get(stream, ("min", 1.0))
    return minutes / unit[1]


def unit_of(stream: str) -> str:
    return UNITS.get(stream, ("min", 1.0))[0]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


@dataclass(frozen=True)
class Share:
    """A share (0-1) with its 95% t-interval clipped to 0-1: ``lo <= mean <= hi``."""

    mean: float
    half: float
    lo: float
    hi: float

    @classmethod
    def of(
        cls, mean: float | None, half: float | None = None, lower: float | None = None
    ) -> Share | None:
        """``lower``, where the check gives its own lower bound, is that bound (the same
        t-interval clipped to 0-1, so equal to ``mean - half`` unless clipped)."""
        if not _finite(mean):
            return None
        m = float(mean)  # type: ignore[arg-type]
        h = abs(float(half)) if _finite(half) else 0.0  # type: ignore[arg-type]
        lo = float(lower) if _finite(lower) else max(0.0, m - h)  # type: ignore[arg-type]
        return cls(m, h, max(0.0, min(lo, m)), min(1.0, m + h))

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci95": self.half, "lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class CommunityLine:
    id: str
    name: str
    street_id: str
    street: str
    district_id: str
    district: str
    type: str
    households: int
    posts_today: int
    posts_plan: int | None
    funds_today_yuan: float
    funds_plan_yuan: float | None
    level: Share | None  # the check's joint grid level (or the curve's where not checked)
    target: float | None
    met: bool | None  # on the lower 95% bound, and the backlog does not grow
    urgent: Share | None = None
    ordinary: Share | None = None
    backlog_grows: bool = False
    utilisation: float | None = None
    cap_hit: bool = False
    checked: bool = False

    @property
    def posts_change(self) -> int | None:
        return None if self.posts_plan is None else self.posts_plan - self.posts_today

    @property
    def funds_change_yuan(self) -> float | None:
        return (
            None if self.funds_plan_yuan is None else self.funds_plan_yuan - self.funds_today_yuan
        )


@dataclass(frozen=True)
class AreaLine:
    """A street or district: sums of its communities (and its window clerks)."""

    kind: str  # "street" or "district"
    id: str
    name: str
    district: str
    communities: int
    households: int
    posts_today: int
    posts_plan: int
    funds_today_yuan: float
    funds_plan_yuan: float
    checked: int
    met: int
    clerks_today: int = 0
    clerks_plan: int | None = None

    @property
    def posts_change(self) -> int:
        return self.posts_plan - self.posts_today

    @property
    def funds_change_yuan(self) -> float:
        return self.funds_plan_yuan - self.funds_today_yuan

    @property
    def clerks_change(self) -> int | None:
        return None if self.clerks_plan is None else self.clerks_plan - self.clerks_today


@dataclass(frozen=True)
class BudgetItem:
    key: str  # "posts", "hours", "no_hours", "clerks"
    quantity: float
    unit: str
    yuan: float


@dataclass(frozen=True)
class Risk:
    key: str
    count: int
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanSummary:
    scenario: str
    scenario_zh: str
    description: str
    source: str
    mode: str
    seed: int
    check_seed: int
    check_replications: int
    curve_source: str
    households: int
    post_cost_yuan: float
    posts_pool: int
    posts_today: int
    posts_plan: int
    funds_today_yuan: float
    funds_plan_yuan: float
    fund_pool_yuan: float | None
    clerks_today: int | None
    clerks_plan: int | None
    checked: int
    met: int
    windows_checked: int
    windows_met: int
    window_target: float | None
    communities: tuple[CommunityLine, ...]
    streets: tuple[AreaLine, ...]
    districts: tuple[AreaLine, ...]
    budget: tuple[BudgetItem, ...]
    risks: tuple[Risk, ...]
    source_tags: tuple[tuple[str, int], ...]
    paid_overtime_yuan: float = 0.0

    @property
    def posts_change(self) -> int:
        return self.posts_plan - self.posts_today

    @property
    def posts_cost_yuan(self) -> float:
        return self.posts_plan * self.post_cost_yuan

    @property
    def clerks_cost_yuan(self) -> float:
        return (self.clerks_plan or 0) * self.post_cost_yuan

    @property
    def cost_yuan(self) -> float:
        """A year: posts and clerks at the post cost, plus the funds (the budget split's sum)."""
        return float(sum(item.yuan for item in self.budget))

    @property
    def funds_change_yuan(self) -> float:
        return self.funds_plan_yuan - self.funds_today_yuan

    @property
    def clerks_change(self) -> int | None:
        if self.clerks_plan is None or self.clerks_today is None:
            return None
        return self.clerks_plan - self.clerks_today


TAG = re.compile(r"\[(seed|source|assumption)\b")


def source_tags(text: str | None) -> tuple[tuple[str, int], ...]:
    """How many figures of the scenario file carry each source tag ([seed], [source],
    [assumption]; docs/sources.md gives each)."""
    if not text:
        return ()
    counts: dict[str, int] = {"seed": 0, "source": 0, "assumption": 0}
    for match in TAG.finditer(text):
        counts[match.group(1)] += 1
    return tuple((k, v) for k, v in counts.items() if v)


def plan_summary(plan: Plan) -> PlanSummary:
    """The plan's summary: built once, read by every renderer."""
    scenario = plan.scenario
    by_id = plan.result.by_id()
    communities: list[CommunityLine] = []
    for district in scenario.districts:
        for street in district.streets:
            for c in street.communities:
                a = by_id.get(c.id)
                ch = plan.checks.get(c.id)
                if ch is not None:
                    level = Share.of(ch.level, ch.ci95, ch.lower)
                    met: bool | None = ch.target_met
                    urgent = Share.of(ch.urgent_level, ch.urgent_ci95)
                    ordinary = Share.of(ch.ordinary_level, ch.ordinary_ci95)
                else:
                    level = Share.of(a.service_level) if a else None
                    met = a.target_met if a else None
                    urgent = ordinary = None
                communities.append(
                    CommunityLine(
                        id=c.id,
                        name=c.name_zh or c.name,
                        street_id=street.id,
                        street=street.name_zh or street.name,
                        district_id=district.id,
                        district=district.name_zh or district.name,
                        type=c.type,
                        households=c.households,
                        posts_today=c.posts,
                        posts_plan=a.posts if a else None,
                        funds_today_yuan=float(c.funds_yuan),
                        funds_plan_yuan=float(a.funds_yuan) if a else None,
                        level=level,
                        target=a.target if a else (ch.target if ch else None),
                        met=met,
                        urgent=urgent,
                        ordinary=ordinary,
                        backlog_grows=bool(ch.backlog_grows) if ch else False,
                        utilisation=ch.utilisation if ch and _finite(ch.utilisation) else None,
                        cap_hit=bool(ch.cap_hit) if ch else False,
                        checked=ch is not None,
                    )
                )
    clerks_plan_by_street: dict[str, int] = {}
    windows_checked = windows_met = 0
    window_target = None
    if plan.clerks is not None:
        clerks_plan_by_street = {
            a.community_id: a.posts for a in plan.clerks.result.allocation or ()
        }
        windows_checked = len(plan.clerks.checks)
        windows_met = sum(1 for s in plan.clerks.checks.values() if s.target_met)
        window_target = next((s.target for s in plan.clerks.checks.values()), None)
    by_street: dict[str, list[CommunityLine]] = {}
    by_district: dict[str, list[CommunityLine]] = {}
    for line in communities:  # grouped once: thousands of communities stay linear
        by_street.setdefault(line.street_id, []).append(line)
        by_district.setdefault(line.district_id, []).append(line)
    streets = tuple(
        _area(
            "street",
            street.id,
            street.name_zh or street.name,
            district.name_zh or district.name,
            by_street.get(street.id, []),
            street.windows,
            clerks_plan_by_street.get(street.id) if plan.clerks is not None else None,
        )
        for district in scenario.districts
        for street in district.streets
    )
    districts = tuple(
        _area(
            "district",
            d.id,
            d.name_zh or d.name,
            d.name_zh or d.name,
            by_district.get(d.id, []),
            sum(s.windows for s in d.streets),
            sum(clerks_plan_by_street.get(s.id, 0) for s in d.streets)
            if plan.clerks is not None
            else None,
        )
        for d in scenario.districts
    )
    posts_plan = sum(c.posts_plan or 0 for c in communities)
    funds_plan = sum(c.funds_plan_yuan or 0.0 for c in communities)
    clerks_today = sum(s.windows for s in scenario.streets()) if plan.clerks is not None else None
    clerks_plan = sum(clerks_plan_by_street.values()) if plan.clerks is not None else None
    post_cost = float(scenario.budget.post_cost_yuan)
    budget = _budget(plan, posts_plan, funds_plan, clerks_plan, post_cost)
    checked = [c for c in communities if c.checked]
    text = scenario.origin.text if scenario.origin is not None else None
    return PlanSummary(
        scenario=scenario.name,
        scenario_zh=scenario.name_zh or scenario.name,
        description=scenario.description,
        source=scenario.source,
        mode=plan.mode.value,
        seed=plan.seed,
        check_seed=plan.check_seed,
        check_replications=plan.check_replications,
        curve_source=plan.curve_source,
        households=scenario.households,
        post_cost_yuan=post_cost,
        posts_pool=scenario.budget.posts_pool,
        posts_today=sum(c.posts_today for c in communities),
        posts_plan=posts_plan,
        funds_today_yuan=sum(c.funds_today_yuan for c in communities),
        funds_plan_yuan=funds_plan,
        fund_pool_yuan=scenario.budget.fund_pool_yuan,
        clerks_today=clerks_today,
        clerks_plan=clerks_plan,
        checked=len(checked),
        met=sum(1 for c in checked if c.met),
        windows_checked=windows_checked,
        windows_met=windows_met,
        window_target=window_target,
        communities=tuple(communities),
        streets=streets,
        districts=districts,
        budget=budget,
        risks=_risks(plan, communities),
        source_tags=source_tags(text),
        paid_overtime_yuan=float(plan.paid_overtime_yuan),
    )


def _area(
    kind: str,
    id_: str,
    name: str,
    district: str,
    members: list[CommunityLine],
    clerks_today: int,
    clerks_plan: int | None,
) -> AreaLine:
    checked = [c for c in members if c.checked]
    return AreaLine(
        kind=kind,
        id=id_,
        name=name,
        district=district,
        communities=len(members),
        households=sum(c.households for c in members),
        posts_today=sum(c.posts_today for c in members),
        posts_plan=sum(c.posts_plan or 0 for c in members),
        funds_today_yuan=sum(c.funds_today_yuan for c in members),
        funds_plan_yuan=sum(c.funds_plan_yuan or 0.0 for c in members),
        checked=len(checked),
        met=sum(1 for c in checked if c.met),
        clerks_today=clerks_today,
        clerks_plan=clerks_plan,
    )


BUDGET_KEYS = {
    "purchased service hours": "hours",
    "funds buying no hours": "no_hours",
    "window clerks": "clerks",
    "paid overtime and on-call hours": "overtime",
}


def _budget(
    plan: Plan, posts: int, funds: float, clerks: int | None, post_cost: float
) -> tuple[BudgetItem, ...]:
    """The year's money by what it buys: the plan's one budget (:attr:`planning.plan.Plan.budget`:
    posts, the hours the funds buy, the funds buying none, window clerks, paid overtime), the same
    figures the terminal and ``plan.json`` show."""
    items: list[BudgetItem] = []
    budget = plan.budget
    lines = budget.lines if budget is not None else ()
    for line in lines:
        key = BUDGET_KEYS.get(line.item, "posts" if line.unit == "post-year" else line.item)
        items.append(BudgetItem(key, line.quantity, line.unit, line.yuan))
    if not items:
        items = [
            BudgetItem("posts", float(posts), "post-year", posts * post_cost),
            BudgetItem("funds", funds, "yuan", funds),
        ]
    if clerks is not None and not any(i.key == "clerks" for i in items):
        items.append(BudgetItem("clerks", float(clerks), "clerk-year", clerks * post_cost))
    return tuple(items)


def _risks(plan: Plan, communities: list[CommunityLine]) -> tuple[Risk, ...]:
    """What could make the plan fall short, each with how many communities it concerns."""

    def names(rows: list[CommunityLine]) -> tuple[str, ...]:
        return tuple(c.name for c in rows[:5])

    checked = [c for c in communities if c.checked]
    risks: list[Risk] = []
    if not checked:
        risks.append(Risk("not_checked", len(communities)))
    not_met = [c for c in checked if not c.met]
    if not_met:
        risks.append(Risk("not_met", len(not_met), names(not_met)))
    backlog = [c for c in checked if c.backlog_grows]
    if backlog:
        risks.append(Risk("backlog", len(backlog), names(backlog)))
    busy = [c for c in checked if c.utilisation is not None and c.utilisation >= 0.9]
    if busy:
        risks.append(Risk("busy", len(busy), names(busy)))
    capped = [c for c in checked if c.cap_hit]
    if capped:
        risks.append(Risk("cap_hit", len(capped), names(capped)))
    close = [
        c
        for c in checked
        if c.met and c.level is not None and c.target is not None and c.level.lo - c.target < 0.01
    ]
    if close:
        risks.append(Risk("close", len(close), names(close)))
    cuts = [c for c in communities if (c.posts_change or 0) < 0]
    if cuts:
        risks.append(Risk("cuts", len(cuts), names(cuts)))
    if plan.clerks is not None:
        short = [s for s in plan.clerks.checks.values() if not s.target_met]
        if short:
            risks.append(Risk("windows_not_met", len(short), tuple(s.street_id for s in short[:5])))
    if plan.elasticities:
        top = max(plan.elasticities, key=lambda e: abs(e.value))
        # (field path, the plan's English words for it, elasticity): the report names it
        risks.append(Risk("elasticity", 1, (top.path, top.label, f"{top.value:.6f}")))
    return tuple(risks)


def summary_document(summary: PlanSummary) -> dict[str, Any]:
    """The summary's figures as JSON-ready data (English keys; shares with ``lo``/``hi``)."""
    return {
        "scenario": summary.scenario,
        "seed": summary.seed,
        "posts_today": summary.posts_today,
        "posts_plan": summary.posts_plan,
        "funds_today_yuan": summary.funds_today_yuan,
        "funds_plan_yuan": summary.funds_plan_yuan,
        "clerks_today": summary.clerks_today,
        "clerks_plan": summary.clerks_plan,
        "cost_yuan": summary.cost_yuan,
        "checked": summary.checked,
        "met": summary.met,
        "budget": [
            {"item": b.key, "quantity": b.quantity, "unit": b.unit, "yuan": b.yuan}
            for b in summary.budget
        ],
        "communities": [
            {
                "community_id": c.id,
                "posts_today": c.posts_today,
                "posts_plan": c.posts_plan,
                "service_level": c.level.as_dict() if c.level else None,
                "target": c.target,
                "target_met": c.met,
            }
            for c in summary.communities
        ],
    }


# --- sensitivity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwingLine:
    path: str
    label: str  # the analysis' own English words for the input
    posts_low: int | None  # posts the targets need with the input lowered / raised
    posts_high: int | None
    cost_low_yuan: float | None
    cost_high_yuan: float | None


@dataclass(frozen=True)
class SensitivitySummary:
    scenario: str
    scenario_zh: str
    description: str
    source: str
    seed: int
    change: float
    spread: float
    post_cost_yuan: float
    posts_base: int | None
    cost_base_yuan: float | None
    shortfall_base: float | None
    swings: tuple[SwingLine, ...]  # as the analysis ranked them
    frontier: tuple[tuple[float, float], ...]  # (posts pool, households-weighted level)
    uncertain: tuple[tuple[str, float, float, float], ...]  # (community, p, low, high), least first
    draws: int
    source_tags: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, str, str], ...] = ()  # window category: key, zh name, en name

    def tornado(self) -> list[tuple[SwingLine, int, int]]:
        """(input, posts change lowered, raised) against the base, where both are known; the
        widest swing of the posts figure first (ties by path)."""
        if self.posts_base is None:
            return []
        rows = [
            (s, s.posts_low - self.posts_base, s.posts_high - self.posts_base)
            for s in self.swings
            if s.posts_low is not None and s.posts_high is not None
        ]
        rows.sort(key=lambda r: (-max(abs(r[1]), abs(r[2])), r[0].path))
        return rows


def sensitivity_summary(report: Any, seed: int | None = None) -> SensitivitySummary:
    """The summary of a :class:`planning.whatif.SensitivityReport` (run with ``seed``, the
    scenario's when None), read by its report."""
    scenario = report.scenario
    base = report.base
    text = scenario.origin.text if scenario.origin is not None else None
    names = {c.id: c.name_zh or c.name for c in scenario.communities()}
    return SensitivitySummary(
        scenario=scenario.name,
        scenario_zh=scenario.name_zh or scenario.name,
        description=scenario.description,
        source=scenario.source,
        seed=scenario.simulation.seed if seed is None else seed,
        change=report.change,
        spread=report.spread,
        post_cost_yuan=float(scenario.budget.post_cost_yuan),
        posts_base=base.posts_required,
        cost_base_yuan=base.cost_yuan,
        shortfall_base=base.shortfall,
        swings=tuple(
            SwingLine(
                r.path,
                r.label,
                r.low.posts_required,
                r.high.posts_required,
                r.low.cost_yuan,
                r.high.cost_yuan,
            )
            for r in report.rows
        ),
        frontier=tuple(
            (float(p.pool), float(p.service_level))
            for p in report.frontier_posts
            if p.service_level is not None
        ),
        uncertain=tuple(
            (names.get(u.community_id, u.community_id), u.probability, u.low, u.high)
            for u in sorted(report.uncertainty, key=lambda u: (u.probability, u.community_id))
        ),
        draws=max((u.draws for u in report.uncertainty), default=0),
        source_tags=source_tags(text),
        categories=tuple(
            (key, c.name_zh or c.name or key, c.name or key)
            for key, c in scenario.demand.window.categories.items()
        ),
    )


# --- compare --------------------------------------------------------------------------------------

COMPARE_METRICS = (
    ("window", "target_share"),
    ("window", "wait_mean_min"),
    ("grid", "urgent_target_share"),
    ("grid", "ordinary_target_share"),
    ("grid", "target_share"),
    ("enforcement", "target_share"),
    ("window", "utilisation"),
    ("grid", "utilisation"),
)


@dataclass(frozen=True)
class CompareLine:
    stream: str
    metric: str
    values: tuple[tuple[float | None, float | None], ...]  # (mean, ci95) per variant
    differences: tuple[tuple[float | None, float | None, bool | None], ...]  # vs the baseline

    @property
    def share(self) -> bool:
        return self.metric.endswith("share")


@dataclass(frozen=True)
class CompareSummary:
    names: tuple[str, ...]
    scenarios: tuple[str, ...]
    seed: int
    replications: int
    days: int
    case_days: int
    lines: tuple[CompareLine, ...]
    paired: bool


def compare_summary(comparison: Any) -> CompareSummary:
    """The city figures of a :class:`planning.compare.Comparison`, per variant in its order."""
    names = tuple(comparison.names)
    base = comparison.runs[0]
    lines = []
    city = {site.stream: site for site in comparison.at_level("city")}
    for stream, metric in COMPARE_METRICS:
        site = city.get(stream)
        if site is None or metric not in site.metrics:
            continue
        item = site.metrics[metric]
        lines.append(
            CompareLine(
                stream,
                metric,
                tuple((item.values[n].mean, item.values[n].ci95) for n in names),
                tuple(
                    (d.mean, d.ci95, d.significant)
                    for d in (item.differences.get(n) for n in names[1:])
                    if d is not None
                ),
            )
        )
    paired = all(
        d.paired
        for site in comparison.at_level("city")
        for item in site.metrics.values()
        for d in item.differences.values()
    )
    return CompareSummary(
        names=names,
        scenarios=tuple(r.scenario.name for r in comparison.runs),
        seed=base.seed,
        replications=base.replications,
        days=base.horizon.days,
        case_days=base.horizon.case_days,
        lines=tuple(lines),
        paired=paired,
    )


# --- simulate -------------------------------------------------------------------------------------

STREAM_SHARES = {
    "window": ("window", "target_share"),
    "urgent": ("grid", "urgent_target_share"),
    "ordinary": ("grid", "ordinary_target_share"),
    "enforcement": ("enforcement", "target_share"),
}


@dataclass(frozen=True)
class StreamLine:
    stream: str  # window, urgent, ordinary, enforcement
    unit: str  # min or days (UNITS)
    target: float  # in the unit
    share: Share | None  # the city's share within target: mean of replications, t-interval
    pooled_share: float  # of every visit/event/case pooled (what the chart's curve reaches)
    median: float | None  # of those reached, in the unit
    p90: float | None
    not_in_time: float  # share that gave up or is still open past the target


@dataclass(frozen=True)
class SimulateSummary:
    scenario: str
    scenario_zh: str
    description: str
    seed: int
    replications: int
    days: int
    case_days: int
    streams: tuple[StreamLine, ...]
    source_tags: tuple[tuple[str, int], ...]


def simulate_summary(results: Any, times: dict[str, tuple[Any, float, str]]) -> SimulateSummary:
    """The city per stream from a run (``times``: :func:`sim.run.times_against_targets`)."""
    import numpy as np

    scenario = results.scenario
    lines = []
    for stream, (values, target, unit) in times.items():
        site, metric = STREAM_SHARES[stream]
        per = results.values.get(("city", site), {}).get(metric)
        share = None
        if per is not None:
            mean, half = results.metric("city", site, metric)
            share = Share.of(mean, half)
        every = np.asarray(values, dtype=float)
        reached = every[np.isfinite(every)]
        lines.append(
            StreamLine(
                stream,
                unit,
                float(target),
                share,
                float(np.mean(every <= target)) if every.size else math.nan,
                float(np.median(reached)) if reached.size else None,
                float(np.quantile(reached, 0.9)) if reached.size else None,
                float(1 - reached.size / every.size) if every.size else 0.0,
            )
        )
    text = scenario.origin.text if scenario.origin is not None else None
    return SimulateSummary(
        scenario=scenario.name,
        scenario_zh=scenario.name_zh or scenario.name,
        description=scenario.description,
        seed=results.seed,
        replications=results.replications,
        days=results.horizon.days,
        case_days=results.horizon.case_days,
        streams=tuple(lines),
        source_tags=source_tags(text),
    )
