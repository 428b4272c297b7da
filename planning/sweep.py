"""Sweep a scenario over a full factorial of varied fields, one simulation per point.

Each point is a variant of the loaded scenario made in memory
(:func:`jiedao.scenarios.with_overrides`), simulated with the same seed, replications and horizons
(common random numbers across points), and handed to ``on_point`` as soon as it finishes, so a
recorder (:class:`jiedao.export.sweep.SweepRecorder`) can keep it durably before the next one
starts. Points whose id is in ``skip`` (recorded by an earlier, interrupted run) are not run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from jiedao.scenarios import ScenarioError, Vary, with_overrides
from jiedao.scenarios.model import Scenario
from jiedao.scenarios.overrides import Point, point_id, point_label, point_overrides, points
from jiedao.sim.run import Horizon, Results, run


@dataclass(frozen=True)
class SweepPoint:
    index: int
    id: str
    label: str
    point: Point
    results: Results
    runtime_s: float


def point_scenario(base: Scenario, point: Point) -> Scenario:
    """The variant of ``base`` at ``point``; an error names the varied field that caused it."""
    overrides = point_overrides(point)
    try:
        return with_overrides(base, overrides)
    except ScenarioError as err:
        # blame the vary that wrote the field, not the override made of it
        for item in overrides:
            if err.kind == "override" and err.source == item.label:
                raise ScenarioError(item.label, err.path, err.message, kind="vary") from None
        raise


def check_levels(base: Scenario, varies: Sequence[Vary]) -> None:
    """Make each level of each vary on its own, so that a bad level fails before anything runs."""
    for vary in varies:
        for value in vary.values:
            point_scenario(base, {vary.path: value})


def run_sweep(
    base: Scenario,
    varies: Sequence[Vary],
    on_point: Callable[[SweepPoint], None],
    *,
    skip: Collection[str] = (),
    replications: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    warmup_days: int | None = None,
    case_days: int | None = None,
    case_warmup_days: int | None = None,
    executor: Any = None,
    progress: Callable[[int], None] | None = None,
    simulate: Callable[[Scenario], Results] | None = None,
) -> int:
    """Simulate every point not in ``skip``, in factorial order; return how many ran.

    Horizons not given are each point's own (a sweep may vary ``simulation.days``).
    ``simulate`` replaces the simulation (tests of the recorder use a cheap stand-in)."""

    def default(scenario: Scenario) -> Results:
        return run(
            scenario,
            replications=replications,
            seed=seed,
            horizon=Horizon.of(scenario, days, warmup_days, case_days, case_warmup_days),
            executor=executor,
        )

    simulate = simulate or default
    all_points = points(varies)
    check_levels(base, varies)
    ran = 0
    for index, point in enumerate(all_points):
        pid = point_id(point)
        if pid in skip:
            continue
        scenario = point_scenario(base, point)
        began = time.perf_counter()
        results = simulate(scenario)
        on_point(
            SweepPoint(index, pid, point_label(point), point, results, time.perf_counter() - began)
        )
        ran += 1
        if progress is not None:
            progress(1)
    return ran
