"""Response curves measured by simulation: a community's grid service level at each staffing level.

The posts a community gets staff its grids (the station keeps its ``station_posts``), so its curve
is its *joint* grid level (:func:`jiedao.sim.monitor.joint_level`: the lower of the share of urgent
events answered in time and the share of ordinary events closed in time, each against its own
target, and below target wherever the workers cannot do their duties) at serving staff-equivalents
``s = station posts + grid workers + purchased hours``, for 10-12 levels around what its duties and
events need (:func:`staff_levels`). Every point also carries the urgent and ordinary shares apart,
with their half-widths, and the lower 95% bound of the joint level.

**Horizon.** Curves use the scenario's case horizon and warm-up (``simulation.case_days``,
``case_warmup_days``), the same as ``jiedao simulate``, unless told otherwise.

**Common random numbers.** Every level of a community is simulated with the same seed and
replication numbers, so the residents are the same at every level: the differences between points
are differences of staffing, not of luck. A point is the mean over replications with its Student-t
95% half-width; its lower bound is ``mean - half-width`` clipped to 0-1 (a t-interval clipped to
the unit interval: see docs/simulation.md).

**Shared curves.** Communities whose curve inputs are identical share one measurement, on random
streams named by a hash of those inputs (:mod:`planning.shared`): exact by construction.

**Replications where they matter.** After ``replications`` at every level, the two levels on either
side of where the joint level crosses the target (the first level whose mean reaches it and the one
below) get more replications, a batch at a time, until their interval excludes the target or
``max_replications`` is reached (:class:`Point` records how many each point has and
:class:`Bracket` whether the cap was hit).

Grid teams serve urgent events first, so they do not qualify for the FCFS fast path
(:mod:`sim.fastpath`); the grid fast path (:mod:`sim.gridpath`, compiled with numba) measures them
where it applies, one task per (street, replication) for all its levels on any backend, with the
same figures as the SimPy engine on the same events (tested); elsewhere (departmental grids, no
numba) the engine does, one task per (street, level, replication). Noisy points are then made
monotone and concave by :func:`optimize.curves.fit_concave` (weights from the half-widths) for the
optimiser.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jiedao.optimize.curves import Curve, fit_concave
from jiedao.planning.shared import share_curves
from jiedao.scenarios.model import Community, Scenario
from jiedao.sim import gridpath
from jiedao.sim.backends import Serial
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import duty_minutes_per_day as day_minutes
from jiedao.sim.grids import (
    event_work_min,
    events_per_day,
    grid_staff,
    meeting_share,
    patrol_minutes_per_day,
    split_grid_staff,
    visit_minutes_per_day,
)
from jiedao.sim.model import CALENDAR_SLACK_DAYS, simulate_street
from jiedao.sim.monitor import grid_metrics
from jiedao.sim.run import summarise

LEVELS = 12
# what a curve task brings back per community and replication
KEPT = (
    "target_share",
    "urgent_target_share",
    "ordinary_target_share",
    "duty_covered",
    "arrivals",
    "urgent_arrivals",
    "backlog_growth",
    "working_days",
    "offered_load",
    "utilisation",
    "overtime_h",
    "overtime_h_per_worker_week",
    "on_call_h",
    "urgent_response_p90_min",
    "ordinary_close_p90_days",
    "station_utilisation",
)


# --- what a community needs, from its load -------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """A community's need in grid workers, from its load (no queueing headroom)."""

    duty_workers: float  # visits and patrol, in workers on duty all day
    event_servers: float  # events a day x work per event / on-duty minutes a day
    meeting_share: float  # of each worker's time
    purchased: float  # staff-equivalents its funds buy (duties and events, no meetings)
    station: int  # station posts

    def staff(self, event_fraction: float = 1.0) -> float:
        """Serving staff-equivalents at which the team's event staff equals ``event_fraction`` of
        the event load (duties done first; purchased hours sit in no meetings)."""
        need = self.duty_workers + event_fraction * self.event_servers - self.purchased
        return self.station + self.purchased + max(0.0, need) / max(1e-9, 1.0 - self.meeting_share)


