"""Sensitivity: what one more post or ¥10,000 more funds is worth, and what binds.

A MILP has no duals. PuLP nevertheless reports ``pi == 0.0`` for every constraint of a MILP (HiGHS
and CBC alike), silently, so duals are taken here from the **LP relaxation** of the same model.
With posts alone, concave curves and one-post segments the relaxation is integral; with funds it
usually is nearly so, and :attr:`Sensitivity.relaxation_tight` says whether its optimum equals the
MILP's at the current pools. The headline numbers, :attr:`Sensitivity.marginal_post` and
:attr:`Sensitivity.marginal_funds`, do not depend on that: they re-solve the MILP with the pool one
post (¥10,000) larger. Fixing the posts and re-solving for duals would not do: with posts fixed the
posts-pool dual says nothing.

**Sign convention.** Every shadow price is normalised to *objective improvement per unit of the
constraint's right-hand side*: weighted shortfall removed per extra post in the pool, or yuan saved
per post of extra cap in cost mode. Solvers disagree on the raw sign: for a minimisation both HiGHS
and CBC report ``pi = dObjective/dRHS``; for a maximisation CBC still does, while PuLP's HiGHS
interface hands back the dual of the negated (minimised) objective, so ``pi = -dObjective/dRHS``.
:func:`improvement_per_unit` applies that rule; the tests check it on a hand-solved LP with both
solvers and both senses.

**Range.** A shadow price holds while the LP's value stays linear in the right-hand side. The
value is convex (minimisation), so the range is found by cutting planes in one dimension: probe the
far end, intersect the tangent there with the tangent at the current pool, probe the intersection,
and stop when the probe lies on the current tangent. Each probe is one LP solve; a few suffice.

At large scale (method ``decompose``) the prices are the Lagrangian multipliers: the fund price
``mu`` and the value of the last post handed out, without a range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from jiedao.optimize.milp import WAN, MilpModel, build_milp
from jiedao.optimize.model import (
    Compiled,
    InfeasibleError,
    Mode,
    Problem,
    binding_constraints,
    compile_problem,
    describe_infeasible,
    infeasible_requirement,
)
from jiedao.optimize.solve import Status, choose_method, run_solver, solve, solver_name

FUND_STEP_YUAN = 10_000.0


@dataclass(frozen=True)
class ShadowPrice:
    constraint: str
    unit: str  # "post" or "¥10,000"
    rhs: float  # in posts or yuan
    value: float  # objective improvement per unit
    lower: float | None  # the right-hand side (posts or yuan) over which ``value`` holds
    upper: float | None
    source: str  # "lp_relaxation" or "lagrangian"


@dataclass(frozen=True)
class Sensitivity:
    mode: Mode
    objective: float
    marginal_post: float | None  # improvement from one more post in the pool (re-solved)
    marginal_funds: float | None  # improvement from FUND_STEP_YUAN more in the fund pool
    fund_step_yuan: float
    shadow_prices: dict[str, ShadowPrice]
    relaxation_tight: bool | None  # LP relaxation optimum equals the MILP's
    binding: tuple[str, ...]


def improvement_per_unit(pi: float, *, sense: int, solver: str) -> float:
    """A raw PuLP dual turned into objective improvement per unit of right-hand side."""
    derivative = -pi if (solver == "HiGHS" and sense == pulp.LpMaximize) else pi
    return derivative if sense == pulp.LpMaximize else -derivative


def analyse(
    problem: Problem,
    mode: Mode | str = Mode.SHORTFALL,
    *,
    method: str = "auto",
    solver: str = "HiGHS",
    fund_step_yuan: float = FUND_STEP_YUAN,
    ranges: bool = True,
) -> Sensitivity:
    """Marginal values, shadow prices with ranges, and binding constraints of a problem."""
    c = compile_problem(problem, mode)
    chosen = choose_method(c, method)
    if chosen == "milp":
        return _analyse_milp(c, solver_name(solver), fund_step_yuan, ranges)
    return _analyse_resolve(problem, c, chosen, fund_step_yuan)


def _resource_names(model: MilpModel) -> list[str]:
    return [
        name
        for name in model.constraints
        if name in ("posts_pool", "fund_pool") or name.startswith(("posts_cap:", "funds_cap:"))
    ]


def _analyse_milp(c: Compiled, solver: str, fund_step: float, ranges: bool) -> Sensitivity:
    model = build_milp(c)
    scale = WAN if c.mode is Mode.COST else 1.0  # model objective units -> ours
    status, _ = run_solver(model, solver)
    if status is Status.INFEASIBLE:
        raise InfeasibleError(describe_infeasible(c), infeasible_requirement(c))
    milp_value = _value(model)
    posts, funds = model.allocation()
    binding = binding_constraints(c, posts, funds)

    marginal_post = marginal_funds = None
    if c.mode is Mode.SHORTFALL:
        marginal_post = milp_value - _resolve(model, solver, "posts_pool", 1.0, mip=True)
        step = fund_step / WAN
        marginal_funds = milp_value - _resolve(model, solver, "fund_pool", step, mip=True)

    run_solver(model, solver, mip=False)
    lp_value = _value(model)
    tight = abs(lp_value - milp_value) <= 1e-7 * (1.0 + abs(milp_value))
    prices: dict[str, ShadowPrice] = {}
    names = _resource_names(model)
    duals = {name: model.constraints[name].pi or 0.0 for name in names}  # before any re-solve
    for name in names:
        value = improvement_per_unit(duals[name], sense=model.prob.sense, solver=solver) + 0.0
        lower = upper = None
        rhs = -model.constraints[name].constant
        if ranges:
            lower, upper = _range(model, solver, name, rhs, lp_value, -value)
        to_natural = WAN if model.units[name] == "¥10,000" else 1.0
        prices[name] = ShadowPrice(
            constraint=name,
            unit=model.units[name],
            rhs=rhs * to_natural,
            value=value * scale,
            lower=None if lower is None else lower * to_natural,
            upper=None if upper is None else upper * to_natural,
            source="lp_relaxation",
        )
    return Sensitivity(
        mode=c.mode,
        objective=milp_value * scale,
        marginal_post=marginal_post,
        marginal_funds=marginal_funds,
        fund_step_yuan=fund_step,
        shadow_prices=prices,
        relaxation_tight=tight,
        binding=binding,
    )


def _value(model: MilpModel) -> float:
    return float(pulp.value(model.prob.objective) or 0.0)


def _resolve(model: MilpModel, solver: str, name: str, delta: float, *, mip: bool) -> float:
    """Objective with a constraint's right-hand side moved by ``delta`` (then restored)."""
    constraint = model.constraints[name]
    saved = constraint.constant
    constraint.constant = saved - delta
    try:
        status, _ = run_solver(model, solver, mip=mip)
        if status is not Status.OPTIMAL:
            raise RuntimeError(f"re-solving with {name} moved by {delta:g} ended {status.value}")
        return _value(model)
    finally:
        constraint.constant = saved


