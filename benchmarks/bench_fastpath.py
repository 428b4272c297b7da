"""The vectorised fast path against the SimPy engine, per simulated resident, in one run.

Run from the repository root:  .venv/bin/python -m benchmarks.bench_fastpath

Two stations, each timed on both engines side by side:

* **Liaoyuan street**: the built-in scenario's busiest window centre (most households per clerk)
  over its 28-day horizon, lunch break, closing with overtime and patience; ``return_share`` is
  set to 0 so that the centre qualifies for the fast path (the SimPy engine runs the same
  scenario).
* **24-hour M/M/c**: ``jiedao.scenarios.textbook.queue_scenario`` with c = 5 at utilisation 0.8.
  The station never closes, so the fast path has one row per replication and cannot cut days into
  rows.

The SimPy engine is ``sim.model.simulate_street(..., streams=("window",))`` over replications one
by one; the fast path is :func:`sim.fastpath.fcfs_waits` on 1, 8 and 64 replications at once, both
alone ("recursion": the residents drawn beforehand) and with the drawing
(:func:`sim.fastpath.window_station_inputs`, "end to end", which is what the engine's time
includes). A last row times :func:`sim.fastpath.window_curve` over 8 staffing levels x 64
replications, the screening use, per resident and level (the residents are drawn once for all
levels). Each timing is the best of ``--repeat`` runs (other load on a shared machine only adds
time); ratios are taken within the same run.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from jiedao.scenarios import load
from jiedao.scenarios.model import Scenario
from jiedao.scenarios.textbook import queue_scenario
from jiedao.sim.fastpath import fcfs_waits, window_curve, window_station_inputs
from jiedao.sim.model import simulate_street

WIDTHS = (1, 8, 64)


def best_time(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` runs: other load on the machine only ever adds time."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def busiest_street(scenario: Scenario) -> str:
    return max(scenario.streets(), key=lambda s: s.households / s.windows).id


def simpy_per_resident(scenario: Scenario, street: str, days: int, reps: int, repeat: int) -> float:
    residents = 0

    def go() -> None:
        nonlocal residents
        residents = 0
        for r in range(reps):
            record = simulate_street(scenario, street, r, 1, days, 1, streams=("window",))
            residents += len(record.windows[0].arrival)

    return best_time(go, repeat) / residents


def fast_per_resident(
    scenario: Scenario, street: str, days: int, width: int, repeat: int
) -> tuple[float, float, int]:
    """(recursion alone, end to end) seconds per resident, and the residents per run."""
    inputs = window_station_inputs(scenario, street, width, 1, days)
    residents = int(inputs.counts.sum())

    def recursion(inp: Any = inputs) -> None:
        fcfs_waits(inp.arrivals, inp.services, inp.servers, inp.closed, inp.closures,
                   inp.patience)

    def end_to_end() -> None:
        recursion(window_station_inputs(scenario, street, width, 1, days))

    return (best_time(recursion, repeat) / residents,
            best_time(end_to_end, repeat) / residents, residents)


def curve_per_resident(
    scenario: Scenario, street: str, days: int, repeat: int
) -> tuple[float, float, int, int]:
    """Seconds per resident and level of an 8-level response curve over 64 replications:
    (residents drawn beforehand, drawing included), residents x levels, levels."""
    windows = next(s for s in scenario.streets() if s.id == street).windows
    levels = list(range(max(1, windows - 3), max(1, windows - 3) + 8))
    inputs = window_station_inputs(scenario, street, 64, 1, days)
    simulated = len(levels) * int(inputs.counts.sum())

    def given() -> None:
        window_curve(scenario, street, levels, 64, 1, days, inputs=inputs)

    def drawn() -> None:
        window_curve(scenario, street, levels, 64, 1, days)

    return (best_time(given, repeat) / simulated, best_time(drawn, repeat) / simulated,
            simulated, len(levels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--simpy-replications", type=int, default=8)
    args = parser.parse_args()

    liaoyuan = load("liaoyuan", ["demand.window.return_share=0"])
    street = busiest_street(liaoyuan)
    clerks = next(s for s in liaoyuan.streets() if s.id == street).windows
    stations = [
        (f"Liaoyuan {street} ({clerks} clerks, 28 days)", liaoyuan, street, 28),
        ("24-hour M/M/5, rho 0.8 (1 day)", queue_scenario(4.0, 5), "d/s", 1),
    ]
    print(f"# Fast path vs SimPy engine ({time.strftime('%Y-%m-%d')})\n")
    print(f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
          f"Python {platform.python_version()}, NumPy {np.__version__}; "
          f"best of {args.repeat} runs.\n")
    print("| station | engine | replications at once | residents | us/resident "
          "(recursion) | speed-up | us/resident (end to end) | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, scenario, sid, days in stations:
        engine = simpy_per_resident(scenario, sid, days, args.simpy_replications, args.repeat)
        print(f"| {label} | SimPy engine | 1 (x{args.simpy_replications}) | | | | "
              f"{engine * 1e6:.2f} | 1.0x |")
        for width in WIDTHS:
            alone, whole, residents = fast_per_resident(scenario, sid, days, width, args.repeat)
            print(f"| {label} | fast path | {width} | {residents:,} | {alone * 1e6:.3f} | "
                  f"{engine / alone:.0f}x | {whole * 1e6:.3f} | {engine / whole:.0f}x |")
        if scenario is liaoyuan:
            alone, whole, simulated, n_levels = curve_per_resident(
                scenario, sid, days, args.repeat
            )
            print(f"| {label} | window_curve, {n_levels} levels | 64 | {simulated:,} | "
                  f"{alone * 1e6:.3f} | {engine / alone:.0f}x | {whole * 1e6:.3f} | "
                  f"{engine / whole:.0f}x |")

if __name__ == "__main__":
    main()