def community_load(scenario: Scenario, community: Community) -> Load:
    _, purchased, station = grid_staff(scenario, community)
    day = day_minutes(scenario)
    events = events_per_day(scenario, community) * event_work_min(scenario, community)
    share = scenario.demand.grid.event_time_share
    if share is not None:  # the override: every staff-equivalent gives ``share`` to events
        return Load(0.0, events / day / share if day > 0 else math.inf, 0.0, 0.0, station)
    duty = visit_minutes_per_day(scenario, community) + patrol_minutes_per_day(scenario, community)
    return Load(
        duty / day if day > 0 else math.inf,
        events / day if day > 0 else math.inf,
        meeting_share(scenario),
        purchased,
        station,
    )


def offered_servers(scenario: Scenario, community: Community) -> float:
    """Grid staff-equivalents the community's duties and events keep busy on average."""
    load = community_load(scenario, community)
    return load.staff(1.0) - load.station


# Curves start below the load (where the queue is overloaded and service collapses over the
# horizon), so that budgets too small to meet targets still have a measured price in shortfall.
START_FRACTION = 0.6


def staff_levels(scenario: Scenario, community: Community, levels: int = LEVELS) -> list[int]:
    """Serving staff levels to measure: from where the duties are done and 60% of the event load
    is met, ``levels`` of them, spaced so the last meets at least 1.5 times the event load."""
    load = community_load(scenario, community)
    first = max(load.station + 1, math.floor(load.staff(START_FRACTION)))
    last = load.staff(1.5)
    step = max(1, math.ceil((last - first) / max(1, levels - 1)))
    return [first + k * step for k in range(levels)]


# --- tasks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurveTask:
    """One street, one staffing level (index into each community's levels), one replication.

    Returns ``(street, level, replication, metrics, joint)``: per community the figures of
    :data:`KEPT`, and (last, as callers that only need it unpack it) its joint grid level."""

    street: str
    level: int
    replication: int
    seed: int
    case_days: int
    case_warmup_days: int
    # community id -> (grid workers from posts, purchased staff-equivalents)
    workers: tuple[tuple[str, float, float], ...]
    # community id -> the name of its streams (shared curves: planning.shared); given, only the
    # communities in ``workers`` are simulated
    keys: tuple[tuple[str, str], ...] = ()

    def __call__(
        self, scenario: Scenario
    ) -> tuple[str, int, int, dict[str, dict[str, float]], dict[str, float]]:
        metrics = grid_outcomes(
            scenario,
            self.street,
            self.replication,
            self.seed,
            self.case_days,
            self.case_warmup_days,
            {c: (w, p) for c, w, p in self.workers},
            dict(self.keys) or None,
        )
        joint = {c: m["target_share"] for c, m in metrics.items()}
        return self.street, self.level, self.replication, metrics, joint


@dataclass(frozen=True)
class CurveBatch:
    """Curve tasks of one street and replication, run together on the grid fast path
    (:mod:`sim.gridpath`: each community's events drawn once for all its levels). Returns the
    tasks' results, in order; the engine runs them where the fast path does not apply."""

    tasks: tuple[CurveTask, ...]

    def __call__(
        self, scenario: Scenario
    ) -> list[tuple[str, int, int, dict[str, dict[str, float]], dict[str, float]]]:
        first = self.tasks[0]
        street = next(s for s in scenario.streets() if s.id == first.street)
        calendar = WorkCalendar.build(
            scenario.calendar, first.case_days + CALENDAR_SLACK_DAYS, first.case_days
        )
        metrics: list[dict[str, dict[str, float]]] = [{} for _ in self.tasks]
        keys = dict(first.keys)
        for community in street.communities:
            if keys and community.id not in keys:
                continue  # shared curves: another community measures this one's curve
            levels = [{c: (w, p) for c, w, p in t.workers}[community.id] for t in self.tasks]
            out = gridpath.community_levels(
                scenario, street, community, first.replication, first.seed, first.case_days,
                first.case_warmup_days, levels, calendar, stream_key=keys.get(community.id),
            )  # fmt: skip
            if out is None:
                return [task(scenario) for task in self.tasks]
            for m, level in zip(metrics, out, strict=True):
                m[community.id] = {key: float(level[key]) for key in KEPT}
        return [
            (t.street, t.level, t.replication, m, {c: v["target_share"] for c, v in m.items()})
            for t, m in zip(self.tasks, metrics, strict=True)
        ]


