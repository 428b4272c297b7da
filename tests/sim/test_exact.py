"""Same path, no tolerance: the engine's per-resident times against independent recursions and
hand-worked timelines with deterministic times."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import simpy
from support.analytic import fcfs_multiserver, kiefer_wolfowitz

from jiedao.scenarios.schema import Calendar
from jiedao.scenarios.textbook import base_data, build, queue_scenario
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.model import simulate_street
from jiedao.sim.staffing import day_schedule
from jiedao.sim.station import ABANDONED, COMPLETED, SENT_HOME, Station, Table

MON = 0.0  # 2026-03-02 is a Monday: day 0


def hm(day: int, clock: str) -> float:
    h, m = clock.split(":")
    return day * DAY + int(h) * 60 + int(m)


def run_station(arrivals, services, windows=1, at_closing="overtime", patience=None, days=7):
    calendar = WorkCalendar.build(Calendar(start_date=dt.date(2026, 3, 2)), days + 30)
    env = simpy.Environment()
    table = Table()
    station = Station(
        env, table, day_schedule(calendar, windows), at_closing=at_closing, priorities=1
    )
    patience = patience or [np.inf] * len(arrivals)

    def feed():
        for a, s, p in zip(arrivals, services, patience, strict=True):
            yield env.timeout(a - env.now)
            station.arrive(table.add(a, s, a + p, 0))

    env.process(feed())
    env.run(until=days * DAY)
    station.finish(days * DAY)
    return table, station


def test_mmc_waits_equal_kiefer_wolfowitz():
    scenario = queue_scenario(lam=2.7, c=3)
    record = simulate_street(scenario, "d/s", 0, 5, 3, 1, streams=("window",))
    w = record.windows[0]
    assert len(w.arrival) > 10_000
    expected = kiefer_wolfowitz(w.arrival, w.service, 3)
    started = ~np.isnan(w.start)  # those still queued at the horizon have no start yet
    assert started.sum() > len(started) - 50
    np.testing.assert_allclose((w.start - w.arrival)[started], expected[started], rtol=0, atol=1e-9)


@pytest.mark.parametrize("at_closing", ["overtime", "return"])
def test_calendar_station_equals_fcfs_recursion(at_closing):
    """Lunch, closing (overtime or sent home), reneging and returns, on the Liaoyuan calendar."""
    data = base_data()
    window = data["demand"]["window"]
    window["rate_per_1000_households_per_day"] = 110.0
    window["hour_profile"] = [0] * 8 + [1.2, 1.6, 1.5, 1.0, 0, 0.8, 1.0, 0.9, 0.6] + [0] * 7
    window["categories"]["all"]["service_min"] = {"dist": "lognormal", "mean": 8.0, "cv": 0.8}
    window["patience_min"] = {"dist": "lognormal", "mean": 40.0, "cv": 0.5}
    window["return_share"] = 0.5
    window["at_closing"] = at_closing
    data["defaults"]["street"]["windows"] = 2
    scenario = build(data)
    record = simulate_street(scenario, "d/s", 0, 1, 21, 1, streams=("window",))
    w = record.windows[0]
    order = np.argsort(w.arrival, kind="stable")
    calendar = WorkCalendar.build(scenario.calendar, 60)
    lunches = [(d * DAY + 720.0, d * DAY + 810.0) for d in calendar.working_day_indices()]
    opens = [d * DAY + 510.0 for d in calendar.working_day_indices()]
    days = calendar.working_day_indices()
    closures = [(d * DAY + 1020.0, nxt) for d, nxt in zip(days, opens[1:], strict=False)]
    truth = fcfs_multiserver(
        w.arrival[order],
        w.service[order],
        2,
        patience=(w.expiry - w.arrival)[order],
        closed=lunches,
        closures=closures,
        overtime=at_closing == "overtime",
    )
    ended = w.outcome[order] != 0
    assert ended.sum() > 1000
    assert (w.outcome[order] == ABANDONED).sum() > 10
    if at_closing == "return":
        assert (w.outcome[order] == SENT_HOME).sum() > 10
        assert w.returning.sum() > 10
    np.testing.assert_array_equal(truth.served[ended], (w.outcome[order] == COMPLETED)[ended])
    np.testing.assert_array_equal(truth.abandoned[ended], (w.outcome[order] == ABANDONED)[ended])
    np.testing.assert_array_equal(truth.sent_home[ended], (w.outcome[order] == SENT_HOME)[ended])
    served = ended & truth.served
    np.testing.assert_allclose(w.start[order][served], truth.starts[served], rtol=0, atol=1e-9)
    gone = ended & ~truth.served
    np.testing.assert_allclose(w.left[order][gone], truth.leaves[gone], rtol=0, atol=1e-9)


def test_lunch_break_timeline():
    # 30-minute matters at 11:40, 11:45, 11:50 with one clerk: the first runs into lunch and
    # finishes; nobody starts during 12:00-13:30; the others start at 13:30 and 14:00.
    a = [hm(0, "11:40"), hm(0, "11:45"), hm(0, "11:50")]
    table, _ = run_station(a, [30.0] * 3)
    assert table.start == [a[0], hm(0, "13:30"), hm(0, "14:00")]
    assert table.end == [hm(0, "12:10"), hm(0, "14:00"), hm(0, "14:30")]


def test_closing_with_overtime_timeline():
    # 20-minute matters at 16:45 and 16:50: both served, the second after closing.
    a = [hm(0, "16:45"), hm(0, "16:50")]
    table, station = run_station(a, [20.0, 20.0])
    assert table.start == [a[0], hm(0, "17:05")]
    assert table.end == [hm(0, "17:05"), hm(0, "17:25")]
    assert station.overtime_min == pytest.approx(25.0)


def test_closing_sends_home_timeline():
    # Same residents, "return" policy: the second is sent home at 17:00; the clerk in service
    # finishes at 17:05 (5 minutes overtime).
    a = [hm(0, "16:45"), hm(0, "16:50")]
    table, station = run_station(a, [20.0, 20.0], at_closing="return")
    assert table.outcome == [COMPLETED, SENT_HOME]
    assert table.left[1] == hm(0, "17:00")
    assert station.overtime_min == pytest.approx(5.0)


def test_weekend_holds_the_queue():
    # Friday 16:59 arrival with two ahead: with "hold" semantics (grid teams) the queue waits
    # over the weekend and starts Monday at opening.
    a = [hm(4, "16:30"), hm(4, "16:40"), hm(4, "16:59")]
    table, _ = run_station(a, [60.0] * 3, at_closing="hold", days=10)
    assert table.start == [a[0], hm(7, "08:30"), hm(7, "09:30")]


def test_reneging_timeline():
    # One clerk busy 08:30-09:30; a resident with 20 minutes' patience arriving 08:40 leaves at
    # 09:00; the one behind (patience 90) starts at 09:30.
    a = [hm(0, "08:30"), hm(0, "08:40"), hm(0, "08:45")]
    table, _ = run_station(a, [60.0, 10.0, 10.0], patience=[np.inf, 20.0, 90.0])
    assert table.outcome == [COMPLETED, ABANDONED, COMPLETED]
    assert table.left[1] == hm(0, "09:00")
    assert table.start[2] == hm(0, "09:30")


def test_escalation_route_timeline():
    """Every grid event escalates: its case reaches enforcement when the grid worker finishes and
    closes 5 working days after it starts, on the working clock."""
    data = base_data()
    grid = data["demand"]["grid"]
    grid["events_per_grid_per_month"] = 40.0
    grid["patrol_share"] = 0.0
    grid["travel_min"] = {"dist": "deterministic", "value": 15.0}
    grid["routing"] = {"enforcement": 1.0}
    data["defaults"]["street"]["enforcement_officers"] = 100
    scenario = build(data)
    record = simulate_street(scenario, "d/s", 0, 1, 1, 40, streams=("grid", "enforcement"))
    g = record.grids[0]
    team = g.teams[0]
    case = record.enforcement[0]
    assert len(case.arrival) == np.sum(~np.isnan(g.close)) > 20
    handed = np.sort(g.close[~np.isnan(g.close)])
    np.testing.assert_allclose(np.sort(case.arrival), handed, rtol=0, atol=1e-9)
    # on the on-duty clock a job in hand at lunch or closing pauses: worked time is end - start
    # less the pauses, and it is the job's 75 minutes
    paused = np.zeros(len(team.arrival))
    np.add.at(paused, team.pause_row, team.pause_to - team.pause_from)
    done = ~np.isnan(team.end)
    assert (paused[done] > 0).sum() > 2
    np.testing.assert_allclose(
        team.end[done] - team.start[done] - paused[done], 75.0, rtol=0, atol=1e-9
    )
    calendar = WorkCalendar.build(scenario.calendar, 500)
    done = ~np.isnan(case.end)
    for start, end in zip(case.start[done], case.end[done], strict=True):
        assert calendar.work(end) - calendar.work(start) == pytest.approx(5.0, abs=1e-9)
        assert calendar.add_working_days(start, 5.0) == pytest.approx(end, abs=1e-9)


def test_peak_shift_timeline():
    # One clerk, two from 09:00 to 11:00 (a peak shift). 60-minute matters at 08:40, 08:50,
    # 08:55: the second starts when the shift begins, the third when the first clerk is free.
    from jiedao.scenarios.schema import Shift

    calendar = WorkCalendar.build(Calendar(start_date=dt.date(2026, 3, 2)), 10)
    env = simpy.Environment()
    table = Table()
    shifts = [Shift(start="09:00", end="11:00", windows=2)]
    station = Station(env, table, day_schedule(calendar, 1, shifts), priorities=1)
    a = [hm(0, "08:40"), hm(0, "08:50"), hm(0, "08:55"), hm(0, "10:30")]

    def feed():
        for t in a:
            yield env.timeout(t - env.now)
            station.arrive(table.add(t, 60.0, priority=0))

    env.process(feed())
    env.run(until=2 * DAY)
    # the 10:30 resident finds the peak clerk idle (free since 10:00) and is served at once; that
    # clerk finishes at 11:30, past the shift's end, and then leaves
    assert table.start == [a[0], hm(0, "09:00"), hm(0, "09:40"), hm(0, "10:30")]
    assert table.end == [hm(0, "09:40"), hm(0, "10:00"), hm(0, "10:40"), hm(0, "11:30")]


# --- the on-duty clock: grid teams and community stations ----------------------------------------


def run_grid_team(jobs, workers=1, allowance=0.0, days=10):
    """Jobs (arrival, work, priority) at a team on the on-duty clock; Liaoyuan's calendar."""
    calendar = WorkCalendar.build(Calendar(start_date=dt.date(2026, 3, 2)), days + 30)
    env = simpy.Environment()
    table = Table()
    station = Station(
        env, table, day_schedule(calendar, workers), at_break="pause", allowance_min=allowance
    )

    def feed():
        for a, work, priority in jobs:
            yield env.timeout(a - env.now)
            station.arrive(table.add(a, work, priority=priority, mark=10.0))

    env.process(feed())
    env.run(until=days * DAY)
    station.finish(days * DAY)
    return table, station


