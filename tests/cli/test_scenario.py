"""The ``jiedao`` and ``jiedao scenario`` commands through Typer's test runner.

User errors must end with exit code 2 and one line on stderr, never a traceback; ``--json -`` must
leave nothing but the JSON document on stdout.
"""

from __future__ import annotations

import json
import math
from importlib import metadata
from pathlib import Path

import pytest
from support.paths import ROOT
from typer.testing import CliRunner

from jiedao.cli import app

MINIMAL = str(ROOT / "docs" / "examples" / "minimal.toml")
runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"jiedao {metadata.version('jiedao')}\n"


def test_help_on_every_command() -> None:
    for args in ([], ["scenario"], ["scenario", "validate"], ["scenario", "show"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Usage" in result.stdout


def test_validate_ok() -> None:
    result = runner.invoke(app, ["scenario", "validate", "liaoyuan", "liaoyuan-before", MINIMAL])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ok liaoyuan.toml: 3 districts, 17 streets, 35 communities, 226,070 households",
        "ok liaoyuan-before.toml: 3 districts, 3 streets, 17 communities, 226,070 households",
        "ok minimal.toml: 1 district, 2 streets, 3 communities, 12,900 households",
    ]
    assert result.stderr == ""


def test_validate_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = Path(MINIMAL).read_text(encoding="utf-8")
    bad.write_text(text.replace("c01 = { households = 4200 }", "c01 = { households = -5 }"))
    result = runner.invoke(app, ["scenario", "validate", "liaoyuan", str(bad)])
    assert result.exit_code == 2
    assert result.stdout.startswith("ok liaoyuan.toml")  # the good file is still checked
    assert result.stderr == (
        "error: bad.toml: districts.north.streets.riverside.communities.c01.households: "
        "must be >= 0, got -5 (line 44)\n"
    )
    assert "Traceback" not in result.output


def test_validate_invalid_toml(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "x"\n[demand\n')
    result = runner.invoke(app, ["scenario", "validate", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: broken.toml: invalid TOML: ")
    assert result.stderr.endswith("(line 2)\n")
    assert "Traceback" not in result.output


def test_validate_bad_set() -> None:
    override = "districts.longshan.streets.dongj.windows=4"
    result = runner.invoke(app, ["scenario", "validate", "liaoyuan", "--set", override])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --set districts.longshan.streets.dongj.windows=4: "
        "districts.longshan.streets.dongj: no street with id 'dongj' (did you mean 'dongji'?)\n"
    )


def test_nonexistent_file() -> None:
    for command in ("validate", "show"):
        result = runner.invoke(app, ["scenario", command, "no-such-city.toml"])
        assert result.exit_code == 2, command
        assert result.stderr == (
            "error: no-such-city.toml: no such file, and not a built-in scenario "
            "(liaoyuan, liaoyuan-before)\n"
        )
        assert result.stdout == ""


def test_show_table() -> None:
    result = runner.invoke(app, ["scenario", "show", "liaoyuan", "--lang", "en"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "3 districts, 17 streets (街道), 35 communities (社区), 226,070 households" in out
    assert "440 social-worker posts (社工岗)" in out
    assert "longshan/dongji" in out and "东吉街道" in out
    districts = ("longshan/", "xian/", "dongfeng/")
    rows = [line for line in out.splitlines() if line.startswith(districts)]
    assert len(rows) == 17


def test_show_defaults_to_liaoyuan() -> None:
    result = runner.invoke(app, ["scenario", "show"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("方案 liaoyuan ")  # --lang zh is the default


def test_show_with_set() -> None:
    result = runner.invoke(
        app,
        ["scenario", "show", "liaoyuan", "--lang", "en"]
        + ["--set", "districts.*.streets.*.windows=4"],
    )
    assert result.exit_code == 0, result.output
    assert "68 window clerks" in result.stdout


def test_show_json_stdout_is_only_json() -> None:
    result = runner.invoke(app, ["scenario", "show", "liaoyuan-before", "--json", "-"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # fails on any banner or table around the JSON
    assert document["schema"] == "jiedao.scenario.show/1"
    assert document["scenario"] == "liaoyuan-before"
    assert document["totals"]["streets"] == 3
    assert document["totals"]["households"] == 226_070
    assert [s["site"] for s in document["streets"]] == [
        "longshan/centre", "xian/centre", "dongfeng/centre"
    ]
    assert document["policy"]["window_mode"] == "specialised"


def test_show_json_layout() -> None:
    result = runner.invoke(app, ["scenario", "show", MINIMAL, "--json", "-"])
    document = json.loads(result.stdout)
    assert list(document) == [
        "schema", "scenario", "name_zh", "source", "totals", "policy", "targets", "budget",
        "streets", "communities",
    ]
    assert document["totals"] == {
        "districts": 1, "streets": 2, "communities": 3, "households": 12_900, "grids": 28,
        "windows": 7, "enforcement_officers": 16, "posts": 30, "funds_yuan": 500_000.0,
    }
    assert document["budget"]["posts_cost_yuan"] == 30 * 50_000
    assert document["budget"]["posts_recruited"] is None
    def minutes(households: float) -> float:
        """docs/scenario.md#access with the defaults: 4,000 households a km2, detour 1.3, a
        4 km/h walk or an 8-minute wait and 15 km/h."""
        km = 2 / 3 * math.sqrt(households / 4000 / math.pi) * 1.3
        return min(km / 4 * 60, 8 + km / 15 * 60)

    assert document["communities"][0] == {
        "site": "north/riverside/c01", "name": "c01", "name_zh": "", "type": "urban",
        "households": 4200, "grids": 9, "posts": 10, "party_building_posts": 2,
        "service_posts": 8, "funds_yuan": 200_000.0, "purchased_hours": 1000.0,
        "station_travel_min": pytest.approx(minutes(4200)),
        "street_travel_min": pytest.approx(minutes(4200 + 3100)),
        "district_travel_min": pytest.approx(minutes(12_900)),
        "travel_basis": ["derived", "derived", "derived"], "keys": ["north/riverside/c01"],
    }
    assert document["streets"][1] == {
        "site": "north/hillside", "name": "Hillside", "name_zh": "", "communities": 1,
        "households": 5600, "grids": 12, "windows": 3, "enforcement_officers": 8, "posts": 12,
        "funds_yuan": 100_000.0, "hall": False,
    }


def test_show_json_to_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "liaoyuan.json"
    result = runner.invoke(app, ["scenario", "show", "liaoyuan", "--json", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {target}\n"
    assert "longshan/dongji" in result.stdout  # the table still goes to stdout
    written = json.loads(target.read_text(encoding="utf-8"))
    piped = json.loads(runner.invoke(app, ["scenario", "show", "liaoyuan", "--json", "-"]).stdout)
    assert written == piped
    assert [p.name for p in target.parent.iterdir()] == ["liaoyuan.json"]  # no temporary left


def test_show_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["scenario", "show", "liaoyuan", "--json", "-", "--set", "budget.purchase_share=2"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: --set budget.purchase_share=2: budget.purchase_share: must be <= 1, got 2: "
        "a share is a fraction of 1, so write 0.02 for 2%\n"
    )
    assert "Traceback" not in result.output
