"""Run a scenario: replications x streets, then metrics per site and stream with 95% intervals.

``run(scenario, replications, seed, ...) -> Results``. The model does no I/O: the results embed the
scenario, the seed and the runtime; the ``jiedao.simulate/1`` document (docs/interfaces.md) is
:func:`jiedao.export.documents.simulate_document`.

Replication ``r`` of street ``s`` is one task; its random streams come from the root seed, ``r``
and the names of the sites (:mod:`sim.streams`), never from the worker that runs it, so every
backend gives the same numbers. Each metric is computed per replication from pooled records (a
district's wait p90 is the p90 of its residents' waits, not an average of p90s), then reported as
the mean over replications with a Student-t 95% half-width.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from jiedao.scenarios.model import Scenario
from jiedao.sim.backends import Serial
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.costs import cost_values
from jiedao.sim.model import CALENDAR_SLACK_DAYS, StreetRecord, simulate_street
from jiedao.sim.monitor import (
    enforcement_metrics,
    enforcement_times,
    grid_metrics,
    grid_times,
    window_metrics,
    window_times,
)

STREAMS = ("window", "grid", "enforcement")
LEVELS = ("city", "district", "street", "community")


@dataclass(frozen=True)
class Horizon:
    days: int
    warmup_days: int
    case_days: int
    case_warmup_days: int

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        days: int | None = None,
        warmup_days: int | None = None,
        case_days: int | None = None,
        case_warmup_days: int | None = None,
    ) -> Horizon:
        sim = scenario.simulation
        d = days if days is not None else sim.days
        w = warmup_days if warmup_days is not None else sim.warmup_days
        cd = case_days if case_days is not None else (sim.case_days or d)
        cw = (
            case_warmup_days
            if case_warmup_days is not None
            else (sim.case_warmup_days if sim.case_warmup_days is not None else w)
        )
        if w >= d:
            raise ValueError(f"warm-up ({w} days) must be shorter than the horizon ({d} days)")
        if cw >= cd:
            raise ValueError(f"case warm-up ({cw} days) must be shorter than case_days ({cd})")
        return cls(d, w, cd, cw)


@dataclass(frozen=True)
class Task:
    """One street, one replication: what a worker needs to rebuild and run it."""

    street: str
    replication: int
    seed: int
    horizon: Horizon
    streams: tuple[str, ...] = STREAMS

    def __call__(self, scenario: Scenario) -> StreetRecord:
        h = self.horizon
        return simulate_street(
            scenario,
            self.street,
            self.replication,
            self.seed,
            h.days,
            h.case_days,
            h.warmup_days,
            h.case_warmup_days,
            self.streams,
        )


@dataclass(frozen=True)
class Results:
    """Metrics per (site, stream): one value per replication (``values[(site, stream)][name]``)."""

    scenario: Scenario
    seed: int
    replications: int
    horizon: Horizon
    runtime_s: float
    residents: int
    values: dict[tuple[str, str], dict[str, np.ndarray]]
    levels: dict[str, str]
    warnings: tuple[str, ...] = ()
    records: tuple[StreetRecord, ...] | None = None
    # the resident's whole cost (sim.costs): site -> metric -> one value per replication
    costs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def metric(self, site: str, stream: str, name: str) -> tuple[float, float]:
        """(mean, 95% half-width) of a metric over replications."""
        return summarise(self.values[(site, stream)][name])

    def per_replication(self, site: str, stream: str, name: str) -> np.ndarray:
        return self.values[(site, stream)][name]


def summarise(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan")
    # the Student-t quantile (scipy.stats.t.ppf is this function; scipy.stats is slow to import)
    half = float(special.stdtrit(n - 1, 0.975) * values.std(ddof=1) / math.sqrt(n))
    return mean, half


def tasks(
    scenario: Scenario,
    replications: int,
    seed: int,
    horizon: Horizon,
    streams: tuple[str, ...] = STREAMS,
) -> list[Task]:
    return [
        Task(street.id, r, seed, horizon, streams)
        for r in range(replications)
        for street in scenario.streets()
    ]


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    warmup_days: int | None = None,
    case_days: int | None = None,
    case_warmup_days: int | None = None,
    executor: Any = None,
    progress: Any = None,
    keep_records: bool = False,
    streams: tuple[str, ...] = STREAMS,
    horizon: Horizon | None = None,
) -> Results:
    """Simulate ``scenario`` and summarise it per site and stream (``horizon``, when given,
    replaces the four horizon arguments)."""
    began = time.perf_counter()
    replications = replications if replications is not None else scenario.simulation.replications
    seed = seed if seed is not None else scenario.simulation.seed
    if horizon is None:
        horizon = Horizon.of(scenario, days, warmup_days, case_days, case_warmup_days)
    executor = executor if executor is not None else Serial()
    records = list(
        executor(scenario, tasks(scenario, replications, seed, horizon, streams), progress)
    )
    order = {street.id: i for i, street in enumerate(scenario.streets())}
    records.sort(key=lambda r: (r.replication, order[r.street]))
    values, levels = summarise_records(scenario, records, replications, horizon)
    return Results(
        scenario=scenario,
        seed=seed,
        replications=replications,
        horizon=horizon,
        runtime_s=time.perf_counter() - began,
        residents=sum(r.residents for r in records),
        values=values,
        levels=levels,
        warnings=tuple(diagnose(values, levels)),
        records=tuple(records) if keep_records else None,
        costs=cost_values(scenario, records, replications, horizon.warmup_days, horizon.days),
    )


def summarise_records(
    scenario: Scenario, records: list[StreetRecord], replications: int, horizon: Horizon
) -> tuple[dict[tuple[str, str], dict[str, np.ndarray]], dict[str, str]]:
    targets = scenario.targets
    window_span = (horizon.warmup_days * DAY, horizon.days * DAY)
    case_span = (horizon.case_warmup_days * DAY, horizon.case_days * DAY)
    calendar = WorkCalendar.build(scenario.calendar, horizon.case_days + CALENDAR_SLACK_DAYS)
    by_rep: dict[int, dict[str, StreetRecord]] = {}
    for record in records:
        by_rep.setdefault(record.replication, {})[record.street] = record

    # (site, level, street ids below it, community ids below it)
    sites: list[tuple[str, str, list[str], list[str] | None]] = []
    all_streets = [s.id for s in scenario.streets()]
    sites.append(("city", "city", all_streets, None))
    for district in scenario.districts:
        sites.append((district.id, "district", [s.id for s in district.streets], None))
    for street in scenario.streets():
        sites.append((street.id, "street", [street.id], None))
        for community in street.communities:
            sites.append((community.id, "community", [street.id], [community.id]))

    per: dict[tuple[str, str], list[dict[str, float]]] = {}
    present = {
        s
        for rec in records
        for s in (
            (["window"] if rec.windows else [])
            + (["grid"] if rec.grids else [])
            + (["enforcement"] if rec.enforcement else [])
        )
    }
    for r in range(replications):
        streets = by_rep.get(r, {})
        for site, level, street_ids, community_ids in sites:
            recs = [streets[s] for s in street_ids if s in streets]
            for stream in STREAMS:
                if stream not in present:
                    continue
                if stream == "window" and level != "community":
                    m = window_metrics(
                        [w for x in recs for w in x.windows], *window_span, targets.window
                    )
                elif stream == "grid":
                    grids = [
                        g
                        for x in recs
                        for g in x.grids
                        if community_ids is None or g.community in community_ids
                    ]
                    m = grid_metrics(grids, *case_span, targets.grid, calendar)
                elif stream == "enforcement" and level != "community":
                    m = enforcement_metrics(
                        [e for x in recs for e in x.enforcement],
                        *case_span,
                        targets.enforcement,
                        calendar,
                    )
                else:
                    continue
                per.setdefault((site, stream), []).append(m)
    values = {
        key: {name: np.array([m[name] for m in ms]) for name in ms[0]} for key, ms in per.items()
    }
    levels = {site: level for site, level, _, _ in sites}
    return values, levels


def diagnose(
    values: dict[tuple[str, str], dict[str, np.ndarray]], levels: dict[str, str]
) -> list[str]:
    """Plain warnings for degenerate but valid staffing: no staff, or demand above capacity."""
    out = []
    for (site, stream), metrics in values.items():
        if levels[site] not in ("street", "community"):
            continue
        arrivals = float(np.nanmean(metrics["arrivals"]))
        util = metrics["utilisation"]
        if arrivals > 0 and np.all(np.isnan(util)):
            out.append(
                f"{site} {stream}: {arrivals:.0f} arrivals but no staff on duty; nobody is served"
            )
        elif arrivals > 0 and float(np.nanmean(util)) >= 0.98:
            out.append(
                f"{site} {stream}: utilisation {float(np.nanmean(util)):.0%}: demand is at "
                "or above capacity, the queue grows without bound over a longer horizon"
            )
    return out


def times_against_targets(results: Results) -> dict[str, tuple[np.ndarray, float, str]]:
    """Per stream (window, urgent, ordinary, enforcement), pooled over replications and sites:
    the time each visit, event or case took against its target (``inf`` where it gave up or is
    still open past the target), the target, and the unit (``min`` or ``days``). The share within
    the target of each replication is the share the tables show. Needs ``keep_records``."""
    scenario, h = results.scenario, results.horizon
    records = results.records or ()
    targets = scenario.targets
    window_span = (h.warmup_days * DAY, h.days * DAY)
    case_span = (h.case_warmup_days * DAY, h.case_days * DAY)
    calendar = WorkCalendar.build(scenario.calendar, h.case_days + CALENDAR_SLACK_DAYS)
    windows = [w for r in records for w in r.windows]
    grids = [g for r in records for g in r.grids]
    teams = [e for r in records for e in r.enforcement]
    out: dict[str, tuple[np.ndarray, float, str]] = {}
    if windows:
        limit = targets.window.max_wait_min
        out["window"] = (window_times(windows, *window_span, limit), limit, "min")
    if grids:
        urgent, ordinary = grid_times(grids, *case_span, targets.grid, calendar)
        out["urgent"] = (urgent, targets.grid.urgent_response_h * 60.0, "min")
        out["ordinary"] = (ordinary, float(targets.grid.ordinary_close_days), "days")
    if teams:
        enforcement = enforcement_times(teams, *case_span, targets.enforcement, calendar)
        out["enforcement"] = (enforcement, float(targets.enforcement.close_days), "days")
    return out
