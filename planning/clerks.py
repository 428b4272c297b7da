"""Window clerks per street (一窗通办), planned like posts: screened by the fast path, repaired by
the engine, checked on fresh residents.

Where a scenario pools its windows, the clerks of all street centres form one pool (the total the
scenario staffs today, or ``clerks_pool``). A street's level is its share of residents served
within the window target (``targets.window.max_wait_min``); a street **meets** the target when the
lower 95% bound of that share is at or above ``targets.window.share``, as the grid check judges.

1. **Screening.** Each street's level at 1..N clerks by the vectorised FCFS recursion of
   :mod:`sim.fastpath` (many replications at once, common random numbers across levels; N grows
   until the curve reaches the target or the level stops rising). The fast path models neither
   return visits nor peak-hour shifts.
2. **Today, by the engine.** Each street at its clerks today *with* its window shifts and return
   visits (the SimPy engine, on ``clerk-measure`` residents): the level today, comparable with
   the planned ones because both are the engine's.
3. **Allocation and repair.** The curves are the screening points with the engine's points put in
   where the engine measured (:func:`planning.plan.with_points`), made monotone without lifting a
   point. ``Mode.COST``: the least clerks each street needs to meet the target, whatever today's
   total. ``Mode.SHORTFALL`` within today's total: no street ends below its own level today on the
   check's criterion (a street meeting the target today keeps meeting it; one that does not keeps
   at least its lower bound today), then the least weighted shortfall. After each solve the
   engine measures every street at its proposed clerks where it has not yet; the allocation is
   solved again on the new points, until every proposed level is one the engine measured (the
   engine repairs the fast path's answer), at most ``REPAIR_ROUNDS`` times.
4. **Check.** The chosen clerks on the engine once more, on ``clerk-check`` residents that no step
   saw, and today's clerks on the same residents (so "not below today" is a paired comparison).
   Where a street falls short (cost mode: below the target; shortfall mode: below today), the
   check's points join its curve and the clerks are solved again; if they move, the last check
   runs on ``clerk-final-check`` residents that nothing before saw.
   A planned street keeps its shifts' extra clerks over its base (a shift of 5 on a base of 3
   becomes 6 on a base of 4).

On steady round-the-clock demand with exponential service the screening is the M/M/c queue, so
cost mode gives the Erlang C staffing (:func:`optimize.curves.wait_within_probability`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jiedao.optimize.curves import Curve
from jiedao.optimize.model import CommunitySpec, InfeasibleError, Mode, Problem
from jiedao.optimize.solve import Result, solve
from jiedao.scenarios.model import Scenario
from jiedao.sim.fastpath import window_curve
from jiedao.sim.run import run, summarise
from jiedao.sim.streams import derived_seed

MAX_EXTRA = 6
MAX_CLERKS = 400  # per street: the screening stops growing its curve here
REPAIR_ROUNDS = 6


@dataclass(frozen=True)
class StreetCheck:
    street_id: str
    clerks_current: int
    clerks_proposed: int
    planned_level: float
    level: float
    ci95: float
    target: float
    target_met: bool  # lower 95% bound >= target
    lower: float = math.nan
    # the engine's level at today's clerks, shifts and returns, on the check's own residents
    level_today: float = math.nan
    lower_today: float = math.nan
    met_today: bool | None = None
    not_below_today: bool | None = None  # meets the target, or at least today's lower bound


@dataclass(frozen=True)
class ClerkPlan:
    curves: dict[str, Curve]
    result: Result
    checks: dict[str, StreetCheck]
    pool: int
    mode: Mode = Mode.SHORTFALL
    today: dict[str, tuple[float, float, float]] = dataclasses.field(default_factory=dict)
    rounds: int = 0  # engine repairs of the fast path's answer
    converged: bool = True  # every proposed level is one the engine measured
    check_replications: int = 0  # of the final check, after any added where undecided
    cannot_meet: tuple[str, ...] = ()  # streets whose measured curve never reaches the target
    needed: int | None = None  # the least clerks meeting every street's target (cost mode)

    @property
    def met(self) -> int:
        return sum(1 for c in self.checks.values() if c.target_met)


def qualifies(scenario: Scenario) -> bool:
    return scenario.policy.window_mode == "pooled" and scenario.demand.window.at_closing == (
        "overtime"
    )


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    mean, half = summarise(np.where(np.isnan(values), 1.0, values))
    half = 0.0 if half != half else half
    return mean, half, float(min(1.0, max(0.0, mean - half)))


def clerk_curves(
    scenario: Scenario, replications: int = 32, seed: int = 11, days: int | None = None
) -> dict[str, Curve]:
    """Each street's window level at 1 .. N clerks by the fast path (no returns, no shifts),
    with half-widths and lower bounds; N is at least today's clerks + ``MAX_EXTRA`` and grows
    until the level reaches the target or stops rising."""
    target = scenario.targets.window.share
    curves = {}
    for street in scenario.streets():
        top = max(street.windows, 1) + MAX_EXTRA
        while True:
            levels = list(range(1, top + 1))
            measured = window_curve(
                scenario, street, levels, replications, seed, days, ignore_returns=True
            )
            points = [_interval(row) for row in np.asarray(measured["share"], dtype=float)]
            lower = [p[2] for p in points]
            rising = len(lower) < 2 or lower[-1] > lower[-2] + 1e-6
            if lower[-1] >= target or not rising or top >= MAX_CLERKS:
                break
            top = min(MAX_CLERKS, top * 2)
        curves[street.id] = Curve(
            np.array(levels, dtype=float),
            np.clip([p[0] for p in points], 0.0, 1.0),
            np.array([p[1] for p in points]),
            np.minimum(lower, np.clip([p[0] for p in points], 0.0, 1.0)),
        )
    return curves


def with_clerks(scenario: Scenario, clerks: dict[str, int]) -> Scenario:
    """The scenario with each street's clerks replaced; its window shifts keep their extra
    clerks over the base (never fewer than none)."""
    districts = tuple(
        dataclasses.replace(
            d,
            streets=tuple(
                dataclasses.replace(
                    s,
                    windows=clerks[s.id],
                    window_shifts=tuple(
                        sh.model_copy(
                            update={"windows": max(0, sh.windows + clerks[s.id] - s.windows)}
                        )
                        for sh in s.window_shifts
                    ),
                )
                for s in d.streets
            ),
        )
        for d in scenario.districts
    )
    return dataclasses.replace(scenario, districts=districts)


def engine_levels(
    scenario: Scenario, clerks: dict[str, int], replications: int, seed: int, executor: Any
) -> dict[str, tuple[float, float, float]]:
    """(mean, 95% half-width, lower bound) of each street's window level at ``clerks``, by the
    engine with shifts and return visits."""
    res = run(
        with_clerks(scenario, clerks),
        replications=replications,
        seed=seed,
        streams=("window",),
        executor=executor,
    )
    return {
        s.id: _interval(np.asarray(res.per_replication(s.id, "window", "target_share"), float))
        for s in scenario.streets()
    }


def _least(curve: Curve, level: float) -> int:
    """The fewest clerks whose lower bound (made monotone) reaches ``level``; the most measured
    where none does."""
    bound = curve.bound().level
    hits = np.flatnonzero(bound >= level - 1e-9)
    return int(curve.staff[hits[0]] if hits.size else curve.staff[-1])


def plan_clerks(
    scenario: Scenario,
    *,
    mode: Mode | str = Mode.SHORTFALL,
    replications: int = 32,
    check_replications: int = 5,
    seed: int = 11,
    pool: int | None = None,
    solver: str = "HiGHS",
    executor: Any = None,
    max_replications: int | None = None,
) -> ClerkPlan:
    """Clerks per street (see the module docstring): screened, repaired by the engine, checked."""
    from jiedao.planning.plan import with_points  # the plan's own point merge

    mode = Mode(mode)
    screened = clerk_curves(scenario, replications, seed)
    streets = list(scenario.streets())
    target = scenario.targets.window.share
    today_clerks = {s.id: s.windows for s in streets}
    reps = max(2, check_replications)
    measure_seed = derived_seed(seed, "clerk-measure")
    seen: dict[str, dict[int, tuple[float, float, float]]] = {s.id: {} for s in streets}
    today = engine_levels(scenario, today_clerks, reps, measure_seed, executor)
    # today's engine level is at today's shifts: it enters the curve only where a street has none
    for s in streets:
        if not s.window_shifts:
            seen[s.id][s.windows] = today[s.id]
    total = pool if pool is not None else sum(today_clerks.values())

    def curves_now() -> dict[str, Curve]:
        out = {}
        for s in streets:
            points = [(float(c), *v) for c, v in sorted(seen[s.id].items())]
            out[s.id] = with_points(screened[s.id], points) if points else screened[s.id]
        return out

    def reachable(curve: Curve) -> float:
        """The target, or the best lower bound the street's curve shows where it never reaches
        it (the street is then named as one that cannot meet it)."""
        return float(min(target, curve.bound().level.max()))

    def solve_on(curves: dict[str, Curve]) -> Result:
        specs = []
        for s in streets:
            floor = 1
            if mode is Mode.SHORTFALL:
                mean, _, lower = today[s.id]
                keep = target if lower >= target - 1e-12 else lower
                floor = min(max(1, s.windows), _least(curves[s.id], keep))
            specs.append(
                CommunitySpec(
                    id=s.id,
                    curve=curves[s.id],
                    target=target if mode is Mode.SHORTFALL else max(1e-6, reachable(curves[s.id])),
                    weight=float(s.households),
                    posts_floor=max(1, floor),
                    nonserving_posts=0,
                    posts_today=s.windows,
                )
            )
        # the clerks the targets do not need go back where they are today: a rule that does not
        # move with the curves, so the engine's repair settles
        problem = Problem(
            communities=tuple(specs),
            posts_pool=total if mode is Mode.SHORTFALL else None,
            fund_pool_yuan=None,
            post_cost_yuan=scenario.budget.post_cost_yuan,
            post_label="window clerks",
            spread={s.id: float(s.windows) for s in streets},
            purchase_share=0.0,  # clerks are whole clerks: no service hours bought for windows
        )
        return solve(problem, mode, solver=solver)

    curves = curves_now()
    result = solve_on(curves)
    rounds = 0
    for _ in range(REPAIR_ROUNDS):
        proposed = {a.community_id: a.posts for a in result.allocation or ()}
        missing = {k: c for k, c in proposed.items() if c not in seen[k]}
        if not missing:
            break
        rounds += 1
        measured = engine_levels(scenario, proposed, reps, measure_seed, executor)
        for k, c in proposed.items():
            seen[k][c] = measured[k]
        curves = curves_now()
        result = solve_on(curves)
    cap = max(check_replications, scenario.simulation.max_replications if max_replications
              is None else max_replications)  # fmt: skip

    def check_on(proposed: dict[str, int], purpose: str) -> tuple[dict[str, StreetCheck], int]:
        """The engine at ``proposed`` on ``purpose``'s residents, replications doubled up to the
        cap while a street's interval holds its target, and today's clerks on the same
        residents (so "not below today" is a paired comparison)."""
        check_seed = derived_seed(seed, purpose)
        n = check_replications
        while True:
            checked = engine_levels(scenario, proposed, n, check_seed, executor)
            undecided = any(
                half > 0 and mean - half < target <= mean + half
                for mean, half, _ in checked.values()
            )
            if not undecided or n >= cap:
                break
            n = min(cap, 2 * n)
        paired = (
            checked
            if proposed == today_clerks
            else engine_levels(scenario, today_clerks, n, check_seed, executor)
        )
        out = {}
        for s in streets:
            mean, half, lower = checked[s.id]
            t_mean, _, t_lower = paired[s.id]
            met = bool(lower >= target - 1e-12)
            met_today = bool(t_lower >= target - 1e-12)
            out[s.id] = StreetCheck(
                street_id=s.id,
                clerks_current=s.windows,
                clerks_proposed=proposed[s.id],
                planned_level=float(curves[s.id](proposed[s.id])),
                level=mean,
                ci95=half,
                target=target,
                target_met=met,
                lower=lower,
                level_today=t_mean,
                lower_today=t_lower,
                met_today=met_today,
                not_below_today=bool(met or (not met_today and lower >= t_lower - 1e-9)),
            )
        return out, n

    checks: dict[str, StreetCheck] = {}
    n = 0
    if result.allocation is not None and check_replications > 0:
        proposed = {a.community_id: a.posts for a in result.allocation}
        # fresh seeds: residents neither the screening nor the repair saw
        checks, n = check_on(proposed, "clerk-check")
        short = [
            k
            for k, c in checks.items()
            if not (c.target_met if mode is Mode.COST else c.not_below_today)
        ]
        if short:
            # the check's points (more replications) join the curves of the streets it found
            # short; if the re-solved clerks differ, the last word is on residents none saw
            for k in short:
                found = checks[k]
                seen[k][found.clerks_proposed] = (found.level, found.ci95, found.lower)
            curves = curves_now()
            again = solve_on(curves)
            moved = {a.community_id: a.posts for a in again.allocation or ()}
            if again.allocation is not None and moved != proposed:
                result, rounds = again, rounds + 1
                checks, n = check_on(moved, "clerk-final-check")
    cannot = tuple(s.id for s in streets if reachable(curves[s.id]) < target - 1e-12)
    needed = result.posts_total if mode is Mode.COST else None
    if mode is Mode.SHORTFALL:
        try:  # what the targets need, read off the same curves
            needed = solve(
                Problem(
                    communities=tuple(
                        CommunitySpec(
                            id=s.id,
                            curve=curves[s.id],
                            target=max(1e-6, reachable(curves[s.id])),
                            weight=float(s.households),
                            posts_floor=1,
                            nonserving_posts=0,
                        )
                        for s in streets
                    ),
                    post_cost_yuan=scenario.budget.post_cost_yuan,
                    post_label="window clerks",
                    purchase_share=0.0,
                ),
                Mode.COST,
                solver=solver,
            ).posts_total
        except InfeasibleError:
            needed = None
    return ClerkPlan(
        curves=curves,
        result=result,
        checks=checks,
        pool=sum(today_clerks.values()) if pool is None else pool,
        mode=mode,
        today=today,
        rounds=rounds,
        needed=needed,
        converged=all(
            a.posts in seen[a.community_id] for a in result.allocation or ()
        ),
        check_replications=n if checks else 0,
        cannot_meet=cannot,
    )


# kept for callers of the earlier name
_with_windows = with_clerks
