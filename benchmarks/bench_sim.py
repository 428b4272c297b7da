"""Simulation engine cost per resident, side by side with hand-written SimPy, in one run.

Run from the repository root:  .venv/bin/python -m benchmarks.bench_sim

(a) The jiedao window station against hand-written SimPy models of the same station with the same
    features switched on: a bare M/M/c (``simpy.Resource``) and an M/M/c with reneging
    (``yield request | env.timeout(patience)``), reported as ratios of seconds per resident.
(b) ``jiedao simulate liaoyuan`` with its documented defaults: wall time, residents simulated per
    second, and the 95% half-widths the defaults give on the city figures.

Each timing is the median of ``--repeat`` runs; ratios are taken within the same run, so the
machine's load affects both sides alike.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

from benchmarks.reference_simpy import run_mmc, run_mmc_reneging
from jiedao.scenarios import load
from jiedao.scenarios.textbook import queue_scenario
from jiedao.sim.model import simulate_street
from jiedao.sim.run import run


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def engine(lam: float, c: int, n: int, patience_mean: float | None) -> Callable[[], int]:
    patience = None if patience_mean is None else {"dist": "exponential", "mean": patience_mean}
    scenario = queue_scenario(lam, c, patience=patience)
    days = max(1, round(n / (lam * 1440.0)))

    def go() -> int:
        record = simulate_street(scenario, "d/s", 0, 1, days, 1, streams=("window",))
        return len(record.windows[0].arrival)

    return go


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    c, rho, mu, theta = 5, 0.8, 1.0, 1.0 / 5.0
    lam = rho * c * mu
    n = args.customers
    simulated = engine(lam, c, n, None)()
    per = {}
    per["simpy_bare"] = median_time(lambda: run_mmc(lam, mu, c, n, 1), args.repeat) / n
    per["simpy_reneging"] = (
        median_time(lambda: run_mmc_reneging(lam, mu, theta, c, n, 1), args.repeat) / n
    )
    per["jiedao_bare"] = median_time(engine(lam, c, n, None), args.repeat) / simulated
    per["jiedao_reneging"] = median_time(engine(lam, c, n, 1.0 / theta), args.repeat) / simulated

    print(
        f"# Simulation engine benchmark ({time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()})\n"
    )
    print(f"M/M/{c} at rho {rho}, {n:,} residents, median of {args.repeat}\n")
    print("| model | us per resident | residents/s | ratio to hand-written SimPy, same features |")
    print("|---|---:|---:|---:|")
    for name, base in (
        ("simpy_bare", "simpy_bare"),
        ("jiedao_bare", "simpy_bare"),
        ("simpy_reneging", "simpy_reneging"),
        ("jiedao_reneging", "simpy_reneging"),
    ):
        ratio = per[name] / per[base]
        print(f"| {name} | {per[name] * 1e6:.2f} | {1 / per[name]:,.0f} | {ratio:.2f} |")
    print(
        f"\njiedao with reneging vs bare hand-written M/M/c: "
        f"{per['jiedao_reneging'] / per['simpy_bare']:.2f}x\n"
    )

    scenario = load("liaoyuan")
    began = time.perf_counter()
    results = run(scenario)
    wall = time.perf_counter() - began
    print(
        f"## jiedao simulate liaoyuan (defaults: {results.replications} replications, windows "
        f"{results.horizon.days} days, grids/enforcement {results.horizon.case_days} days)\n"
    )
    print(
        f"wall {wall:.1f} s, {results.residents:,} residents, "
        f"{results.residents / wall:,.0f} residents/s (serial)\n"
    )
    print("| stream | metric | mean | 95% half-width |")
    print("|---|---|---:|---:|")
    for stream, metric in (
        ("window", "wait_mean_min"),
        ("window", "target_share"),
        ("grid", "urgent_response_mean_min"),
        ("grid", "target_share"),
        ("enforcement", "time_in_system_mean_days"),
        ("enforcement", "target_share"),
    ):
        mean, half = results.metric("city", stream, metric)
        print(f"| {stream} | {metric} | {mean:.3f} | {half:.3f} |")


if __name__ == "__main__":
    main()
