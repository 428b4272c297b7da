"""Run a scenario: replications x streets, then metrics per site and stream with 95% intervals.

``run(scenario, replications, seed, ...) -> Results``. The model does no I/O: the results embed the
scenario, the seed and the runtime; the ``jiedao.simulate/1`` document (docs/interfaces.md) is
:func:`jiedao.export.documents.simulate_document`.

Replication ``r`` of street ``s`` is one task; its random streams come from the root seed, ``r``
and the names of the sites (:mod:`sim.streams`), never from the worker that runs it, so every
backend gives the same numbers. Each metric is computed per replication from pooled residents (a
district's wait p90 is the p90 of its residents' waits, not an average of p90s), then reported as
the mean over replications with a Student-t 95% half-width. A task summarises its street where it
runs (:func:`summarise_street`: the street's and its communities' figures, exact, and mergeable
pools, :mod:`sim.pooled`); the parent merges the pools of a district's streets, and the city's, in
the scenario's street order (:func:`summarise_records`), percentiles from fixed-bin histograms.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
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
    Metrics,
    enforcement_finish,
    enforcement_pool,
    enforcement_times,
    grid_finish,
    grid_metrics,
    grid_pool,
    grid_times,
    window_finish,
    window_pool,
    window_times,
)
from jiedao.sim.pooled import Pool

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
    keep_record: bool = False  # send the record itself back too (charts of every wait)

    def __call__(self, scenario: Scenario) -> StreetSummary:
        return summarise_street(scenario, self.record(scenario), self.horizon, self.streams,
                                self.keep_record)  # fmt: skip

    def record(self, scenario: Scenario) -> StreetRecord:
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
class StreetSummary:
    """What a worker sends back for one street and replication: the street's own metrics and its
    communities' (exact), each stream's mergeable :class:`~jiedao.sim.pooled.Pool` for the
    district and the city (histograms in place of values), and the whole-cost sums."""

    street: str
    replication: int
    residents: int
    present: tuple[str, ...]  # streams with records
    metrics: dict[tuple[str, str], Metrics]
    pools: dict[str, Pool]
    costs: dict[str, np.ndarray]
    record: StreetRecord | None = None


def summarise_street(
    scenario: Scenario,
    record: StreetRecord,
    horizon: Horizon,
    streams: tuple[str, ...] = STREAMS,
    keep_record: bool = False,
) -> StreetSummary:
    """The worker's half of the summaries (the parent's is :func:`summarise_records`)."""
    targets = scenario.targets
    warm, end = horizon.warmup_days * DAY, horizon.days * DAY
    case_warm, case_end = horizon.case_warmup_days * DAY, horizon.case_days * DAY
    calendar = _calendar(scenario, horizon)
    street = next(s for s in scenario.streets() if s.id == record.street)
    pools: dict[str, Pool] = {}
    metrics: dict[tuple[str, str], Metrics] = {}
    if "window" in streams:
        pool = window_pool(record.windows, warm, end, targets.window)
        metrics[(street.id, "window")] = window_finish(pool, warm, end)
        pools["window"] = pool.shipped()
    if "grid" in streams:
        pool = grid_pool(record.grids, case_warm, case_end, targets.grid, calendar)
        metrics[(street.id, "grid")] = grid_finish(pool, case_warm, case_end, targets.grid,
                                                   calendar)  # fmt: skip
        pools["grid"] = pool.shipped()
        for community in street.communities:
            grids = [g for g in record.grids if g.community == community.id]
            metrics[(community.id, "grid")] = grid_metrics(
                grids, case_warm, case_end, targets.grid, calendar
            )
    if "enforcement" in streams:
        pool = enforcement_pool(record.enforcement, case_warm, case_end, targets.enforcement,
                                calendar)  # fmt: skip
        metrics[(street.id, "enforcement")] = enforcement_finish(pool, case_warm, case_end)
        pools["enforcement"] = pool.shipped()
    present = tuple(
        name
        for name, kept in (
            ("window", record.windows), ("grid", record.grids), ("enforcement", record.enforcement)
        )
        if kept
    )  # fmt: skip
    return StreetSummary(
        record.street, record.replication, record.residents, present, metrics, pools,
        record.costs, record if keep_record else None,
    )  # fmt: skip


_CALENDAR: list[Any] = []  # [calendar settings, case days, built]: one at a time, per process


def _calendar(scenario: Scenario, horizon: Horizon) -> WorkCalendar:
    """The case calendar, built once per scenario and horizon in a worker (the reference held
    keeps the settings' identity from being reused by another object)."""
    if not _CALENDAR or _CALENDAR[0] is not scenario.calendar or _CALENDAR[1] != horizon.case_days:
        built = WorkCalendar.build(scenario.calendar, horizon.case_days + CALENDAR_SLACK_DAYS)
        _CALENDAR[:] = [scenario.calendar, horizon.case_days, built]
    return _CALENDAR[2]


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
    work = [
        Task(t.street, t.replication, t.seed, t.horizon, t.streams, keep_records)
        for t in tasks(scenario, replications, seed, horizon, streams)
    ]
    summaries = list(executor(scenario, work, progress))
    order = {street.id: i for i, street in enumerate(scenario.streets())}
    summaries.sort(key=lambda r: (r.replication, order[r.street]))
    values, levels = summarise_records(scenario, summaries, replications, horizon)
    records = [s.record for s in summaries if s.record is not None]
    return Results(
        scenario=scenario,
        seed=seed,
        replications=replications,
        horizon=horizon,
        runtime_s=time.perf_counter() - began,
        residents=sum(s.residents for s in summaries),
        values=values,
        levels=levels,
        warnings=tuple(diagnose(values, levels)),
        records=tuple(records) if keep_records else None,
        costs=cost_values(
            scenario, summaries, replications, horizon.warmup_days, horizon.days
        ),
    )


def summarise_records(
    scenario: Scenario,
    summaries: Sequence[StreetSummary | StreetRecord],
    replications: int,
    horizon: Horizon,
    exact: bool = False,
) -> tuple[dict[tuple[str, str], dict[str, np.ndarray]], dict[str, str]]:
    """Metrics per site and stream, one value per replication, from the streets' summaries (or
    records, summarised here). A street's and its communities' figures are the worker's; a
    district's and the city's merge its streets' pools in the scenario's street order (a site of
    one street takes that street's figures). ``exact`` keeps every value of a percentile's sample
    (records only; for tests) instead of the histograms."""
    targets = scenario.targets
    window_span = (horizon.warmup_days * DAY, horizon.days * DAY)
    case_span = (horizon.case_warmup_days * DAY, horizon.case_days * DAY)
    calendar = _calendar(scenario, horizon)
    by_rep: dict[int, dict[str, StreetSummary]] = {}
    for item in summaries:
        summary = (
            summarise_street(scenario, item, horizon, STREAMS)
            if isinstance(item, StreetRecord)
            else item
        )
        if exact and isinstance(item, StreetRecord):
            summary = _with_values(scenario, item, horizon, summary)
        by_rep.setdefault(summary.replication, {})[summary.street] = summary

    # (site, level, street ids below it)
    sites: list[tuple[str, str, list[str]]] = []
    all_streets = [s.id for s in scenario.streets()]
    sites.append(("city", "city", all_streets))
    for district in scenario.districts:
        sites.append((district.id, "district", [s.id for s in district.streets]))
    street_sites: list[tuple[str, str, str]] = []
    for street in scenario.streets():
        street_sites.append((street.id, "street", street.id))
        for community in street.communities:
            street_sites.append((community.id, "community", street.id))

    present = {s for rep in by_rep.values() for x in rep.values() for s in x.present}
    per: dict[tuple[str, str], list[Metrics]] = {}
    nothing = summarise_street(scenario, StreetRecord(all_streets[0], 0), horizon, STREAMS)
    for r in range(replications):
        streets = by_rep.get(r, {})
        for site, _level, street_ids in sites:
            found = [streets[s] for s in street_ids if s in streets]
            for stream in STREAMS:
                if stream not in present:
                    continue
                if len(found) == 1 and len(street_ids) == 1:
                    m = found[0].metrics[(street_ids[0], stream)]
                else:
                    pool = Pool.merge(
                        [x.pools[stream] for x in found] or [nothing.pools[stream]], exact
                    )
                    if stream == "window":
                        m = window_finish(pool, *window_span)
                    elif stream == "grid":
                        m = grid_finish(pool, *case_span, targets.grid, calendar)
                    else:
                        m = enforcement_finish(pool, *case_span)
                per.setdefault((site, stream), []).append(m)
        for site, level, street_id in street_sites:
            for stream in STREAMS:
                if stream not in present or (level == "community" and stream != "grid"):
                    continue
                x = streets.get(street_id)
                m = x.metrics[(site, stream)] if x is not None else _empty(nothing, site, stream)
                per.setdefault((site, stream), []).append(m)
    values = {
        key: {name: np.array([m[name] for m in ms]) for name in ms[0]} for key, ms in per.items()
    }
    levels = {site: level for site, level, _ in sites}
    levels.update({site: level for site, level, _ in street_sites})
    return values, levels


def _empty(nothing: StreetSummary, site: str, stream: str) -> Metrics:
    """The figures of a site whose street sent nothing (no records: every count zero)."""
    key = next(k for k in nothing.metrics if k[1] == stream)
    return nothing.metrics[key]


def _with_values(
    scenario: Scenario, record: StreetRecord, horizon: Horizon, summary: StreetSummary
) -> StreetSummary:
    """The summary with its pools' values kept (not yet histograms), for exact merging."""
    targets = scenario.targets
    warm, end = horizon.warmup_days * DAY, horizon.days * DAY
    cw, ce = horizon.case_warmup_days * DAY, horizon.case_days * DAY
    calendar = _calendar(scenario, horizon)
    pools = {
        "window": window_pool(record.windows, warm, end, targets.window),
        "grid": grid_pool(record.grids, cw, ce, targets.grid, calendar),
        "enforcement": enforcement_pool(record.enforcement, cw, ce, targets.enforcement, calendar),
    }
    return StreetSummary(
        summary.street, summary.replication, summary.residents, summary.present, summary.metrics,
        pools, summary.costs, summary.record,
    )  # fmt: skip


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
