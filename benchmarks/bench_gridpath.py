"""The grid fast path against the SimPy engine, per community curve, in one run.

Run from the repository root:  .venv/bin/python -m benchmarks.bench_gridpath [--repeat 2]

A curve is what :func:`planning.response.measure_curves` measures for one street: every
community's joint grid level at its 12 staffing levels (:func:`planning.response.staff_levels`)
x ``--replications`` replications, over the scenario's case horizon and warm-up (Liaoyuan: 112
days, 28 of warm-up). The engine is :func:`planning.response.grid_outcomes` per (level,
replication), as the curves ran before; the fast path is :class:`planning.response.CurveBatch`
per replication (each community's events drawn once for its 12 levels, the compiled loop at each).
Both give the same figures (asserted here too). numba compiles the loop once before timing (and
caches it). Each timing is the best of ``--repeat`` runs; the ratio is taken within the run.
"""

from __future__ import annotations

import argparse
import platform
import time

from jiedao.planning.response import LEVELS, CurveBatch, CurveTask, grid_split, staff_levels
from jiedao.scenarios import load
from jiedao.sim import gridkernel, gridpath


def tasks(scenario, street, replications: int) -> list[CurveTask]:
    sim = scenario.simulation
    case_days = sim.case_days or sim.days
    warm = sim.case_warmup_days if sim.case_warmup_days is not None else sim.warmup_days
    levels = {c.id: staff_levels(scenario, c, LEVELS) for c in street.communities}
    return [
        CurveTask(
            street.id, k, r, sim.seed, case_days, warm,
            tuple((c.id, *grid_split(scenario, c, float(levels[c.id][k])))
                  for c in street.communities),
        )  # fmt: skip
        for r in range(replications)
        for k in range(LEVELS)
    ]


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - began)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--street", default=None, help="street id (default: the first)")
    args = parser.parse_args()
    scenario = load("liaoyuan")
    if gridpath.unqualified(scenario):
        reasons = "; ".join(gridpath.unqualified(scenario))
        raise SystemExit("the fast path does not apply: " + reasons)
    street = next(s for s in scenario.streets() if args.street in (None, s.id))
    work = tasks(scenario, street, args.replications)
    began = time.perf_counter()
    CurveBatch(tuple(work[:1]))(scenario)  # compile (or load the cache)
    warm_up = time.perf_counter() - began

    def engine():
        return [t(scenario) for t in work]

    def fast():
        out = []
        for r in range(args.replications):
            out += CurveBatch(tuple(t for t in work if t.replication == r))(scenario)
        return out

    t_engine, a = best(engine, args.repeat)
    t_fast, b = best(fast, args.repeat)
    assert [x[:3] for x in a] == [x[:3] for x in b]
    for x, y in zip(a, b, strict=True):
        for c in x[3]:
            for key, v in x[3][c].items():
                w = y[3][c][key]
                assert (v != v and w != w) or abs(v - w) <= 1e-9, (c, key, v, w)
    n = len(street.communities)
    print(f"python {platform.python_version()}, numba compiled: {gridkernel.COMPILED}")
    print(f"street {street.id}: {n} communities x {LEVELS} levels x {args.replications} "
          f"replications, best of {args.repeat}; first call (compile or cache load) "
          f"{warm_up:.1f} s")  # fmt: skip
    print(f"engine (SimPy)  {t_engine:8.2f} s   {t_engine / n:6.2f} s per community curve")
    print(f"fast path       {t_fast:8.2f} s   {t_fast / n:6.3f} s per community curve")
    print(f"ratio           {t_engine / t_fast:8.1f} x   (same figures: asserted)")


if __name__ == "__main__":
    main()
