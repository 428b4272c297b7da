"""Summaries in the workers: two workers against one on the 5,000-community simulate.

Run from the repository root (once, niced: the machine is shared):

    nice -n 10 .venv/bin/python -m benchmarks.bench_workers

Each configuration runs in a fresh child process (peak memory from ``getrusage``); the ratio
compares runs measured in the same invocation on the same machine. Also reported: what one
street-replication sends back, as a summary (now) and as its record (before).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
config = json.loads(sys.argv[1])
from jiedao.scenarios import load
from jiedao.sim.backends import ProcessPool, Serial
from jiedao.sim.run import run
scenario = load(config["scenario"])
began = time.perf_counter()
cpu0 = resource.getrusage(resource.RUSAGE_SELF)
workers = config["workers"]
executor = Serial() if workers == 1 else ProcessPool(workers)
results = run(scenario, executor=executor, **config["args"])
elapsed = time.perf_counter() - began
me = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"elapsed": elapsed, "residents": results.residents,
                  "peak_mb": max(me.ru_maxrss, children.ru_maxrss) / 1024,
                  "parent_cpu": me.ru_utime + me.ru_stime - cpu0.ru_utime - cpu0.ru_stime,
                  "workers_cpu": children.ru_utime + children.ru_stime}))
"""

PAYLOAD = r"""
import json, pickle, sys
from jiedao.scenarios import load
from jiedao.sim.run import Horizon, tasks
config = json.loads(sys.argv[1])
scenario = load(config["scenario"])
a = config["args"]
horizon = Horizon.of(scenario, a["days"], None, a["case_days"], a["case_warmup_days"])
work = tasks(scenario, 1, scenario.simulation.seed, horizon)[: config["streets"]]
summaries = sum(len(pickle.dumps(t(scenario))) for t in work)
records = sum(len(pickle.dumps(t.record(scenario))) for t in work)
print(json.dumps({"streets": len(work), "summary_bytes": summaries, "record_bytes": records}))
"""


def child(code: str, config: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", code, json.dumps(config)], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--communities", type=int, default=5000)
    args = parser.parse_args()
    from jiedao.scenarios.generate import generate

    path = Path(tempfile.mkdtemp()) / f"city{args.communities}.toml"
    path.write_text(generate(args.communities, 7), encoding="utf-8")
    run_args = {"replications": 1, "days": 7, "case_days": 14, "case_warmup_days": 0}
    config = {"scenario": str(path), "args": run_args}
    load = os.getloadavg()[0]
    one = child(CHILD, {**config, "workers": 1})
    two = child(CHILD, {**config, "workers": 2})
    payload = child(PAYLOAD, {**config, "streets": 40})
    print(f"# Workers benchmark ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load {load:.1f} before)\n")
    print(f"{args.communities:,} communities, 1 rep, 7 + 14 days\n")
    print("| workers | residents | wall s | speed-up | parent CPU s | workers CPU s | "
          "peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in (("1", one), ("2", two)):
        print(f"| {name} | {r['residents']:,} | {r['elapsed']:.1f} | "
              f"{one['elapsed'] / r['elapsed']:.2f} | {r['parent_cpu']:.1f} | "
              f"{r['workers_cpu']:.1f} | {r['peak_mb']:.0f} |")
    # on two free cores: the parent's CPU (its serial share) plus half the workers' CPU, an upper
    # bound on the wall time (the parent's share partly overlaps the workers')
    bound = two["parent_cpu"] + two["workers_cpu"] / 2
    print(f"\nCPU-time speed-up (one worker's CPU over the parent's CPU plus half the workers', "
          f"which a loaded machine does not distort): {one['parent_cpu'] / bound:.2f}x")
    print(f"\nSent back per street-replication (first {payload['streets']} streets): summary "
          f"{payload['summary_bytes'] / payload['streets'] / 1024:.0f} KB, record "
          f"{payload['record_bytes'] / payload['streets'] / 1024:.0f} KB "
          f"({payload['record_bytes'] / payload['summary_bytes']:.1f}x)")


if __name__ == "__main__":
    main()
