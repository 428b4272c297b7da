"""A fast path for a community's grid curve: the engine's grid team without SimPy, compiled.

What a point of a community's response curve (:mod:`planning.response`) measures is one
community's grid stream: its urgent-first team of grid workers on the on-duty clock (a job in hand
pauses at lunch and at closing plus the overtime allowance, and resumes at the next opening, before
anything queued), part-time purchased hours (one part-time server present on a share of working
days, :mod:`sim.staffing`), the on-call duty worker off duty, and the community station fed by the
events handed down and by the 代办 matters done on residents' behalf (a tandem on the same clock and
allowance). Nothing flows back into it from the street (escalations only leave it), so a community
can be run alone.

Here the same model runs as a compiled event loop (:mod:`sim.gridkernel`, numba), fed the same
events drawn from the same named streams (:func:`sim.grids.draw_events`,
:func:`sim.windows.station_jobs`) and giving the same records (:class:`sim.model.GridRecord`), so
:func:`sim.monitor.grid_metrics` gives the same figures: every start, finish, pause, arrival on site
and minute of overtime equals the engine's to 1e-9 (tests/sim/test_gridpath.py, one test per
feature). A curve takes the lean path, :func:`curve_figures`: the figures it keeps computed
straight from the loop's arrays, with the same sums as :func:`sim.monitor.grid_metrics` (equal to
1e-9: tested). Its speed comes from three things: the loop is compiled, a community's events and
代办 matters are drawn once per replication for all its staffing levels (common random numbers:
the engine redraws them at every level), and no records are built (8-10x the engine per curve:
docs/benchmarks.md).

**What it refuses** (:func:`unqualified`; the caller then runs the engine): departmental grids
(several teams share one on-call worker and their hand-overs interleave; only merged grids,
多网合一, are ported), and any run when numba is not installed (``pip install 'jiedao[fast]'``:
the loop in plain Python is slower than SimPy). A run whose preallocated arrays overflow is
retried with larger ones.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from jiedao.scenarios.model import Community, Scenario, Street
from jiedao.sim import gridkernel as k
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import GridEvents, draw_events, grid_staff, team_capacity
from jiedao.sim.model import CALENDAR_SLACK_DAYS, GridRecord, StationRecord
from jiedao.sim.monitor import (
    _elapsed,
    _extra,
    _share,
    _worked,
    backlog,
    joint_level,
)
from jiedao.sim.staffing import GOLDEN, _merge, day_schedule, on_duty_minutes
from jiedao.sim.station import Change
from jiedao.sim.windows import station_jobs


def unqualified(scenario: Scenario, compiled: bool | None = None) -> list[str]:
    """Why the scenario's grid curves need the engine (empty when the fast path applies)."""
    reasons = []
    if not (k.COMPILED if compiled is None else compiled):
        reasons.append("numba is not installed (pip install 'jiedao[fast]')")
    if scenario.policy.grid_mode != "merged":
        reasons.append("policy.grid_mode = 'departmental': only merged grids are modelled")
    return reasons


@dataclass(frozen=True)
class CommunityInputs:
    """What a community's run sees whatever its staffing: its events, its 代办 matters, the
    station's schedule and the calendar."""

    community: Community
    events: GridEvents
    jobs: tuple[np.ndarray, np.ndarray]
    calendar: WorkCalendar
    horizon: float
    station_posts: int
    station_schedule: list[Change]
    station_arrays: tuple[np.ndarray, ...]  # the station's schedule: time, target, closing


def community_inputs(
    scenario: Scenario,
    street: Street,
    community: Community,
    case_days: int,
    seed: int,
    replication: int,
    calendar: WorkCalendar | None = None,
    stream_key: str | None = None,
) -> CommunityInputs:
    """The engine's draws for one community and replication (as :func:`sim.model.simulate_street`
    makes them; ``stream_key`` names its streams as the engine's ``stream_keys`` do)."""
    if calendar is None:
        calendar = WorkCalendar.build(scenario.calendar, case_days + CALENDAR_SLACK_DAYS, case_days)
    horizon = case_days * DAY
    events = draw_events(scenario, community, calendar, horizon, seed, replication, stream_key)
    jobs = station_jobs(
        scenario, community, street, calendar, horizon, seed, replication, stream_key
    )
    _, _, station = grid_staff(scenario, community)
    schedule = day_schedule(calendar, station)
    return CommunityInputs(
        community, events, jobs, calendar, horizon, station, schedule,
        _schedule_arrays([schedule])[:3],
    )  # fmt: skip


