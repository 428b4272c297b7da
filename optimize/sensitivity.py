"""Sensitivity: what one more post or ¥10,000 more funds is worth, and what binds, in values that
hold.

**Exact marginal values.** :attr:`Sensitivity.marginal_post` and :attr:`marginal_funds` are the
integer optimum's own: the objective with the pool one post (¥10,000) larger, re-solved, or read
off the pool's value sweep where the problem allows one (below). They are what a planner should
read.

**Shadow prices only where they hold.** A MILP has no duals (PuLP reports ``pi == 0.0`` for every
constraint of a MILP, silently). The LP relaxation of the exact model of :mod:`optimize.milp`
replaces each S-shaped curve by its concave envelope and lets posts be divided; its duals are
prices of *that* problem. They are shown (``source="lp_relaxation"``) only when the relaxation is
tight, i.e. its optimum equals the MILP's (:attr:`Sensitivity.relaxation_tight`); otherwise the
prices are left out and :attr:`Sensitivity.note` says so in plain words, beside the exact values
("price 0, holds from 313.16" while the integer minimum is 326 is the kind of statement this
rule stops).

**Ranges without a re-solve per probe.** Where the prices hold, the right-hand-side range over
which each holds comes from HiGHS's own ranging (``Highs.getRanging``, one call after the LP
solve, through highspy; PuLP does not expose it): the interval over which the optimal basis, and
so the relaxation's price, stays. That is the relaxation's range: inside it the integer value
lies on or above the price's line. For the posts pool, where the sweep below applies, the range
is the integer problem's own (``ShadowPrice.range_source == "sweep"``): a relaxation's price of 0
"holding from 313.16 posts" while the integer minimum is 326 cannot be printed.
``range_method="probe"`` keeps the older way (cutting planes on the LP value,
one LP re-solve per probe) for comparison. For the integer problem, the *value of the posts pool*
is computed once by a sweep: where the posts are the only pool that moves and the communities are
separable (no group caps), a dynamic programme over the communities (max-plus convolution of each
community's value at 0, 1, 2, ... posts) gives the exact optimum at every pool size at once, on
curves of any shape; :func:`pool_frontier` returns it as frontier points (what
``planning.whatif.budget_frontier`` needs), and :attr:`Sensitivity.post_value_range` is the
interval of pools over which one more post is worth the same. Where the sweep does not apply, the
frontier solves each point.

**Sign convention.** Every shadow price is normalised to *objective improvement per unit of the
constraint's right-hand side*: penalised shortfall removed per extra post in the pool, or yuan
saved per post of extra cap in cost mode. Solvers disagree on the raw sign through PuLP: for a
minimisation both HiGHS and CBC report ``pi = dObjective/dRHS``; for a maximisation CBC still does,
while PuLP's HiGHS interface hands back the dual of the negated (minimised) objective, so
``pi = -dObjective/dRHS``. :func:`improvement_per_unit` applies that rule; the tests check it on a
hand-solved LP with both solvers and both senses.

At province scale (method ``decompose``) the prices are the Lagrangian multipliers: the fund price
``mu`` and the value of the last post at that price, shown only when the certified gap is
negligible (then the dual is exact and the prices are valid supergradients), without a range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pulp

from jiedao.optimize.milp import WAN, HighsSession, LinearModel, build_model
from jiedao.optimize.model import (
    Compiled,
    InfeasibleError,
    Mode,
    Problem,
    compile_problem,
    describe_infeasible,
    infeasible_requirement,
)
from jiedao.optimize.place import place
from jiedao.optimize.solve import CERTIFIED_GAP, Result, Status, solve, solve_compiled, solver_name

FUND_STEP_YUAN = 10_000.0
TIGHT = 1e-7  # relative: the relaxation is tight when its optimum is this close to the MILP's
CERTIFIED = 1e-6  # relative gap below which Lagrangian multipliers are shown as prices
LP_LIMIT = 20_000  # communities: the LP relaxation is solved for tightness and duals up to here


@dataclass(frozen=True)
class ShadowPrice:
    constraint: str
    unit: str  # "post" or "¥10,000"
    rhs: float  # in posts or yuan
    value: float  # objective improvement per unit
    lower: float | None  # the right-hand side (posts or yuan) over which ``value`` holds
    upper: float | None
    source: str  # "lp_relaxation" or "lagrangian"
    range_source: str = ""  # "sweep" (the integer value, exact), "highs_ranging", "probe"


@dataclass(frozen=True)
class Sensitivity:
    mode: Mode
    objective: float
    marginal_post: float | None  # improvement from one more post in the pool (exact)
    marginal_funds: float | None  # improvement from FUND_STEP_YUAN more in the fund pool (exact)
    fund_step_yuan: float
    shadow_prices: dict[str, ShadowPrice]  # only where they hold (see the module docstring)
    relaxation_tight: bool | None  # LP relaxation optimum equals the MILP's
    binding: tuple[str, ...]
    lp_objective: float | None = None  # the LP relaxation's optimum
    note: str = ""  # why no shadow price is shown, in plain words ("" when they are)
    marginal_source: str = "resolve"  # "resolve" or "sweep"
    post_value_range: tuple[int, int] | None = None  # posts pools over which marginal_post holds
    range_source: str = ""  # "highs_ranging", "probe", "" (none)


@dataclass(frozen=True)
class PoolPoint:
    """One point of a pool's frontier: what a posts pool (or fund pool, yuan) buys."""

    pool: float
    objective: float | None  # penalised shortfall (None: infeasible)
    shortfall: float | None
    deep_shortfall: float | None
    service_level: float | None  # weight-weighted mean of the mean levels
    aimed_level: float | None  # weight-weighted mean of the aimed levels
    posts_total: int | None
    funds_total_yuan: float | None
    marginal: float | None  # objective removed by one more unit (post, ¥10,000) at this pool
    source: str  # "sweep" or "solve"


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
    range_method: str = "highs",
) -> Sensitivity:
    """Exact marginal values, shadow prices where they hold (with ranges), binding constraints.

    The integer optimum comes from :func:`optimize.solve.solve` (``method``); at most
    ``LP_LIMIT`` communities (or ``method="milp"``) the LP relaxation of the exact model is
    solved to judge tightness and give its duals, beyond that the decomposition's multipliers
    where its gap is certified.
    """
    c = compile_problem(problem, mode)
    solver = solver_name(solver)
    base = solve_compiled(c, method=method, solver=solver)
    if base.objective is None or base.binding is None:
        raise RuntimeError(f"the allocation ended {base.status.value}")
    if c.size <= LP_LIMIT or base.method == "milp":
        return _analyse_lp(c, base, solver, fund_step_yuan, ranges, range_method)
    return _analyse_lagrangian(problem, c, base, solver, fund_step_yuan)


