"""The independent truths in ``tests/support/analytic.py`` are themselves right.

Each helper is checked against something computed another way: closed forms and exact rational
arithmetic for Erlang B/C, the incomplete-gamma closed form and the M/M/infinity identity for
Erlang A, a separately written event-by-event simulation and the SimPy reference models for the
Kiefer-Wolfowitz recursions, hand-worked timelines for breaks, closures and patience, and a
coverage experiment for batch means. Statistical comparisons use fixed seeds and tolerances from
Bonferroni-widened confidence intervals, so they are deterministic and principled at once.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from fractions import Fraction

import numpy as np
import pytest
from scipy import signal, special, stats

from support.analytic import (
    batch_means,
    bonferroni_alpha,
    bonferroni_tolerance,
    erlang_a,
    erlang_b,
    erlang_c,
    fcfs_multiserver,
    kiefer_wolfowitz,
    kiefer_wolfowitz_workload,
    mmc,
    student_t_ci,
)
from support.references import reference_simpy

run_mmc_reneging = reference_simpy.run_mmc_reneging
simulate_fcfs = reference_simpy.simulate_fcfs
stream = reference_simpy.stream

FAMILY_ALPHA = 0.01

# ------------------------------------------------------------------------------------------------
# Erlang B and C
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lam", "mu"), [(0.5, 1.0), (0.9, 1.0), (3.0, 4.0), (0.01, 2.0)])
def test_mm1_closed_forms(lam: float, mu: float) -> None:
    rho = lam / mu
    q = mmc(lam, mu, 1)
    assert q.p_wait == pytest.approx(rho, rel=1e-13)
    assert q.mean_wait == pytest.approx(rho / (mu - lam), rel=1e-13)
    assert q.mean_queue_length == pytest.approx(rho**2 / (1 - rho), rel=1e-13)
    assert q.mean_in_system == pytest.approx(rho / (1 - rho), rel=1e-13)
    assert q.mean_time_in_system == pytest.approx(1 / (mu - lam), rel=1e-13)
    assert q.utilisation == pytest.approx(rho)
    for t in (0.0, 0.3, 2.0, 10.0):
        assert q.wait_cdf(t) == pytest.approx(1 - rho * math.exp(-(mu - lam) * t), rel=1e-13)
    assert q.wait_cdf(-1.0) == 0.0
    assert q.wait_quantile(0.95) == pytest.approx(
        max(0.0, math.log(rho / 0.05) / (mu - lam)), rel=1e-12
    )


def test_mm2_by_hand() -> None:
    # c = 2, lam = mu = 1: a = 1, p0 = 1/3, P(wait) = 1/3, Wq = (1/3) / (2 - 1) = 1/3
    q = mmc(1.0, 1.0, 2)
    assert q.p_wait == pytest.approx(1 / 3, rel=1e-14)
    assert q.mean_wait == pytest.approx(1 / 3, rel=1e-14)
    assert q.mean_queue_length == pytest.approx(1 / 3, rel=1e-14)
    assert q.utilisation == 0.5
    # M/M/2 in general: C = 2 rho^2 / (1 + rho), Wq = rho^2 / (mu (1 - rho^2))
    for rho in (0.1, 0.5, 0.8, 0.95):
        q = mmc(2 * rho * 3.0, 3.0, 2)
        assert q.p_wait == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-13)
        assert q.mean_wait == pytest.approx(rho**2 / (3.0 * (1 - rho**2)), rel=1e-12)


def _erlang_c_exact(c: int, a: Fraction) -> Fraction:
    terms = [Fraction(1)]
    for k in range(1, c + 1):
        terms.append(terms[-1] * a / k)
    top = terms[c] * c / (c - a)
    return top / (sum(terms[:c]) + top)


def _erlang_b_exact(c: int, a: Fraction) -> Fraction:
    terms = [Fraction(1)]
    for k in range(1, c + 1):
        terms.append(terms[-1] * a / k)
    return terms[c] / sum(terms)


def test_erlang_b_and_c_textbook_values() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)  # (1/2) / (1 + 1 + 1/2)
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-14)  # 4 / (1 + 2 + 2 + 4)
    assert erlang_c(1, 0.0) == 0.0


@pytest.mark.parametrize(
    ("c", "a"),
    [
        (3, Fraction(2)),
        (5, Fraction(4)),
        (8, Fraction(36, 5)),
        (30, Fraction(27)),
        (100, Fraction(95)),
        (100, Fraction(50)),
    ],
)
def test_erlang_matches_exact_rational_arithmetic(c: int, a: Fraction) -> None:
    assert erlang_b(c, float(a)) == pytest.approx(float(_erlang_b_exact(c, a)), rel=1e-12)
    assert erlang_c(c, float(a)) == pytest.approx(float(_erlang_c_exact(c, a)), rel=1e-12)


def test_erlang_c_large_c_is_finite_and_ordered() -> None:
    # a**c and c! overflow a double long before c = 1000; the recursion does not care
    values = [erlang_c(c, 0.95 * c) for c in (10, 100, 1000, 5000)]
    assert all(0 < v < 1 for v in values)
    assert values == sorted(values, reverse=True)  # economies of scale at fixed utilisation
    q = mmc(950.0, 1.0, 1000)
    assert q.mean_queue_length == pytest.approx(950.0 * q.mean_wait)


def test_erlang_c_rejects_unstable_or_bad_input() -> None:
    with pytest.raises(ValueError, match="a < c"):
        erlang_c(2, 2.0)
    with pytest.raises(ValueError, match="integer"):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        mmc(1.0, 0.0, 2)


# ------------------------------------------------------------------------------------------------
# Erlang A
# ------------------------------------------------------------------------------------------------


def _erlang_a_closed_form(lam: float, mu: float, c: int, theta: float) -> tuple[float, float]:
    """P(wait > 0) and P(abandon) through the incomplete gamma function (Mandelbaum-Zeltyn form).

    With x = c mu / theta, y = lam / theta and A(x, y) = x e^y y^-x gamma(x, y) (the lower
    incomplete gamma): P(W > 0) = A E / (1 + (A - 1) E), E = Erlang B(c, lam/mu), and
    P(Ab) = (1 / (rho A) + 1 - 1 / rho) P(W > 0), rho = lam / (c mu).
    """
    x, y = c * mu / theta, lam / theta
    log_gamma_lower = special.gammaln(x) + math.log(special.gammainc(x, y))
    log_a = math.log(x) + y - x * math.log(y) + log_gamma_lower
    big_a = math.exp(log_a)
    e = erlang_b(c, lam / mu)
    p_wait = big_a * e / (1 + (big_a - 1) * e)
    rho = lam / (c * mu)
    return p_wait, (1 / (rho * big_a) + 1 - 1 / rho) * p_wait


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta"),
    [
        (0.8, 1.0, 1, 0.5),
        (4.0, 1.0, 5, 0.2),
        (6.0, 1.0, 5, 1.0),
        (45.0, 1.0, 50, 0.1),
        (12.0, 1.0, 10, 2.0),
        (2.7, 0.9, 3, 0.05),
    ],
)
def test_erlang_a_matches_incomplete_gamma_closed_form(
    lam: float, mu: float, c: int, theta: float
) -> None:
    q = erlang_a(lam, mu, c, theta)
    p_wait, p_abandon = _erlang_a_closed_form(lam, mu, c, theta)
    assert q.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert q.p_abandon == pytest.approx(p_abandon, rel=1e-9)
    assert q.mean_wait == pytest.approx(p_abandon / theta, rel=1e-9)
    assert q.distribution.sum() == pytest.approx(1.0, abs=1e-14)
    # flow balance: what is served equals what the busy servers complete
    assert q.throughput == pytest.approx(c * mu * q.utilisation, rel=1e-9)


@pytest.mark.parametrize(("a", "c"), [(3.0, 2), (5.0, 5), (20.0, 25)])
def test_erlang_a_with_theta_equal_mu_is_poisson(a: float, c: int) -> None:
    # every customer leaves at rate mu whether served or waiting: N is M/M/infinity, Poisson(a)
    q = erlang_a(a * 1.5, 1.5, c, 1.5)
    assert q.p_wait == pytest.approx(stats.poisson.sf(c - 1, a), rel=1e-10)
    n = np.arange(len(q.distribution))
    lq = float(np.dot(np.maximum(n - c, 0), stats.poisson.pmf(n, a)))
    assert q.mean_queue_length == pytest.approx(lq, rel=1e-10)


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.7, 1.0, 1), (4.0, 1.0, 5), (7.2, 1.0, 8)])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(lam: float, mu: float, c: int) -> None:
    exact = mmc(lam, mu, c)
    zero = erlang_a(lam, mu, c, 0.0)
    assert zero.p_wait == pytest.approx(exact.p_wait, rel=1e-12)
    assert zero.mean_wait == pytest.approx(exact.mean_wait, rel=1e-12)
    for t in (0.1, 1.0, 5.0):
        assert zero.wait_cdf(t) == pytest.approx(exact.wait_cdf(t), abs=1e-10)
        assert zero.served_within(t) == pytest.approx(exact.wait_cdf(t), abs=1e-10)
    errors = []
    for theta in (1e-2, 1e-3, 1e-4):
        q = erlang_a(lam, mu, c, theta)
        errors.append(abs(q.mean_wait - exact.mean_wait) / exact.mean_wait)
        assert q.wait_cdf(1.0) == pytest.approx(exact.wait_cdf(1.0), abs=50 * theta)
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-2


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.7, 1.0, 1), (4.0, 1.0, 5), (12.0, 1.0, 8)])
def test_erlang_a_tends_to_erlang_b_as_patience_vanishes(lam: float, mu: float, c: int) -> None:
    # with no patience at all, whoever finds every clerk busy leaves: the Erlang B loss system
    b = erlang_b(c, lam / mu)
    q = erlang_a(lam, mu, c, 1e7)
    assert q.p_abandon == pytest.approx(b, rel=1e-5)
    assert q.p_wait == pytest.approx(b, rel=1e-5)
    assert q.mean_wait < 1e-6


@pytest.mark.slow
@pytest.mark.parametrize(("lam", "mu", "c", "theta"), [(4.0, 1.0, 5, 0.5), (6.0, 1.0, 4, 0.3)])
def test_erlang_a_wait_distribution_is_consistent(
    lam: float, mu: float, c: int, theta: float
) -> None:
    q = erlang_a(lam, mu, c, theta)
    assert q.wait_cdf(0.0) == pytest.approx(1 - q.p_wait)
    grid = [0.0, 0.05, 0.5, 1.0, 3.0, 10.0]
    cdf = [q.wait_cdf(t) for t in grid]
    served = [q.served_within(t) for t in grid]
    assert cdf == sorted(cdf) and served == sorted(served)
    assert all(s <= f + 1e-15 for s, f in zip(served, cdf, strict=True))
    assert q.served_within(200.0) == pytest.approx(1 - q.p_abandon, abs=1e-10)
    assert q.wait_cdf(200.0) == pytest.approx(1.0, abs=1e-10)
    # E[W] = integral of P(W > t); E[W; served] = integral of P(served, W > t), by Gauss-Legendre
    nodes, weights = np.polynomial.legendre.leggauss(40)
    t, w = [], []
    for low, high in ((0, 1), (1, 4), (4, 15), (15, 60)):
        t.append((high - low) / 2 * nodes + (high + low) / 2)
        w.append((high - low) / 2 * weights)
    t_all, w_all = np.concatenate(t), np.concatenate(w)
    mean = float(np.dot(w_all, 1 - q.wait_cdf(t_all)))
    assert mean == pytest.approx(q.mean_wait, rel=1e-8)
    served_mean = float(np.dot(w_all, 1 - q.p_abandon - q.served_within(t_all)))
    assert served_mean / (1 - q.p_abandon) == pytest.approx(q.mean_wait_served, rel=1e-8)


# ------------------------------------------------------------------------------------------------
# Kiefer-Wolfowitz against a separate event-by-event simulation
# ------------------------------------------------------------------------------------------------


def _brute_force(
    arrivals: list[float],
    services: list[float],
    c: int,
    patience: list[float] | None = None,
    closed: list[tuple[float, float]] = (),  # type: ignore[assignment]
    closures: list[tuple[float, float]] = (),  # type: ignore[assignment]
    overtime: bool = True,
) -> tuple[list[float], list[str]]:
    """An event-list simulation with one FIFO queue and a count of idle clerks.

    Closed intervals must not overlap each other (the random cases below make sure of it).
    Returns each customer's wait and outcome ("served", "abandoned", "sent_home", "overtime").
    """
    n = len(arrivals)
    events: list[tuple[float, int, int, str, int]] = []
    sequence = 0

    def schedule(time: float, priority: int, kind: str, who: int = -1) -> None:
        nonlocal sequence
        heapq.heappush(events, (time, priority, sequence, kind, who))
        sequence += 1

    # at equal times: departures, interval ends, arrivals, interval starts, abandonments
    for i, a in enumerate(arrivals):
        schedule(a, 2, "arrive", i)
    for s, e in closed:
        schedule(s, 3, "break_start")
        schedule(e, 1, "break_end")
    for s, e in closures:
        schedule(s, 3, "close")
        schedule(e, 1, "reopen")
    idle = c
    queue: deque[int] = deque()
    on_break = False
    closed_since: float | None = None
    waits = [math.nan] * n
    outcome = [""] * n

    def start_who_can(now: float) -> None:
        nonlocal idle
        while idle and queue and not on_break:
            head = queue[0]
            if closed_since is not None and arrivals[head] >= closed_since:
                return
            queue.popleft()
            idle -= 1
            waits[head] = now - arrivals[head]
            outcome[head] = "overtime" if closed_since is not None else "served"
            schedule(now + services[head], 0, "depart", head)

    while events:
        now, _, _, kind, who = heapq.heappop(events)
        if kind == "arrive":
            queue.append(who)
            if patience is not None:
                schedule(now + patience[who], 4, "renege", who)
        elif kind == "depart":
            idle += 1
        elif kind == "renege":
            if who in queue:
                queue.remove(who)
                waits[who] = now - arrivals[who]
                outcome[who] = "abandoned"
        elif kind == "break_start":
            on_break = True
        elif kind == "break_end":
            on_break = False
        elif kind == "close":
            closed_since = now
            if not overtime:
                for waiting in queue:
                    waits[waiting] = now - arrivals[waiting]
                    outcome[waiting] = "sent_home"
                queue.clear()
        elif kind == "reopen":
            closed_since = None
        start_who_can(now)
    return waits, outcome


def _outcomes(result) -> list[str]:
    labels = []
    for i in range(len(result.waits)):
        if result.overtime[i]:
            labels.append("overtime")
        elif result.served[i]:
            labels.append("served")
        elif result.abandoned[i]:
            labels.append("abandoned")
        else:
            labels.append("sent_home")
    return labels


def _random_case(rng: np.random.Generator, n: int, c: int, load: float):
    arrivals = np.cumsum(rng.exponential(1.0, n)).tolist()
    services = rng.exponential(load * c, n).tolist()
    return arrivals, services


@pytest.mark.parametrize("c", [1, 2, 3, 7])
def test_kiefer_wolfowitz_equals_event_simulation(c: int) -> None:
    rng = np.random.default_rng(100 + c)
    for load in (0.5, 0.95, 1.3):
        arrivals, services = _random_case(rng, 3000, c, load)
        expected, _ = _brute_force(arrivals, services, c)
        np.testing.assert_allclose(kiefer_wolfowitz(arrivals, services, c), expected, atol=1e-9)
        plain = fcfs_multiserver(arrivals, services, c)
        np.testing.assert_allclose(plain.waits, expected, atol=1e-9)
        assert plain.served.all()


def test_workload_form_agrees_with_absolute_form() -> None:
    rng = np.random.default_rng(7)
    for c in (1, 4):
        arrivals, services = _random_case(rng, 5000, c, 0.9)
        np.testing.assert_allclose(
            kiefer_wolfowitz_workload(arrivals, services, c),
            kiefer_wolfowitz(arrivals, services, c),
            atol=1e-9,
        )


@pytest.mark.parametrize("c", [1, 3, 6])
def test_patience_equals_event_simulation(c: int) -> None:
    rng = np.random.default_rng(200 + c)
    for load in (0.7, 1.5):
        arrivals, services = _random_case(rng, 3000, c, load)
        patience = rng.exponential(2.0 * c, len(arrivals)).tolist()
        expected, labels = _brute_force(arrivals, services, c, patience)
        result = fcfs_multiserver(arrivals, services, c, patience=patience)
        np.testing.assert_allclose(result.waits, expected, atol=1e-9)
        assert _outcomes(result) == labels
        assert result.abandoned.any() and result.served.any()


def _day_calendar(days: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Hours: open 8:30, lunch 12:00-13:30, close 17:00, reopen 8:30 the next day."""
    lunches = [(24 * d + 12.0, 24 * d + 13.5) for d in range(days)]
    closures = [(24 * d + 17.0, 24 * (d + 1) + 8.5) for d in range(days)]
    return lunches, closures