def batched(scenario: Scenario, work: list[CurveTask]) -> list[Any]:
    """The tasks as one :class:`CurveBatch` per street and replication where the grid fast path
    applies (:func:`sim.gridpath.unqualified`), else as they are."""
    if gridpath.unqualified(scenario):
        return list(work)
    groups: dict[tuple[str, int], list[CurveTask]] = {}
    for task in work:
        groups.setdefault((task.street, task.replication), []).append(task)
    return [CurveBatch(tuple(tasks)) for tasks in groups.values()]


def grid_outcomes(
    scenario: Scenario,
    street: str,
    replication: int,
    seed: int,
    case_days: int,
    case_warmup_days: int,
    workers: dict[str, tuple[float, float]],
    keys: dict[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    """Each community's grid figures (:data:`KEPT`) in one replication of a street (the SimPy
    engine; :class:`CurveBatch` runs the fast path). ``keys``: only those communities, their
    streams named so."""
    record = simulate_street(
        scenario,
        street,
        replication,
        seed,
        1,
        case_days,
        0,
        case_warmup_days,
        streams=("grid",),
        grid_workers=dict(workers),
        stream_keys=keys,
        only=None if keys is None else set(keys),
    )
    calendar = WorkCalendar.build(scenario.calendar, case_days + CALENDAR_SLACK_DAYS)
    span = (case_warmup_days * DAY, case_days * DAY)
    out = {}
    for g in record.grids:
        m = grid_metrics([g], *span, scenario.targets.grid, calendar)
        out[g.community] = {k: float(m[k]) for k in KEPT}
    return out


def grid_target_shares(
    scenario: Scenario,
    street: str,
    replication: int,
    seed: int,
    case_days: int,
    case_warmup_days: int,
    workers: dict[str, tuple[float, float]],
) -> dict[str, float]:
    """Each community's joint grid level in one replication of a street, at given staffing."""
    metrics = grid_outcomes(
        scenario, street, replication, seed, case_days, case_warmup_days, workers
    )
    return {c: m["target_share"] for c, m in metrics.items()}


# --- summaries ------------------------------------------------------------------------------------


def unit_interval(values: Iterable[float]) -> tuple[float, float, float]:
    """(mean, 95% half-width, lower bound) of shares over replications: Student t, the bound
    clipped to 0-1; a replication where no outcome was known yet counts as fully served."""
    v = np.array([1.0 if x != x else x for x in values], dtype=float)
    mean, half = summarise(v)
    half = 0.0 if half != half else half
    return mean, half, float(min(1.0, max(0.0, mean - half)))


def mean_ci(values: Iterable[float]) -> tuple[float, float]:
    """(mean, 95% half-width) of a figure over replications (``nan`` values ignored)."""
    mean, half = summarise(np.asarray(list(values), dtype=float))
    return mean, (0.0 if half != half else half)


@dataclass(frozen=True)
class Point:
    """One measured staffing level of one community."""

    staff: float
    replications: int
    level: float  # joint grid level, mean
    ci95: float
    lower: float  # lower 95% bound, clipped to 0-1
    urgent: float
    urgent_ci95: float
    ordinary: float
    ordinary_ci95: float
    utilisation: float
    backlog_grows: bool


def backlog_grows(metrics: list[dict[str, float]]) -> bool:
    """Whether a community's backlog grows over the run: its offered load is at or above the
    capacity it had (mean over replications), or the events open at the horizon exceed those open
    at the end of the warm-up by more than a working day's arrivals (the lower 95% bound of the
    growth). A stable team started empty ends with its ordinary backlog, a few events; one that
    cannot keep up gains a day's events every few days."""
    loads = [m["offered_load"] for m in metrics if m["offered_load"] == m["offered_load"]]
    load = float(np.mean(loads)) if loads else math.nan
    if load == load and load >= 1.0:
        return True
    if len(metrics) < 2:
        return False
    growth, half = mean_ci([m["backlog_growth"] for m in metrics])
    arrivals = float(np.mean([m["arrivals"] for m in metrics]))
    days = float(np.mean([m.get("working_days", 1.0) for m in metrics]))
    return bool(growth - half > arrivals / max(days, 1.0))


def point(staff: float, metrics: list[dict[str, float]]) -> Point:
    level, half, lower = unit_interval(m["target_share"] for m in metrics)
    urgent, urgent_half, _ = unit_interval(m["urgent_target_share"] for m in metrics)
    ordinary, ordinary_half, _ = unit_interval(m["ordinary_target_share"] for m in metrics)
    utilisation, _ = mean_ci(m["utilisation"] for m in metrics)
    return Point(
        staff, len(metrics), level, half, lower, urgent, urgent_half, ordinary, ordinary_half,
        utilisation, backlog_grows(metrics),
    )  # fmt: skip


@dataclass(frozen=True)
class Bracket:
    """The levels on either side of a community's target and how sure their points are."""

    levels: tuple[int, ...]  # indices into the community's points
    half_widths: tuple[float, ...]  # achieved at those levels
    replications: tuple[int, ...]
    cap_hit: bool  # some level still holds the target inside its interval at the cap


@dataclass(frozen=True)
class MeasuredCurves:
    raw: dict[str, Curve]  # joint level: means with 95% half-widths, as measured
    fitted: dict[str, Curve]  # monotone and concave, for the optimiser
    replications: int
    seed: int
    case_days: int
    case_warmup_days: int
    points: dict[str, tuple[Point, ...]] = field(default_factory=dict)
    lower: dict[str, Curve] = field(default_factory=dict)  # the lower 95% bounds
    brackets: dict[str, Bracket] = field(default_factory=dict)
    max_replications: int = 0
    distinct: int = 0  # curves measured: communities with identical inputs share one

    @property
    def cap_hits(self) -> int:
        return sum(1 for b in self.brackets.values() if b.cap_hit)


def bracket_levels(levels: list[float], target: float) -> tuple[int, ...]:
    """The first level whose mean reaches ``target`` and the one below it (one level when the
    curve never reaches it, or starts above it)."""
    above = [k for k, v in enumerate(levels) if v >= target - 1e-12]
    if not above:
        return (len(levels) - 1,)
    first = above[0]
    return (first,) if first == 0 else (first - 1, first)


def undecided(p: Point, target: float) -> bool:
    """The point's 95% interval still holds the target."""
    return p.level - p.ci95 <= target <= p.level + p.ci95 and p.ci95 > 0


# --- measuring ------------------------------------------------------------------------------------


def ordered(by_replication: dict[int, dict[str, float]]) -> list[dict[str, float]]:
    return [by_replication[r] for r in sorted(by_replication)]


def grid_split(
    scenario: Scenario, community: Community, staff: float, purchased: float | None = None
) -> tuple[float, float]:
    return split_grid_staff(scenario, community, staff, purchased)


def measure_curves(
    scenario: Scenario,
    replications: int = 3,
    seed: int | None = None,
    case_days: int | None = None,
    case_warmup_days: int | None = None,
    executor: Any = None,
    progress: Any = None,
    levels: int = LEVELS,
    max_replications: int | None = None,
    share: bool = True,
) -> MeasuredCurves:
    """Simulate every community's grid levels at ``levels`` staffing levels, adding replications
    on either side of each target up to ``max_replications`` (default: none added; the plan
    passes ``simulation.max_replications``)."""
    seed = scenario.simulation.seed if seed is None else seed
    sim = scenario.simulation
    case_days = case_days or sim.case_days or sim.days
    warm = (
        case_warmup_days
        if case_warmup_days is not None
        else (sim.case_warmup_days if sim.case_warmup_days is not None else sim.warmup_days)
    )
    cap = max(replications, replications if max_replications is None else max_replications)
    target = scenario.targets.grid.share
    communities = {c.id: c for c in scenario.communities()}
    staffing = {
        c: staff_levels(scenario, community, levels) for c, community in communities.items()
    }
    split = {
        c: [grid_split(scenario, communities[c], float(x)) for x in staffing[c]] for c in staffing
    }
    # one measurement per distinct curve, on streams named by its inputs (planning.shared)
    sharing = share_curves(scenario, share)
    measured = set(sharing.measured)
    executor = executor if executor is not None else Serial()
    # per community, level: each replication's figures (kept by replication number, so that every
    # backend, whatever order it returns tasks in, gives the same summaries)
    seen: dict[str, list[dict[int, dict[str, float]]]] = {
        c: [{} for _ in range(levels)] for c in staffing
    }
    done: dict[tuple[str, int], int] = {}  # (street, level) -> replications run

    def run(wanted: dict[tuple[str, int], int]) -> None:
        work = []
        for street in scenario.streets():
            mine = [c for c in street.communities if c.id in measured]
            for k in range(levels):
                first = done.get((street.id, k), 0)
                for r in range(first, first + wanted.get((street.id, k), 0)):
                    work.append(
                        CurveTask(
                            street.id,
                            k,
                            r,
                            seed,
                            case_days,
                            warm,
                            tuple((c.id, *split[c.id][k]) for c in mine),
                            tuple((c.id, sharing.key[c.id]) for c in mine),
                        )  # fmt: skip
                    )
        batches = batched(scenario, work)
        advance = progress
        if progress is not None and len(batches) < len(work):  # ticks still count curve tasks
            advance = lambda n: progress(n * len(work) / len(batches))  # noqa: E731
        for result in executor(scenario, batches, advance):
            for _, k, r, metrics, _ in result if isinstance(result, list) else [result]:
                for community, m in metrics.items():
                    seen[community][k][r] = m
        for key, n in wanted.items():
            done[key] = done.get(key, 0) + n

    street_of = {c.id: s.id for s in scenario.streets() for c in s.communities}
    run({(street_of[c], k): replications for c in measured for k in range(levels)})
    batch = max(2, replications)
    while True:
        wanted: dict[tuple[str, int], int] = {}
        for c in sharing.measured:
            now = [point(float(x), ordered(seen[c][k])) for k, x in enumerate(staffing[c])]
            for k in bracket_levels([p.level for p in now], target):
                have = done[(street_of[c], k)]
                if undecided(now[k], target) and have < cap:
                    key = (street_of[c], k)
                    wanted[key] = max(wanted.get(key, 0), min(batch, cap - have))
        if not wanted:
            break
        run(wanted)

    raw: dict[str, Curve] = {}
    fitted: dict[str, Curve] = {}
    lower: dict[str, Curve] = {}
    points: dict[str, tuple[Point, ...]] = {}
    brackets: dict[str, Bracket] = {}
    for c in staffing:
        got = seen[sharing.measured_by[c]]
        pts = tuple(point(float(x), ordered(got[k])) for k, x in enumerate(staffing[c]))
        points[c] = pts
        staff = np.array(staffing[c], dtype=float)
        mean = np.clip([p.level for p in pts], 0.0, 1.0)
        half = np.array([p.ci95 for p in pts])
        raw[c] = Curve(staff, mean, half)
        lower[c] = Curve(staff, np.array([p.lower for p in pts]))
        fitted[c] = fit_concave(staff, mean, ci95=np.maximum(half, 1e-3))
        ks = bracket_levels([p.level for p in pts], target)
        brackets[c] = Bracket(
            ks,
            tuple(pts[k].ci95 for k in ks),
            tuple(pts[k].replications for k in ks),
            any(undecided(pts[k], target) and pts[k].replications >= cap for k in ks),
        )
    return MeasuredCurves(
        raw, fitted, replications, seed, case_days, warm, points, lower, brackets, cap,
        sharing.distinct,
    )  # fmt: skip
