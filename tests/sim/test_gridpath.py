"""The grid fast path (``sim.gridpath``) against the SimPy engine on the same events.

Same path, no tolerance: fed the engine's own events (the same named streams), the fast path's
records (every row's start, finish, arrival on site, pause and minute beyond the schedule, for the
team, the on-call worker and the station, and each event's closing) equal the engine's to 1e-9,
and so do the curve's figures. One test per feature: urgent events first, pauses at lunch and at
closing, the overtime allowance, part-time purchased hours, the station fed by the team and by
代办 matters (a tandem), the on-call worker. Departmental grids are refused (the engine runs).
The default tests run the loop interpreted (the same source numba compiles); the compiled loop is
checked under ``slow`` (numba compiles it once, which takes a while).
"""

from __future__ import annotations

import numpy as np
import pytest

from jiedao.planning import response
from jiedao.scenarios.loader import load
from jiedao.scenarios.textbook import base_data, build
from jiedao.sim import gridkernel, gridpath
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.grids import team_capacity
from jiedao.sim.model import CALENDAR_SLACK_DAYS, GridRecord, simulate_street
from jiedao.sim.monitor import grid_metrics
from jiedao.sim.staffing import day_schedule, on_duty_minutes

FIELDS = ("arrival", "start", "end", "service", "marked", "outcome", "left", "priority", "kind",
          "origin", "pause_row", "pause_from", "pause_to", "extra_from", "extra_to",
          "extra_servers", "extra_closing")  # fmt: skip


def same(a: np.ndarray, b: np.ndarray, name: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, name
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9, equal_nan=True, err_msg=name)


def same_path(scenario, workers: float, purchased: float, days: int, warm: int = 0,
              compiled: bool = False) -> tuple[GridRecord, GridRecord]:  # fmt: skip
    """The engine's and the fast path's record of the first community, asserted equal."""
    street = next(scenario.streets())
    community = street.communities[0]
    engine = simulate_street(
        scenario, street.id, 0, 11, 1, days, 0, warm, streams=("grid",),
        grid_workers={community.id: (workers, purchased)},
    ).grids[0]  # fmt: skip
    inputs = gridpath.community_inputs(scenario, street, community, days, 11, 0)
    fast = gridpath.simulate_community(scenario, inputs, workers, purchased, warm, compiled)
    assert fast is not None
    for name in ("close", "team_start", "answered", "arrival", "work"):
        same(getattr(engine, name), getattr(fast, name), name)
    pairs = [(engine.teams[0], fast.teams[0], "team"), (engine.station, fast.station, "station")]
    assert (engine.on_call is None) == (fast.on_call is None)
    if engine.on_call is not None:
        pairs.append((engine.on_call, fast.on_call, "on-call"))
    for e, f, who in pairs:
        for name in FIELDS:
            same(getattr(e, name), getattr(f, name), f"{who}.{name}")
        assert e.available_min == pytest.approx(f.available_min, abs=1e-9)
        assert e.overtime_min == pytest.approx(f.overtime_min, abs=1e-9)
        assert e.staff == f.staff
    calendar = WorkCalendar.build(scenario.calendar, days + CALENDAR_SLACK_DAYS)
    span = (warm * DAY, days * DAY)
    m_engine = grid_metrics([engine], *span, scenario.targets.grid, calendar)
    m_fast = grid_metrics([fast], *span, scenario.targets.grid, calendar)
    for key in response.KEPT:
        assert m_fast[key] == pytest.approx(m_engine[key], abs=1e-9, nan_ok=True), key
    # the lean path of the curves (figures straight from the loop) gives the same figures
    lean = gridpath.curve_figures(scenario, inputs, workers, purchased, warm, None, compiled)
    assert lean is not None and set(lean) == set(response.KEPT)
    for key in response.KEPT:
        assert lean[key] == pytest.approx(float(m_engine[key]), abs=1e-9, nan_ok=True), key
    return engine, fast