def _probe(model: MilpModel, solver: str, name: str, rhs: float) -> tuple[float, float] | None:
    """LP value and its derivative in the right-hand side at ``rhs`` (None when infeasible)."""
    constraint = model.constraints[name]
    saved = constraint.constant
    constraint.constant = -rhs
    try:
        status, _ = run_solver(model, solver, mip=False)
        if status is not Status.OPTIMAL:
            return None
        return _value(model), constraint.pi or 0.0  # minimisation: pi = dValue/dRHS
    finally:
        constraint.constant = saved


def _limits(model: MilpModel, name: str) -> tuple[float, float]:
    """Right-hand sides between which the constraint can matter (model units)."""
    c = model.compiled
    saturate = np.minimum(c.hi, c.lo + c.top)  # posts beyond these add nothing
    rows = np.arange(c.size)
    if name.startswith(("posts_cap:", "funds_cap:")):
        g = [cap.name for cap in c.problem.caps].index(name.split(":", 1)[1])
        rows = c.member_rows[g]
    if name == "posts_pool" or name.startswith("posts_cap:"):
        return float(c.lo[rows].sum()), float(saturate[rows].sum()) + 1.0
    funds_floor = float(c.fund_floor[rows].sum()) / WAN
    funds_top = float((c.top[rows] / c.k).sum()) / WAN if c.k > 0 else 0.0
    return funds_floor, funds_floor + funds_top + 1.0


def _range(
    model: MilpModel, solver: str, name: str, rhs: float, value: float, slope: float
) -> tuple[float | None, float | None]:
    """Interval of right-hand sides on which the LP value is ``value + slope * (b - rhs)``."""
    low_limit, high_limit = _limits(model, name)
    if abs(slope) <= 1e-12:  # slack: more never helps, less helps nothing until it binds
        return _edge(model, solver, name, rhs, value, 0.0, min(low_limit, rhs)), float("inf")
    return (
        _edge(model, solver, name, rhs, value, slope, min(low_limit, rhs)),
        _edge(model, solver, name, rhs, value, slope, max(high_limit, rhs)),
    )


def _edge(
    model: MilpModel,
    solver: str,
    name: str,
    rhs: float,
    value: float,
    slope: float,
    limit: float,
) -> float:
    if abs(limit - rhs) <= 1e-12:
        return rhs
    probe = limit
    for _ in range(60):
        seen = _probe(model, solver, name, probe)
        if seen is None:  # infeasible out there (fairness floors): come back halfway
            probe = 0.5 * (probe + rhs)
            continue
        at_probe, slope_probe = seen
        line = value + slope * (probe - rhs)
        if abs(at_probe - line) <= 1e-7 * (1.0 + abs(value)):
            return probe
        if abs(slope_probe - slope) <= 1e-12:
            return rhs
        crossing = (at_probe - slope_probe * probe - value + slope * rhs) / (slope - slope_probe)
        if not min(rhs, probe) <= crossing <= max(rhs, probe) or abs(crossing - probe) <= 1e-12:
            return crossing
        probe = crossing
    return probe


def _analyse_resolve(problem: Problem, c: Compiled, method: str, fund_step: float) -> Sensitivity:
    """Large problems: Lagrangian prices, and marginal values by re-solving."""
    base = solve(problem, c.mode, method=method)
    assert base.objective is not None and base.binding is not None
    prices: dict[str, ShadowPrice] = {}
    marginal_post = marginal_funds = None
    if c.mode is Mode.SHORTFALL:
        pool = problem.posts_pool
        funds = float(c.fund_floor.sum()) + c.extra_funds
        assert pool is not None
        more_posts = solve(problem.with_pools(posts_pool=pool + 1), c.mode, method=method)
        more_funds = solve(
            problem.with_pools(fund_pool_yuan=funds + fund_step), c.mode, method=method
        )
        marginal_post = base.objective - (more_posts.objective or 0.0)
        marginal_funds = base.objective - (more_funds.objective or 0.0)
        for name, unit, rhs in (
            ("posts_pool", "post", float(pool)),
            ("fund_pool", "¥10,000", funds),
        ):
            if name in base.multipliers:
                prices[name] = ShadowPrice(
                    name, unit, rhs, base.multipliers[name], None, None, "lagrangian"
                )
    return Sensitivity(
        mode=c.mode,
        objective=base.objective,
        marginal_post=marginal_post,
        marginal_funds=marginal_funds,
        fund_step_yuan=fund_step,
        shadow_prices=prices,
        relaxation_tight=None,
        binding=base.binding,
    )
