"""Solver plumbing shared by the methods: statuses, quiet solvers, PuLP solver objects.

Solver logs never reach standard output: HiGHS prints its banner from C even with
``output_flag`` off, and CBC is a child process that inherits the descriptor, so
:func:`quiet_stdout` points file descriptor 1 at a temporary file for the duration of a solve and
keeps the text (``Result.solver_log``).
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import cache

import pulp

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
