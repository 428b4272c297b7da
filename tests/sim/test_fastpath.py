"""The vectorised fast path (``sim.fastpath``) against the SimPy engine and independent truths.

Same path, no tolerance: fed the engine's own arrival, service and patience times, the fast path's
per-resident start times equal the SimPy window station's to 1e-9, on a 24-hour M/M/c and on a
working calendar with lunch, overtime after closing and abandonment; it also equals the plain-Python
recursion ``fcfs_multiserver`` of ``tests/support/analytic.py`` on many small random cases that
stress breaks, closures, backlogs through the night and ties. Vectorising over replications,
splitting rows at closures and stacking staffing levels change nothing. Statistically, the fast
path agrees with the engine on a full station run with independent seeds, and with Erlang C on a
24-hour M/M/c.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from support.analytic import (
    bonferroni_tolerance,
    fcfs_multiserver,
    kiefer_wolfowitz,
    mmc,
    student_t_ci,
)

from jiedao.scenarios.textbook import base_data, build, queue_scenario
from jiedao.sim import fastpath
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.fastpath import (
    calendar_intervals,
    fcfs_waits,
    unqualified,
    window_curve,
    window_station_inputs,
)
from jiedao.sim.model import CALENDAR_SLACK_DAYS, simulate_street
from jiedao.sim.monitor import window_metrics
from jiedao.sim.station import ABANDONED, COMPLETED, IN_SYSTEM


def calendar_scenario(windows: int = 2, rate: float = 110.0, returns: float = 0.0, **window):
    """One street open 08:30-17:00 with lunch 12:00-13:30, Mon-Fri; 1,000 households."""
    data = base_data()
    demand = data["demand"]["window"]
    demand["rate_per_1000_households_per_day"] = rate
    demand["hour_profile"] = [0] * 8 + [1.2, 1.6, 1.5, 1.0, 0, 0.8, 1.0, 0.9, 0.6] + [0] * 7
    demand["categories"]["all"]["service_min"] = {"dist": "lognormal", "mean": 8.0, "cv": 0.8}
    demand["patience_min"] = {"dist": "lognormal", "mean": 40.0, "cv": 0.5}
    demand["return_share"] = returns
    demand["at_closing"] = "overtime"
    demand.update(window)
    data["defaults"]["street"]["windows"] = windows
    return build(data)


def hm(day: int, clock: str) -> float:
    h, m = clock.split(":")
    return day * DAY + int(h) * 60 + int(m)


# --- same path as the SimPy engine ---------------------------------------------------------------


def test_mmc_24h_equals_simpy():
    scenario = queue_scenario(lam=2.7, c=3)
    w = simulate_street(scenario, "d/s", 0, 5, 3, 1, streams=("window",)).windows[0]
    assert len(w.arrival) > 10_000
    out = fcfs_waits(w.arrival[None], w.service[None], 3)
    started = ~np.isnan(w.start)
    assert started.sum() > len(started) - 50
    np.testing.assert_allclose(out["start"][0][started], w.start[started], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        out["wait"][0], kiefer_wolfowitz(w.arrival, w.service, 3), rtol=0, atol=1e-9
    )
    assert out["served"].all() and not out["abandoned"].any()


@pytest.mark.parametrize("windows", [1, 2, 4])
def test_calendar_station_equals_simpy(windows):
    """Lunch, closing with overtime and abandonment, on a loaded centre over three weeks."""
    scenario = calendar_scenario(windows=windows, rate=55.0 * windows)
    w = simulate_street(scenario, "d/s", 0, 5, 21, 1, streams=("window",)).windows[0]
    inputs = window_station_inputs(scenario, "d/s", 1, 5, 21)
    out = fcfs_waits(
        w.arrival[None], w.service[None], windows, inputs.closed, inputs.closures,
        (w.expiry - w.arrival)[None],
    )
    ended = w.outcome != IN_SYSTEM
    assert ended.sum() > 800
    assert (w.outcome == ABANDONED).sum() > 10
    np.testing.assert_array_equal(out["served"][0][ended], (w.outcome == COMPLETED)[ended])
    np.testing.assert_array_equal(out["abandoned"][0][ended], (w.outcome == ABANDONED)[ended])
    served = ended & out["served"][0]
    np.testing.assert_allclose(out["start"][0][served], w.start[served], rtol=0, atol=1e-9)
    gone = ended & out["abandoned"][0]
    np.testing.assert_allclose((w.arrival + out["wait"][0])[gone], w.left[gone], rtol=0, atol=1e-9)
    # served after closing, as the engine's overtime says
    assert out["overtime"].sum() > 0
    close = (np.floor(w.start[served] / DAY) * DAY + 1020.0)
    assert np.all(out["overtime"][0][served] == (w.start[served] >= close))


def test_inputs_are_the_engines_residents():
    scenario = calendar_scenario()
    inputs = window_station_inputs(scenario, "d/s", 3, 9, 14)
    assert inputs.servers == 2 and inputs.horizon == 14 * DAY
    for r in range(3):
        w = simulate_street(scenario, "d/s", r, 9, 14, 1, streams=("window",)).windows[0]
        n = inputs.counts[r]
        assert n == len(w.arrival)
        np.testing.assert_array_equal(inputs.arrivals[r, :n], w.arrival)
        np.testing.assert_array_equal(inputs.services[r, :n], w.service)
        np.testing.assert_array_equal(inputs.arrivals[r, :n] + inputs.patience[r, :n], w.expiry)
        assert np.all(np.isposinf(inputs.arrivals[r, n:]))


def test_calendar_intervals():
    scenario = calendar_scenario()
    inputs = window_station_inputs(scenario, "d/s", 1, 1, 7)
    assert tuple(inputs.closed[0]) == (hm(0, "12:00"), hm(0, "13:30"))
    assert tuple(inputs.closures[0]) == (hm(0, "17:00"), hm(1, "08:30"))
    assert tuple(inputs.closures[4]) == (hm(4, "17:00"), hm(7, "08:30"))  # Friday to Monday
    always = window_station_inputs(queue_scenario(lam=1.0, c=1), "d/s", 1, 1, 2)
    assert len(always.closed) == 0 and len(always.closures) == 0
    assert calendar_intervals.__doc__


def test_window_curve_equals_engine_metrics():
    """Per replication and level, the curve's figures are the engine's for the same residents."""
    scenario = calendar_scenario(windows=2, rate=120.0)
    levels = [1, 2, 3]
    curve = window_curve(scenario, "d/s", levels, 3, 4, 10, target_wait_min=20.0)
    target = scenario.targets.window.model_copy(update={"max_wait_min": 20.0})
    for i, level in enumerate(levels):
        staffed = calendar_scenario(windows=level, rate=120.0)
        for r in range(3):
            record = simulate_street(staffed, "d/s", r, 4, 10, 1, streams=("window",))
            m = window_metrics(record.windows, 0.0, 10 * DAY, target)
            assert curve["arrivals"][i, r] == m["arrivals"]
            assert curve["abandoned"][i, r] == m["abandoned"]
            assert curve["share"][i, r] == pytest.approx(m["target_share"], abs=1e-12)
            assert curve["mean_wait"][i, r] == pytest.approx(m["wait_mean_min"], abs=1e-9)
    assert np.all(np.diff(curve["share"].mean(axis=1)) > 0)  # more clerks, better service


def test_enforcement_team_on_the_working_clock():
    """Case slots are always open and durations are working days: on the working clock the team
    is a plain FCFS queue, and its starts map back to the engine's to 1e-9."""
    data = base_data()
    demand = data["demand"]["enforcement"]
    demand["direct_cases_per_street_per_month"] = 60.0
    demand["duration_days"] = {"dist": "lognormal", "mean": 5.0, "cv": 0.8}
    data["defaults"]["street"]["enforcement_officers"] = 5  # 15 case slots
    scenario = build(data)
    e = simulate_street(scenario, "d/s", 0, 4, 1, 120, streams=("enforcement",)).enforcement[0]
    calendar = WorkCalendar.build(scenario.calendar, 120 + CALENDAR_SLACK_DAYS)
    started, ended = ~np.isnan(e.start), ~np.isnan(e.end)
    assert started.sum() > 200 and (e.start - e.arrival)[started].max() > DAY  # cases queue
    # working days per case; one still running at the horizon holds its slot past it
    days = np.where(ended, calendar.work_array(e.end) - calendar.work_array(e.start), np.inf)
    arrival_w = calendar.work_array(e.arrival)
    out = fcfs_waits(arrival_w, np.where(started, days, 0.0), 15)
    start_w = out["start"][0]
    np.testing.assert_allclose(start_w[started], calendar.work_array(e.start[started]),
                               rtol=0, atol=1e-9)
    real = [a if t <= w else calendar.unwork(t)
            for a, w, t in zip(e.arrival[started], arrival_w[started], start_w[started],
                               strict=True)]
    np.testing.assert_allclose(real, e.start[started], rtol=0, atol=1e-9)


