"""Pure summaries of one replication's records: the metrics of a stream at a site.

Who is counted (documented in docs/simulation.md): the *cohort* of a stream at a site is every
visit, event or case that arrived in the observation window ``[warm-up, horizon)``. Each member
ends in exactly one state, so per station and per stream

    arrivals = completed + abandoned + sent_home + handed_on + in_system_at_end

holds exactly. Residents who arrived during the warm-up are not in the cohort (``carried_in``
counts those still present when it ends); a returning resident is a new arrival (``returning``
counts them); a grid event handed on to the street or escalated to enforcement leaves the grid
stream as ``handed_on`` and an escalation arrives at the enforcement stream as a new case.

Time-weighted figures cover the observation window whoever is present: utilisation is busy
server-minutes over on-duty server-minutes (overtime included), queue_mean the time-average number
waiting.

``target_share`` is the share of the cohort whose outcome against its target is known that met
it: met / (met + missed), where an abandonment or a resident sent home is a miss, and a member still
waiting at the horizon counts only once its deadline has passed (a miss).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jiedao.scenarios.schema import EnforcementTarget, GridTarget, WindowTarget
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import COMMUNITY, ENFORCEMENT, STREET
from jiedao.sim.model import GridRecord, StationRecord
from jiedao.sim.station import ABANDONED, COMPLETED, IN_SYSTEM, SENT_HOME

Metrics = dict[str, float]


def _cat(records: Sequence[StationRecord], name: str) -> np.ndarray:
    arrays = [getattr(r, name) for r in records]
    return np.concatenate(arrays) if arrays else np.empty(0)


def _overlap(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> float:
    return float(np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0.0, None).sum())


def _quantiles(values: np.ndarray, prefix: str, unit: str) -> Metrics:
    if len(values) == 0:
        nan = float("nan")
        return {
            f"{prefix}_mean_{unit}": nan,
            f"{prefix}_p50_{unit}": nan,
            f"{prefix}_p90_{unit}": nan,
            f"{prefix}_p95_{unit}": nan,
        }
    p50, p90, p95 = np.percentile(values, [50, 90, 95])
    return {
        f"{prefix}_mean_{unit}": float(values.mean()),
        f"{prefix}_p50_{unit}": float(p50),
        f"{prefix}_p90_{unit}": float(p90),
        f"{prefix}_p95_{unit}": float(p95),
    }


def _share(met: int, missed: int) -> float:
    return met / (met + missed) if met + missed else float("nan")


def station_counts(records: Sequence[StationRecord], warm: float, horizon: float) -> Metrics:
    """Counts, utilisation and queue of one or more stations (pooled)."""
    arrival = _cat(records, "arrival")
    start, end = _cat(records, "start"), _cat(records, "end")
    outcome, left = _cat(records, "outcome"), _cat(records, "left")
    cohort = (arrival >= warm) & (arrival < horizon)
    carried = (arrival < warm) & ~(end < warm) & ~(left < warm)
    started = ~np.isnan(start)
    busy = _overlap(
        start[started], np.where(np.isnan(end[started]), horizon, end[started]), warm, horizon
    )
    waiting_until = np.where(started, start, np.where(np.isnan(left), horizon, left))
    queue = _overlap(arrival, waiting_until, warm, horizon)
    available = sum(r.available_min + r.overtime_min for r in records)
    span = horizon - warm
    counts = {
        "arrivals": int(cohort.sum()),
        "completed": int((cohort & (outcome == COMPLETED)).sum()),
        "abandoned": int((cohort & (outcome == ABANDONED)).sum()),
        "sent_home": int((cohort & (outcome == SENT_HOME)).sum()),
        "carried_in": int(carried.sum()),
    }
    counts["in_system_at_end"] = int((cohort & (outcome == IN_SYSTEM)).sum())
    return {
        **{k: float(v) for k, v in counts.items()},
        "utilisation": busy / available if available > 0 else float("nan"),
        "queue_mean": queue / span if span > 0 else float("nan"),
        "overtime_h": sum(r.overtime_min for r in records) / 60.0,
    }


def window_metrics(
    records: Sequence[StationRecord], warm: float, horizon: float, target: WindowTarget
) -> Metrics:
    out = station_counts(records, warm, horizon)
    arrival, start, end = _cat(records, "arrival"), _cat(records, "start"), _cat(records, "end")
    outcome = _cat(records, "outcome")
    returning = _cat(records, "returning").astype(bool)
    cohort = (arrival >= warm) & (arrival < horizon)
    served = cohort & ~np.isnan(start)
    wait = start[served] - arrival[served]
    out["returning"] = float((cohort & returning).sum())
    out.update(_quantiles(wait, "wait", "min"))
    done = cohort & (outcome == COMPLETED)
    out["time_in_system_mean_min"] = (
        float((end[done] - arrival[done]).mean()) if done.any() else float("nan")
    )
    limit = target.max_wait_min
    met = int((wait <= limit).sum())
    missed = int((wait > limit).sum())
    missed += int((cohort & ((outcome == ABANDONED) | (outcome == SENT_HOME))).sum())
    missed += int(
        (cohort & np.isnan(start) & (outcome == IN_SYSTEM) & (horizon - arrival > limit)).sum()
    )
    out["target_share"] = _share(met, missed)
    out["handed_on"] = 0.0
    return out


def _elapsed(calendar: WorkCalendar, days: str, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    if days == "working":
        return calendar.work_array(t1) - calendar.work_array(t0)
    return (t1 - t0) / DAY


def grid_metrics(
    records: Sequence[GridRecord],
    warm: float,
    horizon: float,
    target: GridTarget,
    calendar: WorkCalendar,
) -> Metrics:
    arrival = np.concatenate([g.arrival for g in records]) if records else np.empty(0)
    urgent = np.concatenate([g.urgent for g in records]) if records else np.empty(0, bool)
    travel = np.concatenate([g.travel for g in records]) if records else np.empty(0)
    route = np.concatenate([g.route for g in records]) if records else np.empty(0, int)
    close = np.concatenate([g.close for g in records]) if records else np.empty(0)
    start = np.concatenate([g.team_start for g in records]) if records else np.empty(0)
    teams = [t for g in records for t in g.teams]
    stations = [g.station for g in records]
    out = station_counts(teams, warm, horizon)
    cohort = (arrival >= warm) & (arrival < horizon)
    handed = cohort & ~np.isnan(close) & ((route == STREET) | (route == ENFORCEMENT))
    closed = cohort & ~np.isnan(close) & ~((route == STREET) | (route == ENFORCEMENT))
    out["completed"] = float(closed.sum())
    out["handed_on"] = float(handed.sum())
    out["in_system_at_end"] = float((cohort & np.isnan(close)).sum())
    out["urgent_arrivals"] = float((cohort & urgent).sum())
    out["to_station"] = float((cohort & (route == COMMUNITY) & ~np.isnan(start)).sum())
    started = cohort & ~np.isnan(start)
    out.update(_quantiles(start[started] - arrival[started], "wait", "min"))
    response = start + travel - arrival
    out.update(_quantiles(response[started & urgent], "urgent_response", "min"))
    finished = cohort & ~np.isnan(close)
    out["time_in_system_mean_h"] = (
        float(((close - arrival)[finished]).mean() / 60.0) if finished.any() else float("nan")
    )

    urgent_limit = target.urgent_response_h * 60.0
    u = cohort & urgent
    met = int((u & started & (response <= urgent_limit)).sum())
    missed = int((u & started & (response > urgent_limit)).sum())
    missed += int((u & ~started & (horizon - arrival > urgent_limit)).sum())
    o = cohort & ~urgent
    took = _elapsed(calendar, target.days, arrival, np.where(np.isnan(close), horizon, close))
    limit = target.ordinary_close_days
    met += int((o & ~np.isnan(close) & (took <= limit)).sum())
    missed += int((o & ~np.isnan(close) & (took > limit)).sum())
    missed += int((o & np.isnan(close) & (took > limit)).sum())
    out["target_share"] = _share(met, missed)
    station = station_counts(stations, warm, horizon)
    out["station_utilisation"] = station["utilisation"]
    out["station_queue_mean"] = station["queue_mean"]
    return out


def enforcement_metrics(
    records: Sequence[StationRecord],
    warm: float,
    horizon: float,
    target: EnforcementTarget,
    calendar: WorkCalendar,
) -> Metrics:
    out = station_counts(records, warm, horizon)
    arrival, start, end = _cat(records, "arrival"), _cat(records, "start"), _cat(records, "end")
    kind = _cat(records, "kind")
    cohort = (arrival >= warm) & (arrival < horizon)
    out["escalated"] = float((cohort & (kind == 1)).sum())
    started = cohort & ~np.isnan(start)
    out.update(
        _quantiles(
            calendar.work_array(start[started]) - calendar.work_array(arrival[started]),
            "wait",
            "days",
        )
    )
    done = cohort & ~np.isnan(end)
    out["time_in_system_mean_days"] = (
        float((calendar.work_array(end[done]) - calendar.work_array(arrival[done])).mean())
        if done.any()
        else float("nan")
    )
    took = _elapsed(calendar, target.days, arrival, np.where(np.isnan(end), horizon, end))
    met = int((done & (took <= target.close_days)).sum())
    missed = int((cohort & (took > target.close_days)).sum())
    out["target_share"] = _share(met, missed)
    out["handed_on"] = 0.0
    return out
