"""Relative ``--set`` and ``--variant`` forms through the command line, at every site level.

``+=``, ``-=`` and ``*=`` change a field from its resolved value (after the defaults cascade), are
validated like any value, round half up on a count, and print what they made of each field; the
forms that would silently set a value (``windows=+1``) or cannot work are refused in one line with
exit code 2.
"""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.scenarios import load

runner = CliRunner()
TINY = "-r 2 --days 2 --case-days 3 --case-warmup 1 --backend serial -q".split()


def show(*sets: str) -> tuple[dict, list[str]]:
    args = ["scenario", "show", "liaoyuan", "--json", "-"]
    for item in sets:
        args += ["--set", item]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr.splitlines()


BASE = load("liaoyuan")
STREETS = {s.id: s for s in BASE.streets()}
COMMUNITIES = {c.id: c for c in BASE.communities()}


def test_relative_at_city_level() -> None:
    document, lines = show("defaults.street.enforcement_officers+=2", "budget.post_cost_yuan*=1.2")
    assert {s["enforcement_officers"] for s in document["streets"]} == {12}
    assert document["budget"]["post_cost_yuan"] == pytest.approx(73_033 * 1.2)
    assert lines == [
        "--set defaults.street.enforcement_officers+=2: defaults.street.enforcement_officers "
        "10 -> 12",
        "--set budget.post_cost_yuan*=1.2: budget.post_cost_yuan 73033 -> 87639.6",
    ]


def test_relative_at_district_level_from_the_cascaded_default() -> None:
    # no district writes defaults.street.enforcement_officers: each starts from the city's 10,
    # and 10 x 1.25 = 12.5 is a count, rounded half up
    document, lines = show("districts.*.defaults.street.enforcement_officers*=1.25")
    assert {s["enforcement_officers"] for s in document["streets"]} == {13}
    assert lines == [
        f"--set districts.*.defaults.street.enforcement_officers*=1.25: districts.{d}.defaults."
        "street.enforcement_officers 10 -> 13"
        for d in ("longshan", "xian", "dongfeng")
    ]


def test_relative_at_street_level() -> None:
    document, lines = show("districts.*.streets.*.windows+=1")
    for street in document["streets"]:
        assert street["windows"] == STREETS[street["site"]].windows + 1
    assert document["totals"]["windows"] == 73 + 17
    assert len(lines) == 17
    assert lines[0] == (
        "--set districts.*.streets.*.windows+=1: districts.longshan.streets.dongji.windows 7 -> 8"
    )
    document, _ = show("districts.xian.streets.*.windows*=1.5")
    for street in document["streets"]:
        before = STREETS[street["site"]].windows
        expected = math.floor(before * 1.5 + 0.5) if street["site"].startswith("xian/") else before
        assert street["windows"] == expected  # 3 x 1.5 = 4.5 -> 5: half up


def test_relative_at_community_level() -> None:
    document, lines = show(
        "districts.*.streets.*.communities.*.households*=1.1",
        "districts.*.streets.*.communities.*.posts-=1",
    )
    for c in document["communities"]:
        original = COMMUNITIES[c["site"]]
        assert c["households"] == math.floor(original.households * 1.1 + 0.5)
        assert c["posts"] == original.posts - 1
    assert len(lines) == 2 * 35
    assert any(
        line.endswith("districts.longshan.streets.dongji.communities.c01.households 6928 -> 7621")
        for line in lines
    )  # 6928 x 1.1 = 7620.8


def test_a_relative_rate_shows_its_value() -> None:
    _, lines = show("demand.window.rate_per_1000_households_per_day*=1.2")
    assert lines == [
        "--set demand.window.rate_per_1000_households_per_day*=1.2: "
        "demand.window.rate_per_1000_households_per_day 9 -> 10.8"
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        # a sign after '=' is refused with a hint at every level, never read as the number
        (
            "budget.posts_pool=+10",
            "budget.posts_pool: '+10' would set the value to 10; to add to the current value "
            "write budget.posts_pool+=10",
        ),
        (
            "districts.*.defaults.street.windows=+1",
            "districts.*.defaults.street.windows: '+1' would set the value to 1; to add to the "
            "current value write districts.*.defaults.street.windows+=1",
        ),
        (
            "districts.*.streets.*.windows=+1",
            "districts.*.streets.*.windows: '+1' would set the value to 1; to add to the current "
            "value write districts.*.streets.*.windows+=1",
        ),
        (
            "districts.*.streets.*.communities.*.posts=+2",
            "districts.*.streets.*.communities.*.posts: '+2' would set the value to 2; to add to "
            "the current value write districts.*.streets.*.communities.*.posts+=2",
        ),
        ("districts.*.streets.*.windows+=abc", "+= needs a number, got 'abc'"),
        ("policy.window_mode*=2", "*= changes numbers; this field holds 'pooled'"),
        ("districts.*.streets.*.windows-=100", "must be >= 0, got -93"),
        ("districts.*.streets.*.windows+=0.5", "must be an integer, got 7.5"),
        ("districts.*.area_km2+=1", "has no value to change with +=: set it with ="),
    ],
)
def test_refused_forms_say_why_in_one_line(item: str, message: str) -> None:
    result = runner.invoke(app, ["scenario", "show", "liaoyuan", "--set", item])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --set {item}: ")
    assert message in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "item",
    [
        "plus1:districts.*.streets.*.windows=+1",
        "plus1:districts.*.defaults.street.windows=+1",
        "plus1:districts.*.streets.*.communities.*.posts=+1",
        "minus:districts.*.streets.*.windows-=100",
    ],
)
def test_refused_variants_say_why_in_one_line(item: str) -> None:
    result = runner.invoke(app, ["compare", "liaoyuan", "--variant", item, "--backend", "serial"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --variant {item}: ")
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_relative_variant_compares_and_shows_its_values() -> None:
    result = runner.invoke(
        app,
        ["compare", "liaoyuan", "--variant", "plus1:districts.xian.streets.*.windows+=1", *TINY]
        + ["--json", "-"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "--variant plus1: districts.xian.streets.*.windows+=1: "
        "districts.xian.streets.taian.windows 2 -> 3"
    )
    assert len(lines) == 6
    document = json.loads(result.stdout)
    assert document["pairing"]["plus1"] == {
        "window": True,
        "grid": True,
        "enforcement": True,
        "whole_cost": True,
    }


def test_compare_at_a_level_the_runs_do_not_share() -> None:
    result = runner.invoke(
        app,
        ["compare", "liaoyuan-before", "liaoyuan", "--level", "street", *TINY],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == (
        "no common streets: liaoyuan-before, liaoyuan share no street ids; comparing at "
        "district level"
    )
    assert sum(line.startswith("no common") for line in out) == 1
    assert any(line.startswith("xian ") for line in out)
