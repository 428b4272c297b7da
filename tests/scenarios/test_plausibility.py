"""Plausibility warnings and id hints (issue 14): valid figures that are surely a slip of the unit
warn (万元 for yuan, a month's pay for a year's, a percentage for a factor or a share), a share
written as a percentage fails with the fix in the message, and a Chinese id gets the hint to use an
ASCII id and ``name_zh``. The shipped and generated scenarios never warn.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.paths import ROOT
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.scenarios import ScenarioError, load, with_overrides
from jiedao.scenarios.generate import generate
from jiedao.scenarios.plausibility import plausibility_warnings

runner = CliRunner()
MINIMAL = ROOT / "docs" / "examples" / "minimal.toml"


def test_real_scenarios_never_warn(tmp_path: Path) -> None:
    path = tmp_path / "g.toml"
    path.write_text(generate(40, 5), encoding="utf-8")
    for ref in ("liaoyuan", "liaoyuan-before", str(MINIMAL), str(path)):
        assert plausibility_warnings(load(ref)) == [], ref


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"budget.post_cost_yuan": 4.8}, "budget.post_cost_yuan", "did you mean 4.8万元 (¥48,000)"),
        ({"budget.post_cost_yuan": 4500}, "budget.post_cost_yuan", "a month's? (x 12 = ¥54,000)"),
        ({"budget.post_cost_yuan": 22_000_000}, "budget.post_cost_yuan", "cost of all posts"),
        (
            {"budget.fund_standard_yuan.urban": 20},
            "budget.fund_standard_yuan.urban",
            "did you mean 20万元 (¥200,000)",
        ),
        ({"budget.fund_pool_yuan": 620}, "budget.fund_pool_yuan", "620万元 (¥6,200,000)"),
        ({"budget.hour_price_yuan": 0.6}, "budget.hour_price_yuan", "below any wage"),
        ({"budget.hour_price_yuan": 480}, "", ""),  # a dear hour, not a slip: no warning
        ({"budget.hours_per_post_year": 7}, "budget.hours_per_post_year", "hours a day"),
        ({"targets.grid.share": 0.009}, "targets.grid.share", "did you mean 0.9 (90%)"),
        (
            {"districts.longshan.streets.dongji.communities.c01.demand_factor": 20},
            "districts.longshan.streets.dongji.communities.c01.demand_factor",
            "a percentage (0.2)",
        ),
        (
            {"districts.longshan.streets.dongji.communities.c01.funds_yuan": 30},
            "districts.longshan.streets.dongji.communities.c01.funds_yuan",
            "did you mean 30万元",
        ),
    ],
)
def test_a_slip_of_the_unit_warns_naming_the_field(overrides, field, words) -> None:
    warnings = plausibility_warnings(with_overrides(load("liaoyuan"), overrides))
    if not field:
        assert warnings == []
        return
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"liaoyuan.toml: {field}: "), warnings
    assert words in warnings[0], warnings


def test_the_cli_prints_warnings_on_stderr_and_goes_on() -> None:
    result = runner.invoke(
        app, ["scenario", "validate", "liaoyuan", "--set", "budget.post_cost_yuan=4.8"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok liaoyuan.toml")
    assert result.stderr == (
        "warning: liaoyuan.toml: budget.post_cost_yuan: post cost ¥4.8 a year: amounts are in "
        "yuan; did you mean 4.8万元 (¥48,000)?\n"
    )
    shown = runner.invoke(app, ["scenario", "show", "--set", "budget.fund_pool_yuan=620"])
    assert shown.exit_code == 0 and shown.stderr.startswith("warning: liaoyuan.toml: budget.")


def test_a_share_written_as_a_percentage_fails_with_the_fix() -> None:
    with pytest.raises(ScenarioError, match=r"must be <= 1, got 90: .* write 0\.9 for 90%"):
        with_overrides(load("liaoyuan"), {"targets.grid.share": 90})
    with pytest.raises(ScenarioError, match=r"write 0\.3 for 30%"):
        with_overrides(load("liaoyuan"), {"budget.purchase_share": 30})


def _city(tmp_path: Path, key: str) -> Path:
    text = MINIMAL.read_text(encoding="utf-8")
    assert "[districts.north.streets.riverside]" in text
    path = tmp_path / "city.toml"
    path.write_text(text.replace("streets.riverside", f"streets.{key}"), "utf-8")
    return path


def test_a_chinese_id_gets_the_hint_to_use_ascii_and_name_zh(tmp_path: Path) -> None:
    # bare: TOML refuses the key itself
    bare = _city(tmp_path, "山下")
    with pytest.raises(ScenarioError) as caught:
        load(str(bare))
    message = str(caught.value)
    assert "Invalid initial character for a key part" in message
    assert "write an ASCII id and give the Chinese name as name_zh" in message
    assert '[districts.north.streets.ID] with name_zh = "山下"' in message
    # quoted: TOML takes it, the id check refuses it
    quoted = _city(tmp_path, '"山下"')
    with pytest.raises(ScenarioError) as caught:
        load(str(quoted))
    message = str(caught.value)
    assert "must be a lowercase ASCII slug" in message
    assert "use an ASCII id and give the Chinese name as name_zh = '山下'" in message
    # and through the CLI: one line, exit code 2
    result = runner.invoke(app, ["scenario", "validate", str(bare)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "name_zh" in result.stderr
