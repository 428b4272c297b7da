"""The plan, closed loop: measure curves, allocate, then check the allocation by simulating it.

1. **Curves.** Each community's grid service level at 8-12 staffing levels, simulated with common
   random numbers (:mod:`optimize.response`), made monotone and concave; or curves a planner
   brings (``--curves``).
2. **Allocation.** Posts and funds across communities (:func:`optimize.solve.solve`): least
   weighted shortfall within the pools, or least cost meeting every target; with sensitivity
   (:func:`optimize.sensitivity.analyse`): the value of one more post and of ¥10,000 more funds,
   shadow prices with the range over which they hold, binding constraints.
3. **Check.** The chosen allocation is simulated again with *fresh* seeds (a seed stream the curves
   never saw), and each community's service level is reported with its 95% half-width, next to the
   level the curve promised, and whether its target is met.

Pure: no I/O. The CLI writes the tables (:mod:`export.plan`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from jiedao.optimize.curves import Curve
from jiedao.optimize.model import Mode, problem_from_scenario
from jiedao.optimize.sensitivity import Sensitivity, analyse
from jiedao.optimize.solve import Result, solve
from jiedao.planning.clerks import ClerkPlan, plan_clerks
from jiedao.planning.clerks import qualifies as clerk_qualifies
from jiedao.planning.response import CurveTask, MeasuredCurves, measure_curves
from jiedao.scenarios.model import Scenario
from jiedao.sim.backends import Serial
from jiedao.sim.grids import grid_workers
from jiedao.sim.run import summarise
from jiedao.sim.streams import derived_seed


def staffed_tasks(
    scenario: Scenario,
    staff: dict[str, float],
    replications: Iterable[int],
    seed: int,
    case_days: int,
    case_warmup_days: int,
) -> list[CurveTask]:
    """One task per street and replication with each community at ``staff`` serving
    staff-equivalents (the station keeps its posts; the rest are grid workers)."""
    station = {c.id: grid_workers(scenario, c)[1] for c in scenario.communities()}
    return [
        CurveTask(
            street.id,
            0,
            r,
            seed,
            case_days,
            case_warmup_days,
            tuple((c.id, max(0.0, staff[c.id] - station[c.id])) for c in street.communities),
        )
        for street in scenario.streets()
        for r in replications
    ]


@dataclass(frozen=True)
class CommunityCheck:
    community_id: str
    planned_level: float  # what the (fitted) curve promised at the allocated staff
    level: float  # re-simulated, mean over replications
    ci95: float
    target: float
    target_met: bool  # re-simulated mean >= target
    agrees: bool  # the curve's promise lies within the check's interval (widened by the curve's)


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    mode: Mode
    seed: int
    curves: dict[str, Curve]  # as measured (with half-widths) or as brought
    fitted: dict[str, Curve]
    result: Result
    sensitivity: Sensitivity | None
    checks: dict[str, CommunityCheck]
    check_replications: int
    check_seed: int
    runtime_s: float
    curve_source: str  # "simulated" or "given"
    clerks: ClerkPlan | None = None  # window clerks per street, where windows are pooled


def check_allocation(
    scenario: Scenario,
    staff: dict[str, float],
    fitted: dict[str, Curve],
    targets: dict[str, float],
    replications: int,
    seed: int,
    case_days: int,
    case_warmup_days: int,
    executor: Any = None,
    progress: Any = None,
    curve_ci: dict[str, float] | None = None,
) -> dict[str, CommunityCheck]:
    """Simulate each community at its allocated staff-equivalents; compare with its curve."""
    work = staffed_tasks(scenario, staff, range(replications), seed, case_days, case_warmup_days)
    executor = executor if executor is not None else Serial()
    values: dict[str, np.ndarray] = {c: np.full(replications, np.nan) for c in staff}
    for _, _, replication, shares in executor(scenario, work, progress):
        for community, share in shares.items():
            values[community][replication] = share
    out = {}
    for community, row in values.items():
        row = np.where(np.isnan(row), 1.0, row)
        mean, half = summarise(row)
        half = 0.0 if half != half else half
        promised = float(fitted[community](staff[community]))
        widen = (curve_ci or {}).get(community, 0.0)
        out[community] = CommunityCheck(
            community_id=community,
            planned_level=promised,
            level=mean,
            ci95=half,
            target=targets[community],
            target_met=bool(mean >= targets[community] - 1e-12),
            agrees=bool(abs(mean - promised) <= half + widen + 1e-9),
        )
    return out


def make_plan(
    scenario: Scenario,
    *,
    mode: Mode | str = Mode.SHORTFALL,
    replications: int = 3,
    check_replications: int = 5,
    seed: int | None = None,
    curves: dict[str, Curve] | None = None,
    solver: str = "HiGHS",
    fairness: float | None = None,
    executor: Any = None,
    progress: Any = None,
    case_days: int | None = None,
    case_warmup_days: int | None = None,
    levels: int = 10,
    with_sensitivity: bool = True,
    with_clerks: bool = True,
    on_phase: Any = None,
) -> Plan:
    """Curves (measured unless given), allocation with sensitivity, and the simulated check.
    ``on_phase("solving")``, when given, is called just before the allocation is solved."""
    began = time.perf_counter()
    mode = Mode(mode)
    seed = scenario.simulation.seed if seed is None else seed
    sim = scenario.simulation
    case_days = case_days or min(sim.case_days or sim.days, 56)
    warm = (
        case_warmup_days
        if case_warmup_days is not None
        else min(
            sim.case_warmup_days if sim.case_warmup_days is not None else sim.warmup_days,
            case_days // 4,
        )
    )
    measured: MeasuredCurves | None = None
    if curves is None:
        measured = measure_curves(
            scenario, replications, seed, case_days, warm, executor, progress, levels
        )
        raw, fitted = measured.raw, measured.fitted
    else:
        raw = curves
        fitted = {
            k: c if c.is_monotone() and c.is_concave() else c.concave() for k, c in curves.items()
        }
    target = scenario.targets.grid.share
    problem = problem_from_scenario(scenario, fitted, target=target, fairness=fairness)
    if on_phase is not None:
        on_phase("solving")
    result = solve(problem, mode, solver=solver)
    sensitivity = analyse(problem, mode, solver=solver) if with_sensitivity else None
    checks: dict[str, CommunityCheck] = {}
    # fresh residents for the check, independent of the curves' and still reproducible
    check_seed = derived_seed(seed, "check")
    if result.allocation is not None and check_replications > 0:
        staff = {a.community_id: a.staff_equivalents for a in result.allocation}
        targets = {a.community_id: a.target for a in result.allocation}
        curve_ci = {
            k: float(np.interp(staff[k], raw[k].staff, ci))
            for k in staff
            if (ci := raw[k].ci95) is not None
        }
        checks = check_allocation(
            scenario,
            staff,
            fitted,
            targets,
            check_replications,
            check_seed,
            case_days,
            warm,
            executor,
            progress,
            curve_ci,
        )
    clerks = None
    if with_clerks and curves is None and clerk_qualifies(scenario):
        clerks = plan_clerks(
            scenario,
            check_replications=check_replications,
            seed=seed,
            solver=solver,
            executor=executor,
        )
    return Plan(
        clerks=clerks,
        scenario=scenario,
        mode=mode,
        seed=seed,
        curves=raw,
        fitted=fitted,
        result=result,
        sensitivity=sensitivity,
        checks=checks,
        check_replications=check_replications,
        check_seed=check_seed,
        runtime_s=time.perf_counter() - began,
        curve_source="simulated" if measured is not None else "given",
    )
