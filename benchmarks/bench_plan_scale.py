"""`jiedao plan --out --report` end to end, as a planner runs it, at several city sizes.

Run from the repository root (niced: the machine is shared):

    nice -n 10 .venv/bin/python -m benchmarks.bench_plan_scale --sizes liaoyuan,300

Each size runs in a fresh child process that calls the command-line app itself (the same code
path as the `jiedao` script, exports and the report included), with the scenario's own horizon,
replication rule and check: nothing is cut at scale. Generated cities come from
`jiedao scenario generate -n N --seed 7`. The child times the stages from the run's own phase
checkpoints (`jiedao.export.files.checkpoint`) and from `make_plan`'s start and end:

- start-up: process start to the plan's start (imports, loading, output checks);
- curves: the plan's start to its first solve;
- solve, check, clerks and repair: the first solve to the plan's end;
- exports: the plan's end to the end of the run (CSV, XLSX, JSON, charts, the report).

It also reports the peak memory (the largest of the parent and its workers, `getrusage`), and
the median 95% half-width the check achieved. Ratios compare sizes measured in the same invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
began = time.perf_counter()
config = json.loads(sys.argv[1])
marks = {}
import jiedao.cli as cli
import jiedao.export.files as files
import jiedao.planning.plan as plan_module

def mark(name):
    marks.setdefault(name, time.perf_counter() - began)

original_checkpoint = files.checkpoint
def checkpoint(phase):
    mark(phase)
    original_checkpoint(phase)
files.checkpoint = checkpoint
cli.checkpoint = checkpoint

original_make_plan = plan_module.make_plan
def make_plan(*args, **kwargs):
    mark("plan_start")
    try:
        return original_make_plan(*args, **kwargs)
    finally:
        marks["plan_end"] = time.perf_counter() - began
plan_module.make_plan = make_plan

try:
    cli.app(config["args"], standalone_mode=False)
finally:
    marks["end"] = time.perf_counter() - began
me = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print("BENCH " + json.dumps({"marks": marks,
                             "peak_mb": max(me.ru_maxrss, children.ru_maxrss) / 1024}))
"""


def _scenario(size: str, folder: Path) -> tuple[str, int]:
    """The scenario argument and its number of communities."""
    if not size.isdigit():
        from jiedao.scenarios import load

        return size, len(list(load(size).communities()))
    path = folder / f"city-{size}.toml"
    subprocess.run(
        [sys.executable, "-m", "jiedao.cli", "scenario", "generate", "-n", size, "--seed", "7",
         "--out", str(path), "--force"],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(path), int(size)


@dataclass(frozen=True)
class Row:
    size: str
    communities: int
    wall_s: float
    stages_s: dict[str, float]
    peak_mb: float
    check_half_width_median: float | None

    @property
    def per_community_s(self) -> float:
        return self.wall_s / self.communities


def run_size(size: str, folder: Path, backend: list[str]) -> Row:
    scenario, n = _scenario(size, folder)
    out = folder / f"plan-{size}"
    args = ["plan", scenario, "--out", str(out), "--report", "--force", "-q", *backend]
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps({"args": args})],
        capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    wall = time.perf_counter() - began
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"{size}: exit {done.returncode}\n{done.stderr[-2000:]}")
    got = json.loads(line[6:])
    marks = got["marks"]
    plan_doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    halves = [
        float(c["service_level_ci95"])
        for c in plan_doc.get("allocation", [])
        if c.get("service_level_ci95") is not None
    ]
    solve = marks.get("solving", marks["plan_end"])
    stages = {
        "start-up": marks["plan_start"],
        "curves": solve - marks["plan_start"],
        "solve, check, clerks, repair": marks["plan_end"] - solve,
        "exports": marks["end"] - marks["plan_end"],
    }
    median = statistics.median(halves) if halves else None
    return Row(size, n, wall, stages, float(got["peak_mb"]), median)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="liaoyuan,300", help="built-in names or N, by commas")
    parser.add_argument("--backend", default="process", choices=["serial", "process"])
    options = parser.parse_args()
    backend = ["--backend", options.backend]
    cores = os.cpu_count()
    print(f"# {platform.python_version()}, {cores} cores, backend {options.backend}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in options.sizes.split(","):
            row = run_size(size.strip(), Path(tmp), backend)
            rows.append(row)
            shares = ", ".join(f"{k} {v / row.wall_s:.0%}" for k, v in row.stages_s.items())
            half = row.check_half_width_median
            print(
                f"{row.size:>10}: {row.communities} communities, {row.wall_s:.1f} s "
                f"({row.per_community_s:.2f} s a community; {shares}), peak {row.peak_mb:.0f} MB"
                + (f", check half-width median {100 * half:.1f} pp" if half is not None else ""),
                flush=True,
            )
    for row in rows[1:]:
        base = rows[0]
        print(
            f"{row.size} vs {base.size}: wall {row.wall_s / base.wall_s:.2f}x, "
            f"per community {row.per_community_s / base.per_community_s:.2f}x"
        )
    print(json.dumps([{**r.__dict__, "per_community_s": r.per_community_s} for r in rows]))


if __name__ == "__main__":
    main()
