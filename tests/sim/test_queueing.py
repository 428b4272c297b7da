"""Queueing theory: the window centre, run as a textbook M/M/c, reproduces Erlang C and Erlang A.

One long replication per case (24-hour opening, every day working, stationary Poisson arrivals,
exponential service, one matter category). Estimates use batch means over per-resident waits in
arrival order after a warm-up; tolerances are Student-t half-widths widened by Bonferroni for every
comparison in this file (family-wise false-alarm rate 1%), and each run is long enough that the
interval is a few percent of the analytic value, so the tests have power as well as no flakiness.
Seeds are fixed: a given numpy gives the same numbers every time.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.analytic import batch_means, bonferroni_tolerance, erlang_a, mmc

from jiedao.scenarios.textbook import queue_scenario
from jiedao.sim.model import simulate_street
from jiedao.sim.monitor import station_counts

CASES = [(c, rho) for c in (1, 3, 8) for rho in (0.5, 0.8, 0.9)]
# the default run keeps one case per number of servers; the rest (the long, heavy-traffic runs)
# are in the slow tier: pytest -m slow
DEFAULT_CASES = {(3, 0.5)}
COMPARISONS = len(CASES) * 3 + 2  # mean wait, P(W <= t), utilisation per case; Erlang A
MU = 1.0  # service rate per minute (mean service 1 minute)
# Customers per case, sized from pilot runs so the 95% half-width is ~4% of the mean wait.
CUSTOMERS = {
    (1, 0.5): 100_000,
    (1, 0.8): 400_000,
    (1, 0.9): 1_000_000,
    (3, 0.5): 150_000,
    (3, 0.8): 450_000,
    (3, 0.9): 900_000,
    (8, 0.5): 1_200_000,
    (8, 0.8): 900_000,
    (8, 0.9): 1_200_000,
}


def _run(c: int, rho: float, seed: int, customers: int, patience=None):
    lam = rho * c * MU
    days = int(np.ceil(customers / (lam * 1440.0)))
    scenario = queue_scenario(lam, c, patience=patience)
    record = simulate_street(scenario, "d/s", 0, seed, days, 1, streams=("window",))
    return lam, days, record.windows[0]


@pytest.mark.parametrize(
    ("c", "rho"),
    [
        case if case in DEFAULT_CASES else pytest.param(*case, marks=pytest.mark.slow)
        for case in CASES
    ],
)
def test_erlang_c(c: int, rho: float):
    lam, days, w = _run(c, rho, seed=100 + c, customers=CUSTOMERS[(c, rho)])
    theory = mmc(lam, MU, c)
    started = ~np.isnan(w.start)
    wait = (w.start - w.arrival)[started]
    warm = len(wait) // 20
    estimate = batch_means(wait, n_batches=30, warmup=warm)
    assert estimate.half_width < 0.06 * theory.mean_wait  # long enough to have power
    assert abs(estimate.lag1_autocorrelation) < 0.3
    assert abs(estimate.mean - theory.mean_wait) <= bonferroni_tolerance(estimate, COMPARISONS)

    t = 1.0 / MU  # P(wait <= one mean service time)
    within = batch_means((wait <= t).astype(float), n_batches=30, warmup=warm)
    assert abs(within.mean - theory.wait_cdf(t)) <= bonferroni_tolerance(within, COMPARISONS)

    # utilisation lambda / (c mu), as the engine reports it (busy over on-duty server time)
    counts = station_counts([w], 0.0, days * 1440.0)
    busy = (np.minimum(np.nan_to_num(w.end, nan=days * 1440.0), days * 1440.0) - w.start)[started]
    per_day = np.bincount((w.start[started] // 1440).astype(int), weights=busy, minlength=days)
    daily = batch_means(per_day / (c * 1440.0), n_batches=min(20, days))
    assert counts["utilisation"] == pytest.approx(busy.sum() / (c * days * 1440.0), rel=1e-9)
    assert abs(counts["utilisation"] - theory.utilisation) <= max(
        bonferroni_tolerance(daily, COMPARISONS), 1e-3
    )


@pytest.mark.slow
@pytest.mark.parametrize(("c", "rho"), [(3, 0.8), (8, 0.9)])
def test_littles_law(c: int, rho: float):
    """Time-average number waiting = arrival rate x mean wait, on the same sample path."""
    lam, days, w = _run(c, rho, seed=7, customers=100_000)
    horizon = days * 1440.0
    counts = station_counts([w], 0.0, horizon)
    waited_until = np.where(np.isnan(w.start), horizon, w.start)
    observed_rate = len(w.arrival) / horizon
    mean_wait = float(np.mean(waited_until - w.arrival))
    assert counts["queue_mean"] == pytest.approx(observed_rate * mean_wait, rel=1e-9)
    assert observed_rate == pytest.approx(lam, rel=0.02)


@pytest.mark.slow
def test_erlang_a_abandonment():
    """M/M/3+M at rho = 0.95 with mean patience 5 min: abandonment and mean wait (Erlang A)."""
    c, rho, patience_mean = 3, 0.95, 5.0
    lam, days, w = _run(
        c, rho, seed=21, customers=400_000, patience={"dist": "exponential", "mean": patience_mean}
    )
    theory = erlang_a(lam, MU, c, 1.0 / patience_mean)
    done = w.outcome != 0
    abandoned = (w.outcome[done] == 2).astype(float)
    waited = np.where(w.outcome == 2, w.left, w.start)[done] - w.arrival[done]
    warm = len(waited) // 20
    p_ab = batch_means(abandoned, n_batches=30, warmup=warm)
    wait = batch_means(waited, n_batches=30, warmup=warm)
    assert p_ab.half_width < 0.06 * theory.p_abandon
    assert abs(p_ab.mean - theory.p_abandon) <= bonferroni_tolerance(p_ab, COMPARISONS)
    assert abs(wait.mean - theory.mean_wait) <= bonferroni_tolerance(wait, COMPARISONS)


def test_urgent_first_grid_team_matches_cobham():
    """A grid team on a 24-hour clock, urgent events first (non-preemptive), exponential handling
    with one rate for both classes and no travel: the class waits are Cobham's."""
    from support.analytic import priority_mmc_waits

    from jiedao.scenarios.textbook import base_data, build

    c, mean, rho, urgent = 3, 10.0, 0.7, 0.3
    lam = rho * c / mean  # events a minute
    data = base_data()
    data["calendar"].update(
        open="00:00", close="24:00", lunch=[], working_days=list(
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        ),
    )  # fmt: skip
    grid = data["demand"]["grid"]
    grids = 4
    grid.update(
        events_per_grid_per_month=lam * 1440 * 365.25 / 12 / grids,
        urgent_share=urgent,
        patrol_share=0.0,
        travel_min={"dist": "deterministic", "value": 0.0},
        handling_min={"dist": "exponential", "mean": mean},
        routing={"grid": 1.0},
    )
    data["defaults"]["community"]["grids"] = grids
    scenario = build(data)
    days = 500
    record = simulate_street(
        scenario, "d/s", 0, 17, 1, days, streams=("grid",), grid_workers={"d/s/c": (c, 0.0)}
    )
    g = record.grids[0]
    assert len(g.arrival) > 110_000
    assert g.on_call is not None and len(g.on_call.arrival) == 0  # never off duty
    theory = priority_mmc_waits([urgent * lam, (1 - urgent) * lam], 1.0 / mean, c)
    started = ~np.isnan(g.team_start)
    # no travel: an urgent event is answered (a worker on site) the moment a worker takes it
    np.testing.assert_array_equal(g.answered[started], g.team_start[started])
    for k, cls in enumerate((g.urgent, ~g.urgent)):
        wait = (g.team_start - g.arrival)[started & cls]
        estimate = batch_means(wait, n_batches=20, warmup=len(wait) // 20)
        assert estimate.half_width < 0.1 * theory[k]  # long enough to have power
        assert abs(estimate.mean - theory[k]) <= bonferroni_tolerance(estimate, 2), (k, theory)
