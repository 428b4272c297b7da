"""A sweep's results a person reads (issue 14): ``results.csv`` / ``.xlsx`` (one row per point:
the varied values and the city's key figures with their intervals) and one chart per varied field,
whose values equal the points recorded in ``points.jsonl``; no lock file is left behind.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.export.sweep import FIGURES, results_charts, results_rows
from jiedao.scenarios import parse_vary
from jiedao.scenarios.generate import generate

runner = CliRunner()
VARY = ["districts.*.streets.*.windows=1..3", "demand.window.return_share=0.2,0.6"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    city = folder / "tiny.toml"
    city.write_text(generate(4, 3), encoding="utf-8")
    out = folder / "out"
    args = ["sweep", str(city), *(a for v in VARY for a in ("--vary", v)), "--out", str(out),
            "-r", "2", "--days", "3", "--case-days", "4", "--case-warmup", "0", "-q",
            "--backend", "serial", "--lang", "en"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "results: results.csv, results.xlsx, sweep-1.png" in result.stdout
    return out


def _records(out: Path) -> list[dict]:
    lines = (out / "points.jsonl").read_text("utf-8").splitlines()
    return sorted((json.loads(line) for line in lines), key=lambda r: r["index"])


def _city(record: dict, stream: str, metric: str) -> dict:
    entry = next(
        r for r in record["result"]["results"] if r["level"] == "city" and r["stream"] == stream
    )
    return entry["metrics"][metric]


def test_the_folder_holds_the_results_and_no_lock(swept: Path) -> None:
    assert sorted(p.name for p in swept.iterdir()) == [
        "points.jsonl", "results.csv", "results.xlsx", "sweep-1.png", "sweep-1.svg",
        "sweep-2.png", "sweep-2.svg", "sweep.json",
    ]  # fmt: skip


def test_the_table_holds_every_point_as_recorded(swept: Path) -> None:
    records = _records(swept)
    with (swept / "results.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(records) == 6
    paths = [parse_vary(v).path for v in VARY]
    for row, record in zip(rows, records, strict=True):
        assert row["id"] == record["id"] and int(row["index"]) == record["index"]
        for path in paths:
            assert float(row[path]) == pytest.approx(float(record["point"][path]))
        share = _city(record, "window", "target_share")
        assert float(row["window_target_share"]) == pytest.approx(share["mean"], abs=1e-6)
        low = max(0.0, share["mean"] - share["ci95"])
        high = min(1.0, share["mean"] + share["ci95"])
        assert float(row["window_target_share_low"]) == pytest.approx(low, abs=1e-6)
        assert float(row["window_target_share_high"]) == pytest.approx(high, abs=1e-6)
        assert 0 <= low <= share["mean"] <= high <= 1
        wait = _city(record, "grid", "wait_mean_min")
        assert float(row["grid_wait_mean_min"]) == pytest.approx(wait["mean"], abs=1e-6)
        assert float(row["grid_wait_mean_min_ci95"]) == pytest.approx(wait["ci95"], abs=1e-6)
    # the workbook holds the same rows, numbers as numbers
    sheet = load_workbook(swept / "results.xlsx")["points"]
    header = [c.value for c in sheet[2]]
    assert header == list(rows[0])
    for row, cells in zip(rows, sheet.iter_rows(min_row=3, values_only=True), strict=True):
        at = header.index("window_target_share")
        assert cells[at] == pytest.approx(float(row["window_target_share"]))
    assert sheet.cell(3, header.index("window_target_share") + 1).number_format == "0.0%"


def test_each_chart_draws_the_recorded_values(swept: Path) -> None:
    records = _records(swept)
    varies = [parse_vary(v) for v in VARY]
    charts = dict(results_charts(results_rows(records, varies), varies, "en"))
    assert list(charts) == ["sweep-1", "sweep-2"]
    # sweep-1: windows on the x axis, a line per return share; the first panel is the window
    # stream's share within target
    first = charts["sweep-1"].axes[0]
    lines = [container.lines[0] for container in first.containers]  # each series' data line
    assert len(lines) == 2
    for line, share in zip(lines, (0.2, 0.6), strict=True):
        expected = [
            (r["point"][varies[0].path], _city(r, "window", "target_share")["mean"])
            for r in records
            if r["point"][varies[1].path] == share
        ]
        assert list(line.get_xdata()) == pytest.approx([x for x, _ in expected])
        assert list(line.get_ydata()) == pytest.approx([y for _, y in expected])
        assert all(0 <= y <= 1 for y in line.get_ydata())
    assert len(FIGURES) == 21