def test_job_in_hand_at_closing_resumes_next_working_day():
    # 150 minutes from 16:00, closing 17:00, no overtime allowed: 60 minutes today, the other 90
    # from 08:30 the next working day, done at 10:00; nothing counts as overtime
    table, station = run_grid_team([(hm(0, "16:00"), 150.0, 1)])
    assert table.start == [hm(0, "16:00")]
    assert table.end == [hm(1, "10:00")]
    assert table.pause_from == [hm(0, "17:00")] and table.pause_to == [hm(1, "08:30")]
    assert station.overtime_min == 0.0 and station.extra == []
    # arrival on site after its 10 minutes of travel
    assert table.marked == [hm(0, "16:10")]


def test_job_in_hand_at_lunch_resumes_at_half_past_one():
    # 150 minutes from 11:00: 60 before lunch, lunch 12:00-13:30 is not on duty, done at 15:00
    table, _ = run_grid_team([(hm(0, "11:00"), 150.0, 1)])
    assert table.end == [hm(0, "15:00")]
    assert table.pause_from == [hm(0, "12:00")] and table.pause_to == [hm(0, "13:30")]


def test_friday_job_resumes_on_monday_and_travel_paused_too():
    # 20 minutes from 16:55 on a Friday: 5 minutes (of its 10 of travel) on Friday, the rest on
    # Monday from 08:30: on site at 08:35, done at 08:45
    table, _ = run_grid_team([(hm(4, "16:55"), 20.0, 1)])
    assert table.end == [hm(7, "08:45")]
    assert table.marked == [hm(7, "08:35")]


