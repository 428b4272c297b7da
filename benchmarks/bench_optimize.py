"""Allocation optimiser at scale, on S-shaped measured curves, and the cost of its ranges.

Run ``python benchmarks/bench_optimize.py`` (``--sizes 1000,10000`` to choose, ``--milp-max N``
for the largest size also solved by the exact MILP: 300 by default; 1,000 takes about two
minutes). Prints three markdown tables, measured in one run:

1. **Solve time** at each size, two instances (*posts only*: the fund pool equals the floors;
   *posts + funds*: ¥150k a community to move), by the decomposition (what ``method="auto"``
   runs without side constraints), the greedy reference and, up to ``--milp-max``, the MILP:
   compile, first stage and second stage (placing the pool) together, the penalised shortfall,
   the best bound, the gap, and the time relative to the greedy.
2. **Old against exact** on the same curves (1,000 communities): the old allocation (the concave
   fit of the means, posts left in the pool, no floor) scored on the measured points, against the
   exact allocation on the measured means and the new default (the lower bounds, floors, the
   whole pool placed).
3. **Ranges**: HiGHS ranging (one LP solve and ``getRanging``) against the old re-solve per probe
   (cutting planes on the LP value: warm re-solves in highspy, and fresh solves through PuLP as
   the old code did), for the posts and fund pools of a concave instance, as ratios.

Curves: 12 staffing levels 0..11, ``a / (1 + exp(-(staff - m) / w))`` with ``a`` in 0.9-1,
the cliff ``m`` in 2-7 staff and its width ``w`` in 0.3-1.2 (S-shaped: slow, then steep), plus
N(0, 0.01) noise (so some points dip) and 95% half-widths of 0.01-0.04; targets 0.9, weights
households (1,000-8,000), two party-building posts that do not serve, fund floors ¥200k / ¥100k,
and a pool of 7 posts a community.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jiedao.optimize import CommunitySpec, Curve, Problem, solve  # noqa: E402
from jiedao.optimize.milp import HighsSession, _solve_pulp, build_model  # noqa: E402
from jiedao.optimize.model import compile_problem  # noqa: E402
from jiedao.optimize.sensitivity import probe_range  # noqa: E402

LEVELS = 12


def instance(n: int, *, funds: bool, seed: int = 5, shape: str = "s") -> Problem:
    rng = np.random.default_rng([seed, n])
    staff = np.arange(LEVELS, dtype=float)
    scale = rng.uniform(0.9, 1.0, n)
    households = rng.integers(1_000, 8_001, n)
    urban = rng.random(n) < 0.75
    floors = np.where(urban, 200_000.0, 100_000.0)
    if shape == "s":
        middle = rng.uniform(2.0, 7.0, n)
        width = rng.uniform(0.3, 1.2, n)
        level = scale[:, None] / (1 + np.exp(-(staff[None, :] - middle[:, None]) / width[:, None]))
        level = np.clip(level + rng.normal(0, 0.01, level.shape), 0.0, 1.0)
    else:  # concave, for the ranging table
        tau = rng.uniform(1.5, 4.0, n)
        level = scale[:, None] * (1.0 - np.exp(-staff[None, :] / tau[:, None]))
    half = rng.uniform(0.01, 0.04, level.shape)
    communities = tuple(
        CommunitySpec(
            id=f"d{i // 1000:03d}/c{i % 1000:03d}",
            curve=Curve(staff, level[i], half[i] if shape == "s" else None),
            target=0.9,
            weight=float(households[i]),
            posts_floor=2,
            nonserving_posts=2,
            fund_floor_yuan=float(floors[i]),
            type="urban" if urban[i] else "town",
        )
        for i in range(n)
    )
    return Problem(
        communities=communities,
        posts_pool=7 * n,
        fund_pool_yuan=float(floors.sum()) + (150_000.0 * n if funds else 0.0),
    )


def solve_times(sizes: list[int], milp_max: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n in sizes:
        for funds in (False, True):
            problem = instance(n, funds=funds)
            methods = ["decompose", "greedy"] + (["milp"] if n <= milp_max else [])
            results = {}
            seconds = {}
            for method in methods:
                started = time.perf_counter()
                results[method] = solve(problem, method=method)
                seconds[method] = time.perf_counter() - started
            bound = max(r.bound for r in results.values() if r.bound is not None)
            for method, r in results.items():
                assert r.objective is not None
                rows.append(
                    {
                        "communities": n,
                        "pools": "posts + funds" if funds else "posts only",
                        "method": method,
                        "seconds": seconds[method],
                        "shortfall": r.objective,
                        "bound": bound,
                        "gap": max(0.0, r.objective - bound) / r.objective if r.objective else 0.0,
                        "placed": r.posts_total,
                        "binaries": r.binaries,
                        "ratio": seconds[method] / seconds["greedy"],
                    }
                )
            print(f"done: {n} communities, funds {funds}", file=sys.stderr)
    return rows


def old_against_exact(n: int) -> list[dict[str, object]]:
    """The old allocation scored on the measured points, against the exact ones."""
    problem = instance(n, funds=True)
    judge_mean = compile_problem(problem.with_options(aim="mean", floor_share=None))
    judge_lower = compile_problem(problem.with_options(floor_share=None))
    cases = (
        (
            "old: concave fit of the means, pool left, no floor",
            problem.with_options(shape="concave", aim="mean", floor_share=None, spread="none"),
        ),
        ("exact on the measured means", problem.with_options(aim="mean", floor_share=None)),
        ("new default: exact on the lower bounds, floors, pool placed", problem),
    )
    rows = []
    for label, variant in cases:
        started = time.perf_counter()
        r = solve(variant)
        seconds = time.perf_counter() - started
        posts, funds = r.posts(), r.funds()
        mean_level = judge_mean.level_at(judge_mean.units(posts, funds))
        lower_level = judge_lower.level_at(judge_lower.units(posts, funds))
        rows.append(
            {
                "plan": label,
                "promised": r.shortfall,
                "on_means": judge_mean.shortfalls(posts, funds)[0],
                "on_lower": judge_lower.shortfalls(posts, funds)[0],
                "below_mean": int((mean_level < 0.9 - 1e-9).sum()),
                "below_lower": int((lower_level < 0.9 - 1e-9).sum()),
                "placed": r.posts_total,
                "lift": r.curve_lift_max,
                "seconds": seconds,
            }
        )
    return rows


class PulpSession:
    """The old way: every probe hands the whole model to the solver again through PuLP."""

    def __init__(self, model: object) -> None:
        self.model = model

    def set_rhs(self, name: str, value: float) -> None:
        model = self.model
        row = model.names[name]  # type: ignore[attr-defined]
        scaled = value / (10_000.0 if model.units[name] == "¥10,000" else 1.0)  # type: ignore[attr-defined]
        model.row_upper[row] = scaled  # type: ignore[attr-defined]

    def run(self) -> object:
        return _solve_pulp(self.model, "HiGHS", relax=True, time_limit=None)  # type: ignore[arg-type]


def ranging_cost(sizes: list[int]) -> list[dict[str, object]]:
    rows = []
    for n in sizes:
        problem = instance(n, funds=True, shape="concave").with_options(floor_share=None)
        c = compile_problem(problem)
        model = build_model(c)
        started = time.perf_counter()
        session = HighsSession(model, relax=True)
        solution = session.run()
        ranging = session.ranging()
        highs_s = time.perf_counter() - started
        assert ranging is not None and solution.row_dual is not None
        names = ["posts_pool", "fund_pool"]
        prices = {name: -float(solution.row_dual[model.names[name]]) for name in names}
        value = float(solution.objective or 0.0)
        probes = {}
        for label, make in (
            ("highspy warm", lambda model=model: HighsSession(model, relax=True)),
            ("PuLP fresh", lambda c=c: PulpSession(build_model(c))),
        ):
            started = time.perf_counter()
            probe = make()
            probe.run()  # type: ignore[attr-defined]
            count = [0]
            original = probe.run  # type: ignore[attr-defined]

            def counted(original=original, count=count):  # type: ignore[no-untyped-def]
                count[0] += 1
                return original()

            probe.run = counted  # type: ignore[attr-defined]
            for name in names:
                probe_range(probe, name, model.rhs(name), value, prices[name])  # type: ignore[arg-type]
            probes[label] = (time.perf_counter() - started, count[0])
        rows.append(
            {
                "communities": n,
                "highs_s": highs_s,
                "warm_s": probes["highspy warm"][0],
                "warm_solves": probes["highspy warm"][1],
                "pulp_s": probes["PuLP fresh"][0],
                "pulp_solves": probes["PuLP fresh"][1],
            }
        )
        print(f"done: ranging at {n} communities", file=sys.stderr)
    return rows


def tables(
    times: list[dict[str, object]], old: list[dict[str, object]], ranges: list[dict[str, object]]
) -> str:
    lines = [
        "| communities | pools | method | seconds | penalised shortfall | best bound | gap "
        "| posts placed | binaries | time / greedy |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in times:
        lines.append(
            f"| {r['communities']:,} | {r['pools']} | {r['method']} | {r['seconds']:.2f} "
            f"| {r['shortfall']:,.1f} | {r['bound']:,.1f} | {r['gap']:.1e} | {r['placed']:,} "
            f"| {r['binaries']:,} | {r['ratio']:.2f} |"
        )
    lines += [
        "",
        "| plan (1,000 communities, posts + funds) | shortfall it promises | on the measured "
        "means | on the lower bounds | below target (means) | below target (bounds) "
        "| posts placed | lift | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in old:
        lines.append(
            f"| {r['plan']} | {r['promised']:,.1f} | {r['on_means']:,.1f} | {r['on_lower']:,.1f} "
            f"| {r['below_mean']} | {r['below_lower']} | {r['placed']:,} | {r['lift']:.3f} "
            f"| {r['seconds']:.2f} |"
        )
    lines += [
        "",
        "| communities | HiGHS ranging s | probes, highspy warm s (solves) | probes, PuLP fresh s "
        "(solves) | warm / ranging | PuLP / ranging |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ranges:
        lines.append(
            f"| {r['communities']:,} | {r['highs_s']:.3f} | {r['warm_s']:.3f} ({r['warm_solves']}) "
            f"| {r['pulp_s']:.2f} ({r['pulp_solves']}) | {r['warm_s'] / r['highs_s']:.1f} "
            f"| {r['pulp_s'] / r['highs_s']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--milp-max", type=int, default=300)
    parser.add_argument("--compare", type=int, default=1_000)
    parser.add_argument("--ranging", default="300,2000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    times = solve_times(([300] if args.milp_max >= 300 else []) + sizes, args.milp_max)
    old = old_against_exact(args.compare)
    ranges = ranging_cost([int(s) for s in args.ranging.split(",")])
    print(tables(times, old, ranges))


if __name__ == "__main__":
    main()
