"""The plan, closed loop: measure curves, allocate, then check the allocation by simulating it.

1. **Curves.** Each community's joint grid level (urgent and ordinary apart, against their own
   targets) at 10-12 staffing levels, simulated with common random numbers on the scenario's case
   horizon and warm-up (:mod:`planning.response`), with more replications on either side of each
   target; made monotone and concave for the optimiser. Or curves a planner brings (``--curves``).
2. **Allocation.** Posts and funds across communities (:func:`optimize.solve.solve`): least
   weighted shortfall within the pools, or least cost meeting every target; with sensitivity
   (:func:`optimize.sensitivity.analyse`).
3. **Check.** The chosen allocation is simulated again with *fresh* seeds (a seed stream the curves
   never saw) on the same horizon; replications are added where a community's interval still holds
   its target, up to ``simulation.max_replications``. A community **meets** its grid targets when
   the lower 95% bound of its joint level is at or above the target (so both classes meet theirs)
   *and* its backlog does not grow over the run (:func:`planning.response.backlog_grows`).
4. **Beside the answer.** The posts the published norms give (:func:`norm_posts`: Jilin's 10-15
   posts under 3,000 households plus one per 300-500 above; the national 18 community workers per
   10,000 urban residents), the inputs the posts figure is most sensitive to
   (:func:`load_elasticities`: the elasticity of the load-based staffing estimate, no simulation),
   overtime and on-call hours a year, and what paid overtime costs.

Pure: no I/O. The CLI writes the tables (:mod:`export.plan`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from jiedao.optimize.curves import Curve, fit_concave
from jiedao.optimize.model import (
    InfeasibleError,
    Mode,
    Shape,
    problem_from_scenario,
    staff_per_yuan,
)
from jiedao.optimize.report import Budget, budget_line
from jiedao.optimize.sensitivity import Sensitivity, analyse
from jiedao.optimize.solve import Result, solve
from jiedao.planning.clerks import ClerkPlan, plan_clerks
from jiedao.planning.clerks import qualifies as clerk_qualifies
from jiedao.planning.response import (
    Bracket,
    CurveTask,
    MeasuredCurves,
    backlog_grows,
    community_load,
    grid_split,
    mean_ci,
    measure_curves,
    ordered,
    unit_interval,
)
from jiedao.scenarios.model import Scenario
from jiedao.sim.backends import Serial
from jiedao.sim.grids import WEEKS_PER_YEAR
from jiedao.sim.streams import derived_seed


def staffed_tasks(
    scenario: Scenario,
    staff: dict[str, float],
    replications: Iterable[int],
    seed: int,
    case_days: int,
    case_warmup_days: int,
    purchased: dict[str, float] | None = None,
) -> list[CurveTask]:
    """One task per street and replication with each community at ``staff`` serving
    staff-equivalents (the station keeps its posts; of the rest, ``purchased`` staff-equivalents,
    by default those the community's own funds buy, are purchased hours, the others grid
    workers)."""
    communities = {c.id: c for c in scenario.communities()}
    split = {
        c: grid_split(scenario, communities[c], staff[c], (purchased or {}).get(c)) for c in staff
    }
    return [
        CurveTask(
            street.id,
            0,
            r,
            seed,
            case_days,
            case_warmup_days,
            tuple((c.id, *split[c.id]) for c in street.communities),
        )
        for street in scenario.streets()
        for r in replications
    ]


REPAIR_ROUNDS = 3  # repair rounds at most after the first check (streets.REPAIR_ROUNDS_MAX names)
REPAIR_OFFSETS = (0.0, 1.0, 2.0)  # staff-equivalents above the allocation measured again


@dataclass(frozen=True)
class RepairRound:
    """One round of the repair loop: who fell short, the seeds it used, what moved."""

    round: int
    measure_seed: int  # residents of the measurement around the failing allocations
    check_seed: int | None  # residents of the round's check (None: nothing moved, no check)
    failing: tuple[str, ...]  # communities whose lower bound fell short before the round
    remeasured: tuple[str, ...]
    moved_posts: int  # posts that changed community (sum of |change| / 2, rounded up)
    met: int | None  # communities meeting their targets in the round's check


@dataclass(frozen=True)
class CommunityCheck:
    community_id: str
    planned_level: float  # what the (fitted) curve promised at the allocated staff
    level: float  # re-simulated joint grid level, mean over replications
    ci95: float
    target: float
    target_met: bool  # lower 95% bound >= target and the backlog does not grow
    agrees: bool  # the curve's promise lies within the check's interval (widened by the curve's)
    lower: float = math.nan  # lower 95% bound of the joint level (t-interval clipped to 0-1)
    urgent_level: float = math.nan  # share of urgent events answered in time
    urgent_ci95: float = math.nan
    urgent_target: float = math.nan
    ordinary_level: float = math.nan  # share of ordinary events closed in time
    ordinary_ci95: float = math.nan
    ordinary_target: float = math.nan
    backlog_grows: bool = False
    offered_load: float = math.nan  # work offered over the on-duty time the team had
    utilisation: float = math.nan
    overtime_h_per_worker_week: float = math.nan
    overtime_h_per_year: float = math.nan  # grid workers and station, all of them
    on_call_h_per_year: float = math.nan
    urgent_response_p90_min: float = math.nan
    replications: int = 0
    cap_hit: bool = False  # the interval still held the target at the replication cap


@dataclass(frozen=True)
class Norms:
    """Posts the published norms give, per community and in all."""

    jilin_low: dict[str, int]  # Jilin: 10 under 3,000 households, +1 per 500 above
    jilin_high: dict[str, int]  # Jilin: 15 under 3,000 households, +1 per 300 above
    national: dict[str, float]  # 18 community workers per 10,000 (urban) residents

    @property
    def totals(self) -> tuple[int, int, float]:
        return (
            sum(self.jilin_low.values()),
            sum(self.jilin_high.values()),
            sum(self.national.values()),
        )


@dataclass(frozen=True)
class Elasticity:
    path: str
    label: str
    value: float  # % change of the load-based posts estimate per 1% change of the input


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    mode: Mode
    seed: int
    curves: dict[str, Curve]  # as measured (with half-widths) or as brought
    fitted: dict[str, Curve]
    result: Result
    sensitivity: Sensitivity | None
    checks: dict[str, CommunityCheck]
    check_replications: int
    check_seed: int
    runtime_s: float
    curve_source: str  # "simulated" or "given"
    clerks: ClerkPlan | None = None  # window clerks per street, where windows are pooled
    measured: MeasuredCurves | None = None  # points with urgent/ordinary and bounds, brackets
    norms: Norms | None = None
    elasticities: tuple[Elasticity, ...] = ()
    load_posts: float = math.nan  # the load-based posts estimate the elasticities are of
    max_replications: int = 0
    case_days: int = 0
    case_warmup_days: int = 0
    paid_overtime_yuan: float = 0.0  # a year, grid workers' overtime and on-call hours if paid
    extra: dict[str, Any] = field(default_factory=dict)
    fit: str = Shape.MEASURED.value  # what the allocation read: measured points or concave fit
    keep_today: bool = False  # no community below its posts today
    reserve: int = 0  # posts kept back from the pool, as asked
    repairs: tuple[RepairRound, ...] = ()  # the repair loop's rounds, in order
    first_met: int | None = None  # communities the first check found meeting their targets

    @property
    def met(self) -> int:
        return sum(1 for c in self.checks.values() if c.target_met)

    @property
    def check_cap_hits(self) -> int:
        return sum(1 for c in self.checks.values() if c.cap_hit)

    @property
    def budget(self) -> Budget | None:
        """One budget line for every staff type the plan plans, each at its yearly cost: the
        posts, the purchased service hours and the funds buying no hours (the optimiser's), the
        window clerks (at a post's cost, a clerk-year) and paid overtime and on-call hours."""
        if self.result.budget is None:
            return None
        lines = []
        b = self.scenario.budget
        if self.clerks is not None and self.clerks.result.posts_total is not None:
            lines.append(
                budget_line(
                    "window clerks",
                    self.clerks.result.posts_total,
                    "clerk-year",
                    b.post_cost_yuan,
                    float(self.clerks.result.posts_total),
                )
            )
        if self.scenario.overtime.grid_paid:
            hourly = b.post_cost_yuan / b.hours_per_post_year * self.scenario.overtime.pay_factor
            hours = self.paid_overtime_yuan / hourly if hourly > 0 else 0.0
            lines.append(budget_line("paid overtime and on-call hours", hours, "hour", hourly))
        return self.result.budget.plus(*lines)

    @property
    def pool_enough(self) -> bool | None:
        """Cost mode: whether the posts the targets need fit in the posts pool."""
        if self.mode != Mode.COST or self.result.posts_total is None:
            return None
        return self.result.posts_total <= self.scenario.budget.posts_pool


# --- the check ------------------------------------------------------------------------------------


def check_allocation(
    scenario: Scenario,
    staff: dict[str, float],
    fitted: dict[str, Curve],
    targets: dict[str, float],
    replications: int,
    seed: int,
    case_days: int,
    case_warmup_days: int,
    executor: Any = None,
    progress: Any = None,
    curve_ci: dict[str, float] | None = None,
    purchased: dict[str, float] | None = None,
    max_replications: int | None = None,
) -> dict[str, CommunityCheck]:
    """Simulate each community at its allocated staff-equivalents and compare with its curve;
    replications are added (a batch at a time, up to ``max_replications``) where a community's
    interval still holds its target."""
    executor = executor if executor is not None else Serial()
    cap = max(
        replications,
        scenario.simulation.max_replications if max_replications is None else max_replications,
    )
    seen: dict[str, dict[int, dict[str, float]]] = {c: {} for c in staff}
    done: dict[str, int] = {}
    communities = {c.id: c for c in scenario.communities()}
    split = {
        c: grid_split(scenario, communities[c], staff[c], (purchased or {}).get(c)) for c in staff
    }

    def run(wanted: dict[str, int]) -> None:
        work = []
        for street in scenario.streets():
            n = wanted.get(street.id, 0)
            first = done.get(street.id, 0)
            work += [
                CurveTask(
                    street.id,
                    0,
                    r,
                    seed,
                    case_days,
                    case_warmup_days,
                    tuple((c.id, *split[c.id]) for c in street.communities),
                )  # fmt: skip
                for r in range(first, first + n)
            ]
            done[street.id] = first + n
        for _, _, r, metrics, _ in executor(scenario, work, progress):
            for community, m in metrics.items():
                seen[community][r] = m

    run({s.id: replications for s in scenario.streets()})
    street_of = {c.id: s.id for s in scenario.streets() for c in s.communities}
    batch = max(2, replications)
    while replications > 0:
        wanted: dict[str, int] = {}
        for community in staff:
            level, half, _ = unit_interval(m["target_share"] for m in ordered(seen[community]))
            have = done[street_of[community]]
            t = targets[community]
            if half > 0 and level - half <= t <= level + half and have < cap:
                wanted[street_of[community]] = min(batch, cap - have)
        if not wanted:
            break
        run(wanted)

    weeks = (case_days - case_warmup_days) / 7.0
    grid = scenario.targets.grid
    out = {}
    for community in staff:
        rows = ordered(seen[community])
        mean, half, lower = unit_interval(m["target_share"] for m in rows)
        urgent, urgent_half, _ = unit_interval(m["urgent_target_share"] for m in rows)
        ordinary, ordinary_half, _ = unit_interval(m["ordinary_target_share"] for m in rows)
        grows = backlog_grows(rows)
        promised = float(fitted[community](staff[community]))
        widen = (curve_ci or {}).get(community, 0.0)
        t = targets[community]
        per_year = WEEKS_PER_YEAR / weeks if weeks > 0 else math.nan
        out[community] = CommunityCheck(
            community_id=community,
            planned_level=promised,
            level=mean,
            ci95=half,
            target=t,
            target_met=bool(lower >= t - 1e-12 and not grows),
            agrees=bool(abs(mean - promised) <= half + widen + 1e-9),
            lower=lower,
            urgent_level=urgent,
            urgent_ci95=urgent_half,
            urgent_target=grid.urgent_target,
            ordinary_level=ordinary,
            ordinary_ci95=ordinary_half,
            ordinary_target=grid.ordinary_target,
            backlog_grows=grows,
            offered_load=mean_ci(m["offered_load"] for m in rows)[0],
            utilisation=mean_ci(m["utilisation"] for m in rows)[0],
            overtime_h_per_worker_week=mean_ci(m["overtime_h_per_worker_week"] for m in rows)[0],
            overtime_h_per_year=mean_ci(m["overtime_h"] for m in rows)[0] * per_year,
            on_call_h_per_year=mean_ci(m["on_call_h"] for m in rows)[0] * per_year,
            urgent_response_p90_min=mean_ci(m["urgent_response_p90_min"] for m in rows)[0],
            replications=len(rows),
            cap_hit=bool(half > 0 and mean - half <= t <= mean + half and len(rows) >= cap),
        )
    return out


# --- beside the answer: norms and the most sensitive inputs -------------------------------------

JILIN_SMALL_HOUSEHOLDS = 3_000
JILIN_BASE_POSTS = (10, 15)  # posts of a community under 3,000 households (low, high)
JILIN_HOUSEHOLDS_PER_EXTRA_POST = (500, 300)  # one more post per this many households above
NATIONAL_WORKERS_PER_10000 = 18.0


def norm_posts(scenario: Scenario) -> Norms:
    """Posts per community by the Jilin rule (2020 opinion of the Jilin Party Committee and
    Government: 10-15 social-worker posts under 3,000 households, plus one per 300-500 households
    above; rounded to whole posts) and the national target (14th Five-Year urban-rural community
    service plan: 18 community workers per 10,000 urban residents, applied to every community's
    residents)."""
    low, high, national = {}, {}, {}
    for c in scenario.communities():
        above = max(0, c.households - JILIN_SMALL_HOUSEHOLDS)
        low[c.id] = round(JILIN_BASE_POSTS[0] + above / JILIN_HOUSEHOLDS_PER_EXTRA_POST[0])
        high[c.id] = round(JILIN_BASE_POSTS[1] + above / JILIN_HOUSEHOLDS_PER_EXTRA_POST[1])
        national[c.id] = c.population * NATIONAL_WORKERS_PER_10000 / 10_000.0
    return Norms(low, high, national)


def load_posts(scenario: Scenario) -> float:
    """The load-based posts estimate: per community its non-serving party posts, its station
    posts and the grid workers its duties and event load keep busy (no queueing headroom)."""
    total = 0.0
    policy = scenario.policy
    for c in scenario.communities():
        load = community_load(scenario, c)
        nonserving = c.party_building_posts - min(policy.party_posts_serve, c.party_building_posts)
        total += nonserving + load.staff(1.0) - load.purchased
    return total


def _scale_dist(dist: Any, factor: float) -> Any:
    if hasattr(dist, "mean"):
        return dist.model_copy(update={"mean": dist.mean * factor})
    if hasattr(dist, "value"):
        return dist.model_copy(update={"value": dist.value * factor})
    return dist.model_copy(update={"values": [v * factor for v in dist.values]})


def _scaled(scenario: Scenario, path: str, factor: float) -> Scenario:
    """The scenario with one load input multiplied by ``factor`` (in memory, no validation: the
    estimate only reads the figure)."""
    demand, duties = scenario.demand, scenario.duties
    parts = path.split(".")
    if parts[:2] == ["demand", "grid"]:
        grid = demand.grid
        name = parts[2]
        value = getattr(grid, name)
        new = _scale_dist(value, factor) if len(parts) > 3 else value * factor
        if name.endswith("_share"):
            new = min(1.0, new)
        grid = grid.model_copy(update={name: new})
        return replace(scenario, demand=demand.model_copy(update={"grid": grid}))
    if parts[0] == "duties" and len(parts) == 2:
        return replace(
            scenario,
            duties=duties.model_copy(update={parts[1]: getattr(duties, parts[1]) * factor}),
        )
    if parts[:2] == ["duties", "household_types"]:
        kind, name = parts[2], parts[3]
        item = duties.household_types[kind]
        value = (
            min(1.0, getattr(item, name) * factor)
            if name.endswith("share")
            else (getattr(item, name) * factor)
        )
        types = {**duties.household_types, kind: item.model_copy(update={name: value})}
        moved = replace(scenario, duties=duties.model_copy(update={"household_types": types}))
        if name == "household_share":  # communities without their own share follow the city's
            return _map_communities(
                moved,
                lambda c: replace(
                    c,
                    household_shares={
                        **c.household_shares,
                        kind: min(1.0, c.household_shares.get(kind, 0.0) * factor),
                    },
                ),
            )
        return moved
    if path == "defaults.community.persons_per_household":
        return _map_communities(
            scenario, lambda c: replace(c, persons_per_household=c.persons_per_household * factor)
        )
    raise ValueError(f"not a load input: {path}")


def _map_communities(scenario: Scenario, change: Any) -> Scenario:
    districts = tuple(
        replace(
            d,
            streets=tuple(
                replace(s, communities=tuple(change(c) for c in s.communities)) for s in d.streets
            ),
        )
        for d in scenario.districts
    )
    return replace(scenario, districts=districts)


def load_inputs(scenario: Scenario) -> list[tuple[str, str]]:
    """(path, label) of every input the load-based estimate reads that the scenario sets."""
    grid, duties = scenario.demand.grid, scenario.duties
    out: list[tuple[str, str]] = []
    if grid.events_per_grid_per_month is not None:
        out.append(("demand.grid.events_per_grid_per_month", "grid events rate (per grid)"))
    else:
        out.append(("demand.grid.events_per_1000_residents_per_month", "grid events rate"))
        out.append(("defaults.community.persons_per_household", "persons per household"))
    out += [
        ("demand.grid.handling_min.mean", "handling time of reported events"),
        ("demand.grid.travel_min.mean", "travel time"),
        ("demand.grid.patrol_share", "share found on patrol"),
    ]
    if grid.patrol_handling_min is not None:
        out.append(("demand.grid.patrol_handling_min.mean", "handling time of patrol finds"))
    if grid.event_time_share is not None:
        out.append(("demand.grid.event_time_share", "share of time free for events (override)"))
        return out
    out += [
        ("duties.visit_min", "minutes per household visit"),
        ("duties.visits_per_household_year", "visits per ordinary household a year"),
        ("duties.patrol_min_per_grid_day", "patrol minutes per grid a day"),
        ("duties.meetings_h_per_worker_week", "meetings and data work per worker a week"),
    ]
    for kind in duties.household_types:
        out.append(
            (f"duties.household_types.{kind}.household_share", f"share of {kind} households")
        )
        out.append(
            (f"duties.household_types.{kind}.visits_per_year", f"visits to {kind} households")
        )
    return out


def load_elasticities(scenario: Scenario, step: float = 0.01) -> list[Elasticity]:
    """The elasticity of :func:`load_posts` to each load input (a central difference of +-1%),
    largest first. Cheap and honest about what it is: it ranks what drives the workload, not the
    queueing headroom on top of it; ``jiedao sensitivity`` re-simulates."""
    base = load_posts(scenario)
    out = []
    for path, label in load_inputs(scenario):
        try:
            up = load_posts(_scaled(scenario, path, 1.0 + step))
            down = load_posts(_scaled(scenario, path, 1.0 - step))
        except (AttributeError, TypeError, ValueError):
            continue
        value = (up - down) / (2 * step * base) if base > 0 else 0.0
        out.append(Elasticity(path, label, float(value)))
    out.sort(key=lambda e: (-abs(e.value), e.path))
    return out


def overtime_cost(scenario: Scenario, checks: dict[str, CommunityCheck]) -> float:
    """Yuan a year that paid overtime costs: grid workers' overtime and on-call hours at
    ``pay_factor`` x a post's hourly cost, when ``overtime.grid_paid``."""
    overtime, budget = scenario.overtime, scenario.budget
    if not overtime.grid_paid:
        return 0.0
    hourly = budget.post_cost_yuan / budget.hours_per_post_year * overtime.pay_factor
    hours = sum(
        (c.overtime_h_per_year if c.overtime_h_per_year == c.overtime_h_per_year else 0.0)
        + (c.on_call_h_per_year if c.on_call_h_per_year == c.on_call_h_per_year else 0.0)
        for c in checks.values()
    )
    return hours * hourly


# --- the plan -------------------------------------------------------------------------------------


def remeasure(
    scenario: Scenario,
    staff: dict[str, float],
    purchased: dict[str, float],
    communities: Iterable[str],
    replications: int,
    seed: int,
    case_days: int,
    case_warmup_days: int,
    executor: Any = None,
    offsets: tuple[float, ...] = REPAIR_OFFSETS,
) -> dict[str, list[tuple[float, float, float, float]]]:
    """``(staff, level, ci95, lower)`` of each of ``communities`` at its allocated staff plus each
    offset, ``replications`` each, on ``seed``'s residents. Every community of a street is run at
    its own staff plus the same offset (a street is simulated whole); only those asked for are
    returned."""
    executor = executor if executor is not None else Serial()
    wanted = set(communities)
    members = {c.id: c for c in scenario.communities()}
    work = []
    for street in scenario.streets():
        if not any(c.id in wanted for c in street.communities):
            continue
        for k, offset in enumerate(offsets):
            split = tuple(
                (c.id, *grid_split(scenario, members[c.id], staff[c.id] + offset,
                                   purchased.get(c.id)))
                for c in street.communities
            )  # fmt: skip
            work += [
                CurveTask(street.id, k, r, seed, case_days, case_warmup_days, split)
                for r in range(replications)
            ]
    seen: dict[tuple[str, int], dict[int, dict[str, float]]] = {}
    for _, k, r, metrics, _ in executor(scenario, work, None):
        for community, m in metrics.items():
            if community in wanted:
                seen.setdefault((community, k), {})[r] = m
    out: dict[str, list[tuple[float, float, float, float]]] = {}
    for (community, k), rows in sorted(seen.items()):
        level, half, lower = unit_interval(m["target_share"] for m in ordered(rows))
        out.setdefault(community, []).append((staff[community] + offsets[k], level, half, lower))
    return out


def with_points(curve: Curve, points: Iterable[tuple[float, float, float, float]]) -> Curve:
    """The curve with ``(staff, level, ci95, lower)`` points added; a point at a staffing the
    curve already has replaces it (the new one is measured on more replications)."""
    rows = {
        round(float(s), 9): (float(v), float(h), float(lo))
        for s, v, h, lo in zip(
            curve.staff,
            curve.level,
            curve.ci95 if curve.ci95 is not None else np.zeros(len(curve)),
            curve.lower,
            strict=True,
        )
    }
    for s, v, h, lo in points:
        rows[round(float(s), 9)] = (float(v), float(h), float(lo))
    staff = np.array(sorted(rows))
    values = np.array([rows[x] for x in staff])
    return Curve(staff, values[:, 0], values[:, 1], np.minimum(values[:, 2], values[:, 0]))


def moved_posts(before: Result, after: Result) -> int:
    """Posts that changed community between two allocations, and a yuan of funds moved counts
    as a move too (half the sum of the absolute changes, rounded up)."""
    a = before.by_id()
    changed = 0
    funds = 0.0
    for b in after.allocation or ():
        old = a.get(b.community_id)
        changed += abs(b.posts - (old.posts if old else 0))
        funds += abs(b.funds_yuan - (old.funds_yuan if old else 0.0))
    return (changed + 1) // 2 + (1 if funds > 0.5 and changed == 0 else 0)


def aimed_curves(
    raw: dict[str, Curve], measured: MeasuredCurves | None = None
) -> dict[str, Curve]:
    """The curves the optimiser is given: the measured means with their half-widths and the lower
    95% bounds the check judges (the t-interval's, clipped to 0-1), as measured; the optimiser
    makes them monotone without lifting any point. Curves a planner brings go as they are."""
    if measured is None:
        return dict(raw)
    out = {}
    for k, curve in raw.items():
        bound = measured.lower.get(k)
        lower = None if bound is None else np.minimum(bound.level, curve.level)
        out[k] = Curve(curve.staff, curve.level, curve.ci95, lower)
    return out


def promised_curves(aimed: dict[str, Curve], shape: Shape | str) -> dict[str, Curve]:
    """What the allocation reads its promise off: each curve made monotone without lifting a
    point (its lower bounds too), or the concave fit of its means when ``shape="concave"``."""
    if Shape(shape) is Shape.MEASURED:
        return {k: c.monotone() for k, c in aimed.items()}
    out = {}
    for k, c in aimed.items():
        half = None if c.ci95 is None else np.maximum(c.ci95, 1e-3)
        out[k] = fit_concave(c.staff, c.level, ci95=half)
    return out



def make_plan(
    scenario: Scenario,
    *,
    mode: Mode | str = Mode.SHORTFALL,
    replications: int = 3,
    check_replications: int = 5,
    seed: int | None = None,
    curves: dict[str, Curve] | None = None,
    solver: str = "HiGHS",
    fairness: float | None = None,
    executor: Any = None,
    progress: Any = None,
    case_days: int | None = None,
    case_warmup_days: int | None = None,
    levels: int = 10,
    with_sensitivity: bool = True,
    with_clerks: bool = True,
    max_replications: int | None = None,
    on_phase: Any = None,
    fit: Shape | str = Shape.MEASURED,
    keep_today: bool = False,
    reserve: int = 0,
    repair_rounds: int = REPAIR_ROUNDS,
    fund_floor_share: float = 1.0,
) -> Plan:
    """Curves (measured unless given), allocation with sensitivity, and the simulated check, on
    the scenario's case horizon and warm-up unless told otherwise. ``on_phase("solving")``, when
    given, is called just before the allocation is solved.

    The allocation is exact on the measured points made monotone without lifting any, aimed at
    their lower 95% bounds (what the check judges); ``fit="concave"`` allocates on the concave
    fit instead, and the result says how far it lifted points. ``keep_today`` keeps every
    community at or above its posts today; ``reserve`` posts are kept out of the pool.

    **Repair.** After the check, every community whose lower bound falls short is measured again
    around its allocation (:func:`remeasure`: more replications at its staffing and one and two
    staff-equivalents above, on residents of the round's own seed), the new points replace or
    join its curve (:func:`with_points`), and the allocation is solved again, which moves posts
    from communities with slack or from the pool; the re-solved allocation is checked on the
    round's check seed. Rounds stop when every check meets its target, when the re-solved
    allocation moves no post (no move helps), or after ``repair_rounds``. After any round the
    final check runs on ``final-check`` residents that no round saw.

    ``fund_floor_share`` sets the fund floors apart from the fund pool: each community's floor is
    that share of its standard funds, so the rest of the pool can move where policy allows (1: the
    floors are the standards; with Liaoyuan's pool equal to their sum, funds cannot move)."""
    began = time.perf_counter()
    mode = Mode(mode)
    seed = scenario.simulation.seed if seed is None else seed
    sim = scenario.simulation
    case_days = case_days or sim.case_days or sim.days
    warm = (
        case_warmup_days
        if case_warmup_days is not None
        else (sim.case_warmup_days if sim.case_warmup_days is not None else sim.warmup_days)
    )
    warm = min(warm, case_days - 1)
    cap = sim.max_replications if max_replications is None else max_replications
    measured: MeasuredCurves | None = None
    if curves is None:
        measured = measure_curves(
            scenario, replications, seed, case_days, warm, executor, progress, levels, cap
        )
        raw = measured.raw
    else:
        raw = curves
    shape = Shape(fit)
    aimed = aimed_curves(raw, measured)
    fitted = promised_curves(aimed, shape)
    target = scenario.targets.grid.share

    def allocate(given: dict[str, Curve]) -> tuple[Any, Result]:
        problem = problem_from_scenario(
            scenario,
            given,
            target=target,
            fairness=fairness,
            shape=shape.value,
            keep_today=keep_today,
            posts_reserve=reserve,
            fund_floor_share=fund_floor_share,
        )
        return problem, solve(problem, mode, solver=solver)

    spy = staff_per_yuan(
        scenario.budget.purchase_share,
        scenario.budget.hour_price_yuan,
        scenario.budget.hours_per_post_year,
    )

    def check(r: Result, promised: dict[str, Curve], at: int) -> dict[str, CommunityCheck]:
        staff = {a.community_id: a.staff_equivalents for a in r.allocation or ()}
        targets = {a.community_id: a.target for a in r.allocation or ()}
        bought = {a.community_id: a.funds_yuan * spy for a in r.allocation or ()}
        curve_ci = {
            k: float(np.interp(staff[k], aimed[k].staff, ci))
            for k in staff
            if (ci := aimed[k].ci95) is not None
        }
        return check_allocation(
            scenario,
            staff,
            promised,
            targets,
            check_replications,
            at,
            case_days,
            warm,
            executor,
            progress,
            curve_ci,
            bought,
            cap,
        )

    if on_phase is not None:
        on_phase("solving")
    problem, result = allocate(aimed)
    checks: dict[str, CommunityCheck] = {}
    rounds: list[RepairRound] = []
    # fresh residents for the check, independent of the curves' and still reproducible
    check_seed = derived_seed(seed, "check")
    first_met: int | None = None
    if result.allocation is not None and check_replications > 0:
        checks = check(result, fitted, check_seed)
        first_met = sum(c.target_met for c in checks.values())
        for r in range(1, repair_rounds + 1):
            failing = tuple(k for k, c in checks.items() if not c.target_met)
            if not failing:
                break
            measure_seed = derived_seed(seed, f"repair-measure-{r}")
            staff = {a.community_id: a.staff_equivalents for a in result.allocation or ()}
            bought = {a.community_id: a.funds_yuan * spy for a in result.allocation or ()}
            reps = min(max(cap, check_replications), max(4, 2 * check_replications))
            points = remeasure(
                scenario, staff, bought, failing, reps, measure_seed, case_days, warm, executor
            )
            before = aimed
            aimed = {
                k: with_points(c, points[k]) if k in points else c for k, c in aimed.items()
            }
            try:
                again, resolved = allocate(aimed)
            except InfeasibleError:  # the points measured again put a target out of reach
                rounds.append(RepairRound(r, measure_seed, None, failing, tuple(sorted(points)), 0,
                                          None))  # fmt: skip
                aimed = before
                break
            problem = again
            fitted = promised_curves(aimed, shape)
            moved = moved_posts(result, resolved)
            if resolved.allocation is None or moved == 0:
                rounds.append(
                    RepairRound(r, measure_seed, None, failing, tuple(sorted(points)), 0, None)
                )
                if resolved.allocation is not None:
                    result = resolved  # the same posts, read off the curves measured again
                break
            result = resolved
            round_seed = derived_seed(seed, f"repair-check-{r}")
            checks = check(result, fitted, round_seed)
            met = sum(c.target_met for c in checks.values())
            rounds.append(
                RepairRound(r, measure_seed, round_seed, failing, tuple(sorted(points)), moved, met)
            )
        if rounds:
            # the final word on fresh residents no round saw
            check_seed = derived_seed(seed, "final-check")
            checks = check(result, fitted, check_seed)
    sensitivity = analyse(problem, mode, solver=solver) if with_sensitivity else None
    clerks = None
    if with_clerks and curves is None and clerk_qualifies(scenario):
        clerks = plan_clerks(
            scenario,
            mode=mode,
            max_replications=cap,
            check_replications=check_replications,
            seed=seed,
            solver=solver,
            executor=executor,
        )
    return Plan(
        clerks=clerks,
        scenario=scenario,
        mode=mode,
        seed=seed,
        curves=raw,
        fitted=fitted,
        result=result,
        sensitivity=sensitivity,
        checks=checks,
        check_replications=check_replications,
        check_seed=check_seed,
        runtime_s=time.perf_counter() - began,
        curve_source="simulated" if measured is not None else "given",
        measured=measured,
        norms=norm_posts(scenario),
        elasticities=tuple(load_elasticities(scenario)),
        load_posts=load_posts(scenario),
        max_replications=max(cap, check_replications, replications),
        case_days=case_days,
        case_warmup_days=warm,
        paid_overtime_yuan=overtime_cost(scenario, checks),
        fit=shape.value,
        keep_today=keep_today,
        reserve=reserve,
        repairs=tuple(rounds),
        first_met=first_met,
    )


__all__ = [
    "Bracket",
    "CommunityCheck",
    "Elasticity",
    "Norms",
    "Plan",
    "RepairRound",
    "check_allocation",
    "load_elasticities",
    "load_posts",
    "make_plan",
    "norm_posts",
    "staffed_tasks",
]
