"""Sensitivity before budgeting: what moves the plan, what each budget buys, how sure it is.

Three analyses, each pure (the CLI writes the tables and charts), and :func:`sensitivity` that runs
them for ``jiedao sensitivity`` on a plan it makes or is given. Variants are made in memory from the
loaded scenario (:func:`jiedao.scenarios.with_overrides`): no file is read again.

**One at a time** (:func:`one_at_a_time`). Every demand rate, service time, patience, post cost and
budget figure is moved by -x% and +x% (default 20%) alone, and the plan is made again: the change
in the total weighted shortfall (fixed pools) and in the posts required to meet every target
(least cost) are recorded, and parameters are ranked by the larger of the two swings (a tornado).
The curves depend only on the grid demand, the grid targets and the sites; when a parameter leaves
those alone (window and enforcement demand, budget figures) the base curves are reused, which is
exact because the grid simulation never reads them; otherwise they are measured again with the
same seed (common random numbers), so a swing is the parameter's effect and not noise.

**Budget frontier** (:func:`budget_frontier`). The posts pool (or the fund pool) from low to high:
the shortfall and the households-weighted service level each pool buys, with the pool's shadow
price at each point (from :func:`optimize.sensitivity.analyse`).

**Demand uncertainty** (:func:`demand_uncertainty`). Monte Carlo: each draw scales every
community's grid demand by its own uniform factor in [1 - x, 1 + x] (default 20%), simulates the
chosen plan's staffing under that demand, and counts whether the community meets its target. The
result is, per community, the probability of meeting the target with its binomial 95% interval
(Wilson).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jiedao.optimize.curves import Curve
from jiedao.optimize.model import InfeasibleError, Mode, problem_from_scenario
from jiedao.optimize.sensitivity import analyse
from jiedao.optimize.solve import solve
from jiedao.planning.plan import staffed_tasks
from jiedao.planning.response import measure_curves
from jiedao.scenarios import with_overrides
from jiedao.scenarios.model import Scenario
from jiedao.sim.backends import Serial
from jiedao.sim.streams import derived_seed, purpose_generator

CURVE_INPUTS = (
    "demand.grid.",
    "targets.grid.",
    "calendar.",
    "policy.",
    "districts.",
    "defaults.",
    "duties.",
    "overtime.",
)


def _mean_path(dist: Any, prefix: str) -> str | None:
    if dist is None:
        return None
    if hasattr(dist, "mean"):
        return f"{prefix}.mean"
    if hasattr(dist, "value"):
        return f"{prefix}.value"
    return None


def parameters(scenario: Scenario) -> list[tuple[str, float, str]]:
    """(field path, base value, label) of every figure the one-at-a-time analysis moves."""
    d, b = scenario.demand, scenario.budget
    duties, overtime = scenario.duties, scenario.overtime
    out: list[tuple[str, float, str]] = [
        (
            "demand.window.rate_per_1000_households_per_day",
            d.window.rate_per_1000_households_per_day,
            "window visits rate",
        ),
    ]
    if d.grid.events_per_grid_per_month is not None:
        out.append(
            (
                "demand.grid.events_per_grid_per_month",
                d.grid.events_per_grid_per_month,
                "grid events rate",
            )
        )
    if d.grid.events_per_1000_residents_per_month is not None:
        out.append(
            (
                "demand.grid.events_per_1000_residents_per_month",
                d.grid.events_per_1000_residents_per_month,
                "grid events per 1,000 residents",
            )
        )
    communities = list(scenario.communities())
    if communities and all(c.residents is None for c in communities):
        out.append(
            (
                "defaults.community.persons_per_household",
                communities[0].persons_per_household,
                "persons per household",
            )
        )
    out += [
        (
            "demand.enforcement.direct_cases_per_street_per_month",
            d.enforcement.direct_cases_per_street_per_month,
            "enforcement cases rate",
        ),
        ("demand.grid.urgent_share", d.grid.urgent_share, "share of grid events urgent"),
        ("demand.grid.patrol_share", d.grid.patrol_share, "share of grid events found on patrol"),
    ]
    if d.grid.event_time_share is not None:
        out.append(
            ("demand.grid.event_time_share", d.grid.event_time_share, "grid workers' event time")
        )
    out += [
        ("duties.visit_min", duties.visit_min, "minutes per household visit"),
        (
            "duties.visits_per_household_year",
            duties.visits_per_household_year,
            "visits per household a year",
        ),
        (
            "duties.patrol_min_per_grid_day",
            duties.patrol_min_per_grid_day,
            "patrol minutes per grid a day",
        ),
        (
            "duties.meetings_h_per_worker_week",
            duties.meetings_h_per_worker_week,
            "meetings per worker a week",
        ),
        (
            "overtime.grid_h_per_worker_day",
            overtime.grid_h_per_worker_day,
            "grid overtime allowed a day",
        ),
    ]
    for kind, item in duties.household_types.items():
        out.append(
            (
                f"duties.household_types.{kind}.household_share",
                item.household_share,
                f"share of {kind} households",
            )
        )
        out.append(
            (
                f"duties.household_types.{kind}.visits_per_year",
                item.visits_per_year,
                f"visits to {kind} households a year",
            )
        )
    for key, category in d.window.categories.items():
        path = _mean_path(category.service_min, f"demand.window.categories.{key}.service_min")
        if path:
            out.append((path, _value(category.service_min), f"window service time: {key}"))
    for name, dist, label in (
        ("demand.window.patience_min", d.window.patience_min, "window patience"),
        ("demand.grid.travel_min", d.grid.travel_min, "grid travel time"),
        ("demand.grid.handling_min", d.grid.handling_min, "grid handling time"),
        (
            "demand.grid.patrol_handling_min",
            d.grid.patrol_handling_min,
            "grid handling time of patrol finds",
        ),
        ("demand.enforcement.duration_days", d.enforcement.duration_days, "enforcement case time"),
    ):
        path = _mean_path(dist, name)
        if path:
            out.append((path, _value(dist), label))
    out += [
        ("budget.post_cost_yuan", b.post_cost_yuan, "post cost"),
        ("budget.posts_pool", float(b.posts_pool), "posts pool"),
        ("budget.hour_price_yuan", b.hour_price_yuan, "service hour price"),
        ("budget.purchase_share", b.purchase_share, "fund share buying hours"),
    ]
    if b.fund_pool_yuan is not None:
        out.append(("budget.fund_pool_yuan", b.fund_pool_yuan, "fund pool"))
    return [p for p in out if p[1] > 0]


def _value(dist: Any) -> float:
    return float(dist.mean if hasattr(dist, "mean") else dist.value)


def _moved(path: str, base: float, factor: float) -> dict[str, float | int]:
    value = base * factor
    if path.endswith("_share"):
        value = min(value, 1.0)
    if path == "budget.posts_pool":
        pool = max(0, round(value))
        # the pool is recruited + converted in the file: keep them consistent
        return {
            "budget.posts_pool": pool,
            "budget.posts_recruited": 0,
            "budget.posts_converted": pool,
        }
    return {path: float(value)}


@dataclass(frozen=True)
class Outcome:
    shortfall: float | None  # weighted shortfall with fixed pools (None: infeasible)
    posts_required: int | None  # least-cost posts meeting every target (None: infeasible)
    cost_yuan: float | None


def _plus(base: float | None, side: float | None, ref: float | None) -> float | None:
    if base is None or side is None or ref is None:
        return None
    return base + (side - ref)


def shifted(side: Outcome, reference: Outcome, base: Outcome) -> Outcome:
    """``base`` moved by the change from ``reference`` to ``side`` (None where any is None)."""
    posts = _plus(base.posts_required, side.posts_required, reference.posts_required)
    return Outcome(
        _plus(base.shortfall, side.shortfall, reference.shortfall),
        None if posts is None else int(round(posts)),
        _plus(base.cost_yuan, side.cost_yuan, reference.cost_yuan),
    )


@dataclass(frozen=True)
class OatRow:
    path: str
    label: str
    base: float
    low: Outcome
    high: Outcome

    def swing(self, base: Outcome) -> float:
        """The larger relative change of shortfall or posts required, for ranking."""
        changes = []
        for side in (self.low, self.high):
            for a, b in (
                (side.shortfall, base.shortfall),
                (side.posts_required, base.posts_required),
            ):
                if a is None or b is None:
                    changes.append(math.inf)
                else:
                    changes.append(abs(a - b) / max(abs(b), 1e-9) if b else abs(a - b))
        return max(changes)


def outcome(scenario: Scenario, curves: dict[str, Curve], solver: str = "HiGHS") -> Outcome:
    target = scenario.targets.grid.share
    try:
        problem = problem_from_scenario(scenario, curves, target=target)
        shortfall = solve(problem, Mode.SHORTFALL, solver=solver).objective
    except InfeasibleError:
        shortfall = None
    try:
        problem = problem_from_scenario(scenario, curves, target=target)
        cost = solve(problem, Mode.COST, solver=solver)
        posts, yuan = cost.posts_total, cost.cost_yuan
    except InfeasibleError:
        posts, yuan = None, None
    return Outcome(shortfall, posts, yuan)


def one_at_a_time(
    scenario: Scenario,
    change: float = 0.2,
    *,
    replications: int = 2,
    seed: int | None = None,
    case_days: int = 35,
    case_warmup_days: int = 7,
    levels: int = 8,
    executor: Any = None,
    progress: Any = None,
    solver: str = "HiGHS",
    given_curves: dict[str, Curve] | None = None,
    given_base: Outcome | None = None,
) -> tuple[Outcome, list[OatRow]]:
    """Base outcome and one row per parameter, ranked by swing (largest first).

    With ``given_curves`` (a plan's curves) the analysis is of that plan: the base is
    ``given_base`` (the plan's own posts, cost and shortfall) or the outcome on its curves, and
    each side is that base plus the paired change the parameter makes, measured on the same
    curves as its reference: the plan's curves for a parameter the grid simulation never reads,
    curves measured again with the same seed (moved against unmoved) for one it does."""

    def curves_of(s: Scenario) -> dict[str, Curve]:
        return measure_curves(
            s, replications, seed, case_days, case_warmup_days, executor, None, levels
        ).fitted

    measured: list[tuple[dict[str, Curve], Outcome]] = []

    def measured_base() -> tuple[dict[str, Curve], Outcome]:
        if not measured:
            curves = curves_of(scenario)
            measured.append((curves, outcome(scenario, curves, solver)))
        return measured[0]

    if given_curves is None:
        plan_curves, reference = measured_base()
        base = reference
    else:
        plan_curves = given_curves
        reference = outcome(scenario, given_curves, solver)
        base = given_base if given_base is not None else reference
    rows = []
    for path, value, label in parameters(scenario):
        sides = []
        for factor in (1.0 - change, 1.0 + change):
            moved = with_overrides(scenario, _moved(path, value, factor))
            if not path.startswith(CURVE_INPUTS):
                side, ref = outcome(moved, plan_curves, solver), reference
            else:
                curves, ref = measured_base()
                side = outcome(moved, curves_of(moved), solver)
            sides.append(side if base is ref else shifted(side, ref, base))
        rows.append(OatRow(path, label, value, sides[0], sides[1]))
        if progress is not None:
            progress(1)
    rows.sort(key=lambda r: (-r.swing(base), r.path))
    return base, rows


@dataclass(frozen=True)
class FrontierPoint:
    pool: float
    shortfall: float | None
    service_level: float | None  # households-weighted mean of the allocation's levels
    shadow_price: float | None  # shortfall reduced per unit of the pool at this point
    posts_total: int | None
    funds_total_yuan: float | None


def budget_frontier(
    scenario: Scenario,
    curves: dict[str, Curve],
    pool: str = "posts",
    steps: int = 9,
    low: float | None = None,
    high: float | None = None,
    solver: str = "HiGHS",
) -> list[FrontierPoint]:
    """What each posts pool (or fund pool, in yuan) buys, from ``low`` to ``high``."""
    base = problem_from_scenario(scenario, curves, target=scenario.targets.grid.share)
    weights = np.array([c.weight for c in base.communities])
    floor: float
    if pool == "posts":
        floor = least_feasible_posts(base, solver)
        start = low if low is not None else floor
        stop = high if high is not None else max(scenario.budget.posts_pool * 1.25, floor + steps)
        values = sorted({round(v) for v in np.linspace(start, stop, steps)})
    elif pool == "funds":
        floor = float(np.sum([c.fund_floor_yuan for c in base.communities]))
        start = low if low is not None else floor
        stop = (
            high
            if high is not None
            else max((scenario.budget.fund_pool_yuan or floor) * 1.5, floor + 1e5)
        )
        values = list(np.linspace(start, stop, steps))
    else:
        raise ValueError(f"pool must be 'posts' or 'funds', got {pool!r}")
    points = []
    for value in values:
        problem = (
            base.with_pools(posts_pool=int(value))
            if pool == "posts"
            else base.with_pools(fund_pool_yuan=float(value))
        )
        try:
            result = solve(problem, Mode.SHORTFALL, solver=solver)
            sens = analyse(problem, Mode.SHORTFALL, solver=solver)
        except InfeasibleError:
            points.append(FrontierPoint(float(value), None, None, None, None, None))
            continue
        levels = np.array([a.service_level for a in result.allocation or ()])
        name = "posts_pool" if pool == "posts" else "fund_pool"
        price = sens.shadow_prices.get(name)
        points.append(
            FrontierPoint(
                pool=float(value),
                shortfall=result.objective,
                service_level=float((levels * weights).sum() / weights.sum())
                if len(levels)
                else None,
                shadow_price=None if price is None else price.value,
                posts_total=result.posts_total,
                funds_total_yuan=result.funds_total_yuan,
            )
        )
    return points


def least_feasible_posts(problem: Any, solver: str = "HiGHS") -> int:
    """The smallest posts pool the problem accepts (bisection on the infeasibility check)."""
    low = sum(c.posts_floor for c in problem.communities)
    high = max(low, problem.posts_pool or low)
    while _infeasible(problem.with_pools(posts_pool=high), solver):
        high *= 2
    while low < high:
        middle = (low + high) // 2
        if _infeasible(problem.with_pools(posts_pool=middle), solver):
            low = middle + 1
        else:
            high = middle
    return low


def _infeasible(problem: Any, solver: str) -> bool:
    try:
        solve(problem, Mode.SHORTFALL, solver=solver, method="greedy")
    except InfeasibleError:
        return True
    return False


@dataclass(frozen=True)
class Uncertainty:
    community_id: str
    probability: float
    low: float  # Wilson 95% interval
    high: float
    draws: int


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def demand_uncertainty(
    scenario: Scenario,
    staff: dict[str, float],
    targets: dict[str, float],
    draws: int = 16,
    spread: float = 0.2,
    seed: int = 11,
    case_days: int = 35,
    case_warmup_days: int = 7,
    executor: Any = None,
    progress: Any = None,
) -> list[Uncertainty]:
    """Probability that each community meets its target under demand drawn +-``spread``."""
    ids = [c.id for c in scenario.communities()]
    rng = purpose_generator(seed, "demand-factors")
    factors = rng.uniform(1.0 - spread, 1.0 + spread, size=(draws, len(ids)))
    met = dict.fromkeys(ids, 0)
    executor = executor if executor is not None else Serial()
    for draw in range(draws):
        drawn = with_overrides(
            scenario,
            {
                f"{c.path}.demand_factor": float(c.demand_factor * factors[draw, i])
                for i, c in enumerate(scenario.communities())
            },
        )
        work = staffed_tasks(
            drawn, staff, [draw], derived_seed(seed, "demand-check"), case_days, case_warmup_days
        )
        for *_, shares in executor(drawn, work, None):
            for community, share in shares.items():
                share = 1.0 if share != share else share
                met[community] += int(share >= targets[community] - 1e-12)
        if progress is not None:
            progress(1)
    out = []
    for community in ids:
        lo, hi = wilson(met[community], draws)
        out.append(Uncertainty(community, met[community] / draws, lo, hi, draws))
    return out


# --- the whole analysis, as ``jiedao sensitivity`` runs it ------------------------------------


@dataclass(frozen=True)
class GivenPlan:
    """A plan made earlier (``jiedao plan --out``), as read back from its files."""

    curves: dict[str, Curve]
    posts: dict[str, int]
    funds_yuan: dict[str, float]
    targets: dict[str, float]
    mode: str | None = None  # "cost" or "shortfall", as plan.json says
    objective: float | None = None  # the plan's weighted shortfall (shortfall mode)

    @property
    def posts_total(self) -> int:
        return sum(self.posts.values())

    @property
    def funds_total_yuan(self) -> float:
        return float(sum(self.funds_yuan.values()))

    def cost_yuan(self, post_cost_yuan: float) -> float:
        """A year: every post at the post cost plus the funds (adds up by construction)."""
        return self.posts_total * post_cost_yuan + self.funds_total_yuan


@dataclass(frozen=True)
class SensitivityReport:
    scenario: Scenario
    change: float
    base: Outcome
    rows: tuple[OatRow, ...]
    frontier_posts: tuple[FrontierPoint, ...]
    frontier_funds: tuple[FrontierPoint, ...]
    uncertainty: tuple[Uncertainty, ...]
    spread: float
    runtime_s: float


def plan_staff(scenario: Scenario, given: GivenPlan) -> tuple[dict[str, Curve], dict[str, float]]:
    """The given plan's curves made monotone and concave, and each community's serving
    staff-equivalents (posts that serve plus the hours its funds buy)."""
    fitted = {
        k: c if c.is_monotone() and c.is_concave() else c.concave() for k, c in given.curves.items()
    }
    problem = problem_from_scenario(scenario, fitted, target=scenario.targets.grid.share)
    spy = problem.staff_per_yuan
    nonserving = {c.id: c.nonserving_posts for c in problem.communities}
    staff = {k: given.posts[k] - nonserving[k] + given.funds_yuan[k] * spy for k in given.posts}
    return fitted, staff


def sensitivity(
    scenario: Scenario,
    *,
    given: GivenPlan | None = None,
    change: float = 0.2,
    draws: int = 16,
    spread: float = 0.2,
    replications: int = 2,
    seed: int | None = None,
    executor: Any = None,
    phase: Any = None,
) -> SensitivityReport:
    """One at a time, the budget frontiers and demand uncertainty around a plan.

    The plan is ``given`` or made here (curves simulated, no check). ``phase(label, total)``,
    when given, is a context manager yielding a progress callback for each long phase.
    """
    import contextlib
    import time

    from jiedao.planning.plan import make_plan

    began = time.perf_counter()

    def step(label: str, total: int) -> Any:
        return phase(label, total) if phase is not None else contextlib.nullcontext(None)

    given_base: Outcome | None = None
    if given is not None:
        fitted, staff = plan_staff(scenario, given)
        targets = dict(given.targets)
        if given.mode == Mode.COST.value:  # its posts are the posts the targets need
            on_curves = outcome(scenario, fitted)
            given_base = Outcome(
                on_curves.shortfall,
                given.posts_total,
                given.cost_yuan(scenario.budget.post_cost_yuan),
            )
    else:
        streets = sum(1 for _ in scenario.streets())
        with step("planning", streets * 10 * replications) as advance:
            made = make_plan(
                scenario,
                replications=replications,
                check_replications=0,
                seed=seed,
                executor=executor,
                progress=advance,
                with_sensitivity=False,
            )
        fitted = made.fitted
        staff = {a.community_id: a.staff_equivalents for a in made.result.allocation or ()}
        targets = {a.community_id: a.target for a in made.result.allocation or ()}
    with step("one at a time", len(parameters(scenario))) as advance:
        base, rows = one_at_a_time(
            scenario,
            change,
            replications=replications,
            seed=seed,
            executor=executor,
            progress=advance,
            given_curves=fitted if given is not None else None,
            given_base=given_base,
        )
    posts = budget_frontier(scenario, fitted, "posts")
    funds = budget_frontier(scenario, fitted, "funds")
    uncertainty: list[Uncertainty] = []
    if draws:
        with step("demand draws", draws) as advance:
            uncertainty = demand_uncertainty(
                scenario,
                staff,
                targets,
                draws=draws,
                spread=spread,
                seed=seed if seed is not None else scenario.simulation.seed,
                executor=executor,
                progress=advance,
            )
    return SensitivityReport(
        scenario=scenario,
        change=change,
        base=base,
        rows=tuple(rows),
        frontier_posts=tuple(posts),
        frontier_funds=tuple(funds),
        uncertainty=tuple(uncertainty),
        spread=spread,
        runtime_s=time.perf_counter() - began,
    )