@pytest.mark.parametrize("overtime", [True, False])
@pytest.mark.parametrize("c", [1, 2, 5])
def test_breaks_closures_and_patience_equal_event_simulation(c: int, overtime: bool) -> None:
    rng = np.random.default_rng(300 + c + 10 * overtime)
    days = 12
    lunches, closures = _day_calendar(days)
    # residents arrive around the clock (some in lunch, some after closing) to reach every rule
    rate = 0.6 * c / 0.5
    arrivals = np.cumsum(rng.exponential(1 / rate, int(rate * 24 * days))).tolist()
    services = rng.exponential(0.5, len(arrivals)).tolist()
    patience = rng.exponential(3.0, len(arrivals)).tolist()
    for use_patience in (None, patience):
        expected, labels = _brute_force(
            arrivals, services, c, use_patience, lunches, closures, overtime
        )
        result = fcfs_multiserver(
            arrivals,
            services,
            c,
            patience=use_patience,
            closed=lunches,
            closures=closures,
            overtime=overtime,
        )
        np.testing.assert_allclose(result.waits, expected, atol=1e-9)
        assert _outcomes(result) == labels
        assert result.overtime.any() if overtime else result.sent_home.any()
        started = result.starts[result.served]
        hour = np.mod(started, 24.0)
        in_lunch = (hour >= 12.0) & (hour < 13.5) & (started < 24.0 * days)
        assert not in_lunch.any()  # nobody ever starts during lunch
        assert np.all(np.diff(started) >= 0)  # first come, first served


