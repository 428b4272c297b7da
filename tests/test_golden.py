"""Documents that must not move by accident: simulate, plan and compare against golden files.

``tests/golden/`` holds ``jiedao.simulate/1``, ``jiedao.plan/1`` and ``jiedao.compare/1``
documents made by the command line with fixed seeds (the commands are in its README). Each is made
again here and compared field by field, runtime fields aside. A change that moves the model on
purpose regenerates them and says why in its commit; this test guards everything else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.paths import MINIMAL as MINIMAL_PATH
from typer.testing import CliRunner

from jiedao.cli import app

MINIMAL = str(MINIMAL_PATH)

GOLDEN = Path(__file__).resolve().parent / "golden"
RUNTIME = {"runtime_s"}

COMMANDS = {
    "simulate": ["simulate", "liaoyuan", "-r", "2", "--days", "7", "--case-days", "21",
                 "--case-warmup", "7", "--seed", "5"],
    "plan": ["plan", MINIMAL, "-r", "2", "--check-replications", "2", "--seed", "5"],
    "plan-cost": ["plan", MINIMAL, "--mode", "cost", "-r", "2", "--check-replications", "2",
                  "--seed", "5"],
    "compare": ["compare", "liaoyuan-before", "liaoyuan", "-r", "2", "--days", "5", "--case-days",
                "14", "--case-warmup", "3", "--seed", "5"],
}  # fmt: skip


def without_runtime(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_runtime(v) for k, v in value.items() if k not in RUNTIME}
    if isinstance(value, list):
        return [without_runtime(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_documents_equal_the_golden_ones(name: str) -> None:
    result = CliRunner().invoke(
        app, [*COMMANDS[name], "--backend", "serial", "--quiet", "--json", "-"]
    )
    assert result.exit_code == 0, result.output
    made = without_runtime(json.loads(result.stdout))
    golden = without_runtime(json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")))
    assert made == golden
