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
server-minutes (services less their pauses) over on-duty server-minutes (the schedule's, plus every
minute worked off it: overtime past closing and break overruns), so it never exceeds 1; queue_mean
is the time-average number waiting; overtime is the server-minutes past closing in the window,
also per worker (the station's nominal staff) per week.

Grid events (:func:`grid_metrics`) are judged per class: urgent events by the moment a worker is on
site (``answered``) within ``urgent_response_h`` on the calendar clock, ordinary events by their
closing within ``ordinary_close_days`` (working or calendar days). ``target_share`` for grids is the
*joint* level (:func:`joint_level`): the lower of the two, so that a community meets its grid
targets only when it meets both. ``backlog_growth`` and ``offered_load`` say whether the backlog
grows over the run.

``target_share`` is the share of the cohort whose outcome against its target is known that met
it: met / (met + missed), where an abandonment or a resident sent home is a miss, and a member still
waiting at the horizon counts only once its deadline has passed (a miss).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jiedao.scenarios.schema import EnforcementTarget, GridTarget, WindowTarget
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import ENFORCEMENT, FROM_GRID, STREET
from jiedao.sim.model import GridRecord, StationRecord
from jiedao.sim.pooled import Pool, Sample
from jiedao.sim.station import ABANDONED, COMPLETED, IN_SYSTEM, SENT_HOME

Metrics = dict[str, float]


def _cat(records: Sequence[StationRecord], name: str) -> np.ndarray:
    arrays = [getattr(r, name) for r in records]
    return np.concatenate(arrays) if arrays else np.empty(0)


def _overlap(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> float:
    return float(np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0.0, None).sum())


def _share(met: int, missed: int) -> float:
    return met / (met + missed) if met + missed else float("nan")


def _worked(records: Sequence[StationRecord], warm: float, horizon: float) -> float:
    """Busy server-minutes in the window: services less their pauses (the on-duty clock)."""
    busy = 0.0
    for r in records:
        started = ~np.isnan(r.start)
        busy += _overlap(
            r.start[started], np.where(np.isnan(r.end[started]), horizon, r.end[started]), warm,
            horizon,
        )  # fmt: skip
        if len(r.pause_from):
            busy -= _overlap(
                r.pause_from, np.where(np.isnan(r.pause_to), horizon, r.pause_to), warm, horizon
            )
    return busy


def _extra(records: Sequence[StationRecord], warm: float, horizon: float) -> tuple[float, float]:
    """(server-minutes worked off schedule, of them after closing) in the window."""
    total = closing = 0.0
    for r in records:
        if not len(r.extra_from):
            continue
        minutes = np.clip(np.minimum(r.extra_to, horizon) - np.maximum(r.extra_from, warm), 0, None)
        minutes = minutes * r.extra_servers
        total += float(minutes.sum())
        closing += float(minutes[r.extra_closing].sum())
    return total, closing


def station_sums(records: Sequence[StationRecord], warm: float, horizon: float) -> dict[str, float]:
    """The additive parts of :func:`station_counts` (they add over stations and streets)."""
    arrival = _cat(records, "arrival")
    start, end = _cat(records, "start"), _cat(records, "end")
    outcome, left = _cat(records, "outcome"), _cat(records, "left")
    cohort = (arrival >= warm) & (arrival < horizon)
    carried = (arrival < warm) & ~(end < warm) & ~(left < warm)
    started = ~np.isnan(start)
    waiting_until = np.where(started, start, np.where(np.isnan(left), horizon, left))
    extra, overtime = _extra(records, warm, horizon)
    return {
        "arrivals": float(int(cohort.sum())),
        "completed": float(int((cohort & (outcome == COMPLETED)).sum())),
        "abandoned": float(int((cohort & (outcome == ABANDONED)).sum())),
        "sent_home": float(int((cohort & (outcome == SENT_HOME)).sum())),
        "carried_in": float(int(carried.sum())),
        "in_system_at_end": float(int((cohort & (outcome == IN_SYSTEM)).sum())),
        "busy": _worked(records, warm, horizon),
        "queue": _overlap(arrival, waiting_until, warm, horizon),
        "available": sum(r.available_min for r in records) + extra,
        "overtime": overtime,
        "staff": float(sum(r.staff for r in records)),
    }


def station_finish(s: dict[str, float], warm: float, horizon: float) -> Metrics:
    span = horizon - warm
    weeks = span / (7.0 * DAY)
    available, staff, overtime = s["available"], s["staff"], s["overtime"]
    return {
        **{k: s[k] for k in COUNTS},
        "utilisation": s["busy"] / available if available > 0 else float("nan"),
        "queue_mean": s["queue"] / span if span > 0 else float("nan"),
        "overtime_h": overtime / 60.0,
        "overtime_h_per_worker_week": (
            overtime / 60.0 / staff / weeks if staff > 0 and weeks > 0 else float("nan")
        ),
    }


COUNTS = ("arrivals", "completed", "abandoned", "sent_home", "carried_in", "in_system_at_end")


def station_counts(records: Sequence[StationRecord], warm: float, horizon: float) -> Metrics:
    """Counts, utilisation, queue and overtime of one or more stations (pooled)."""
    return station_finish(station_sums(records, warm, horizon), warm, horizon)


def _prefixed(prefix: str, sums: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}{k}": v for k, v in sums.items()}


def _unprefixed(prefix: str, sums: dict[str, float]) -> dict[str, float]:
    return {k[len(prefix) :]: v for k, v in sums.items() if k.startswith(prefix)}


def _sample_metrics(sample: Sample, prefix: str, unit: str) -> Metrics:
    p50, p90, p95 = sample.percentiles([50, 90, 95])
    return {
        f"{prefix}_mean_{unit}": sample.mean(),
        f"{prefix}_p50_{unit}": p50,
        f"{prefix}_p90_{unit}": p90,
        f"{prefix}_p95_{unit}": p95,
    }


def _ratio(total: float, n: float) -> float:
    return total / n if n else float("nan")


def window_pool(
    records: Sequence[StationRecord], warm: float, horizon: float, target: WindowTarget
) -> Pool:
    sums = station_sums(records, warm, horizon)
    arrival, start, end = _cat(records, "arrival"), _cat(records, "start"), _cat(records, "end")
    outcome = _cat(records, "outcome")
    returning = _cat(records, "returning").astype(bool)
    cohort = (arrival >= warm) & (arrival < horizon)
    served = cohort & ~np.isnan(start)
    wait = start[served] - arrival[served]
    sums["returning"] = float((cohort & returning).sum())
    done = cohort & (outcome == COMPLETED)
    sums["tis_total"] = float((end[done] - arrival[done]).sum()) if done.any() else 0.0
    sums["tis_n"] = float(done.sum())
    limit = target.max_wait_min
    met = int((wait <= limit).sum())
    missed = int((wait > limit).sum())
    missed += int((cohort & ((outcome == ABANDONED) | (outcome == SENT_HOME))).sum())
    missed += int(
        (cohort & np.isnan(start) & (outcome == IN_SYSTEM) & (horizon - arrival > limit)).sum()
    )
    sums["met"], sums["missed"] = float(met), float(missed)
    return Pool(sums, {"wait": Sample.of(wait, "min")})


def window_finish(pool: Pool, warm: float, horizon: float) -> Metrics:
    s = pool.sums
    out = station_finish(s, warm, horizon)
    out["returning"] = s["returning"]
    out.update(_sample_metrics(pool.samples["wait"], "wait", "min"))
    out["time_in_system_mean_min"] = _ratio(s["tis_total"], s["tis_n"])
    out["target_share"] = _share(int(s["met"]), int(s["missed"]))
    out["handed_on"] = 0.0
    return out


def window_metrics(
    records: Sequence[StationRecord], warm: float, horizon: float, target: WindowTarget
) -> Metrics:
    return window_finish(window_pool(records, warm, horizon, target), warm, horizon)


def _elapsed(calendar: WorkCalendar, days: str, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    if days == "working":
        return calendar.work_array(t1) - calendar.work_array(t0)
    return (t1 - t0) / DAY


def class_level(share: float, target: float, reference: float) -> float:
    """A class's share mapped so that its own ``target`` reads as ``reference`` (the grid
    target): linear on [0, target] -> [0, reference] and on [target, 1] -> [reference, 1]."""
    if share != share:
        return share
    if share <= target:
        return share * reference / target
    return reference + (share - target) * (1.0 - reference) / (1.0 - target)


def joint_level(urgent: float, ordinary: float, duty: float, target: GridTarget) -> float:
    """The community's grid level: the lower of its urgent and ordinary levels (each mapped so that
    its own target reads as ``target.share``), and below ``share`` whenever its workers cannot do
    their duties (``duty`` < 1). Meets ``share`` exactly when both classes meet their targets and
    the duties are done. ``nan`` when no outcome is known yet. With equal targets it is simply
    ``min(urgent, ordinary)``."""
    reference = target.share
    levels = [
        class_level(urgent, target.urgent_target, reference),
        class_level(ordinary, target.ordinary_target, reference),
    ]
    known = [v for v in levels if v == v]
    if duty == duty and duty < 1.0 - 1e-12:
        known.append(duty * reference)
    elif not known:
        return float("nan")
    return min(known)


def backlog(arrival: np.ndarray, close: np.ndarray, t: float) -> int:
    """Events arrived by ``t`` and not yet closed or handed on (queued, paused, in hand, or at the
    community station)."""
    return int(((arrival < t) & ~(close <= t)).sum())


def grid_pool(
    records: Sequence[GridRecord],
    warm: float,
    horizon: float,
    target: GridTarget,
    calendar: WorkCalendar,
) -> Pool:
    def cat(name: str, dtype: type = float) -> np.ndarray:
        arrays = [getattr(g, name) for g in records]
        return np.concatenate(arrays) if arrays else np.empty(0, dtype)

    arrival, urgent = cat("arrival"), cat("urgent", bool).astype(bool)
    route, close, start = cat("route", int), cat("close"), cat("team_start")
    answered, work = cat("answered"), cat("work")
    teams = [t for g in records for t in g.teams]
    stations = [g.station for g in records]
    on_call = [g.on_call for g in records if g.on_call is not None]
    sums = _prefixed("team.", station_sums(teams, warm, horizon))
    sums.update(_prefixed("station.", station_sums(stations, warm, horizon)))
    cohort = (arrival >= warm) & (arrival < horizon)
    handed = cohort & ~np.isnan(close) & ((route == STREET) | (route == ENFORCEMENT))
    closed = cohort & ~np.isnan(close) & ~((route == STREET) | (route == ENFORCEMENT))
    sums["arrivals"] = float(cohort.sum())
    sums["completed"] = float(closed.sum())
    sums["handed_on"] = float(handed.sum())
    sums["in_system_at_end"] = float((cohort & np.isnan(close)).sum())
    sums["carried_in"] = float(((arrival < warm) & ~(close < warm)).sum())
    sums["urgent_arrivals"] = float((cohort & urgent).sum())
    sums["to_station"] = float(
        sum(int(((s.kind == FROM_GRID) & (s.arrival >= warm) & (s.arrival < horizon)).sum())
            for s in stations)
    )  # fmt: skip
    started = cohort & ~np.isnan(start)
    response = answered - arrival
    on_site = cohort & urgent & ~np.isnan(answered)
    finished = cohort & ~np.isnan(close)
    sums["tis_total"] = float((close - arrival)[finished].sum()) if finished.any() else 0.0
    sums["tis_n"] = float(finished.sum())

    # urgent: a worker on site within the limit, on the calendar clock
    urgent_limit = target.urgent_response_h * 60.0
    u = cohort & urgent
    u_met = int((on_site & (response <= urgent_limit)).sum())
    u_missed = int((on_site & (response > urgent_limit)).sum())
    u_missed += int((u & np.isnan(answered) & (horizon - arrival > urgent_limit)).sum())
    # ordinary: closed or handed on within the limit, on the target's clock
    o = cohort & ~urgent
    took = _elapsed(calendar, target.days, arrival, np.where(np.isnan(close), horizon, close))
    limit = target.ordinary_close_days
    o_met = int((o & ~np.isnan(close) & (took <= limit)).sum())
    o_missed = int((o & ~np.isnan(close) & (took > limit)).sum())
    o_missed += int((o & np.isnan(close) & (took > limit)).sum())
    sums["u_met"], sums["u_missed"] = float(u_met), float(u_missed)
    sums["o_met"], sums["o_missed"] = float(o_met), float(o_missed)
    sums["need"] = float(sum(g.duty_workers for g in records))
    sums["done"] = float(sum(min(g.duty_workers, g.duty_available) for g in records))
    sums["event_staff"] = float(sum(g.event_staff for g in records))
    sums["grid_staff"] = float(sum(g.workers for g in records))
    # whether the backlog grows: events open at the end of the warm-up and at the horizon, and
    # the work offered over the on-duty time (including overtime) the team had
    sums["backlog_start"] = float(backlog(arrival, close, warm))
    sums["backlog_end"] = float(backlog(arrival, close, horizon))
    extra, _ = _extra(teams, warm, horizon)
    sums["capacity"] = sum(t.available_min for t in teams) + extra
    sums["offered"] = float(work[cohort].sum())
    sums["on_call"] = _worked(on_call, warm, horizon)
    return Pool(
        sums,
        {
            "wait": Sample.of(start[started] - arrival[started], "min"),
            "urgent_response": Sample.of(response[on_site], "min"),
            "ordinary_close": Sample.of(took[o & ~np.isnan(close)], "days"),
        },
    )


def grid_finish(
    pool: Pool, warm: float, horizon: float, target: GridTarget, calendar: WorkCalendar
) -> Metrics:
    s = pool.sums
    team, station = _unprefixed("team.", s), _unprefixed("station.", s)
    out = station_finish(team, warm, horizon)
    station_out = station_finish(station, warm, horizon)
    for k in ("arrivals", "completed", "handed_on"):
        out[k] = s[k]
    out["abandoned"] = out["sent_home"] = 0.0
    for k in ("in_system_at_end", "carried_in", "urgent_arrivals", "to_station"):
        out[k] = s[k]
    out.update(_sample_metrics(pool.samples["wait"], "wait", "min"))
    out.update(_sample_metrics(pool.samples["urgent_response"], "urgent_response", "min"))
    out["time_in_system_mean_h"] = (
        s["tis_total"] / s["tis_n"] / 60.0 if s["tis_n"] else float("nan")
    )
    out.update(_sample_metrics(pool.samples["ordinary_close"], "ordinary_close", "days"))
    out["urgent_target_share"] = _share(int(s["u_met"]), int(s["u_missed"]))
    out["ordinary_target_share"] = _share(int(s["o_met"]), int(s["o_missed"]))
    need = s["need"]
    out["duty_covered"] = s["done"] / need if need > 0 else 1.0
    out["target_share"] = joint_level(
        out["urgent_target_share"], out["ordinary_target_share"], out["duty_covered"], target
    )
    out["duty_workers"] = need
    out["event_staff"] = s["event_staff"]
    out["grid_staff"] = s["grid_staff"]
    out["backlog_start"] = s["backlog_start"]
    out["backlog_end"] = s["backlog_end"]
    out["backlog_growth"] = out["backlog_end"] - out["backlog_start"]
    first, last = int(np.ceil(warm / DAY - 1e-9)), int(np.ceil(horizon / DAY - 1e-9))
    out["working_days"] = float(calendar.working[first:last].sum())
    capacity, offered = s["capacity"], s["offered"]
    out["offered_load"] = (
        offered / capacity if capacity > 0 else (float("inf") if offered > 0 else float("nan"))
    )
    # overtime of the grid workers and the station's posts, per worker per week
    overtime = out["overtime_h"] + station_out["overtime_h"]
    staff = s["grid_staff"] + station["staff"]
    weeks = (horizon - warm) / (7.0 * DAY)
    out["overtime_h"] = overtime
    out["overtime_h_per_worker_week"] = (
        overtime / staff / weeks if staff > 0 and weeks > 0 else float("nan")
    )
    out["on_call_h"] = s["on_call"] / 60.0
    out["station_utilisation"] = station_out["utilisation"]
    out["station_queue_mean"] = station_out["queue_mean"]
    return out


def grid_metrics(
    records: Sequence[GridRecord],
    warm: float,
    horizon: float,
    target: GridTarget,
    calendar: WorkCalendar,
) -> Metrics:
    return grid_finish(grid_pool(records, warm, horizon, target, calendar), warm, horizon, target,
                       calendar)  # fmt: skip


def enforcement_pool(
    records: Sequence[StationRecord],
    warm: float,
    horizon: float,
    target: EnforcementTarget,
    calendar: WorkCalendar,
) -> Pool:
    sums = station_sums(records, warm, horizon)
    arrival, start, end = _cat(records, "arrival"), _cat(records, "start"), _cat(records, "end")
    kind = _cat(records, "kind")
    cohort = (arrival >= warm) & (arrival < horizon)
    sums["escalated"] = float((cohort & (kind == 1)).sum())
    started = cohort & ~np.isnan(start)
    wait = calendar.work_array(start[started]) - calendar.work_array(arrival[started])
    done = cohort & ~np.isnan(end)
    sums["tis_total"] = (
        float((calendar.work_array(end[done]) - calendar.work_array(arrival[done])).sum())
        if done.any()
        else 0.0
    )
    sums["tis_n"] = float(done.sum())
    took = _elapsed(calendar, target.days, arrival, np.where(np.isnan(end), horizon, end))
    sums["met"] = float(int((done & (took <= target.close_days)).sum()))
    sums["missed"] = float(int((cohort & (took > target.close_days)).sum()))
    return Pool(sums, {"wait": Sample.of(wait, "days")})


def enforcement_finish(pool: Pool, warm: float, horizon: float) -> Metrics:
    s = pool.sums
    out = station_finish(s, warm, horizon)
    out["escalated"] = s["escalated"]
    out.update(_sample_metrics(pool.samples["wait"], "wait", "days"))
    out["time_in_system_mean_days"] = _ratio(s["tis_total"], s["tis_n"])
    out["target_share"] = _share(int(s["met"]), int(s["missed"]))
    out["handed_on"] = 0.0
    return out


def enforcement_metrics(
    records: Sequence[StationRecord],
    warm: float,
    horizon: float,
    target: EnforcementTarget,
    calendar: WorkCalendar,
) -> Metrics:
    return enforcement_finish(
        enforcement_pool(records, warm, horizon, target, calendar), warm, horizon
    )


# --- times against targets (for charts): the same cohort and outcomes as the shares above ---------


def window_times(
    records: Sequence[StationRecord], warm: float, horizon: float, limit: float
) -> np.ndarray:
    """Each window visit of the cohort whose outcome against ``limit`` is known, as its wait in
    minutes; ``inf`` for one who gave up or was sent home, or still waited past ``limit`` at the
    horizon. The share at or below ``limit`` is :func:`window_metrics`' ``target_share``."""
    arrival, start = _cat(records, "arrival"), _cat(records, "start")
    outcome = _cat(records, "outcome")
    cohort = (arrival >= warm) & (arrival < horizon)
    served = cohort & ~np.isnan(start)
    left = cohort & ((outcome == ABANDONED) | (outcome == SENT_HOME))
    waiting = cohort & np.isnan(start) & (outcome == IN_SYSTEM) & (horizon - arrival > limit)
    return np.concatenate(
        [start[served] - arrival[served], np.full(int(left.sum() + waiting.sum()), np.inf)]
    )


def grid_times(
    records: Sequence[GridRecord],
    warm: float,
    horizon: float,
    target: GridTarget,
    calendar: WorkCalendar,
) -> tuple[np.ndarray, np.ndarray]:
    """(urgent response in minutes, ordinary closing in the target's days), each event whose
    outcome is known; ``inf`` for one still open past its limit at the horizon. The shares within
    the limits are :func:`grid_metrics`' ``urgent_target_share`` and ``ordinary_target_share``."""

    def cat(name: str, dtype: type = float) -> np.ndarray:
        arrays = [getattr(g, name) for g in records]
        return np.concatenate(arrays) if arrays else np.empty(0, dtype)

    arrival, urgent = cat("arrival"), cat("urgent", bool).astype(bool)
    close, answered = cat("close"), cat("answered")
    cohort = (arrival >= warm) & (arrival < horizon)
    u = cohort & urgent
    urgent_limit = target.urgent_response_h * 60.0
    on_site = u & ~np.isnan(answered)
    late = u & np.isnan(answered) & (horizon - arrival > urgent_limit)
    urgent_times = np.concatenate([(answered - arrival)[on_site], np.full(int(late.sum()), np.inf)])
    o = cohort & ~urgent
    took = _elapsed(calendar, target.days, arrival, np.where(np.isnan(close), horizon, close))
    closed = o & ~np.isnan(close)
    still = o & np.isnan(close) & (took > target.ordinary_close_days)
    ordinary_times = np.concatenate([took[closed], np.full(int(still.sum()), np.inf)])
    return urgent_times, ordinary_times


def enforcement_times(
    records: Sequence[StationRecord],
    warm: float,
    horizon: float,
    target: EnforcementTarget,
    calendar: WorkCalendar,
) -> np.ndarray:
    """Each case of the cohort whose outcome is known, as its days to close on the target's clock;
    ``inf`` for one still open past the limit. The share within is :func:`enforcement_metrics`'
    ``target_share``."""
    arrival, end = _cat(records, "arrival"), _cat(records, "end")
    cohort = (arrival >= warm) & (arrival < horizon)
    took = _elapsed(calendar, target.days, arrival, np.where(np.isnan(end), horizon, end))
    done = cohort & ~np.isnan(end)
    still = cohort & np.isnan(end) & (took > target.close_days)
    return np.concatenate([took[done], np.full(int(still.sum()), np.inf)])