def test_simpy_reference_equals_kiefer_wolfowitz() -> None:
    rng = np.random.default_rng(11)
    for c in (1, 3, 8):
        gaps = rng.exponential(1.0, 5000)
        services = rng.exponential(0.9 * c, 5000)
        arrivals = np.cumsum(gaps)  # sequential sums, as SimPy's clock adds the same gaps
        np.testing.assert_allclose(
            simulate_fcfs(gaps.tolist(), services.tolist(), c),
            kiefer_wolfowitz(arrivals.tolist(), services.tolist(), c),
            atol=1e-9,
            rtol=0,
        )


def test_simpy_reneging_reference_equals_patience_recursion() -> None:
    lam, mu, theta, c, n, seed = 4.0, 1.0, 0.5, 5, 5000, 3
    waits, abandoned, _ = run_mmc_reneging(lam, mu, theta, c, n, seed)
    arrivals = np.cumsum(stream(seed, "arrivals").exponential(1 / lam, n)).tolist()
    services = stream(seed, "service").exponential(1 / mu, n).tolist()
    patience = stream(seed, "patience").exponential(1 / theta, n).tolist()
    result = fcfs_multiserver(arrivals, services, c, patience=patience)
    np.testing.assert_allclose(waits, result.waits, atol=1e-9, rtol=0)
    assert (abandoned == result.abandoned).all()