def loaded(after_hours: str = "next_opening", allowance_h: float = 0.5, **grid) -> dict:
    """One community of 1,000 households whose team is busy: 3 grid workers from 5 serving posts
    (1 station post), events with travel and long handling, some urgent, Mon-Fri 08:30-17:00
    with lunch 12:00-13:30."""
    data = base_data()
    g = data["demand"]["grid"]
    g.update(
        events_per_grid_per_month=260.0,
        urgent_share=0.3,
        patrol_share=0.2,
        travel_min={"dist": "lognormal", "mean": 15.0, "cv": 0.5},
        handling_min={"dist": "lognormal", "mean": 55.0, "cv": 1.0},
        station_handling_min={"dist": "lognormal", "mean": 40.0, "cv": 0.6},
        urgent_after_hours=after_hours,
    )
    g.update(grid)
    data["overtime"] = {"grid_h_per_worker_day": allowance_h}
    data["defaults"]["community"]["posts"] = 5
    return data


@pytest.mark.parametrize("staff", [0.0, 0.4, 1.0, 2.6, 7.25])
def test_schedules_as_arrays_equal_day_schedule(staff):
    scenario = load("liaoyuan")
    calendar = WorkCalendar.build(scenario.calendar, 60 + CALENDAR_SLACK_DAYS, 60)
    changes = day_schedule(calendar, staff)
    time, target, closing = gridpath.schedule_arrays(calendar, staff)
    assert time.tolist() == [c.time for c in changes]
    assert target.tolist() == [c.target for c in changes]
    assert closing.tolist() == [c.closing for c in changes]
    assert gridpath.available_minutes(time, target, 7 * DAY, 60 * DAY) == pytest.approx(
        on_duty_minutes(changes, 7 * DAY, 60 * DAY), rel=1e-12
    )


def test_urgent_events_go_first():
    scenario = build(loaded())
    engine, fast = same_path(scenario, 2.0, 0.0, 15)
    team = fast.teams[0]
    # priority was exercised: some ordinary event waited while a later urgent one started first
    urgent = team.priority == 0
    overtaken = [
        i for i in np.flatnonzero(~urgent)
        if np.any(urgent & (team.arrival > team.arrival[i]) & (team.start < team.start[i]))
    ]  # fmt: skip
    assert len(overtaken) > 5


def test_jobs_pause_at_lunch_and_at_closing_plus_the_allowance():
    scenario = build(loaded(allowance_h=0.5))
    _, fast = same_path(scenario, 2.0, 0.0, 15)
    team = fast.teams[0]
    clock = team.pause_from % DAY
    assert np.any(np.isclose(clock, 12 * 60)) and np.any(np.isclose(clock, 17 * 60 + 30))
    resumed = team.pause_to[~np.isnan(team.pause_to)] % DAY
    assert np.all(np.isclose(resumed, 8.5 * 60) | np.isclose(resumed, 13.5 * 60))


@pytest.mark.parametrize("allowance_h", [0.0, 1.0])
def test_the_overtime_allowance(allowance_h):
    scenario = build(loaded(allowance_h=allowance_h))
    _, fast = same_path(scenario, 2.0, 0.0, 15)
    overtime = fast.teams[0].overtime_min + fast.station.overtime_min
    assert (overtime > 0) == (allowance_h > 0)


def test_purchased_part_time_hours():
    # 1.6 purchased staff-equivalents: one more server on about 60% of working days
    scenario = build(loaded())
    same_path(scenario, 2.0, 1.6, 15)
    capacity = team_capacity(scenario, next(scenario.communities()), 2.0, 1.6)
    assert capacity.event_staff == pytest.approx(3.6)


