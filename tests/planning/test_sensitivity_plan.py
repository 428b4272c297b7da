"""Sensitivity of the plan it is given (issue 14): with ``--plan`` pointing at a least-cost plan,
the base posts are that plan's posts and its cost adds up (posts x post cost + funds); each
one-at-a-time side is that base moved by the parameter's paired change."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.planning.whatif import Outcome, shifted
from jiedao.scenarios import load
from jiedao.scenarios.generate import generate

runner = CliRunner()
QUICK = ["-q", "--backend", "serial", "--set", "simulation.case_days=14",
         "--set", "simulation.case_warmup_days=0",
         "--set", "simulation.max_replications=1"]  # fmt: skip


def test_a_side_is_the_base_moved_by_the_paired_change() -> None:
    side, reference, base = (
        Outcome(3.0, 170, 9.0e6),
        Outcome(1.0, 167, 8.8e6),
        Outcome(0.5, 171, 9.1e6),
    )
    moved = shifted(side, reference, base)
    assert moved == Outcome(2.5, 174, pytest.approx(9.3e6))
    assert shifted(Outcome(None, 170, 1.0), reference, base).shortfall is None


@pytest.mark.slow  # one at a time measures curves again for every grid input (~30 s)
def test_sensitivity_of_a_given_cost_plan_starts_from_its_posts_and_cost(tmp_path) -> None:
    city = tmp_path / "city.toml"
    city.write_text(generate(2, 7), encoding="utf-8")
    out = tmp_path / "plan"
    made = runner.invoke(app, ["plan", str(city), "--mode", "cost", "-r", "1",
                               "--check-replications", "0", "--out", str(out), *QUICK])  # fmt: skip
    assert made.exit_code == 0, made.output
    plan = json.loads((out / "plan.json").read_text("utf-8"))
    result = runner.invoke(app, ["sensitivity", str(city), "--plan", str(out), "-r", "1",
                                 "--draws", "0", "--json", "-", *QUICK])  # fmt: skip
    assert result.exit_code == 0, result.output
    base = json.loads(result.stdout)["base"]
    scenario = load(str(city))
    posts = sum(int(r["posts_proposed"]) for r in plan["allocation"])
    funds = sum(float(r["funds_proposed_yuan"]) for r in plan["allocation"])
    assert base["posts_required"] == posts == plan["posts_total"]
    assert base["cost_yuan"] == pytest.approx(posts * scenario.budget.post_cost_yuan + funds)
    assert base["cost_yuan"] == pytest.approx(plan["cost_yuan"])