# ------------------------------------------------------------------------------------------------
# Hand-worked timelines
# ------------------------------------------------------------------------------------------------


def test_lunch_break_timeline_one_clerk() -> None:
    # lunch [10, 12): a service running at 10 finishes; nobody starts before 12
    arrivals = [0.0, 1.0, 8.0, 9.0, 10.0, 14.0]
    services = [4.0, 3.0, 3.0, 1.0, 1.0, 1.0]
    r = fcfs_multiserver(arrivals, services, 1, closed=[(10.0, 12.0)])
    # 0: 0-4; 1: 4-7 (waits 3); 2: 8-11 (runs through lunch); 3: free at 11, in lunch -> 12-13;
    # 4: arrives exactly at lunch start, clerk busy until 13 -> 13-14; 5: 14-15
    np.testing.assert_array_equal(r.starts, [0.0, 4.0, 8.0, 12.0, 13.0, 14.0])
    np.testing.assert_array_equal(r.waits, [0.0, 3.0, 0.0, 3.0, 3.0, 0.0])
    np.testing.assert_array_equal(r.leaves, [4.0, 7.0, 11.0, 13.0, 14.0, 15.0])


def test_lunch_break_edges_and_two_clerks() -> None:
    # a service ending exactly at lunch start does not let the next one in; a start at exactly the
    # end of lunch is allowed; two idle clerks both start at the end of lunch
    r = fcfs_multiserver(
        [0.0, 1.0, 10.5, 11.0, 11.5, 12.0],
        [10.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        2,
        closed=[(10.0, 12.0)],
    )
    # clerk A: 0-10; clerk B: 1-2; then both idle in lunch: #2 and #3 start at 12 on A and B;
    # #4 waits for the first clerk free at 13, #5 too (13, the other clerk)
    np.testing.assert_array_equal(r.starts, [0.0, 1.0, 12.0, 12.0, 13.0, 13.0])
    r = fcfs_multiserver([0.0, 12.0], [10.0, 1.0], 1, closed=[(10.0, 12.0), (11.0, 11.5)])
    np.testing.assert_array_equal(r.starts, [0.0, 12.0])
    r = fcfs_multiserver([9.0], [1.0], 1, closed=[(10.0, 12.0)])
    assert r.starts[0] == 9.0  # started before lunch, runs into nothing


def test_closing_with_overtime_and_sent_home() -> None:
    closures = [(17.0, 32.0)]  # 17:00 until 08:00 the next morning
    arrivals = [15.0, 16.0, 16.9, 17.0, 20.0]
    services = [1.5, 1.0, 1.0, 1.0, 1.0]
    r = fcfs_multiserver(arrivals, services, 1, closures=closures)
    # 15-16.5; 16.5-17.5; #2 arrived before closing: overtime 17.5-18.5; #3 arrived at closing:
    # waits for the morning, 32-33; #4 33-34
    np.testing.assert_array_equal(r.starts, [15.0, 16.5, 17.5, 32.0, 33.0])
    np.testing.assert_array_equal(r.overtime, [False, False, True, False, False])
    assert r.served.all()
    r = fcfs_multiserver(arrivals, services, 1, closures=closures, overtime=False)
    # #1 started at 16.5 before closing and finishes; #2 still queued at 17 is sent home
    np.testing.assert_array_equal(r.sent_home, [False, False, True, False, False])
    assert r.waits[2] == pytest.approx(0.1) and r.leaves[2] == 17.0
    np.testing.assert_array_equal(r.starts[[0, 1, 3, 4]], [15.0, 16.5, 32.0, 33.0])


def test_patience_timeline() -> None:
    arrivals = [0.0, 1.0, 2.0, 3.0]
    services = [5.0, 1.0, 1.0, 1.0]
    patience = [0.0, 2.0, 3.0, 1.0]
    r = fcfs_multiserver(arrivals, services, 1, patience=patience)
    # #1 would wait 4 > 2: leaves at 3 without taking the clerk; #2 would wait 3 = patience: served
    # 5-6 (ties go to service); #3 would start at 6, wait 3 > 1: leaves at 4
    np.testing.assert_array_equal(r.served, [True, False, True, False])
    np.testing.assert_array_equal(r.waits, [0.0, 2.0, 3.0, 1.0])
    np.testing.assert_array_equal(r.leaves, [5.0, 3.0, 6.0, 4.0])


def test_patience_runs_through_lunch_and_closing() -> None:
    r = fcfs_multiserver([10.25, 10.5], [1.0, 1.0], 2, patience=[1.0, 1.5], closed=[(10.0, 12.0)])
    np.testing.assert_array_equal(r.abandoned, [True, False])  # 11.25 < 12; 12 = 12 is served
    np.testing.assert_array_equal(r.waits, [1.0, 1.5])
    # with no overtime, the earlier of patience and closing decides
    kwargs = {"closures": [(17.0, 32.0)], "overtime": False}
    r = fcfs_multiserver([16.0, 16.5, 16.6], [2.0, 1.0, 1.0], 1, patience=[9, 9, 0.2], **kwargs)
    np.testing.assert_array_equal(r.sent_home, [False, True, False])
    np.testing.assert_array_equal(r.abandoned, [False, False, True])
    np.testing.assert_allclose(r.waits, [0.0, 0.5, 0.2])


def test_recursions_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="sorted"):
        kiefer_wolfowitz([1.0, 0.5], [1.0, 1.0], 1)
    with pytest.raises(ValueError, match="length"):
        fcfs_multiserver([1.0], [1.0, 2.0], 1)
    with pytest.raises(ValueError, match="start < end"):
        fcfs_multiserver([1.0], [1.0], 1, closed=[(3.0, 2.0)])
    with pytest.raises(ValueError, match="overlap"):
        fcfs_multiserver([1.0], [1.0], 1, closures=[(1.0, 5.0), (4.0, 6.0)])


