"""Planner workflows through CliRunner: compare, sweep, sensitivity, generate, charts."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.scenarios.generate import generate

runner = CliRunner()
SHORT = ["-r", "3", "--days", "5", "--case-days", "20", "--case-warmup", "5", "-q",
         "--backend", "serial"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("city") / "tiny.toml"
    path.write_text(generate(4, 3), encoding="utf-8")
    return path


def _city(document, stream, metric):
    entry = next(r for r in document["results"] if r["level"] == "city" and r["stream"] == stream)
    return entry["metrics"][metric]


@pytest.mark.slow
def test_compare_finds_a_known_difference_and_not_a_null_one(tmp_path):
    result = runner.invoke(app, ["compare", "liaoyuan", *SHORT, "--json", "-",
                                 "--variant", "same:districts.xian.defaults.street.windows=3",
                                 "--variant", "fewer:districts.*.streets.*.windows=2"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    wait = _city(document, "window", "wait_mean_min")["differences"]
    assert wait["fewer"]["significant"] is True and wait["fewer"]["mean"] > 0
    # "same" sets what the file already says: identical residents, identical waits
    assert wait["same"]["mean"] == 0 and wait["same"]["significant"] is False


@pytest.mark.slow
def test_compare_before_after_writes_chart(tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", "liaoyuan-before", "liaoyuan", *SHORT,
                                 "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "liaoyuan - liaoyuan-before" in result.stdout
    assert (out / "before_after.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "before_after.svg").stat().st_size > 2000
    again = runner.invoke(app, ["compare", "liaoyuan-before", "liaoyuan", *SHORT,
                                "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.stderr


@pytest.mark.slow
def test_sweep_records_and_resumes_through_the_cli(tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep", "liaoyuan", "--vary", "districts.xian.streets.taian.windows=1..3",
            "--out", str(out), "-r", "1", "--days", "3", "--case-days", "4", "--case-warmup", "0",
            "-q", "--backend", "serial", "--lang", "en"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "3 run now, 0 already recorded" in first.stdout
    lines = (out / "points.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 3
    # cut the last point as a crash would, then resume: only that point runs again
    (out / "points.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:20], "utf-8")
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "1 run now, 2 already recorded" in second.stdout
    records = [json.loads(x) for x in (out / "points.jsonl").read_text("utf-8").splitlines()]
    assert sorted(r["index"] for r in records) == [0, 1, 2]
    waits = [_city(r["result"], "window", "wait_mean_min")["mean"]
             for r in sorted(records, key=lambda r: r["index"])]
    assert waits[0] >= waits[1] >= waits[2]


@pytest.mark.slow
def test_sensitivity_ranks_what_matters_and_writes_charts(tiny, tmp_path):
    out = tmp_path / "sens"
    result = runner.invoke(app, ["sensitivity", str(tiny), "-r", "1", "--draws", "2", "-q",
                                 "--backend", "serial", "--out", str(out), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    with (out / "one_at_a_time.csv").open(encoding="utf-8-sig") as handle:
        rows = {r["parameter"]: int(r["rank"]) for r in csv.DictReader(handle)}
    # grid demand drives the posts a plan needs; window demand (clerks, not posts) does not
    assert rows["demand.grid.events_per_1000_residents_per_month"] < rows[
        "demand.window.rate_per_1000_households_per_day"]
    for chart in ("tornado", "frontier"):
        assert (out / f"{chart}.png").read_bytes()[:4] == b"\x89PNG"
        assert (out / f"{chart}.svg").stat().st_size > 2000
    document = json.loads((out / "sensitivity.json").read_text("utf-8"))
    assert document["schema"] == "jiedao.sensitivity/1"
    assert len(document["demand_uncertainty"]) == 4


def test_generate_writes_a_valid_city(tmp_path):
    path = tmp_path / "g.toml"
    result = runner.invoke(app, ["scenario", "generate", "-n", "12", "--seed", "2",
                                 "--out", str(path)])
    assert result.exit_code == 0, result.output
    check = runner.invoke(app, ["scenario", "validate", str(path)])
    assert check.exit_code == 0 and "12 communities" in check.stdout
    again = runner.invoke(app, ["scenario", "generate", "-n", "12", "--out", str(path)])
    assert again.exit_code == 2


@pytest.mark.slow
def test_simulate_out_writes_wait_chart(tmp_path):
    out = tmp_path / "sim"
    result = runner.invoke(app, ["simulate", *SHORT, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "simulate.json").read_text("utf-8"))["schema"] == "jiedao.simulate/1"
    assert (out / "waits.png").stat().st_size > 5000