def _schedule_arrays(
    schedules: Sequence[list[Change]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    time = np.array([c.time for s in schedules for c in s], dtype=float)
    target = np.array([c.target for s in schedules for c in s], dtype=float)
    closing = np.array([c.closing for s in schedules for c in s], dtype=bool)
    ends = np.cumsum([len(s) for s in schedules]).astype(np.int64)
    firsts = (ends - np.array([len(s) for s in schedules])).astype(np.int64)
    return time, target, closing, firsts, ends


_LOCAL = threading.local()


def _buffers(cap: int, capp: int, capz: int, cape: int, caph: int) -> tuple[np.ndarray, ...]:
    """The loop's large arrays, kept per thread and reused from run to run (fresh pages cost more
    than the loop): every entry the loop reads it has written first in the same run."""
    have = getattr(_LOCAL, "buffers", None)
    sizes = (cap, capp, capz, cape, caph)
    if have is None or any(a < b for a, b in zip(have[0], sizes, strict=True)):
        arrays = (
            np.empty((cap, k.NR)), np.empty((cap, k.NI), dtype=np.int64),
            np.empty((3, 2, cap), dtype=np.int64), np.empty((4, 3, capp), dtype=np.int64),
            np.empty((3, 3, capp)), np.empty((3, capz)), np.empty((3, cape, 4)),
            np.empty(caph), np.empty((caph, 4), dtype=np.int64),
        )  # fmt: skip
        have = (sizes, arrays)
        _LOCAL.buffers = have
    return have[1]


def _run(
    inputs: CommunityInputs,
    team_schedule: list[Change] | tuple[np.ndarray, ...],
    allowance: float,
    has_oncall: bool,
    scale: int,
    kernel: ModuleType,
) -> dict[str, np.ndarray] | None:
    """One run of the kernel with arrays ``scale`` times the usual size; None on overflow. The
    team's schedule is a list of changes or (time, target, closing) arrays."""
    ev, cal = inputs.events, inputs.calendar
    n, m = len(ev.arrival), len(inputs.jobs[0])
    team: tuple[np.ndarray, ...]
    if isinstance(team_schedule, list):
        team = _schedule_arrays([team_schedule])[:3]
    else:
        team = team_schedule
    station = inputs.station_arrays
    servers = int(max(team[1].max(initial=0), station[1].max(initial=0), 1))
    cap = scale * (3 * n + m + 64)
    capp = scale * (servers + 4)
    capz = scale * (2 * n + m + 64)
    changes = len(team[0]) + len(station[0])
    cape = scale * (cap // 2 + changes + 64)
    caph = scale * (2 * n + m + 4 * servers + 64)
    sizes = np.array([len(team[0]), 1, len(station[0])], dtype=np.int64)
    ends = np.cumsum(sizes)
    ch = (
        np.concatenate([team[0], [0.0], station[0]]),
        np.concatenate([team[1], [1.0], station[1]]),
        np.concatenate([team[2], [False], station[2]]).astype(bool),
        ends - sizes,
        ends,
    )
    lunch = cal.lunch if cal.lunch is not None else (math.nan, math.nan)
    rf, ri, q, pi, pf, z, ex, hf, hi = _buffers(cap, capp, capz, cape, caph)
    qht = np.zeros((2, 3, 2), dtype=np.int64)  # queue heads and tails
    pn = np.zeros((2, 3), dtype=np.int64)  # how many paused, in hand
    exn = np.zeros(3, dtype=np.int64)
    st = np.zeros((3, k.NF))
    close = np.full(n, math.nan)
    cnt = np.zeros(5, dtype=np.int64)
    events = np.empty((6, n))
    events[0], events[1], events[2] = ev.arrival, ev.urgent, ev.work
    events[3], events[4], events[5] = ev.travel, ev.route, ev.station_service
    jobs = np.empty((2, m))
    jobs[0], jobs[1] = inputs.jobs
    kernel.run_community(
        events, jobs, np.vstack(ch[:3]).astype(float), np.vstack(ch[3:]).astype(np.int64),
        float(allowance), bool(has_oncall), float(inputs.horizon),
        cal.working.astype(bool), float(cal.open_min), float(cal.close_min), float(lunch[0]),
        float(lunch[1]), cal.lunch is not None,
        rf, ri, q, qht, pi, pf, pn, z, ex, exn, hf, hi, st, close, cnt,
    )  # fmt: skip
    if cnt[k.C_ERR]:
        return None
    rows, pauses = int(cnt[k.C_ROWS]), int(cnt[k.C_PAUSES])
    return {
        "rf": rf[:rows].copy(), "ri": ri[:rows].copy(), "zr": z[0, :pauses].astype(np.int64),
        "zf": z[1, :pauses].copy(), "zt": z[2, :pauses].copy(),
        "ex": ex[:, : max(1, int(exn.max()))].copy(), "exn": exn, "st": st, "close": close,
    }  # fmt: skip


def _station_record(
    out: dict[str, np.ndarray], s: int, available: float, staff: float
) -> StationRecord:
    rf, ri = out["rf"], out["ri"]
    mine = ri[:, k.I_ST] == s
    local = np.cumsum(mine) - 1  # global row -> the station's own row number
    z = mine[out["zr"]] if len(out["zr"]) else np.zeros(0, dtype=bool)
    ex = out["ex"][s, : out["exn"][s]]
    n = int(mine.sum())
    return StationRecord(
        arrival=rf[mine, k.R_ARR].copy(),
        start=rf[mine, k.R_START].copy(),
        end=rf[mine, k.R_END].copy(),
        service=rf[mine, k.R_SVC].copy(),
        expiry=np.full(n, math.inf),
        outcome=ri[mine, k.I_OUT].astype(np.int8),
        left=rf[mine, k.R_LEFT].copy(),
        priority=ri[mine, k.I_PRI].astype(np.int8),
        kind=ri[mine, k.I_KIND].astype(np.int16),
        origin=ri[mine, k.I_ORIG].astype(np.int64),
        returning=np.zeros(n, dtype=bool),
        available_min=available,
        overtime_min=float(out["st"][s, k.F_OVERTIME]),
        marked=rf[mine, k.R_MARKED].copy(),
        pause_row=local[out["zr"][z]].astype(np.int64),
        pause_from=out["zf"][z].copy(),
        pause_to=out["zt"][z].copy(),
        extra_from=ex[:, 0].copy(),
        extra_to=ex[:, 1].copy(),
        extra_servers=ex[:, 2].copy(),
        extra_closing=ex[:, 3] > 0,
        staff=staff,
    )


def simulate_community(
    scenario: Scenario,
    inputs: CommunityInputs,
    workers: float,
    purchased: float,
    case_warmup_days: int,
    compiled: bool = True,
) -> GridRecord | None:
    """The community's grid record at (grid workers from posts, purchased staff-equivalents), as
    :func:`sim.model.simulate_street` records it; None where the fast path does not apply.
    ``compiled=False`` runs the same loop interpreted (slow; for small cases and tests)."""
    if unqualified(scenario, None if compiled else True):
        return None
    kernel = k if compiled else k.interpreted()
    capacity = team_capacity(scenario, inputs.community, workers, purchased)
    team_schedule = day_schedule(inputs.calendar, capacity.event_staff)
    allowance = scenario.overtime.grid_h_per_worker_day * 60.0
    has_oncall = scenario.demand.grid.urgent_after_hours == "on_call" and capacity.workers > 0
    out = None
    scale = 1
    while out is None and scale <= 64:
        out = _run(inputs, team_schedule, allowance, has_oncall, scale, kernel)
        scale *= 4
    if out is None:
        return None
    start, horizon = case_warmup_days * DAY, inputs.horizon
    team = _station_record(
        out, k.TEAM, on_duty_minutes(team_schedule, start, horizon), capacity.event_staff
    )
    on_call = _station_record(out, k.ONCALL, 0.0, 1.0) if has_oncall else None
    station = _station_record(
        out, k.STATION, on_duty_minutes(inputs.station_schedule, start, horizon),
        float(inputs.station_posts),
    )  # fmt: skip
    ev = inputs.events
    n = len(ev.arrival)
    first = np.full(n, math.nan)
    answered = np.full(n, math.nan)
    for record in [team] + ([on_call] if on_call is not None else []):
        if len(record.origin):
            np.fmin.at(first, record.origin, record.start)
            np.fmin.at(answered, record.origin, record.marked)
    return GridRecord(
        community=inputs.community.id,
        arrival=ev.arrival,
        urgent=ev.urgent,
        travel=ev.travel,
        route=ev.route,
        close=out["close"],
        team_start=first,
        teams=[team],
        station=station,
        answered=answered,
        work=ev.work,
        on_call=on_call,
        workers=capacity.staff,
        event_staff=capacity.event_staff,
        duty_workers=capacity.duty_workers,
        duty_available=capacity.workers * (1.0 - capacity.meeting_share) + capacity.purchased,
    )


def community_levels(
    scenario: Scenario,
    street: Street,
    community: Community,
    replication: int,
    seed: int,
    case_days: int,
    case_warmup_days: int,
    staffing: Sequence[tuple[float, float]],
    calendar: WorkCalendar | None = None,
    compiled: bool = True,
    stream_key: str | None = None,
) -> list[dict[str, float]] | None:
    """The curve's figures (:func:`curve_figures`) of one community in one replication at each
    (grid workers, purchased) level, its events drawn once (from streams named by
    ``stream_key`` where given); None where the fast path does not apply."""
    if unqualified(scenario, None if compiled else True):
        return None
    if calendar is None:
        calendar = WorkCalendar.build(scenario.calendar, case_days + CALENDAR_SLACK_DAYS, case_days)
    inputs = community_inputs(
        scenario, street, community, case_days, seed, replication, calendar, stream_key
    )
    station = on_duty_minutes(inputs.station_schedule, case_warmup_days * DAY, case_days * DAY)
    out = []
    for workers, purchased in staffing:
        figures = curve_figures(
            scenario, inputs, workers, purchased, case_warmup_days, station, compiled
        )
        if figures is None:
            return None
        out.append(figures)
    return out


# --- the lean path of a curve: schedules as arrays, the curve's figures straight from the loop ---


def schedule_arrays(calendar: WorkCalendar, staff: float) -> tuple[np.ndarray, ...]:
    """:func:`sim.staffing.day_schedule` as arrays (time, target, closing), built from one merged
    working day per number of servers on it (equal to it: tested)."""
    days = calendar.working_day_indices()
    if calendar.open_min <= 0.0 or calendar.close_min >= DAY or len(days) < 2:
        return _schedule_arrays([day_schedule(calendar, staff)])[:3]
    whole = math.floor(staff + 1e-9)
    fraction = staff - whole if staff - whole > 1e-9 else 0.0
    number = np.arange(len(days))
    extra = ((number + 1) * GOLDEN) % 1.0 < fraction if fraction else np.zeros(len(days), bool)
    points = {calendar.open_min}
    if calendar.lunch is not None:
        points.update(calendar.lunch)
    minutes = sorted(m for m in points if calendar.open_min <= m < calendar.close_min)

    def raw(base: int, start: float) -> list[Change]:  # one working day, as day_schedule has it
        lunch = calendar.lunch
        day = [
            Change(start + m, 0 if lunch is not None and lunch[0] <= m < lunch[1] else base)
            for m in minutes
        ]
        return day + [Change(start + calendar.close_min, 0, closing=True)]

    # a day after a closing merges the same way every time; the first follows Change(0, 0)
    after = Change(-DAY, 0, closing=True)
    patterns = [_merge([after] + raw(b, 0.0))[1:] for b in (whole, whole + 1)]
    first = _merge([Change(0.0, 0)] + raw(whole + int(extra[0]), days[0] * DAY))
    p = extra[1:].astype(np.int64)
    lens = np.array([len(patterns[0]), len(patterns[1])], dtype=np.int64)[p]
    at = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    which = np.repeat(p, lens)
    rel = np.zeros((2, max(len(patterns[0]), len(patterns[1]))))
    tgt = np.zeros((2, rel.shape[1]))
    shut = np.zeros((2, rel.shape[1]), dtype=bool)
    for b, pattern in enumerate(patterns):
        for j, c in enumerate(pattern):
            rel[b, j], tgt[b, j], shut[b, j] = c.time, c.target, c.closing
    rest = np.repeat(days[1:] * DAY, lens) + rel[which, at]
    time = np.concatenate([[c.time for c in first], rest])
    target = np.concatenate([[c.target for c in first], tgt[which, at]])
    closing = np.concatenate([[c.closing for c in first], shut[which, at]]).astype(bool)
    return time, target, closing


def available_minutes(time: np.ndarray, target: np.ndarray, start: float, end: float) -> float:
    """:func:`sim.staffing.on_duty_minutes` of a schedule given as arrays."""
    following = np.append(time[1:], math.inf)
    a, b = np.maximum(time, start), np.minimum(following, end)
    return float(np.where(b > a, target * (b - a), 0.0).sum())


def _light(out: dict[str, np.ndarray], s: int) -> StationRecord:
    """What :mod:`sim.monitor`'s time sums read of a station's record (starts, ends, pauses, time
    beyond the schedule); its other fields are left empty."""
    rf, ri = out["rf"], out["ri"]
    mine = ri[:, k.I_ST] == s
    z = mine[out["zr"]] if len(out["zr"]) else np.zeros(0, dtype=bool)
    ex = out["ex"][s, : out["exn"][s]]
    empty = np.empty(0)
    return StationRecord(
        arrival=empty, start=rf[mine, k.R_START], end=rf[mine, k.R_END], service=empty,
        expiry=empty, outcome=empty, left=empty, priority=empty, kind=empty, origin=empty,
        returning=empty, available_min=0.0, overtime_min=0.0, pause_from=out["zf"][z],
        pause_to=out["zt"][z], extra_from=ex[:, 0], extra_to=ex[:, 1], extra_servers=ex[:, 2],
        extra_closing=ex[:, 3] > 0,
    )  # fmt: skip


def curve_figures(
    scenario: Scenario,
    inputs: CommunityInputs,
    workers: float,
    purchased: float,
    case_warmup_days: int,
    station_available: float | None = None,
    compiled: bool = True,
) -> dict[str, float] | None:
    """The figures a curve keeps (:data:`planning.response.KEPT`: the joint level, the urgent and
    ordinary shares, ...) of one community at one staffing level, computed from the loop's arrays
    as :func:`sim.monitor.grid_metrics` computes them from the engine's records (equal: tested);
    None where the fast path does not apply."""
    if unqualified(scenario, None if compiled else True):
        return None
    kernel = k if compiled else k.interpreted()
    capacity = team_capacity(scenario, inputs.community, workers, purchased)
    time, target, closing = schedule_arrays(inputs.calendar, capacity.event_staff)
    allowance = scenario.overtime.grid_h_per_worker_day * 60.0
    has_oncall = scenario.demand.grid.urgent_after_hours == "on_call" and capacity.workers > 0
    out = None
    scale = 1
    while out is None and scale <= 64:
        out = _run(inputs, (time, target, closing), allowance, has_oncall, scale, kernel)
        scale *= 4
    if out is None:
        return None
    warm, horizon = case_warmup_days * DAY, inputs.horizon
    calendar, grid_target = inputs.calendar, scenario.targets.grid
    team, station, on_call = _light(out, k.TEAM), _light(out, k.STATION), _light(out, k.ONCALL)
    if station_available is None:
        station_available = on_duty_minutes(inputs.station_schedule, warm, horizon)
    team_available = available_minutes(time, target, warm, horizon)

    def usage(r: StationRecord, available: float) -> tuple[float, float, float]:
        busy = _worked([r], warm, horizon)
        extra, overtime = _extra([r], warm, horizon)
        total = available + extra
        return (busy / total if total > 0 else math.nan), overtime / 60.0, extra

    team_use, team_overtime, team_extra = usage(team, team_available)
    station_use, station_overtime, _ = usage(station, station_available)
    ev = inputs.events
    arrival, urgent, close = ev.arrival, ev.urgent.astype(bool), out["close"]
    rf, ri = out["rf"], out["ri"]
    answered = np.full(len(arrival), math.nan)
    served = ri[:, k.I_ST] != k.STATION
    if served.any():
        np.fmin.at(answered, ri[served, k.I_ORIG], rf[served, k.R_MARKED])
    cohort = (arrival >= warm) & (arrival < horizon)
    response = answered - arrival
    on_site = cohort & urgent & ~np.isnan(answered)
    urgent_limit = grid_target.urgent_response_h * 60.0
    u = cohort & urgent
    u_met = int((on_site & (response <= urgent_limit)).sum())
    u_missed = int((on_site & (response > urgent_limit)).sum())
    u_missed += int((u & np.isnan(answered) & (horizon - arrival > urgent_limit)).sum())
    o = cohort & ~urgent
    took = _elapsed(calendar, grid_target.days, arrival, np.where(np.isnan(close), horizon, close))
    limit = grid_target.ordinary_close_days
    o_met = int((o & ~np.isnan(close) & (took <= limit)).sum())
    o_missed = int((o & ~np.isnan(close) & (took > limit)).sum())
    o_missed += int((o & np.isnan(close) & (took > limit)).sum())
    urgent_share, ordinary_share = _share(u_met, u_missed), _share(o_met, o_missed)
    need = capacity.duty_workers
    available = capacity.workers * (1.0 - capacity.meeting_share) + capacity.purchased
    duty = min(need, available) / need if need > 0 else 1.0
    first, last = int(np.ceil(warm / DAY - 1e-9)), int(np.ceil(horizon / DAY - 1e-9))
    offered = float(ev.work[cohort].sum())
    capacity_min = team_available + team_extra
    overtime = team_overtime + station_overtime
    staff = capacity.staff + float(inputs.station_posts)
    weeks = (horizon - warm) / (7.0 * DAY)
    # nan for no values, as sim.monitor's quantiles give
    p90 = lambda v: float(np.percentile(v, [50, 90, 95])[1]) if len(v) else math.nan  # noqa: E731
    return {
        "target_share": joint_level(urgent_share, ordinary_share, duty, grid_target),
        "urgent_target_share": urgent_share,
        "ordinary_target_share": ordinary_share,
        "duty_covered": duty,
        "arrivals": float(cohort.sum()),
        "urgent_arrivals": float((cohort & urgent).sum()),
        "backlog_growth": float(backlog(arrival, close, horizon) - backlog(arrival, close, warm)),
        "working_days": float(calendar.working[first:last].sum()),
        "offered_load": (
            offered / capacity_min
            if capacity_min > 0
            else (math.inf if offered > 0 else math.nan)
        ),
        "utilisation": team_use,
        "overtime_h": overtime,
        "overtime_h_per_worker_week": (
            overtime / staff / weeks if staff > 0 and weeks > 0 else math.nan
        ),
        "on_call_h": _worked([on_call], warm, horizon) / 60.0 if has_oncall else 0.0,
        "urgent_response_p90_min": p90(response[on_site]),
        "ordinary_close_p90_days": p90(took[o & ~np.isnan(close)]),
        "station_utilisation": station_use,
    }
