"""Grid teams on the on-duty clock: the on-call duty's timeline, overtime bounded by the allowance,
utilisation never above 100%, and duties that scale with the community."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from jiedao.scenarios.textbook import base_data, build
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.enforcement import EnforcementTeam
from jiedao.sim.grids import GRID, CommunityGrids, team_capacity
from jiedao.sim.model import CALENDAR_SLACK_DAYS, simulate_street
from jiedao.sim.monitor import grid_metrics
from jiedao.sim.station import COMPLETED, HANDED


def hm(day: int, clock: str) -> float:
    h, m = clock.split(":")
    return day * DAY + int(h) * 60 + int(m)


def grids_with(events, after_hours="on_call", days=5):
    """One community, one grid worker (no duties), and exactly these events:
    (arrival, urgent, travel, work). 2026-03-02 is a Monday: day 0."""
    data = base_data()
    data["demand"]["grid"]["urgent_after_hours"] = after_hours
    scenario = build(data)
    community = next(scenario.communities())
    street = next(scenario.streets())
    calendar = WorkCalendar.build(scenario.calendar, days + CALENDAR_SLACK_DAYS, days)
    env = simpy.Environment()
    horizon = days * DAY
    team = EnforcementTeam(env, scenario, street, calendar, horizon, 1, 0)
    g = CommunityGrids(env, scenario, community, calendar, horizon, 1, 0, team, 1.0, None, 0.0)
    n = len(events)
    g.arrivals = np.array([e[0] for e in events])
    g.urgent = np.array([e[1] for e in events])
    g.travel = np.array([float(e[2]) for e in events])
    g.work = np.array([float(e[3]) for e in events])
    g.handling = g.work - g.travel
    g.route = np.full(n, GRID)
    g.station_service = np.zeros(n)
    g.department = np.zeros(n, dtype=np.int64)
    g.case_days = np.zeros(n)
    g.case_department = np.zeros(n, dtype=np.int64)
    g.close = np.full(n, math.nan)
    env.run(until=horizon)
    return g


EVENTS = [
    (hm(0, "16:00"), False, 0, 120),  # O1: in hand at 17:00, 60 minutes left
    (hm(0, "16:50"), True, 15, 45),  # U1: waiting at 17:00
    (hm(0, "16:55"), True, 10, 20),  # U2: waiting at 17:00
    (hm(1, "11:30"), False, 0, 60),  # O2: in hand at 12:00, 30 minutes left
    (hm(1, "11:40"), True, 10, 200),  # U3: waiting at 12:00
    (hm(1, "11:45"), True, 5, 10),  # U4: waiting at 12:00
]


def test_on_call_duty_answers_urgent_events_off_duty():
    g = grids_with(EVENTS)
    start, answered = g.event_times()
    # 17:00: the team goes off duty; U1 and U2 go to the on-call worker, in order
    assert answered[1] == hm(0, "17:15") and g.close[1] == hm(0, "17:45")
    assert start[2] == hm(0, "17:45") and answered[2] == hm(0, "17:55")
    # O1 resumes at 08:30 the next working day
    assert g.close[0] == hm(1, "09:30")
    # lunch: U3 and U4 go to the on-call worker, who takes U3 (until 15:20); at 13:30 U4, not
    # started, goes back to the team, whose worker first finishes O2 (14:00)
    assert answered[4] == hm(1, "12:10") and g.close[4] == hm(1, "15:20")
    assert g.close[3] == hm(1, "14:00")
    assert start[5] == hm(1, "14:00") and answered[5] == hm(1, "14:05")
    assert g.close[5] == hm(1, "14:10")
    team = g.tables[0]
    u4 = [i for i, o in enumerate(team.origin) if o == 5]
    assert [team.outcome[i] for i in u4] == [HANDED, COMPLETED]
    on_call = g.on_call_table
    u4 = [i for i, o in enumerate(on_call.origin) if o == 5]
    assert [on_call.outcome[i] for i in u4] == [HANDED]


def test_without_on_call_urgent_events_wait_for_the_next_opening():
    g = grids_with(EVENTS[:3], after_hours="next_opening")
    start, answered = g.event_times()
    # the paused O1 goes first at 08:30 (work in hand is never put aside), then U1, then U2
    assert g.close[0] == hm(1, "09:30")
    assert start[1] == hm(1, "09:30") and answered[1] == hm(1, "09:45")
    assert start[2] == hm(1, "10:15")
    assert g.on_call is None


def test_a_job_in_travel_at_closing_goes_on_call_with_the_travel_left():
    # U starts 16:52 with 15 minutes of travel: at 17:00 the worker is 8 minutes out; the on-call
    # worker takes the rest and is on site at 17:07
    g = grids_with([(hm(0, "16:52"), True, 15, 30)])
    _, answered = g.event_times()
    assert answered[0] == hm(0, "17:07") and g.close[0] == hm(0, "17:22")


def _long_jobs(allowance_h: float):
    data = base_data()
    grid = data["demand"]["grid"]
    grid.update(
        events_per_grid_per_month=400.0,
        patrol_share=0.0,
        handling_min={"dist": "lognormal", "mean": 150.0, "cv": 1.0},
        travel_min={"dist": "deterministic", "value": 10.0},
    )
    data["overtime"] = {"grid_h_per_worker_day": allowance_h}
    data["defaults"]["community"]["posts"] = 7  # 2 party, 1 station, 4 grid workers
    scenario = build(data)
    record = simulate_street(scenario, "d/s", 0, 4, 1, 42, 0, 7, streams=("grid",))
    calendar = WorkCalendar.build(scenario.calendar, 42 + CALENDAR_SLACK_DAYS)
    metrics = grid_metrics(record.grids, 7 * DAY, 42 * DAY, scenario.targets.grid, calendar)
    return record.grids[0], metrics


@pytest.mark.parametrize("allowance_h", [0.0, 0.5, 1.0])
def test_overtime_is_zero_or_bounded_by_the_allowance(allowance_h):
    g, metrics = _long_jobs(allowance_h)
    team, station = g.teams[0], g.station
    closing = 17 * 60.0
    for record in (team, station):
        closing_extra = record.extra_closing
        assert np.all(closing_extra == (record.extra_from % DAY >= closing - 1e-9))
        if allowance_h == 0:
            assert len(record.extra_from) == 0 and record.overtime_min == 0
            continue
        # every minute past closing lies within the allowance after that day's 17:00
        ends = record.extra_to - (record.extra_from // DAY) * DAY
        assert np.all(ends <= closing + allowance_h * 60.0 + 1e-9)
    if allowance_h == 0:
        assert metrics["overtime_h"] == 0
    else:
        # the load binds (the jobs are long), so the allowance is used
        assert metrics["overtime_h_per_worker_week"] > 0.2 * allowance_h
        assert metrics["overtime_h_per_worker_week"] <= 5 * allowance_h + 1e-9
    assert 0.7 < metrics["utilisation"] <= 1.0


def test_duties_are_subtracted_before_events_and_grow_with_the_community():
    data = base_data()
    data["duties"] = {
        "visit_min": 30.0,
        "visits_per_household_year": 4.0,
        "patrol_min_per_grid_day": 60.0,
        "meetings_h_per_worker_week": 3.5,
    }
    scenario = build(data)
    community = next(scenario.communities())  # 1,000 households, 1 grid
    capacity = team_capacity(scenario, community, 5.0, 0.5)
    days = 365.25 / 7 * 5
    duty = (30 * 1000 * 4 / days + 60) / 420  # visits and patrol, in workers of 420 minutes
    assert capacity.duty_workers == pytest.approx(duty)
    assert capacity.meeting_share == pytest.approx(3.5 / 35)
    assert capacity.event_staff == pytest.approx(5 * 0.9 + 0.5 - duty)
    bigger = build(data, ["districts.d.streets.s.communities.c.households=3000"])
    more = team_capacity(bigger, next(bigger.communities()), 5.0, 0.5)
    assert more.duty_workers > 2 * capacity.duty_workers
    assert more.event_staff < capacity.event_staff
    # when the duties take more than the team has (workers after meetings, and purchased hours,
    # which may do duties too), nothing is left for events and the duties are only partly done
    most = build(data, ["districts.d.streets.s.communities.c.households=6000"])
    short = team_capacity(most, next(most.communities()), 5.0, 0.5)
    assert short.duty_workers > 5.0
    assert short.event_staff == 0.0
    assert short.duty_covered == pytest.approx(5.0 / short.duty_workers)