def _resource_names(model: LinearModel) -> list[str]:
    return [
        name
        for name in model.names
        if name in ("posts_pool", "fund_pool") or name.startswith(("posts_cap:", "funds_cap:"))
    ]


def sweep_applies(c: Compiled) -> bool:
    """Whether the posts pool's value can be swept exactly by the dynamic programme."""
    return c.mode is Mode.SHORTFALL and not c.funds_move and not c.problem.caps


def _marginals(
    c: Compiled, solver: str, fund_step: float, value: float, method: str
) -> tuple[float | None, float | None, str, tuple[int, int] | None]:
    problem = c.problem
    if c.mode is not Mode.SHORTFALL:
        return None, None, "resolve", None
    assert problem.posts_pool is not None
    more_funds = problem.with_pools(
        fund_pool_yuan=float(c.fund_floor.sum()) + c.extra_funds + fund_step
    )
    marginal_funds = value - _objective(more_funds, solver, method)
    if sweep_applies(c) and c.size <= LP_LIMIT:
        pool = problem.posts_pool
        window = max(50, pool // 10)
        sweep = post_values(c, max(pool + 1, min(saturation(c), pool + window)))
        marginal_post = float(sweep[pool] - sweep[pool + 1])
        return marginal_post, marginal_funds, "sweep", _holds(sweep, pool, marginal_post)
    more_posts = problem.with_pools(posts_pool=problem.posts_pool + 1)
    return value - _objective(more_posts, solver, method), marginal_funds, "resolve", None


def saturation(c: Compiled) -> int:
    """The posts pool beyond which no community's aimed level rises any more."""
    cap = np.minimum(c.room, np.ceil(c.u_top + 1e-9)).astype(np.int64)
    return int(c.lo.sum()) + c.problem.posts_reserve + int(cap.sum())


def _objective(problem: Problem, solver: str, method: str) -> float:
    result = solve(problem, Mode.SHORTFALL, solver=solver, method=method)
    if result.objective is None:
        raise RuntimeError(f"re-solving a pool ended {result.status.value}")
    return result.objective


def _holds(sweep: dict[int, float], pool: int, marginal: float) -> tuple[int, int]:
    """Pools ``a..b`` around ``pool`` at which one more post is worth ``marginal``."""
    tolerance = 1e-9 * (1.0 + abs(marginal))
    low = pool
    while low - 1 in sweep and abs(sweep[low - 1] - sweep[low] - marginal) <= tolerance:
        low -= 1
    high = pool
    while high + 2 in sweep and abs(sweep[high + 1] - sweep[high + 2] - marginal) <= tolerance:
        high += 1
    return low, high


def _analyse_lp(
    c: Compiled, base: Result, solver: str, fund_step: float, ranges: bool, range_method: str
) -> Sensitivity:
    assert base.objective is not None and base.binding is not None
    value = base.objective
    certified = base.gap is not None and base.gap <= CERTIFIED_GAP
    method = "milp" if base.method == "milp" else "auto"
    marginal_post, marginal_funds, source, holds = _marginals(c, solver, fund_step, value, method)
    model = build_model(c)
    session = HighsSession(model, relax=True)
    relaxed = session.run()
    if relaxed.status is Status.INFEASIBLE:
        raise InfeasibleError(describe_infeasible(c), infeasible_requirement(c))
    if relaxed.objective is None or relaxed.row_dual is None:
        raise RuntimeError(f"the LP relaxation ended {relaxed.status.value}")
    lp_value = relaxed.objective * model.scale
    tight: bool | None = abs(lp_value - value) <= TIGHT * (1.0 + abs(value))
    if not certified:
        tight = False if lp_value < (base.bound or -math.inf) - TIGHT * (1 + abs(value)) else None
    prices: dict[str, ShadowPrice] = {}
    note = ""
    range_source = ""
    if tight:
        ranging = session.ranging() if ranges and range_method == "highs" else None
        range_source = "highs_ranging" if ranging is not None else ""
        for name in _resource_names(model):
            row = model.names[name]
            price = -float(relaxed.row_dual[row]) + 0.0  # minimisation: dual = d value / d rhs
            rhs = model.rhs(name)
            to_natural = WAN if model.units[name] == "¥10,000" else 1.0
            lower = upper = None
            price_range = range_source
            if name == "posts_pool" and holds is not None:
                # the integer problem's own range, from the sweep: pools a..b where one more
                # post is worth the price, so the value is linear from a to b + 1
                lower, upper = float(holds[0]), float(holds[1] + 1)
                if abs(price) <= 1e-12:  # tight at 0: the relaxation, below the integer
                    upper = math.inf  # value, never improves with more, so neither does it
                price_range = "sweep"
            elif ranging is not None:
                lower = _finite(ranging.row_bound_dn.value_[row]) * to_natural + 0.0
                upper = _finite(ranging.row_bound_up.value_[row]) * to_natural + 0.0
                if abs(price) <= 1e-12:  # slack: more never helps
                    upper = math.inf
            elif ranges and range_method == "probe":
                range_source = "probe"
                lower, upper = probe_range(session, name, rhs, lp_value / model.scale, price)
            prices[name] = ShadowPrice(
                constraint=name,
                unit=model.units[name],
                rhs=rhs,
                value=price * model.scale,
                lower=lower,
                upper=upper,
                source="lp_relaxation",
                range_source=price_range if (lower is not None or upper is not None) else "",
            )
    elif tight is None:
        note = (
            f"no shadow price is shown: the integer optimum is not certified (gap "
            f"{base.gap if base.gap is not None else float('nan'):.2e}), so whether the LP "
            f"relaxation's prices hold cannot be told"
        )
    else:
        note = _not_tight_note(c, lp_value, value, marginal_post, marginal_funds, fund_step)
    return Sensitivity(
        mode=c.mode,
        objective=value,
        marginal_post=marginal_post,
        marginal_funds=marginal_funds,
        fund_step_yuan=fund_step,
        shadow_prices=prices,
        relaxation_tight=tight,
        binding=base.binding,
        lp_objective=lp_value,
        note=note,
        marginal_source=source,
        post_value_range=holds,
        range_source=range_source,
    )


def _finite(value: float) -> float:
    return float(value) if abs(value) < 1e29 else math.copysign(math.inf, value)


def _not_tight_note(
    c: Compiled,
    lp_value: float,
    milp_value: float,
    marginal_post: float | None,
    marginal_funds: float | None,
    fund_step: float,
) -> str:
    what = "least cost" if c.mode is Mode.COST else "weighted shortfall"
    text = (
        f"no shadow price is shown: the LP relaxation (each curve's concave envelope, posts "
        f"divisible) reaches a {what} of {lp_value:.6g} where whole posts on the measured curves "
        f"reach {milp_value:.6g}, so its prices would not hold"
    )
    if marginal_post is not None:
        text += f"; exactly, one more post removes {marginal_post:.6g}"
        if marginal_funds is not None:
            text += f" and ¥{fund_step:,.0f} more removes {marginal_funds:.6g}"
    return text


def probe_range(
    session: HighsSession, name: str, rhs: float, value: float, price: float
) -> tuple[float, float]:
    """The older way to a range: cutting planes on the LP value, one re-solve per probe.

    ``value`` in model units, ``price`` the improvement per unit of the model's right-hand side
    (a post, ¥10,000).
    """
    model = session.model
    c = model.compiled
    to_natural = WAN if model.units[name] == "¥10,000" else 1.0
    slope = -price  # d value / d rhs (model units)
    rhs_model = rhs / to_natural
    low_limit, high_limit = _limits(c, name)
    try:
        if abs(slope) <= 1e-12:
            low = _edge(session, name, rhs_model, value, 0.0, min(low_limit, rhs_model))
            return low * to_natural, math.inf
        low = _edge(session, name, rhs_model, value, slope, min(low_limit, rhs_model))
        high = _edge(session, name, rhs_model, value, slope, max(high_limit, rhs_model))
        return low * to_natural, high * to_natural
    finally:
        session.set_rhs(name, rhs)
        session.run()


def _limits(c: Compiled, name: str) -> tuple[float, float]:
    """Right-hand sides (model units) between which a resource can matter."""
    saturate = np.minimum(c.hi, c.lo + np.ceil(c.u_top))
    rows = np.arange(c.size)
    if name.startswith(("posts_cap:", "funds_cap:")):
        g = [cap.name for cap in c.problem.caps].index(name.split(":", 1)[1])
        rows = c.member_rows[g]
    if name == "posts_pool" or name.startswith("posts_cap:"):
        return float(c.lo[rows].sum()), float(saturate[rows].sum()) + 1.0
    funds_floor = float(c.fund_floor[rows].sum()) / WAN
    funds_top = float((c.u_top[rows] / c.k).sum()) / WAN if c.k > 0 else 0.0
    return funds_floor, funds_floor + funds_top + 1.0


def _edge(
    session: HighsSession, name: str, rhs: float, value: float, slope: float, limit: float
) -> float:
    model = session.model
    to_natural = WAN if model.units[name] == "¥10,000" else 1.0
    if abs(limit - rhs) <= 1e-12:
        return rhs
    probe = limit
    for _ in range(60):
        session.set_rhs(name, probe * to_natural)
        seen = session.run()
        if seen.objective is None or seen.row_dual is None:  # infeasible: come back halfway
            probe = 0.5 * (probe + rhs)
            continue
        at_probe = seen.objective
        slope_probe = float(seen.row_dual[model.names[name]])
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


def _analyse_lagrangian(
    problem: Problem, c: Compiled, base: Result, solver: str, fund_step: float
) -> Sensitivity:
    """Province scale: Lagrangian prices where the gap is certified, marginal values re-solved."""
    assert base.objective is not None and base.binding is not None
    prices: dict[str, ShadowPrice] = {}
    marginal_post, marginal_funds, source, holds = _marginals(
        c, solver, fund_step, base.objective, base.method
    )
    note = ""
    if c.mode is Mode.SHORTFALL:
        assert problem.posts_pool is not None
        funds = float(c.fund_floor.sum()) + c.extra_funds
        certified = base.gap is not None and base.gap <= CERTIFIED
        if certified:
            for name, unit, rhs in (
                ("posts_pool", "post", float(problem.posts_pool)),
                ("fund_pool", "¥10,000", funds),
            ):
                if name in base.multipliers:
                    prices[name] = ShadowPrice(
                        name, unit, rhs, base.multipliers[name], None, None, "lagrangian"
                    )
        else:
            note = (
                f"no shadow price is shown: the decomposition's certified gap is "
                f"{base.gap if base.gap is not None else float('nan'):.2e}, so its prices "
                f"need not hold; the marginal values are re-solved"
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
        note=note,
        marginal_source=source,
        post_value_range=holds,
    )


# --- the value of the posts pool, swept once ------------------------------------------------------


def _community_values(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Each community's value at 0..cap posts above its floor (funds at the floors), and cap."""
    cap = np.minimum(c.room, np.ceil(c.u_top + 1e-9)).astype(np.int64)
    width = int(cap.max(initial=0)) + 1
    steps = np.arange(width, dtype=float)
    value = c.served(c.level_at(np.broadcast_to(steps, (c.size, width))))
    value = np.where(steps[None, :] <= cap[:, None], value, -np.inf)
    if c.need is not None:  # hard fairness floors: fewer posts are not allowed
        value = np.where(steps[None, :] < c.need[:, None] - 1e-9, -np.inf, value)
    return value, cap


def _dynamic_programme(
    c: Compiled, most: int, keep: bool
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Best total value with exactly q posts above the floors, q = 0..most (max-plus
    convolution over the communities), and each community's choice (when ``keep``)."""
    value, cap = _community_values(c)
    best = np.array([0.0])
    choices: list[np.ndarray] | None = [] if keep else None
    for i in range(c.size):
        length = min(most, best.size - 1 + int(cap[i])) + 1
        new = np.full(length, -np.inf)
        pick = np.zeros(length, dtype=np.int32)
        for p in range(int(cap[i]) + 1):
            if not np.isfinite(value[i, p]):
                continue
            span = min(best.size, length - p)
            if span <= 0:
                break
            candidate = best[:span] + value[i, p]
            better = candidate > new[p : p + span]
            new[p : p + span] = np.where(better, candidate, new[p : p + span])
            pick[p : p + span] = np.where(better, p, pick[p : p + span])
        best = new
        if choices is not None:
            choices.append(pick)
    return best, choices


def post_values(c: Compiled, most_pool: int) -> dict[int, float]:
    """The exact optimum (penalised shortfall) at every posts pool from the floors to
    ``most_pool``, in one sweep (see the module docstring)."""
    if not sweep_applies(c):
        raise ValueError("the posts sweep needs fixed funds and no group caps")
    floors = int(c.lo.sum())
    reserve = c.problem.posts_reserve
    most = max(0, most_pool - reserve - floors)
    best, _ = _dynamic_programme(c, most, keep=False)
    reached = np.maximum.accumulate(best)  # at most q posts
    total = c.total_value
    out = {}
    for q in range(most + 1):
        pool = floors + reserve + q
        out[pool] = total - float(reached[min(q, reached.size - 1)])
    return out


def pool_frontier(
    problem: Problem,
    pool: str = "posts",
    values: Sequence[float] | None = None,
    *,
    method: str = "auto",
    solver: str = "HiGHS",
) -> tuple[PoolPoint, ...]:
    """What each posts pool (or fund pool, in yuan) buys: the budget frontier.

    Posts pools are swept exactly at once where :func:`sweep_applies` (``values`` default: every
    pool from the floors to where no curve rises any more); otherwise, and for the fund pool,
    each value is solved (``values`` then required for funds).
    """
    if pool not in ("posts", "funds"):
        raise ValueError(f"pool must be 'posts' or 'funds', got {pool!r}")
    c = compile_problem(problem, Mode.SHORTFALL)
    weights = c.weight / c.weight.sum() if c.weight.sum() > 0 else np.full(c.size, 1 / c.size)
    if pool == "posts" and sweep_applies(c):
        floors = int(c.lo.sum()) + problem.posts_reserve
        saturate = saturation(c)
        wanted = (
            list(range(floors, saturate + 1))
            if values is None
            else sorted({int(round(v)) for v in values})
        )
        most = max(wanted) + 1 if wanted else floors
        keep = c.size * (most - floors + 1) <= 50_000_000
        best, choices = _dynamic_programme(c, max(0, most - floors), keep=keep)
        reached = np.maximum.accumulate(best)
        total = c.total_value
        points = []
        for value in wanted:
            q = value - floors
            if q < 0:
                points.append(
                    PoolPoint(float(value), None, None, None, None, None, None, None, None, "sweep")
                )
                continue
            objective = total - float(reached[min(q, reached.size - 1)])
            after = total - float(reached[min(q + 1, reached.size - 1)])
            at = replace(c, problem=problem.with_pools(posts_pool=value), extra_posts=q)
            if choices is not None:
                extra = _backtrack(best, choices, int(np.argmax(best[: q + 1])))
                placed = place(at, c.lo + extra, c.fund_floor.copy())
                posts, funds = placed.posts, placed.funds
            else:
                result = solve_compiled(at, method=method, solver=solver)
                posts, funds = result.posts(), result.funds()
            points.append(
                _point(at, float(value), posts, funds, objective - after, "sweep", weights)
            )
        return tuple(points)
    if values is None:
        raise ValueError("the frontier needs its pool values here (the sweep does not apply)")
    solved: list[PoolPoint] = []
    for amount in values:
        moved = (
            problem.with_pools(posts_pool=int(round(amount)))
            if pool == "posts"
            else problem.with_pools(fund_pool_yuan=float(amount))
        )
        try:
            at = compile_problem(moved, Mode.SHORTFALL)
            result = solve_compiled(at, method=method, solver=solver)
        except InfeasibleError:
            solved.append(
                PoolPoint(float(amount), None, None, None, None, None, None, None, None, "solve")
            )
            continue
        solved.append(
            _point(at, float(amount), result.posts(), result.funds(), None, "solve", weights)
        )
    _fill_marginals(solved, 1.0 if pool == "posts" else FUND_STEP_YUAN)
    return tuple(solved)


def _fill_marginals(points: list[PoolPoint], unit: float) -> None:
    """Marginals from neighbouring solved points (per post, or per ¥10,000)."""
    for j in range(len(points) - 1):
        a, b = points[j], points[j + 1]
        if a.objective is None or b.objective is None or b.pool == a.pool:
            continue
        points[j] = replace(a, marginal=(a.objective - b.objective) / (b.pool - a.pool) * unit)


def _backtrack(best: np.ndarray, choices: list[np.ndarray], q: int) -> np.ndarray:
    extra = np.zeros(len(choices), dtype=np.int64)
    for i in range(len(choices) - 1, -1, -1):
        p = int(choices[i][q])
        extra[i] = p
        q -= p
    return extra


def _point(
    c: Compiled,
    pool: float,
    posts: np.ndarray,
    funds: np.ndarray,
    marginal: float | None,
    source: str,
    weights: np.ndarray,
) -> PoolPoint:
    units = c.units(posts, funds)
    plain, deep = c.shortfalls(posts, funds)
    return PoolPoint(
        pool=pool,
        objective=c.objective(posts, funds),
        shortfall=plain,
        deep_shortfall=deep,
        service_level=float(np.sum(weights * c.level_at(units, "mean"))),
        aimed_level=float(np.sum(weights * c.level_at(units))),
        posts_total=int(posts.sum()),
        funds_total_yuan=float(funds.sum()),
        marginal=marginal,
        source=source,
    )
