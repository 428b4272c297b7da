"""Window clerks per street (一窗通办): the second decision of the plan, screened by the fast path.

Where a scenario pools its windows, the clerks of all street centres form one pool (the total the
scenario staffs today, or ``clerks_pool``). Each street's response curve is its share of residents
served within the window target (``targets.window.max_wait_min``) at 1..N clerks, computed by the
vectorised FCFS recursion of :mod:`sim.fastpath` over many replications at once, with common
random numbers across levels; the same optimiser as for posts (:func:`optimize.solve.solve`)
then minimises the households-weighted shortfall from ``targets.window.share``.

The fast path does not model return visits, so the curves screen each centre without them (those
who give up are lost rather than coming back another day), which slightly understates the load of a
centre with a high ``return_share``; the check then simulates the chosen clerks with the SimPy
engine, returns included, and reports each street's service level with its 95% half-width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from jiedao.optimize.curves import Curve, fit_concave
from jiedao.optimize.model import CommunitySpec, Mode, Problem
from jiedao.optimize.solve import Result, solve
from jiedao.scenarios.model import Scenario
from jiedao.sim.fastpath import window_curve
from jiedao.sim.run import run, summarise
from jiedao.sim.streams import derived_seed

MAX_EXTRA = 6


@dataclass(frozen=True)
class StreetCheck:
    street_id: str
    clerks_current: int
    clerks_proposed: int
    planned_level: float
    level: float
    ci95: float
    target: float
    target_met: bool


@dataclass(frozen=True)
class ClerkPlan:
    curves: dict[str, Curve]
    result: Result
    checks: dict[str, StreetCheck]
    pool: int


def qualifies(scenario: Scenario) -> bool:
    return scenario.policy.window_mode == "pooled" and scenario.demand.window.at_closing == (
        "overtime"
    )


def clerk_curves(
    scenario: Scenario, replications: int = 32, seed: int = 11, days: int | None = None
) -> dict[str, Curve]:
    """Each street's window service level at 1 .. (current clerks + MAX_EXTRA) clerks."""
    curves = {}
    for street in scenario.streets():
        levels = list(range(1, max(street.windows, 1) + MAX_EXTRA + 1))
        measured = window_curve(
            scenario, street, levels, replications, seed, days, ignore_returns=True
        )
        share = np.where(np.isnan(measured["share"]), 1.0, measured["share"])
        points = [summarise(row) for row in share]
        mean = np.clip([m for m, _ in points], 0.0, 1.0)
        half = np.array([0.0 if h != h else h for _, h in points])
        curves[street.id] = fit_concave(levels, mean, ci95=np.maximum(half, 1e-3))
    return curves


def plan_clerks(
    scenario: Scenario,
    *,
    replications: int = 32,
    check_replications: int = 5,
    seed: int = 11,
    pool: int | None = None,
    solver: str = "HiGHS",
    executor: Any = None,
) -> ClerkPlan:
    """Allocate the pooled clerks across streets; check by simulating the windows again."""
    curves = clerk_curves(scenario, replications, seed)
    streets = list(scenario.streets())
    target = scenario.targets.window.share
    problem = Problem(
        communities=tuple(
            CommunitySpec(
                id=s.id,
                curve=curves[s.id],
                target=target,
                weight=float(s.households),
                posts_floor=1,
                nonserving_posts=0,
            )
            for s in streets
        ),
        posts_pool=pool if pool is not None else sum(s.windows for s in streets),
        fund_pool_yuan=None,
        post_cost_yuan=scenario.budget.post_cost_yuan,
    )
    result = solve(problem, Mode.SHORTFALL, solver=solver)
    checks: dict[str, StreetCheck] = {}
    if result.allocation is not None and check_replications > 0:
        proposed = {a.community_id: a.posts for a in result.allocation}
        checked = _with_windows(scenario, proposed)
        # fresh seeds: residents the curves never saw
        res = run(
            checked,
            replications=check_replications,
            seed=derived_seed(seed, "clerk-check"),
            streams=("window",),
            executor=executor,
        )
        for s in streets:
            mean, half = summarise(res.per_replication(s.id, "window", "target_share"))
            half = 0.0 if half != half else half
            checks[s.id] = StreetCheck(
                street_id=s.id,
                clerks_current=s.windows,
                clerks_proposed=proposed[s.id],
                planned_level=float(curves[s.id](proposed[s.id])),
                level=mean,
                ci95=half,
                target=target,
                target_met=bool(mean >= target - 1e-12),
            )
    return ClerkPlan(curves=curves, result=result, checks=checks, pool=problem.posts_pool or 0)


def _with_windows(scenario: Scenario, clerks: dict[str, int]) -> Scenario:
    """The scenario with each street's clerks replaced (levels replace peak shifts)."""
    import dataclasses

    districts = tuple(
        dataclasses.replace(
            d,
            streets=tuple(
                dataclasses.replace(s, windows=clerks[s.id], window_shifts=()) for s in d.streets
            ),
        )
        for d in scenario.districts
    )
    return dataclasses.replace(scenario, districts=districts)