# ------------------------------------------------------------------------------------------------
# Simulated queues against the formulas (fixed seeds, Bonferroni-widened intervals)
# ------------------------------------------------------------------------------------------------

MMC_CASES = [(c, rho) for c in (1, 3, 8) for rho in (0.5, 0.8, 0.9)]


@pytest.mark.slow
def test_kiefer_wolfowitz_mmc_matches_erlang_c() -> None:
    comparisons = 2 * len(MMC_CASES)
    for index, (c, rho) in enumerate(MMC_CASES):
        rng = np.random.default_rng(1000 + index)
        n = {0.5: 200_000, 0.8: 600_000, 0.9: 2_000_000}[rho]  # CI within ~10% of the truth
        lam, mu = rho * c, 1.0
        arrivals = np.cumsum(rng.exponential(1 / lam, n)).tolist()
        services = rng.exponential(1 / mu, n).tolist()
        waits = kiefer_wolfowitz(arrivals, services, c)
        truth = mmc(lam, mu, c)
        t0 = truth.mean_wait
        checks = [(waits, truth.mean_wait, 0.15), (waits <= t0, truth.wait_cdf(t0), 0.05 / 0.7)]
        for series, expected, teeth in checks:
            est = batch_means(series, 20, warmup=n // 50)
            tol = bonferroni_tolerance(est, comparisons, FAMILY_ALPHA)
            assert abs(est.mean - expected) <= tol, (c, rho, est.mean, expected, tol)
            assert tol < teeth * expected  # the check has teeth
            assert abs(est.lag1_autocorrelation) < 0.6  # batches long enough to be independent


def test_patience_recursion_matches_erlang_a() -> None:
    cases = [(1, 0.9, 0.5), (5, 1.2, 0.2), (8, 0.8, 1.0)]
    comparisons = 4 * len(cases)
    for index, (c, rho, theta) in enumerate(cases):
        rng = np.random.default_rng(2000 + index)
        n = 150_000
        lam, mu = rho * c, 1.0
        arrivals = np.cumsum(rng.exponential(1 / lam, n)).tolist()
        services = rng.exponential(1 / mu, n).tolist()
        patience = rng.exponential(1 / theta, n).tolist()
        r = fcfs_multiserver(arrivals, services, c, patience=patience)
        truth = erlang_a(lam, mu, c, theta)
        t0 = 0.5
        checks = [
            (r.abandoned, truth.p_abandon),
            (r.waits, truth.mean_wait),
            (r.waits <= t0, truth.wait_cdf(t0)),
            (r.served & (r.waits <= t0), truth.served_within(t0)),
        ]
        for series, expected in checks:
            est = batch_means(series.astype(float), 20, warmup=n // 50)
            tol = bonferroni_tolerance(est, comparisons, FAMILY_ALPHA)
            assert abs(est.mean - expected) <= tol, (c, rho, theta, est.mean, expected, tol)


def test_ciw_mmc_matches_erlang_c() -> None:
    ciw = pytest.importorskip("ciw")
    lam, mu, c, n = 2.1, 1.0, 3, 60_000
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[c],
    )
    saved = random.getstate(), getattr(ciw, "rng", None)
    try:
        ciw.seed(5)  # Ciw only seeds globally; restore the global state afterwards
        simulation = ciw.Simulation(network)
        simulation.simulate_until_max_customers(n, method="Finish")
        records = sorted(simulation.get_all_records(only=["service"]), key=lambda r: r.id_number)
    finally:
        random.setstate(saved[0])
        if saved[1] is not None:
            ciw.rng = saved[1]
    waits = np.array([r.waiting_time for r in records])
    truth = mmc(lam, mu, c)
    for series, expected in ((waits, truth.mean_wait), (waits <= 1.0, truth.wait_cdf(1.0))):
        est = batch_means(series, 20, warmup=1000)
        assert abs(est.mean - expected) <= bonferroni_tolerance(est, 2, FAMILY_ALPHA)


# ------------------------------------------------------------------------------------------------
# Confidence intervals
# ------------------------------------------------------------------------------------------------


def test_batch_means_arithmetic() -> None:
    series = np.arange(23, dtype=float)  # 3 warm-up values, then 20 -> 4 batches of 5
    est = batch_means(series, 4, warmup=3, alpha=0.1)
    np.testing.assert_allclose(est.batch_means, [5.0, 10.0, 15.0, 20.0])
    assert est.mean == 12.5
    assert est.dof == 3
    se = np.std([5.0, 10.0, 15.0, 20.0], ddof=1) / 2
    assert est.half_width == pytest.approx(stats.t.ppf(0.95, 3) * se)
    low, high = stats.t.interval(0.9, 3, loc=12.5, scale=se)
    assert est.half_width == pytest.approx((high - low) / 2)
    with pytest.raises(ValueError):
        batch_means([1.0, 2.0], 4)


def test_student_t_and_bonferroni() -> None:
    est = student_t_ci([1.0, 2.0, 3.0, 4.0])
    assert est.mean == 2.5 and est.dof == 3
    assert est.half_width == pytest.approx(stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2)
    assert bonferroni_alpha(0.05, 10) == pytest.approx(0.005)
    assert bonferroni_tolerance(est, 10, 0.05) == pytest.approx(est.half_width_at(0.005))
    assert bonferroni_tolerance(est, 10, 0.05) > est.half_width
    assert est.covers(2.5) and not est.covers(100.0)


def test_batch_means_coverage_on_autocorrelated_series() -> None:
    # AR(1) with phi = 0.9 (correlation time ~19) and mean zero; batches of 1000 are long enough
    rng = np.random.default_rng(42)
    runs, length = 400, 20_000
    noise = rng.standard_normal((runs, length))
    series = signal.lfilter([1.0], [1.0, -0.9], noise, axis=1)
    covered = sum(batch_means(row, 20).covers(0.0) for row in series)
    # 95% nominal: a binomial(400, 0.95) count lies in [366, 394] with probability > 0.999
    assert 366 <= covered <= 394, covered


def test_cobham_priority_waits_reduce_to_erlang_c_and_conserve_work() -> None:
    from support.analytic import priority_mmc_waits

    # one class: the FCFS Erlang C wait
    assert priority_mmc_waits([2.4], 1.0, 3)[0] == pytest.approx(mmc(2.4, 1.0, 3).mean_wait)
    # with equal service rates the order of service does not change the number waiting:
    # sum lam_k W_k = lam W_FCFS (the conservation law), whatever the split
    for split in ([0.3, 2.1], [1.2, 1.2], [0.1, 0.5, 1.8]):
        waits = priority_mmc_waits(split, 1.0, 3)
        assert sum(lam * w for lam, w in zip(split, waits, strict=True)) == pytest.approx(
            2.4 * mmc(2.4, 1.0, 3).mean_wait
        )
        assert waits == sorted(waits)  # the first class waits least
    # M/M/1 by hand: lam = (0.2, 0.3), mu = 1: C = 0.5, W_0 = 0.5 / 0.8, W_1 = 0.5 / (0.8 * 0.5)
    assert priority_mmc_waits([0.2, 0.3], 1.0, 1) == pytest.approx([0.625, 1.25])
