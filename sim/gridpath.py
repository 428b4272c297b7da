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
feature). Its speed comes from two things: the loop is compiled, and a community's events and
代办 matters are drawn once per replication for all its staffing levels (common random numbers:
the engine redraws them at every level).

**What it refuses** (:func:`unqualified`; the caller then runs the engine): departmental grids
(several teams share one on-call worker and their hand-overs interleave; only merged grids,
多网合一, are ported), and any run when numba is not installed (``pip install 'jiedao[fast]'``:
the loop in plain Python is slower than SimPy). A run whose preallocated arrays overflow is
retried with larger ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from jiedao.scenarios.model import Community, Scenario, Street
from jiedao.sim import gridkernel as k
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import GridEvents, draw_events, grid_staff, team_capacity
from jiedao.sim.model import CALENDAR_SLACK_DAYS, GridRecord, StationRecord
from jiedao.sim.monitor import Metrics, grid_metrics
from jiedao.sim.staffing import always, day_schedule, on_duty_minutes
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


def community_inputs(
    scenario: Scenario,
    street: Street,
    community: Community,
    case_days: int,
    seed: int,
    replication: int,
    calendar: WorkCalendar | None = None,
) -> CommunityInputs:
    """The engine's draws for one community and replication (as :func:`sim.model.simulate_street`
    makes them)."""
    if calendar is None:
        calendar = WorkCalendar.build(scenario.calendar, case_days + CALENDAR_SLACK_DAYS, case_days)
    horizon = case_days * DAY
    events = draw_events(scenario, community, calendar, horizon, seed, replication)
    jobs = station_jobs(scenario, community, street, calendar, horizon, seed, replication)
    _, _, station = grid_staff(scenario, community)
    return CommunityInputs(
        community, events, jobs, calendar, horizon, station, day_schedule(calendar, station)
    )


def _schedule_arrays(
    schedules: Sequence[list[Change]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    time = np.array([c.time for s in schedules for c in s], dtype=float)
    target = np.array([c.target for s in schedules for c in s], dtype=float)
    closing = np.array([c.closing for s in schedules for c in s], dtype=bool)
    ends = np.cumsum([len(s) for s in schedules]).astype(np.int64)
    firsts = (ends - np.array([len(s) for s in schedules])).astype(np.int64)
    return time, target, closing, firsts, ends


def _run(
    inputs: CommunityInputs,
    team_schedule: list[Change],
    allowance: float,
    has_oncall: bool,
    scale: int,
    kernel: ModuleType,
) -> dict[str, np.ndarray] | None:
    """One run of the kernel with arrays ``scale`` times the usual size; None on overflow."""
    ev, cal = inputs.events, inputs.calendar
    n, m = len(ev.arrival), len(inputs.jobs[0])
    servers = max(
        [c.target for c in team_schedule] + [c.target for c in inputs.station_schedule] + [1]
    )
    cap = scale * (3 * n + m + 64)
    capp = scale * (servers + 4)
    capz = scale * (2 * n + m + 64)
    changes = len(team_schedule) + len(inputs.station_schedule)
    cape = scale * (cap // 2 + changes + 64)
    caph = scale * (2 * n + m + 4 * servers + 64)
    ch = _schedule_arrays([team_schedule, always(1), inputs.station_schedule])
    lunch = cal.lunch if cal.lunch is not None else (math.nan, math.nan)
    rf = np.empty((cap, k.NR))
    ri = np.empty((cap, k.NI), dtype=np.int64)
    q = np.empty((3, 2, cap), dtype=np.int64)
    qh = np.zeros((3, 2), dtype=np.int64)
    qt = np.zeros((3, 2), dtype=np.int64)
    pr = np.empty((3, capp), dtype=np.int64)
    pi_ = np.empty((3, capp), dtype=np.int64)
    pm = np.empty((3, capp))
    pn = np.zeros(3, dtype=np.int64)
    rr = np.empty((3, capp), dtype=np.int64)
    rt = np.empty((3, capp), dtype=np.int64)
    rs = np.empty((3, capp))
    rm = np.empty((3, capp))
    rn = np.zeros(3, dtype=np.int64)
    zr = np.empty(capz, dtype=np.int64)
    zf = np.empty(capz)
    zt = np.empty(capz)
    ex = np.empty((3, cape, 4))
    exn = np.zeros(3, dtype=np.int64)
    hf = np.empty(caph)
    hi = np.empty((caph, 4), dtype=np.int64)
    st = np.zeros((3, k.NF))
    close = np.full(n, math.nan)
    cnt = np.zeros(5, dtype=np.int64)
    kernel.run_community(
        ev.arrival.astype(float), ev.urgent.astype(bool), ev.work.astype(float),
        ev.travel.astype(float), ev.route.astype(np.int64), ev.station_service.astype(float),
        inputs.jobs[0].astype(float), inputs.jobs[1].astype(float),
        *ch, float(allowance), bool(has_oncall), float(inputs.horizon),
        cal.working.astype(bool), float(cal.open_min), float(cal.close_min), float(lunch[0]),
        float(lunch[1]), cal.lunch is not None,
        rf, ri, q, qh, qt, pr, pi_, pm, pn, rr, rt, rs, rm, rn, zr, zf, zt, ex, exn, hf, hi, st,
        close, cnt,
    )  # fmt: skip
    if cnt[k.C_ERR]:
        return None
    rows, pauses = int(cnt[k.C_ROWS]), int(cnt[k.C_PAUSES])
    return {
        "rf": rf[:rows], "ri": ri[:rows], "zr": zr[:pauses], "zf": zf[:pauses],
        "zt": zt[:pauses], "ex": ex, "exn": exn, "st": st, "close": close,
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
) -> list[Metrics] | None:
    """:func:`sim.monitor.grid_metrics` of one community in one replication at each (grid
    workers, purchased) level, its events drawn once; None where the fast path does not apply."""
    if unqualified(scenario, None if compiled else True):
        return None
    if calendar is None:
        calendar = WorkCalendar.build(scenario.calendar, case_days + CALENDAR_SLACK_DAYS, case_days)
    inputs = community_inputs(scenario, street, community, case_days, seed, replication, calendar)
    span = (case_warmup_days * DAY, case_days * DAY)
    out = []
    for workers, purchased in staffing:
        record = simulate_community(
            scenario, inputs, workers, purchased, case_warmup_days, compiled
        )
        if record is None:
            return None
        out.append(grid_metrics([record], *span, scenario.targets.grid, calendar))
    return out