def test_the_station_takes_events_handed_down_and_daiban_matters():
    # a tandem: half the events go on to the station after the grid worker; Liaoyuan's stations
    # also do window matters on residents' behalf (代办)
    scenario = build(loaded(routing={"grid": 0.4, "community": 0.5, "street": 0.1}))
    _, fast = same_path(scenario, 2.0, 0.0, 15)
    assert (fast.station.kind == 0).sum() > 50
    liaoyuan = load("liaoyuan")
    street = next(liaoyuan.streets())
    workers, purchased = response.grid_split(liaoyuan, street.communities[0], 9.0)
    _, fast = same_path(liaoyuan, workers, purchased, 9, 2)
    assert (fast.station.kind == 1).sum() > 20 and (fast.station.kind == 0).sum() > 5


def test_the_on_call_worker_off_duty():
    scenario = build(loaded(after_hours="on_call"))
    _, fast = same_path(scenario, 1.0, 0.5, 15)
    assert fast.on_call is not None and len(fast.on_call.arrival) > 10
    assert np.any(fast.on_call.outcome == 4)  # some were pulled back by the team at opening


def test_departmental_grids_are_refused_and_curves_fall_back_to_the_engine():
    data = loaded()
    data["policy"] = {"grid_mode": "departmental"}
    scenario = build(data)
    assert gridpath.unqualified(scenario, True)
    street = next(scenario.streets())
    c = street.communities[0]
    inputs = gridpath.community_inputs(scenario, street, c, 10, 11, 0)
    assert gridpath.simulate_community(scenario, inputs, 2.0, 0.0, 0, compiled=False) is None
    assert gridpath.community_levels(scenario, street, c, 0, 11, 10, 0, [(2.0, 0.0)]) is None
    # the curve task gives the engine's figures
    out = response.grid_outcomes(scenario, street.id, 0, 11, 10, 2, {c.id: (2.0, 0.0)})
    record = simulate_street(scenario, street.id, 0, 11, 1, 10, 0, 2, streams=("grid",),
                             grid_workers={c.id: (2.0, 0.0)})  # fmt: skip
    calendar = WorkCalendar.build(scenario.calendar, 10 + CALENDAR_SLACK_DAYS)
    m = grid_metrics(record.grids, 2 * DAY, 10 * DAY, scenario.targets.grid, calendar)
    assert out[c.id] == {key: pytest.approx(float(m[key]), nan_ok=True) for key in response.KEPT}


def test_without_numba_the_fast_path_is_refused():
    scenario = build(loaded())
    assert gridpath.unqualified(scenario, compiled=False) == [
        "numba is not installed (pip install 'jiedao[fast]')"
    ]
    assert gridpath.unqualified(scenario, compiled=True) == []


@pytest.mark.slow
@pytest.mark.skipif(not gridkernel.COMPILED, reason="numba is not installed")
def test_compiled_loop_equals_the_engine_on_liaoyuan_curve_levels():
    liaoyuan = load("liaoyuan")
    street = next(liaoyuan.streets())
    c = street.communities[0]
    for staff in response.staff_levels(liaoyuan, c)[::3]:
        same_path(liaoyuan, *response.grid_split(liaoyuan, c, float(staff)), 60, 14, True)


def test_measured_curves_are_the_engines(monkeypatch):
    """measure_curves on the fast path (interpreted here) gives the engine's points exactly:
    the plan's numbers do not move."""
    scenario = build(loaded(after_hours="on_call"))
    args = dict(replications=2, case_days=12, case_warmup_days=2, levels=4)
    monkeypatch.setattr(response.gridpath, "unqualified", lambda s, c=None: ["engine"])
    engine = response.measure_curves(scenario, **args)
    fast_levels = gridpath.community_levels

    def interpreted(*a, **kw):
        return fast_levels(*a, **kw, compiled=False)

    monkeypatch.setattr(response.gridpath, "unqualified", lambda s, c=None: [])
    monkeypatch.setattr(response.gridpath, "community_levels", interpreted)
    ticks: list[float] = []
    fast = response.measure_curves(scenario, **args, progress=ticks.append)
    assert fast.points == engine.points
    assert len(next(iter(fast.points.values()))) == 4
    # progress still counts curve tasks (street x level x replication), batched or not
    assert sum(ticks) == pytest.approx(sum(p.replications for p in fast.points["d/s/c"]))