def test_overtime_allowance_bounds_the_job_in_hand():
    # half an hour allowed: 16:00-17:30 (30 minutes overtime), then 60 minutes from 08:30
    table, station = run_grid_team([(hm(0, "16:00"), 150.0, 1)], allowance=30.0)
    assert table.end == [hm(1, "09:30")]
    assert station.overtime_min == pytest.approx(30.0)
    assert station.extra == [(hm(0, "17:00"), hm(0, "17:30"), 1, True)]
    # a job that ends within the allowance is simply finished: 16:30 + 45 = 17:15
    table, station = run_grid_team([(hm(0, "16:30"), 45.0, 1)], allowance=30.0)
    assert table.end == [hm(0, "17:15")] and table.pause_row == []
    assert station.overtime_min == pytest.approx(15.0)


def test_paused_work_resumes_before_the_queue_and_urgent_goes_first():
    # two workers; at 16:30 both busy (long jobs), an ordinary job queued at 16:40 and an urgent
    # one at 16:50. Next morning the paused jobs resume first (08:30), the urgent one takes the
    # first free worker, the ordinary one the next
    jobs = [
        (hm(0, "16:00"), 90.0, 1),  # 60 today, 30 tomorrow: free at 09:00
        (hm(0, "16:30"), 60.0, 1),  # 30 today, 30 tomorrow: free at 09:00
        (hm(0, "16:40"), 20.0, 1),
        (hm(0, "16:50"), 20.0, 0),
    ]
    table, _ = run_grid_team(jobs, workers=2)
    assert table.end[:2] == [hm(1, "09:00"), hm(1, "09:00")]
    assert table.start[3] == hm(1, "09:00") and table.end[3] == hm(1, "09:20")
    assert table.start[2] == hm(1, "09:00") and table.end[2] == hm(1, "09:20")


