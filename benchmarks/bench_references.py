"""Side-by-side cost of the reference models: hand-written SimPy, Ciw, and the plain recursions.

A benchmark, not a test: ``python -m benchmarks.bench_references [--customers N] [--repeat R]``.
Every model runs the same M/M/5 at utilisation 0.8 (lam 4, mu 1; patience rate 0.5 where
reneging is on; three such stations in series for the network), the runs are interleaved and the
median of R is kept, and the cost per simulated resident is reported as residents per second and
as a ratio to the bare SimPy M/M/c (= 1.0; higher costs more). Mean waits are printed next to the
Erlang C value as a sanity check that every model simulates the same queue. Ciw rows are
skipped when Ciw (the ``bench`` extra) is not installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from benchmarks.reference_recursion import fcfs_waits
from benchmarks.reference_simpy import run_mmc, run_mmc_reneging, run_tandem, stream
from jiedao.optimize.curves import erlang_c

try:
    from benchmarks.reference_ciw import run_mmc_ciw, run_mmc_reneging_ciw, run_tandem_ciw
except ImportError:  # Ciw is a benchmark-only dependency
    run_mmc_ciw = run_mmc_reneging_ciw = run_tandem_ciw = None  # type: ignore[assignment]

LAM, MU, C, THETA = 4.0, 1.0, 5, 0.5


def _recursion(n: int, seed: int, patience: bool) -> tuple[np.ndarray, float]:
    """The plain-Python Kiefer-Wolfowitz recursion on the same draws as the SimPy models."""
    started = time.perf_counter()
    arrivals = np.cumsum(stream(seed, "arrivals").exponential(1 / LAM, n)).tolist()
    services = stream(seed, "service").exponential(1 / MU, n).tolist()
    limits = stream(seed, "patience").exponential(1 / THETA, n).tolist() if patience else None
    waits = fcfs_waits(arrivals, services, C, limits)
    return waits, time.perf_counter() - started


def _models(n: int) -> dict[str, tuple[Callable[[int], tuple[np.ndarray, float]], int, float]]:
    """name -> (run(seed) -> (waits, seconds), residents per run, analytic mean wait).

    The bare queue's analytic mean wait is Erlang C's; with reneging there is no closed form short
    of Erlang A (the tests check the engine against it), so those rows show nan.
    """
    wq = erlang_c(C, LAM / MU) / (C * MU - LAM)
    wq_reneging = float("nan")
    models: dict[str, tuple[Callable[[int], tuple[np.ndarray, float]], int, float]] = {
        "SimPy M/M/c": (lambda s: run_mmc(LAM, MU, C, n, s), n, wq),
        "SimPy M/M/c + reneging": (
            lambda s: _drop_mask(run_mmc_reneging(LAM, MU, THETA, C, n, s)), n, wq_reneging,
        ),
        "SimPy 3-station tandem": (lambda s: run_tandem(LAM, MU, C, n, s), n, wq),
    }
    if run_mmc_ciw is not None:
        models["Ciw M/M/c"] = (lambda s: run_mmc_ciw(LAM, MU, C, n, s), n, wq)
        models["Ciw M/M/c + reneging"] = (
            lambda s: _drop_mask(run_mmc_reneging_ciw(LAM, MU, THETA, C, n, s)), n, wq_reneging,
        )
        models["Ciw 3-station tandem"] = (lambda s: run_tandem_ciw(LAM, MU, C, n, s), n, wq)
    models["KW recursion (Python)"] = (lambda s: _recursion(n, s, False), n, wq)
    models["KW recursion + patience"] = (lambda s: _recursion(n, s, True), n, wq_reneging)
    return models


def _drop_mask(result: tuple[np.ndarray, np.ndarray, float]) -> tuple[np.ndarray, float]:
    waits, _, seconds = result
    return waits, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    models = _models(args.customers)
    seconds: dict[str, list[float]] = {name: [] for name in models}
    means: dict[str, float] = {}
    for repeat in range(args.repeat):
        for name, (run, _, _) in models.items():  # interleaved, so drift hits every model alike
            waits, elapsed = run(repeat + 1)
            seconds[name].append(elapsed)
            means[name] = float(np.mean(waits, axis=0).mean())

    per_resident = {
        name: statistics.median(seconds[name]) / models[name][1] for name in models
    }
    base = per_resident["SimPy M/M/c"]
    print(
        f"# Reference models, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}\n"
    )
    print(
        f"M/M/{C}, lam {LAM}, mu {MU} (rho {LAM / (C * MU)}), patience rate {THETA}; "
        f"{args.customers:,} residents per run, median of {args.repeat}\n"
    )
    print("| model | residents/s | us/resident | cost vs SimPy M/M/c | mean wait | analytic |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (_, _, analytic) in models.items():
        cost = per_resident[name]
        print(
            f"| {name} | {1 / cost:,.0f} | {cost * 1e6:.2f} | {cost / base:.2f} "
            f"| {means[name]:.3f} | {analytic:.3f} |"
        )
    print("\nTandem: a resident makes three visits; its mean wait is per station.")


if __name__ == "__main__":
    main()
