"""``jiedao plan --backend dask --scheduler ADDRESS``: the curves and the check run on a cluster
(here a ``distributed.LocalCluster`` of two worker processes, reached by its address like a real
one) and the plan document is the serial one, field for field (the golden plan, made serially)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.paths import MINIMAL
from typer.testing import CliRunner

from jiedao.cli import app

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "plan.json"
# the golden plan's command (tests/golden/README.md)
PLAN = ["plan", str(MINIMAL), "-r", "2", "--check-replications", "2", "--seed", "5"]


def _without_runtime(value):
    if isinstance(value, dict):
        return {k: _without_runtime(v) for k, v in value.items() if k != "runtime_s"}
    if isinstance(value, list):
        return [_without_runtime(v) for v in value]
    return value


@pytest.mark.slow
def test_plan_on_a_dask_cluster_equals_the_serial_plan():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = CliRunner().invoke(
            app,
            [*PLAN, "--backend", "dask", "--scheduler", cluster.scheduler_address, "--quiet",
             "--json", "-"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        # the work ran on the cluster: the scheduler keeps a count per task prefix
        prefix = cluster.scheduler.task_prefixes.get("run_chunk")
        assert prefix is not None and sum(prefix.state_counts.values()) > 0
    made = _without_runtime(json.loads(result.stdout))
    assert made == _without_runtime(json.loads(GOLDEN.read_text(encoding="utf-8")))
    assert made["curves_measured"] == {"communities": 3, "distinct": 3}