def test_window_overtime_allowance():
    # 20-minute matters at 16:45 and 16:50, one clerk, 10 minutes of overtime allowed: the first
    # ends at 17:05, the second would end at 17:25 > 17:10 and is sent home at 17:10
    calendar = WorkCalendar.build(Calendar(start_date=dt.date(2026, 3, 2)), 30)
    env = simpy.Environment()
    table = Table()
    station = Station(
        env, table, day_schedule(calendar, 1), at_closing="overtime", priorities=1,
        allowance_min=10.0,
    )  # fmt: skip
    a = [hm(0, "16:45"), hm(0, "16:50")]

    def feed():
        for t in a:
            yield env.timeout(t - env.now)
            station.arrive(table.add(t, 20.0, priority=0))

    env.process(feed())
    env.run(until=2 * DAY)
    assert table.outcome == [COMPLETED, SENT_HOME]
    assert table.end[0] == hm(0, "17:05") and table.left[1] == hm(0, "17:10")
    assert station.overtime_min == pytest.approx(5.0)
    # with none allowed, a matter that would run past 17:00 is not started
    env = simpy.Environment()
    table = Table()
    station = Station(
        env, table, day_schedule(calendar, 1), at_closing="overtime", priorities=1,
        allowance_min=0.0,
    )  # fmt: skip
    env.process(feed())
    env.run(until=2 * DAY)
    assert table.outcome == [SENT_HOME, SENT_HOME] and station.overtime_min == 0.0
