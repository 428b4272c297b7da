"""Solving an allocation problem, and the result every method returns.

:func:`solve` picks a method and returns a :class:`Result` shaped like scipy's ``OptimizeResult``:
our own :class:`Status`, fields that always exist (``None`` when there is no solution), the
allocation per community, the objective, a bound and gap, and the binding constraints by name.

It works in two stages (shortfall mode). **First** the penalised shortfall is minimised exactly
(or with a certified gap) over the aimed curves: the lower 95% bound of each curve unless
``aim="mean"``, made monotone without lifting a point (see :mod:`optimize.model`). **Then** the
first stage's answer is trimmed and the rest of the posts pool is placed (:mod:`optimize.place`):
every post is placed unless the problem keeps a reserve or every community is at its maximum.

Methods for the first stage:

``"milp"``
    the exact MILP of :mod:`optimize.milp` (one binary per segment of each S-shaped curve), solved
    with HiGHS through highspy unless ``solver=`` names a PuLP solver (``"CBC"`` is bundled with
    PuLP). Any side constraint; city scale.
``"decompose"``
    the Lagrangian decomposition of :mod:`optimize.decompose` (shortfall mode), with a certified
    gap; province scale. No group caps or fairness floors.
``"separable"``
    cost mode without caps: each community on its own, exact.
``"greedy"``
    posts one at a time where one more post gains most, then funds (:mod:`optimize.greedy`): the
    quick reference. Exact with a single pool and concave curves; otherwise its gap is not
    certified, and on S-shaped curves it stops at the foot of the cliff.
``"auto"`` (default)
    ``milp`` when there are side constraints (group caps, hard fairness floors), ``separable`` in
    cost mode, otherwise ``decompose``; where its gap is not certified (relative gap above
    ``CERTIFIED_GAP``) on at most ``MILP_LIMIT`` communities, the MILP solves it exactly. On the
    measured curves of the benchmark the decomposition certifies a gap of 1e-10 or less in a
    fraction of the MILP's time (``docs/benchmarks.md``).

Solver logs never reach standard output: HiGHS prints its banner from C even with
``output_flag`` off, and CBC is a child process that inherits the descriptor, so
:func:`quiet_stdout` points file descriptor 1 at a temporary file for the duration of a solve and
keeps the text as ``Result.solver_log``. Infeasible requests raise
:class:`optimize.model.InfeasibleError`.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

import numpy as np
import pulp

from jiedao.optimize.decompose import cheapest, lagrangian
from jiedao.optimize.greedy import greedy
from jiedao.optimize.milp import build_model, segments, solve_model
from jiedao.optimize.model import (
    Aim,
    Compiled,
    InfeasibleError,
    Mode,
    Problem,
    Shape,
    binding_constraints,
    compile_problem,
    describe_infeasible,
    infeasible_requirement,
)
from jiedao.optimize.place import Placement, place
from jiedao.optimize.report import Budget, FundValue, Unmet, budget, fund_value, unmet

__all__ = [
    "MILP_LIMIT",
    "SOLVER_ALIASES",
    "Allocation",
    "Result",
    "Status",
    "available_solvers",
    "choose_method",
    "make_solver",
    "quiet_stdout",
    "solve",
    "solve_compiled",
    "solver_name",
]

SOLVER_ALIASES = {"highs": "HiGHS", "cbc": "PULP_CBC_CMD", "pulp_cbc_cmd": "PULP_CBC_CMD"}


class Status(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (within the solver's tolerance)
    FEASIBLE = "feasible"  # a solution with a gap: see Result.gap
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"  # e.g. the time limit passed before any solution


@contextmanager
def quiet_stdout() -> Iterator[list[str]]:
    """Send file descriptor 1 to a temporary file; yields a list that receives its text."""
    captured: list[str] = []
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield captured
        finally:
            sys.stdout.flush()
            _flush_c_stdout()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace"))


def _flush_c_stdout() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library to flush: nothing buffered there either
        pass


@cache
def available_solvers() -> tuple[str, ...]:
    with quiet_stdout():
        return tuple(pulp.listSolvers(onlyAvailable=True))


def solver_name(name: str) -> str:
    """The PuLP name of a solver (``"highs"`` -> ``"HiGHS"``), checked to be installed."""
    canonical = SOLVER_ALIASES.get(name.lower(), name)
    available = available_solvers()
    if canonical not in available:
        raise ValueError(f"solver {name!r} is not available; installed: {', '.join(available)}")
    return canonical


def make_solver(name: str, *, mip: bool = True, time_limit: float | None = None) -> pulp.LpSolver:
    canonical = solver_name(name)
    if canonical == "HiGHS":
        # presolve off for LPs: HiGHS's presolve stalls for minutes on the relaxation at a
        # posts pool equal to the floors, which simplex alone solves in milliseconds
        extra = {} if mip else {"presolve": "off"}
        return pulp.HiGHS(
            msg=False,
            mip=mip,
            timeLimit=time_limit,
            gapRel=1e-9,
            gapAbs=1e-10,
            threads=1,
            **extra,
        )
    if canonical == "PULP_CBC_CMD":
        # PuLP 3.3 deprecates the bundled CBC in favour of a separately installed one; the
        # bundled one is what is here, and pyproject keeps PuLP below 4
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(msg=False, mip=mip, timeLimit=time_limit, gapRel=1e-9)
    return pulp.getSolver(canonical, msg=False, mip=mip, timeLimit=time_limit)


def pulp_status(prob: pulp.LpProblem) -> Status:
    if prob.status == pulp.LpStatusInfeasible:
        return Status.INFEASIBLE
    if prob.status == pulp.LpStatusUnbounded:
        return Status.UNBOUNDED
    if prob.sol_status == pulp.LpSolutionOptimal:
        return Status.OPTIMAL
    if prob.sol_status == pulp.LpSolutionIntegerFeasible:
        return Status.FEASIBLE
    if prob.status == pulp.LpStatusOptimal:  # solvers that set no sol_status
        return Status.OPTIMAL
    return Status.NOT_SOLVED


# --- the result -----------------------------------------------------------------------------------

MILP_LIMIT = 500  # communities: the MILP takes over where the decomposition is not certified
CERTIFIED_GAP = 1e-9  # relative gap at which an allocation counts as optimal
FALLBACK_TIME_S = 60.0  # time limit of the MILP when it takes over from the decomposition


@dataclass(frozen=True)
class Allocation:
    """One community's posts and funds and what they achieve.

    ``service_level`` is the mean level at the allocation, ``lower_level`` its lower 95% bound
    (the level itself where the curve has none), ``aimed_level`` what the optimiser judged (the
    lower bound unless ``aim="mean"``, less the margin); ``target_met`` and ``shortfall`` are
    judged on ``aimed_level``. ``posts_change`` is ``posts - posts_today``; ``cut`` says it is
    negative.
    """

    community_id: str
    posts: int
    funds_yuan: float
    purchased_hours: float
    staff_equivalents: float
    service_level: float
    target: float
    target_met: bool
    shortfall: float  # max(0, target - aimed_level)
    marginal_value_per_post: float  # aimed level one more post here would add
    lower_level: float = 0.0
    aimed_level: float = 0.0
    floor_level: float | None = None
    posts_today: int | None = None
    posts_change: int | None = None
    cut: bool = False
    curve_lift: float = 0.0  # how far the shape lifted this curve's points (concave fit)
    curve_lowered: float = 0.0  # how far the monotone step (or fit) lowered one


@dataclass(frozen=True)
class Result:
    status: Status
    mode: Mode
    method: str
    solver: str | None
    message: str
    objective: float | None  # penalised weighted shortfall, or total cost in yuan
    bound: float | None  # no allocation does better than this
    gap: float | None  # relative: (objective - bound) / objective
    allocation: tuple[Allocation, ...] | None
    posts_total: int | None
    funds_total_yuan: float | None
    cost_yuan: float | None  # posts x post cost + funds
    binding: tuple[str, ...] | None
    build_s: float
    solve_s: float
    multipliers: dict[str, float] = field(default_factory=dict)  # decomposition prices
    solver_log: str = field(default="", repr=False)
    shortfall: float | None = None  # weighted shortfall from the targets (no penalty)
    deep_shortfall: float | None = None  # weighted shortfall below the floors
    posts_pool: int | None = None
    posts_reserve: int = 0
    posts_spread: int = 0  # posts the second stage placed
    posts_without_value: int = 0  # of those, posts where no measured level rises
    posts_unplaced: int = 0  # posts beyond the reserve that no community could take
    posts_trimmed: int = 0  # posts the first stage gave that raised no level
    funds_unplaced_yuan: float | None = None  # fund pool left unallocated (shortfall mode)
    cuts: tuple[str, ...] = ()  # communities below their posts today
    unmet: tuple[Unmet, ...] = ()  # communities below target, with why
    unfloored: tuple[tuple[str, str], ...] = ()  # communities without a floor, with why
    budget: Budget | None = None
    fund_value: FundValue | None = None
    aim: str = Aim.LOWER.value
    shape: str = Shape.MEASURED.value
    spread: str = "none"
    curve_lift_max: float = 0.0
    curve_lowered_max: float = 0.0
    binaries: int = 0  # binaries in the MILP (S-shaped curves)
    notes: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def by_id(self) -> dict[str, Allocation]:
        return {a.community_id: a for a in self.allocation or ()}

    def posts(self) -> np.ndarray:
        return np.array([a.posts for a in self.allocation or ()], dtype=np.int64)

    def funds(self) -> np.ndarray:
        return np.array([a.funds_yuan for a in self.allocation or ()])


# --- solve ----------------------------------------------------------------------------------------


def choose_method(c: Compiled, method: str) -> str:
    """``milp`` for side constraints, else ``separable`` (cost) or ``decompose`` (shortfall);
    :func:`solve_compiled` falls back on the MILP where the decomposition's gap is not certified
    and the problem is at most ``MILP_LIMIT`` communities."""
    if method != "auto":
        return method
    if c.problem.caps or (c.mode is Mode.SHORTFALL and c.problem.fairness is not None):
        return "milp"
    return "separable" if c.mode is Mode.COST else "decompose"


@dataclass(frozen=True)
class FirstStage:
    posts: np.ndarray
    funds: np.ndarray
    bound: float | None
    status: Status | None
    solver: str | None
    log: str
    multipliers: dict[str, float]
    binaries: int


def first_stage(
    c: Compiled,
    method: str,
    solver: str = "HiGHS",
    time_limit: float | None = None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> FirstStage | Status:
    """The penalised shortfall (or cost) minimised by ``method``; a Status when unsolved."""
    problem = c.problem
    if method == "milp":
        name = solver_name(solver)
        model = build_model(c)
        x = None if start is None else model.solution_for(*start)
        solution = solve_model(model, name, time_limit=time_limit, start=x)
        if solution.status is Status.INFEASIBLE:
            raise InfeasibleError(describe_infeasible(c), infeasible_requirement(c))
        if solution.x is None:
            return solution.status
        posts, funds = model.allocation(solution.x)
        bound = None
        if solution.status is Status.OPTIMAL:
            bound = c.objective(posts, funds)
        elif solution.bound is not None:
            bound = solution.bound * model.scale
        return FirstStage(
            posts, funds, bound, solution.status, name, solution.log, {}, model.binaries
        )
    if method == "decompose":
        d = lagrangian(c)
        multipliers = {"fund_pool": d.fund_price * 1e4, "posts_pool": d.post_price}
        return FirstStage(d.posts, d.funds, d.bound, None, None, "", multipliers, 0)
    if method == "separable":
        posts, funds = cheapest(c)
        return FirstStage(posts, funds, c.objective(posts, funds), None, None, "", {}, 0)
    if method == "greedy":
        if c.mode is not Mode.SHORTFALL:
            raise ValueError("the greedy reference is for the shortfall mode")
        posts, funds = greedy(c)
        single_pool = not c.funds_move or c.extra_posts <= 0
        concave = bool(segments(c)[3].all())
        exact = single_pool and concave and not problem.caps
        bound = c.objective(posts, funds) if exact else None
        return FirstStage(posts, funds, bound, None, None, "", {}, 0)
    raise ValueError(f"unknown method {method!r}; use auto, milp, decompose, separable or greedy")


def _better(c: Compiled, decomposed: FirstStage, exact: FirstStage) -> FirstStage:
    """The MILP's answer, or the decomposition's where the MILP stopped short of it; the best
    of both bounds."""
    bounds = [b for b in (decomposed.bound, exact.bound) if b is not None]
    bound = max(bounds) if bounds else None
    if c.objective(exact.posts, exact.funds) <= c.objective(decomposed.posts, decomposed.funds):
        return FirstStage(
            exact.posts,
            exact.funds,
            bound,
            exact.status,
            exact.solver,
            exact.log,
            decomposed.multipliers,
            exact.binaries,
        )
    return FirstStage(
        decomposed.posts,
        decomposed.funds,
        bound,
        None,
        exact.solver,
        exact.log,
        decomposed.multipliers,
        exact.binaries,
    )


def solve(
    problem: Problem,
    mode: Mode | str = Mode.SHORTFALL,
    *,
    method: str = "auto",
    solver: str = "HiGHS",
    time_limit: float | None = None,
) -> Result:
    """Allocate posts and funds; see the module docstring for the stages and methods.

    Raises :class:`InfeasibleError` for requests that cannot be met, naming the requirement.
    """
    started = time.perf_counter()
    c = compile_problem(problem, mode)
    return solve_compiled(c, method=method, solver=solver, time_limit=time_limit, started=started)


def solve_compiled(
    c: Compiled,
    *,
    method: str = "auto",
    solver: str = "HiGHS",
    time_limit: float | None = None,
    started: float | None = None,
) -> Result:
    """:func:`solve` on a compiled problem (the sweeps of :mod:`optimize.sensitivity` reuse it)."""
    started = time.perf_counter() if started is None else started
    automatic = method == "auto"
    method = choose_method(c, method)
    built = time.perf_counter()
    stage = first_stage(c, method, solver, time_limit)
    if automatic and method == "decompose" and c.size <= MILP_LIMIT:
        assert isinstance(stage, FirstStage)
        objective = c.objective(stage.posts, stage.funds)
        if stage.bound is None or objective - stage.bound > CERTIFIED_GAP * max(objective, 1e-12):
            limit = FALLBACK_TIME_S if time_limit is None else time_limit
            exact = first_stage(c, "milp", solver, limit, start=(stage.posts, stage.funds))
            if isinstance(exact, FirstStage):
                stage, method = _better(c, stage, exact), "milp"
    finished = time.perf_counter()
    if isinstance(stage, Status):
        return Result(
            stage,
            c.mode,
            method,
            solver_name(solver) if method == "milp" else None,
            f"the solver stopped without a solution ({stage.value})",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            built - started,
            finished - built,
        )
    placement = place(c, stage.posts, stage.funds)
    return _result(c, method, stage, placement, built - started, finished - built)


def _notes(c: Compiled, placement: Placement, funds_left: float | None) -> tuple[str, ...]:
    problem = c.problem
    notes: list[str] = []
    if c.mode is Mode.SHORTFALL:
        if problem.posts_reserve:
            notes.append(f"{problem.posts_reserve} posts kept in reserve, as asked")
        if placement.rule == "none":
            left = c.extra_posts - int((placement.posts - c.lo).sum())
            if left > 0:
                notes.append(f"{left} posts of the pool left unplaced (spread 'none')")
        if placement.unplaced_posts:
            notes.append(
                f"{placement.unplaced_posts} posts cannot be placed: every community that could "
                "take them is at its posts maximum or cap"
            )
        if placement.posts_without_value:
            notes.append(
                f"{placement.posts_without_value} posts raise no level the curves measure "
                "(each curve is flat there); placed evenly by weight"
            )
        if not c.funds_move and c.k > 0:
            notes.append("the fund pool equals the fund floors: funds cannot move")
        if funds_left and funds_left > 0.5:
            notes.append(
                f"¥{funds_left:,.0f} of the fund pool would raise no aimed level and is left "
                "unallocated"
            )
        if c.unfloored:
            notes.append(
                f"{len(c.unfloored)} communities cannot reach their floor within their cap: "
                "no floor for them"
            )
    if Aim(problem.aim) is Aim.LOWER and not c.bounded.all():
        missing = int((~c.bounded).sum())
        notes.append(f"{missing} curves carry no bounds: judged on their levels")
    if Shape(problem.shape) is Shape.CONCAVE and c.lift.max() > 1e-9:
        i = int(np.argmax(c.lift))
        notes.append(
            f"the concave fit lifts points by up to {c.lift[i]:.3f} (community {c.ids[i]}): "
            "the allocation relies on service the curves did not show"
        )
    elif c.lowered.max() > 1e-9:
        i = int(np.argmax(c.lowered))
        notes.append(
            f"making the curves monotone lowered points by up to {c.lowered[i]:.3f} "
            f"(community {c.ids[i]})"
        )
    return tuple(notes)


def _result(
    c: Compiled,
    method: str,
    stage: FirstStage,
    placement: Placement,
    build_s: float,
    solve_s: float,
) -> Result:
    problem = c.problem
    posts, funds = placement.posts, placement.funds
    objective = c.objective(posts, funds)
    bound = stage.bound
    if bound is not None:
        bound = min(bound, objective)
    gap = None
    if bound is not None:
        gap = max(0.0, objective - bound) / objective if objective > 0 else 0.0
    status = stage.status
    if status is None or (status is Status.FEASIBLE and gap is not None and gap <= CERTIFIED_GAP):
        status = Status.OPTIMAL if gap is not None and gap <= CERTIFIED_GAP else Status.FEASIBLE
    units = c.units(posts, funds)
    aimed = c.level_at(units)
    mean = c.level_at(units, "mean")
    lower = c.level_at(units, "low")
    aimed_plus = c.level_at(units + 1.0)
    hours = funds * problem.purchase_share / problem.hour_price_yuan
    staff = posts - c.nonserving + hours / problem.hours_per_post_year
    known = c.today >= 0
    change = posts - c.today
    allocation = tuple(
        Allocation(
            community_id=c.ids[i],
            posts=int(posts[i]),
            funds_yuan=float(funds[i]),
            purchased_hours=float(hours[i]),
            staff_equivalents=float(staff[i]),
            service_level=float(mean[i]),
            target=float(c.target[i]),
            target_met=bool(aimed[i] >= c.target[i] - 1e-9),
            shortfall=float(max(0.0, c.target[i] - aimed[i])),
            marginal_value_per_post=float(aimed_plus[i] - aimed[i]),
            lower_level=float(lower[i]),
            aimed_level=float(aimed[i]),
            floor_level=float(c.floor[i]) if c.floor[i] > 0 else None,
            posts_today=int(c.today[i]) if known[i] else None,
            posts_change=int(change[i]) if known[i] else None,
            cut=bool(known[i] and change[i] < 0),
            curve_lift=float(c.lift[i]),
            curve_lowered=float(c.lowered[i]),
        )
        for i in range(c.size)
    )
    cost = float(posts.sum() * problem.post_cost_yuan + funds.sum())
    plain, deep = c.shortfalls(posts, funds)
    funds_left = None
    if c.mode is Mode.SHORTFALL:
        funds_left = max(0.0, float(c.fund_floor.sum()) + c.extra_funds - float(funds.sum()))
    gap_text = "" if gap is None else f", gap {gap:.2e}"
    return Result(
        status=status,
        mode=c.mode,
        method=method,
        solver=stage.solver,
        message=f"{status.value} by {method}{gap_text}",
        objective=objective,
        bound=bound,
        gap=gap,
        allocation=allocation,
        posts_total=int(posts.sum()),
        funds_total_yuan=float(funds.sum()),
        cost_yuan=cost,
        binding=binding_constraints(c, posts, funds),
        build_s=build_s,
        solve_s=solve_s,
        multipliers=stage.multipliers,
        solver_log=stage.log,
        shortfall=plain if c.mode is Mode.SHORTFALL else None,
        deep_shortfall=deep if c.mode is Mode.SHORTFALL else None,
        posts_pool=problem.posts_pool if c.mode is Mode.SHORTFALL else None,
        posts_reserve=problem.posts_reserve if c.mode is Mode.SHORTFALL else 0,
        posts_spread=placement.spread_posts,
        posts_without_value=placement.posts_without_value,
        posts_unplaced=placement.unplaced_posts,
        posts_trimmed=placement.trimmed_posts,
        funds_unplaced_yuan=funds_left,
        cuts=tuple(c.ids[i] for i in np.flatnonzero(known & (change < 0))),
        unmet=unmet(c, posts, funds),
        unfloored=tuple((c.ids[i], why) for i, why in c.unfloored),
        budget=budget(c, posts, funds),
        fund_value=fund_value(c, posts, funds),
        aim=problem.aim,
        shape=problem.shape,
        spread=placement.rule,
        curve_lift_max=float(c.lift.max()),
        curve_lowered_max=float(c.lowered.max()),
        binaries=stage.binaries,
        notes=_notes(c, placement, funds_left),
    )
