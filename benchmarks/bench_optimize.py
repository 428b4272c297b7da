"""Allocation optimiser at scale: 1,000 / 10,000 / 100,000 communities x 12 staffing levels.

Run ``python benchmarks/bench_optimize.py`` (``--sizes 1000,10000`` to choose, ``--milp-max N``
for the largest size also solved by the PuLP model: 1,000 by default; 10,000 takes minutes).
Prints a markdown table: build and solve seconds, the weighted shortfall, the best bound known for
the instance, the gap to it, and the time relative to the greedy reference on the same instance.

Two instances per size. *posts only*: the fund pool equals the floors, one pool, where the greedy
is exact and everything must agree. *posts + funds*: both pools; the Lagrangian decomposition
certifies its gap, the greedy (posts first, funds after) is a heuristic measured against that
bound, and the PuLP model (HiGHS) checks both where it can be built in reasonable time.

Curves are ``a * (1 - exp(-staff / tau))`` at staff 0..11 (concave), with ``a`` in 0.85-1 and
``tau`` in 1.5-4 drawn per community from a seeded generator; targets 0.9, weights households
(1,000-8,000), two party-building posts that do not serve, fund floors ¥200k / ¥100k, and pools
that leave a real shortfall: 3 serving posts and ¥150k extra per community on average.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jiedao.optimize import CommunitySpec, Curve, Problem, solve  # noqa: E402

LEVELS = 12


def instance(n: int, *, funds: bool, seed: int = 5) -> Problem:
    rng = np.random.default_rng([seed, n])
    staff = np.arange(LEVELS, dtype=float)
    scale = rng.uniform(0.85, 1.0, n)
    tau = rng.uniform(1.5, 4.0, n)
    households = rng.integers(1_000, 8_001, n)
    urban = rng.random(n) < 0.75
    floors = np.where(urban, 200_000.0, 100_000.0)
    levels = scale[:, None] * (1.0 - np.exp(-staff[None, :] / tau[:, None]))
    communities = tuple(
        CommunitySpec(
            id=f"d{i // 1000:03d}/c{i % 1000:03d}",
            curve=Curve(staff, levels[i]),
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
        posts_pool=5 * n,
        fund_pool_yuan=float(floors.sum()) + (150_000.0 * n if funds else 0.0),
    )


def run(sizes: list[int], milp_max: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n in sizes:
        for funds in (False, True):
            started = time.perf_counter()
            problem = instance(n, funds=funds)
            instance_s = time.perf_counter() - started
            methods = ["greedy", "decompose"] + (["milp"] if n <= milp_max else [])
            results = {m: solve(problem, method=m) for m in methods}
            bound = max(r.bound for r in results.values() if r.bound is not None)
            reference = results["greedy"]
            for method, r in results.items():
                assert r.objective is not None
                rows.append(
                    {
                        "communities": n,
                        "pools": "posts + funds" if funds else "posts only",
                        "method": method,
                        "instance_s": instance_s,
                        "build_s": r.build_s,
                        "solve_s": r.solve_s,
                        "shortfall": r.objective,
                        "bound": bound,
                        # clamped: float noise of 1e-15 below the bound is not a gap
                        "gap": max(0.0, r.objective - bound) / r.objective
                        if r.objective > 0
                        else 0.0,
                        "ratio": (r.build_s + r.solve_s) / (reference.build_s + reference.solve_s),
                    }
                )
            print(
                f"done: {n} communities, {'posts + funds' if funds else 'posts only'}",
                file=sys.stderr,
            )
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| communities | pools | method | instance s | build s | solve s | weighted shortfall "
        "| best bound | gap | time / greedy |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['communities']:,} | {r['pools']} | {r['method']} | {r['instance_s']:.2f} "
            f"| {r['build_s']:.2f} | {r['solve_s']:.3f} | {r['shortfall']:,.1f} "
            f"| {r['bound']:,.1f} | {r['gap']:.2e} | {r['ratio']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--milp-max", type=int, default=1_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(table(run(sizes, args.milp_max)))


if __name__ == "__main__":
    main()
