"""``jiedao simulate`` through Typer's CliRunner: JSON layout, clean stdout, user errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.export.documents import simulate_document
from jiedao.scenarios import load
from jiedao.sim.run import run

runner = CliRunner()
FAST = ["-r", "2", "--days", "5", "--case-days", "15", "--case-warmup", "5", "-q"]


@pytest.mark.slow
def test_simulate_json_on_stdout_matches_the_library():
    result = runner.invoke(app, ["simulate", "liaoyuan", *FAST, "--seed", "4", "--json", "-"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # stdout carries the JSON and nothing else
    assert document["schema"] == "jiedao.simulate/1"
    assert (document["seed"], document["replications"], document["days"]) == (4, 2, 5)
    assert {r["level"] for r in document["results"]} == {"city", "district", "street", "community"}
    entry = next(
        r for r in document["results"] if r["site"] == "longshan/dongji" and r["stream"] == "window"
    )
    for key in (
        "arrivals",
        "completed",
        "abandoned",
        "in_system_at_end",
        "wait_mean_min",
        "wait_p90_min",
        "wait_p95_min",
        "target_share",
        "utilisation",
        "queue_mean",
    ):
        # a share also carries its interval's ends, clipped to 0-1 (issue 14)
        extra = {"lo", "hi"} if key.endswith("share") else set()
        assert set(entry["metrics"][key]) == {"mean", "ci95"} | extra
    library = simulate_document(
        run(load("liaoyuan"), replications=2, seed=4, days=5, case_days=15, case_warmup_days=5)
    )
    library.pop("runtime_s"), document.pop("runtime_s")
    assert json.loads(json.dumps(library)) == document


def test_simulate_table_and_file(tmp_path):
    out = tmp_path / "sim.json"
    result = runner.invoke(app, ["simulate", *FAST, "--json", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "service window" in result.stdout and "worst sites" in result.stdout
    assert json.loads(out.read_text("utf-8"))["scenario"] == "liaoyuan"


def test_simulate_bad_input_exits_2_without_traceback():
    for args in (
        ["--warmup", "5", "--days", "5"],
        ["--set", "districts.*.streets.*.windows=-1"],
        ["no-such-file.toml"],
    ):
        result = runner.invoke(app, ["simulate", *args, "-q"])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert result.stderr.startswith("error: ") or "Usage" in result.stderr


def test_simulate_warns_when_nobody_serves():
    result = runner.invoke(
        app, ["simulate", *FAST, "--set", "districts.xian.streets.taian.windows=0"]
    )
    assert result.exit_code == 0, result.output
    assert "xian/taian window" in result.stderr and "no staff" in result.stderr
