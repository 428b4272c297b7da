"""Solving an allocation problem, and the result every method returns.

:func:`solve` picks a method and returns a :class:`Result` shaped like scipy's ``OptimizeResult``:
our own :class:`Status`, fields that always exist (``None`` when there is no solution), the
allocation per community, the objective, a bound and gap, and the binding constraints by name.

Methods:

``"milp"``
    the PuLP model of :mod:`optimize.milp`, solved with HiGHS (highspy) unless ``solver=`` names
    another PuLP solver (``"CBC"`` is bundled with PuLP). Any side constraint; city scale.
``"decompose"``
    the Lagrangian decomposition of :mod:`optimize.decompose` (shortfall mode), with a certified
    gap; 100,000 communities in seconds. No group caps or fairness floors.
``"separable"``
    cost mode without caps: each community on its own, exact.
``"greedy"``
    posts greedy, then funds water-filled (:mod:`optimize.greedy`): the quick reference. Exact with
    a single pool; otherwise its gap is not certified.
``"auto"`` (default)
    ``milp`` when there are side constraints or at most ``MILP_LIMIT`` communities, otherwise
    ``decompose`` / ``separable``.

Solver logs never reach standard output: HiGHS prints its banner from C even with
``msg=False``, and CBC is a child process that inherits the descriptor, so :func:`quiet_stdout`
points file descriptor 1 at a temporary file for the duration of the solve and keeps the text as
``Result.solver_log``. Infeasible requests raise :class:`optimize.model.InfeasibleError`.
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
from jiedao.optimize.milp import MilpModel, build_milp
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

MILP_LIMIT = 2_000
SOLVER_ALIASES = {"highs": "HiGHS", "cbc": "PULP_CBC_CMD", "pulp_cbc_cmd": "PULP_CBC_CMD"}


class Status(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (within the solver's tolerance)
    FEASIBLE = "feasible"  # a solution with a gap: see Result.gap
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"  # e.g. the time limit passed before any solution


@dataclass(frozen=True)
class Allocation:
    """One community's posts and funds and what they achieve."""

    community_id: str
    posts: int
    funds_yuan: float
    purchased_hours: float
    staff_equivalents: float
    service_level: float
    target: float
    target_met: bool
    shortfall: float  # max(0, target - service_level)
    marginal_value_per_post: float  # service level one more post here would add


