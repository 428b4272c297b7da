"""What a plan costs per community, and on a Dask cluster: the figures docs/dask.md extrapolates.

Run from the repository root (niced: the machine is shared):

    nice -n 10 .venv/bin/python -m benchmarks.bench_dask --communities 60

A generated city (``jiedao scenario generate``, seed 7) is planned twice in this process with the
scenario's own horizon and replication rule: serially, with every call to the backend timed by
kind of task (curves, check, window clerks), and on a ``distributed.LocalCluster`` of two worker
processes. Simulation seconds per community are what a cluster divides among its workers; the rest
(solving, sensitivity, fitting, the parent's share of the summaries) stays with the client.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


class Timed:
    """A backend that times its calls by the kind of task they carry."""

    name = "serial"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds: dict[str, float] = defaultdict(float)
        self.tasks: dict[str, int] = defaultdict(int)

    def __call__(self, scenario: Any, work: Any, progress: Any = None) -> Any:
        kind = type(work[0]).__name__ if work else "none"
        began = time.perf_counter()
        out = self.inner(scenario, work, progress)
        self.seconds[kind] += time.perf_counter() - began
        self.tasks[kind] += len(work)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--communities", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from jiedao.export.documents import plan_document
    from jiedao.planning.plan import make_plan
    from jiedao.scenarios import load
    from jiedao.scenarios.generate import generate
    from jiedao.sim.backends import Dask, Serial

    path = Path(tempfile.mkdtemp()) / "city.toml"
    path.write_text(generate(args.communities, 7), encoding="utf-8")
    scenario = load(path)
    n = len(list(scenario.communities()))
    sim = scenario.simulation
    load_before = os.getloadavg()[0]

    timed = Timed(Serial())
    cpu0 = time.process_time()
    began = time.perf_counter()
    serial = make_plan(scenario, executor=timed, max_replications=sim.max_replications)
    serial_s = time.perf_counter() - began
    serial_cpu = time.process_time() - cpu0

    import distributed

    with (
        distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        on_cluster = Timed(Dask(client=client))
        began = time.perf_counter()
        dask = make_plan(scenario, executor=on_cluster, max_replications=sim.max_replications)
        dask_s = time.perf_counter() - began

    def clean(plan: Any) -> Any:
        doc = plan_document(plan)
        doc.pop("runtime_s", None)
        return doc

    same = clean(serial) == clean(dask)
    simulated = sum(timed.seconds.values())
    print(f"# Plan cost per community ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {load_before:.1f} before)\n")
    print(f"generated city: {n} communities, {len(list(scenario.streets()))} streets; case "
          f"horizon {sim.case_days} days (warm-up {sim.case_warmup_days}), the plan's defaults "
          f"(3 replications a curve point first, up to {sim.max_replications}; check 5); "
          f"{serial.measured.distinct if serial.measured else 0} distinct curves\n")
    print("| part | tasks | serial s | s per community | on the cluster s |")
    print("|---|---:|---:|---:|---:|")
    for kind in sorted(timed.seconds):
        print(f"| {kind} | {timed.tasks[kind]:,} | {timed.seconds[kind]:.1f} | "
              f"{timed.seconds[kind] / n:.3f} | {on_cluster.seconds.get(kind, float('nan')):.1f} |")
    rest = serial_s - simulated
    print(f"| client (solve, sensitivity, fits, summaries) | | {rest:.1f} | {rest / n:.3f} | "
          f"{dask_s - sum(on_cluster.seconds.values()):.1f} |")
    print(f"| whole plan | | {serial_s:.1f} | {serial_s / n:.3f} | {dask_s:.1f} |")
    print(f"\nserial plan: {serial_cpu:.1f} CPU s ({serial_cpu / n:.3f} per community; "
          f"wall over CPU {serial_s / serial_cpu:.2f}, the load's inflation)")
    print(f"Dask ({args.workers} workers) vs serial: {serial_s / dask_s:.2f}x; "
          f"plan documents identical: {same}")


if __name__ == "__main__":
    main()
