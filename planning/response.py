"""Response curves measured by simulation: a community's grid service level at each staffing level.

The posts a community gets staff its grids (the station keeps its ``station_posts``), so its curve
is the share of its grid events meeting their targets (urgent answered in time, ordinary closed in
time: :mod:`sim.monitor`) at serving staff-equivalents ``s = grid workers + station posts``, for
12 levels around what its demand needs (from its offered load: events a day x work per event over
the working day).

Every level of a community is simulated with the same seed and replication numbers, so the
residents are the same at every level (common random numbers): the differences between points are
differences of staffing, not of luck, and the curve is far smoother than independent runs would
give. A point is the mean over replications with its Student-t 95% half-width. Grid teams serve
urgent events first, so they do not qualify for the FCFS fast path (:mod:`sim.fastpath`); the SimPy
engine measures them, one task per (street, level, replication) on any backend.

Noisy points are then made monotone and concave by :func:`optimize.curves.fit_concave` (the
weighted least-squares projection; weights from the half-widths), which the optimiser needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jiedao.optimize.curves import Curve, fit_concave
from jiedao.scenarios.model import Community, Scenario
from jiedao.scenarios.schema import dist_mean, minutes_of_day
from jiedao.sim.backends import Serial
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import grid_workers
from jiedao.sim.model import CALENDAR_SLACK_DAYS, simulate_street
from jiedao.sim.monitor import grid_metrics
from jiedao.sim.run import summarise

LEVELS = 12


def offered_servers(scenario: Scenario, community: Community) -> float:
    """Grid workers the community's events keep busy on average (the load, in servers)."""
    demand = scenario.demand.grid
    calendar = scenario.calendar
    working = len(calendar.working_days)
    per_day = (
        demand.events_per_grid_per_month
        * community.grids
        * 12.0
        / (365.25 / 7.0 * working)
        * community.demand_factor
    )
    work = (1.0 - demand.patrol_share) * dist_mean(demand.travel_min) + dist_mean(
        demand.handling_min
    )
    day = minutes_of_day(calendar.close) - minutes_of_day(calendar.open)
    if calendar.lunch:
        day -= minutes_of_day(calendar.lunch[1]) - minutes_of_day(calendar.lunch[0])
    # in grid workers: only their event share of the day serves events
    return per_day * work / (day * demand.event_time_share) if day > 0 else math.inf


# Curves start well below the load (where the queue is overloaded and service collapses over the
# horizon), so that budgets too small to meet targets still have a measured price in shortfall.
START_FRACTION = 0.6


def staff_levels(scenario: Scenario, community: Community, levels: int = LEVELS) -> list[int]:
    """Serving staff levels to measure: from 60% of the load upwards, ``levels`` of them,
    spaced so the last is at least 1.5 times the load."""
    _, station = grid_workers(scenario, community)
    load = offered_servers(scenario, community)
    first = max(1, math.floor(START_FRACTION * load))
    step = max(1, math.ceil((1.5 * load - first) / max(1, levels - 1)))
    return [station + first + k * step for k in range(levels)]


@dataclass(frozen=True)
class CurveTask:
    """One street, one staffing level (index into each community's levels), one replication."""

    street: str
    level: int
    replication: int
    seed: int
    case_days: int
    case_warmup_days: int
    workers: tuple[tuple[str, float], ...]  # community id -> grid workers at this level

    def __call__(self, scenario: Scenario) -> tuple[str, int, int, dict[str, float]]:
        shares = grid_target_shares(
            scenario,
            self.street,
            self.replication,
            self.seed,
            self.case_days,
            self.case_warmup_days,
            dict(self.workers),
        )
        return self.street, self.level, self.replication, shares


def grid_target_shares(
    scenario: Scenario,
    street: str,
    replication: int,
    seed: int,
    case_days: int,
    case_warmup_days: int,
    workers: dict[str, float],
) -> dict[str, float]:
    """Each community's grid target share in one replication of a street, at given staffing."""
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
        grid_workers=workers,
    )
    calendar = WorkCalendar.build(scenario.calendar, case_days + CALENDAR_SLACK_DAYS)
    span = (case_warmup_days * DAY, case_days * DAY)
    return {
        g.community: grid_metrics([g], *span, scenario.targets.grid, calendar)["target_share"]
        for g in record.grids
    }


@dataclass(frozen=True)
class MeasuredCurves:
    raw: dict[str, Curve]  # means with 95% half-widths, as measured
    fitted: dict[str, Curve]  # monotone and concave, for the optimiser
    replications: int
    seed: int
    case_days: int
    case_warmup_days: int


def measure_curves(
    scenario: Scenario,
    replications: int = 3,
    seed: int | None = None,
    case_days: int | None = None,
    case_warmup_days: int | None = None,
    executor: Any = None,
    progress: Any = None,
    levels: int = LEVELS,
) -> MeasuredCurves:
    """Simulate every community's grid service level at ``levels`` staffing levels."""
    seed = scenario.simulation.seed if seed is None else seed
    sim = scenario.simulation
    case_days = case_days or sim.case_days or sim.days
    warm = (
        case_warmup_days
        if case_warmup_days is not None
        else (sim.case_warmup_days if sim.case_warmup_days is not None else sim.warmup_days)
    )
    staffing = {c.id: staff_levels(scenario, c, levels) for c in scenario.communities()}
    station = {c.id: grid_workers(scenario, c)[1] for c in scenario.communities()}
    work = [
        CurveTask(
            street.id,
            k,
            r,
            seed,
            case_days,
            warm,
            tuple((c.id, float(staffing[c.id][k] - station[c.id])) for c in street.communities),
        )
        for street in scenario.streets()
        for k in range(levels)
        for r in range(replications)
    ]
    executor = executor if executor is not None else Serial()
    values: dict[str, np.ndarray] = {c: np.full((levels, replications), np.nan) for c in staffing}
    for _, level, replication, shares in executor(scenario, work, progress):
        for community, share in shares.items():
            values[community][level, replication] = share
    raw, fitted = {}, {}
    for community, table in values.items():
        # a level where no event's outcome is known yet (no demand) counts as fully served
        table = np.where(np.isnan(table), 1.0, table)
        points = [summarise(row) for row in table]
        mean = np.array([m for m, _ in points])
        half = np.array([0.0 if h != h else h for _, h in points])
        staff = np.array(staffing[community], dtype=float)
        raw[community] = Curve(staff, np.clip(mean, 0.0, 1.0), half)
        fitted[community] = fit_concave(staff, np.clip(mean, 0.0, 1.0), ci95=np.maximum(half, 1e-3))
    return MeasuredCurves(raw, fitted, replications, seed, case_days, warm)