@dataclass(frozen=True)
class Result:
    status: Status
    mode: Mode
    method: str
    solver: str | None
    message: str
    objective: float | None  # weighted shortfall, or total cost in yuan
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

    @property
    def success(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def by_id(self) -> dict[str, Allocation]:
        return {a.community_id: a for a in self.allocation or ()}

    def posts(self) -> np.ndarray:
        return np.array([a.posts for a in self.allocation or ()], dtype=np.int64)

    def funds(self) -> np.ndarray:
        return np.array([a.funds_yuan for a in self.allocation or ()])


# --- quiet solvers --------------------------------------------------------------------------------


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
        return pulp.HiGHS(
            msg=False, mip=mip, timeLimit=time_limit, gapRel=1e-9, gapAbs=1e-10, threads=1
        )
    if canonical == "PULP_CBC_CMD":
        # PuLP 3.3 deprecates the bundled CBC in favour of a separately installed one; the
        # bundled one is what is here, and pyproject keeps PuLP below 4
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(msg=False, mip=mip, timeLimit=time_limit, gapRel=1e-9)
    return pulp.getSolver(canonical, msg=False, mip=mip, timeLimit=time_limit)


def run_solver(
    model: MilpModel, solver: str, *, mip: bool = True, time_limit: float | None = None
) -> tuple[Status, str]:
    """Solve the PuLP model quietly; our status and the solver's log."""
    backend = make_solver(solver, mip=mip, time_limit=time_limit)
    with quiet_stdout() as log:
        model.prob.solve(backend)
    return _status(model.prob), "".join(log)


def _status(prob: pulp.LpProblem) -> Status:
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


# --- solve ----------------------------------------------------------------------------------------


def choose_method(c: Compiled, method: str) -> str:
    if method != "auto":
        return method
    if c.problem.caps or (c.mode is Mode.SHORTFALL and c.problem.fairness is not None):
        return "milp"
    if c.size <= MILP_LIMIT:
        return "milp"
    return "separable" if c.mode is Mode.COST else "decompose"


def solve(
    problem: Problem,
    mode: Mode | str = Mode.SHORTFALL,
    *,
    method: str = "auto",
    solver: str = "HiGHS",
    time_limit: float | None = None,
) -> Result:
    """Allocate posts and funds; see the module docstring for the methods.

    Raises :class:`InfeasibleError` for requests that cannot be met, naming the requirement.
    """
    started = time.perf_counter()
    c = compile_problem(problem, mode)
    method = choose_method(c, method)
    if method == "milp":
        return _solve_milp(c, solver, time_limit, started)
    built = time.perf_counter()
    multipliers: dict[str, float] = {}
    bound: float | None
    if method == "decompose":
        d = lagrangian(c)
        posts, funds, bound = d.posts, d.funds, d.bound
        multipliers = {"fund_pool": d.fund_price * 1e4, "posts_pool": d.post_price}
    elif method == "separable":
        posts, funds = cheapest(c)
        bound = c.objective(posts, funds)
    elif method == "greedy":
        if c.mode is not Mode.SHORTFALL:
            raise ValueError("the greedy reference is for the shortfall mode")
        posts, funds = greedy(c)
        single_pool = c.extra_funds <= 0 or c.extra_posts <= 0
        bound = c.objective(posts, funds) if single_pool and not problem.caps else None
    else:
        raise ValueError(
            f"unknown method {method!r}; use auto, milp, decompose, separable or greedy"
        )
    finished = time.perf_counter()
    return _result(
        c,
        method,
        None,
        posts,
        funds,
        bound,
        built - started,
        finished - built,
        multipliers=multipliers,
    )


def _solve_milp(c: Compiled, solver: str, time_limit: float | None, started: float) -> Result:
    name = solver_name(solver)
    model = build_milp(c)
    built = time.perf_counter()
    status, log = run_solver(model, name, time_limit=time_limit)
    finished = time.perf_counter()
    if status is Status.INFEASIBLE:
        raise InfeasibleError(describe_infeasible(c), infeasible_requirement(c))
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return Result(
            status,
            c.mode,
            "milp",
            name,
            f"the solver stopped without a solution ({status.value})",
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
            solver_log=log,
        )
    posts, funds = model.allocation()
    bound = None
    if status is Status.OPTIMAL:
        bound = c.objective(posts, funds)
    elif name == "HiGHS":
        bound = _highs_bound(model, c)
    return _result(
        c,
        "milp",
        name,
        posts,
        funds,
        bound,
        built - started,
        finished - built,
        log=log,
        status=status,
    )


def _highs_bound(model: MilpModel, c: Compiled) -> float | None:
    try:
        value = float(model.prob.solverModel.getInfo().mip_dual_bound)
    except AttributeError:
        return None
    if c.mode is Mode.COST:
        return value * 1e4  # the model's objective is in ¥10,000
    return value


def _result(
    c: Compiled,
    method: str,
    solver: str | None,
    posts: np.ndarray,
    funds: np.ndarray,
    bound: float | None,
    build_s: float,
    solve_s: float,
    *,
    log: str = "",
    status: Status | None = None,
    multipliers: dict[str, float] | None = None,
) -> Result:
    problem = c.problem
    objective = c.objective(posts, funds)
    gap = None
    if bound is not None:
        gap = max(0.0, objective - bound) / objective if objective > 0 else 0.0
    if status is None:
        status = Status.OPTIMAL if gap is not None and gap <= 1e-9 else Status.FEASIBLE
    units = c.units(posts, funds)
    level = c.level_at(units)
    level_plus = c.level_at(units + 1.0)
    hours = funds * problem.purchase_share / problem.hour_price_yuan
    staff = posts - c.nonserving + hours / problem.hours_per_post_year
    allocation = tuple(
        Allocation(
            community_id=c.ids[i],
            posts=int(posts[i]),
            funds_yuan=float(funds[i]),
            purchased_hours=float(hours[i]),
            staff_equivalents=float(staff[i]),
            service_level=float(level[i]),
            target=float(c.target[i]),
            target_met=bool(level[i] >= c.target[i] - 1e-9),
            shortfall=float(max(0.0, c.target[i] - level[i])),
            marginal_value_per_post=float(level_plus[i] - level[i]),
        )
        for i in range(c.size)
    )
    cost = float(posts.sum() * problem.post_cost_yuan + funds.sum())
    gap_text = "" if gap is None else f", gap {gap:.2e}"
    return Result(
        status=status,
        mode=c.mode,
        method=method,
        solver=solver,
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
        multipliers=multipliers or {},
        solver_log=log,
    )