# --- exact against the independent recursion ----------------------------------------------------


def random_case(rng: np.random.Generator):
    """A few days with breaks and closures; loads from light to hopeless, ties on the grid."""
    days = int(rng.integers(1, 5))
    c = int(rng.integers(1, 5))
    n = int(rng.integers(1, 120))
    grid = rng.random() < 0.3  # times on a 5-minute grid: ties with breaks and each other
    span = days * DAY
    arrivals = np.sort(rng.random(n) * span)
    services = rng.exponential(rng.choice([5.0, 30.0, 300.0]), n)
    if grid:
        arrivals = np.sort(np.round(arrivals / 5.0) * 5.0)
        services = np.round(services / 5.0) * 5.0
    closed = []
    closures = []
    for d in range(days + 3):
        base = d * DAY
        closed.append((base + 720.0, base + 810.0))
        if rng.random() < 0.5:
            closed.append((base + 600.0, base + 615.0 + 60 * rng.random()))
        closures.append((base + 1020.0, base + DAY + 510.0))
    patience = rng.exponential(40.0, n) if rng.random() < 0.6 else None
    if patience is not None and grid:
        patience = np.round(patience / 5.0) * 5.0
    return arrivals, services, c, closed, closures, patience


@pytest.mark.parametrize("split", [True, False])
def test_random_cases_equal_recursion(split):
    rng = np.random.default_rng(2024)
    for _ in range(300):
        arrivals, services, c, closed, closures, patience = random_case(rng)
        truth = fcfs_multiserver(
            arrivals, services, c, patience=patience, closed=closed, closures=closures
        )
        out = fcfs_waits(arrivals[None], services[None], c, closed, closures,
                         None if patience is None else patience[None], split=split)
        np.testing.assert_array_equal(out["served"][0], truth.served)
        np.testing.assert_array_equal(out["abandoned"][0], truth.abandoned)
        np.testing.assert_allclose(out["start"][0], truth.starts, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out["wait"][0], truth.waits, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(out["overtime"][0], truth.overtime)


def test_backlog_through_the_night_is_carried():
    """A centre so overloaded that the overtime backlog runs into the next days' opening hours:
    the day rows that assumed empty servers are recomputed from the previous day's state."""
    rng = np.random.default_rng(5)
    days = 6
    arrivals = np.sort(rng.random(400) * DAY * days)
    arrivals = arrivals[(arrivals % DAY > 510) & (arrivals % DAY < 1020)]
    services = rng.exponential(45.0, len(arrivals))
    closed = [(d * DAY + 720.0, d * DAY + 810.0) for d in range(days + 10)]
    closures = [(d * DAY + 1020.0, (d + 1) * DAY + 510.0) for d in range(days + 10)]
    truth = fcfs_multiserver(arrivals, services, 1, closed=closed, closures=closures)
    assert truth.starts.max() > days * DAY  # the backlog outlasts the horizon
    split = fcfs_waits(arrivals[None], services[None], 1, closed, closures)
    whole = fcfs_waits(arrivals[None], services[None], 1, closed, closures, split=False)
    np.testing.assert_allclose(split["start"][0], truth.starts, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(split["start"], whole["start"])


# --- vectorisation changes nothing ---------------------------------------------------------------


def test_replications_at_once_equal_each_alone(monkeypatch):
    scenario = calendar_scenario(windows=2, rate=120.0)
    inputs = window_station_inputs(scenario, "d/s", 6, 17, 21)
    servers = np.array([1, 2, 3, 2, 2, 4])
    together = fcfs_waits(inputs.arrivals, inputs.services, servers, inputs.closed,
                          inputs.closures, inputs.patience)
    monkeypatch.setattr(fastpath, "CHUNK", 2_000)  # blocks of a replication or two
    monkeypatch.setattr(fastpath, "MIN_ROWS", 1)
    blocks_run = []
    block = fastpath._block
    monkeypatch.setattr(fastpath, "_block", lambda *a: blocks_run.append(1) or block(*a))
    blocks = fcfs_waits(inputs.arrivals, inputs.services, servers, inputs.closed,
                        inputs.closures, inputs.patience)
    assert len(blocks_run) >= 3
    for key, value in together.items():
        np.testing.assert_array_equal(blocks[key], value)
    for r in range(6):
        n = inputs.counts[r]
        alone = fcfs_waits(inputs.arrivals[r, :n], inputs.services[r, :n], int(servers[r]),
                           inputs.closed, inputs.closures, inputs.patience[r, :n], split=False)
        for key in ("start", "wait", "served", "abandoned", "overtime"):
            np.testing.assert_array_equal(together[key][r, :n], alone[key][0])
        assert not together["valid"][r, n:].any()
        assert np.isnan(together["start"][r, n:]).all()


def test_timelines():
    # lunch: 30-minute matters at 11:40, 11:45, 11:50 with one clerk start 11:40, 13:30, 14:00
    closed = [(hm(0, "12:00"), hm(0, "13:30"))]
    closures = [(hm(0, "17:00"), hm(1, "08:30"))]
    a = np.array([hm(0, "11:40"), hm(0, "11:45"), hm(0, "11:50")])
    out = fcfs_waits(a, np.full(3, 30.0), 1, closed, closures)
    assert out["start"][0].tolist() == [a[0], hm(0, "13:30"), hm(0, "14:00")]
    # closing: 20-minute matters at 16:45 and 16:50, the second served in overtime at 17:05;
    # one arriving at 17:10 (after closing) waits for the next opening
    a = np.array([hm(0, "16:45"), hm(0, "16:50"), hm(0, "17:10")])
    out = fcfs_waits(a, np.full(3, 20.0), 1, closed, closures)
    assert out["start"][0].tolist() == [a[0], hm(0, "17:05"), hm(1, "08:30")]
    assert out["overtime"][0].tolist() == [False, True, False]
    # patience: busy until 09:30; patience 20 leaves at 09:00, patience 90 starts at 09:30;
    # patience exactly to the start is served (ties go to service)
    a = np.array([hm(0, "08:30"), hm(0, "08:40"), hm(0, "08:45"), hm(0, "08:50")])
    out = fcfs_waits(a, np.array([60.0, 10.0, 10.0, 5.0]), 1, closed, closures,
                     np.array([np.inf, 20.0, 90.0, 50.0]))
    assert out["abandoned"][0].tolist() == [False, True, False, False]
    assert out["start"][0][2:].tolist() == [hm(0, "09:30"), hm(0, "09:40")]
    assert out["wait"][0][1] == 20.0


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="sorted"):
        fcfs_waits([[2.0, 1.0]], [[1.0, 1.0]], 1)
    with pytest.raises(ValueError, match="padded"):
        fcfs_waits([[np.inf, 1.0]], [[1.0, 1.0]], 1)
    with pytest.raises(ValueError, match="padded"):
        fcfs_waits([[1.0, np.nan]], [[1.0, 1.0]], 1)
    with pytest.raises(ValueError, match="finite"):
        fcfs_waits([[-np.inf, 1.0]], [[1.0, 1.0]], 1)
    with pytest.raises(ValueError, match="non-negative"):
        fcfs_waits([[0.0, 1.0]], [[1.0, -1.0]], 1)
    with pytest.raises(ValueError, match="server"):
        fcfs_waits([[1.0]], [[1.0]], 0)
    with pytest.raises(ValueError, match="overlap"):
        fcfs_waits([[1.0]], [[1.0]], 1, closures=[(0.0, 10.0), (5.0, 20.0)])
    with pytest.raises(ValueError, match="start < end"):
        fcfs_waits([[1.0]], [[1.0]], 1, closed=[(5.0, 5.0)])


def test_qualification():
    assert unqualified(calendar_scenario(), "d/s") == []
    returns = calendar_scenario(returns=0.5)
    assert any("return_share" in r for r in unqualified(returns, "d/s"))
    assert unqualified(returns, "d/s", ignore_returns=True) == []
    home = calendar_scenario(at_closing="return")
    with pytest.raises(ValueError, match="at_closing"):
        window_curve(home, "d/s", [1, 2], 2, 1, 5)
    curve = window_curve(returns, "d/s", [2], 2, 1, 5, ignore_returns=True)
    assert curve["share"].shape == (1, 2)


# --- statistics ----------------------------------------------------------------------------------


def test_statistical_agreement_with_engine_on_full_station():
    """Independent seeds: the engine's mean wait over replications and the fast path's agree
    within their combined interval (Bonferroni over the two comparisons, 1% family-wise)."""
    scenario = calendar_scenario(windows=3, rate=150.0)
    days, reps = 20, 10
    engine_wait, engine_share = [], []
    for r in range(reps):
        record = simulate_street(scenario, "d/s", r, 101, days, 1, streams=("window",))
        m = window_metrics(record.windows, 0.0, days * DAY, scenario.targets.window)
        engine_wait.append(m["wait_mean_min"])
        engine_share.append(m["target_share"])
    curve = window_curve(scenario, "d/s", [3], 64, 202, days)
    for engine, fast in ((engine_wait, curve["mean_wait"][0]), (engine_share, curve["share"][0])):
        a, b = student_t_ci(engine), student_t_ci(fast)
        se = float(np.hypot(a.std_error, b.std_error))
        z = stats.t.ppf(1 - 0.01 / 2 / 2, min(a.dof, b.dof))  # conservative dof (Welch's >= it)
        assert abs(a.mean - b.mean) <= z * se, (a.mean, b.mean, se)


@pytest.mark.parametrize(("c", "rho"), [(3, 0.8), (8, 0.9)])
def test_erlang_c(c, rho):
    """A 24-hour M/M/c: the mean wait and P(wait <= 1 service) over 64 replications."""
    lam = rho * c
    scenario = queue_scenario(lam, c)
    days = 3 if c == 3 else 2
    inputs = window_station_inputs(scenario, "d/s", 64, 31 + c, days)
    out = fcfs_waits(inputs.arrivals, inputs.services, c, patience=inputs.patience)
    theory = mmc(lam, 1.0, c)
    warm = 1440.0 * 0.25  # discard residents who arrived in the first six hours
    keep = out["valid"] & (inputs.arrivals >= warm)
    wait = np.where(keep, out["wait"], 0.0)
    means = wait.sum(axis=1) / keep.sum(axis=1)
    within = ((wait <= 1.0) & keep).sum(axis=1) / keep.sum(axis=1)
    estimate = student_t_ci(means)
    assert estimate.half_width < 0.08 * theory.mean_wait
    assert abs(estimate.mean - theory.mean_wait) <= bonferroni_tolerance(estimate, 4)
    share = student_t_ci(within)
    assert abs(share.mean - theory.wait_cdf(1.0)) <= bonferroni_tolerance(share, 4)
