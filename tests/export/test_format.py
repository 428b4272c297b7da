"""How numbers read (issue 14): the formatters of ``jiedao.export.format``, then the commands.

- A share's range never leaves 0-100% and always contains the computed interval; its mean is
  rounded down, so a share shown at its target ("90.0%") is at least the target, and "90.0%"
  never stands beside "not met".
- No number a person reads carries more than two decimals, or exponent notation; CSV numbers
  carry at most six decimals.
- The commands' terminal output (simulate, compare, plan, allocate, sensitivity, scenario show),
  in both languages, holds no raw float (checked with a regex).
"""

from __future__ import annotations

import csv
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.export import format as fmt
from jiedao.scenarios import load
from jiedao.scenarios.generate import generate

runner = CliRunner()
# a raw float: three or more decimals, or exponent notation (1.133e+04, 6.2e+06)
RAW_FLOAT = re.compile(r"\d\.\d{3,}|\d[eE][+-]?\d")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(text)]


# --- the formatters -------------------------------------------------------------------------------


def test_the_documented_examples() -> None:
    assert fmt.pct(0.9853) == "98.5%"
    assert fmt.share_range(0.898, 0.234) == "89.8% (66.4-100.0)"
    assert fmt.share_range(0.02, 0.05) == "2.0% (0.0-7.0)"
    assert fmt.pp(0.032, 0.005) == "+3.2 pp ± 0.5"
    assert fmt.yuan(6_200_000) == "¥6,200,000"
    assert fmt.money(6_200_000) == "¥6,200,000（620万元）"
    assert fmt.money(467_966, "en") == "¥467,966 (0.47 million)"
    assert fmt.wan(467_966) == "46.8万元"
    assert fmt.count(226070) == "226,070"
    assert fmt.number(1147.7333333333245) == "1,148"
    assert fmt.number(1.133e4) == "11,330"
    assert fmt.number(13883.20) == "13,883"
    assert fmt.duration(2.384, "min") == "2.38 min"
    assert fmt.duration(81.5, "min", 9.74) == "81.5 ± 9.7 min"
    assert fmt.figure(30.0) == "30" and fmt.figure(7.5) == "7.5"
    assert fmt.csv_number(0.9999999999999999) == "1"
    assert fmt.csv_number(6.000000000000001) == "6"
    assert fmt.csv_number(1e13) == "10000000000000"
    assert fmt.csv_number(-1e-9) == "0"
    assert fmt.csv_number(float("nan")) == "" and fmt.csv_number(None) == ""
    assert fmt.pct(None) == fmt.pct(float("nan")) == "n/a"


def test_a_share_below_its_target_never_reads_as_the_target() -> None:
    # 89.96% rounded to the nearest tenth would read "90.0%" beside "not met"
    assert fmt.pct(0.8996) == "90.0%"
    assert fmt.pct(0.8996, rounding="down") == "89.9%"
    assert fmt.share_range(0.8996, 0.01).startswith("89.9% ")
    # exactly at the target, rounding down does not fall a tenth short (0.9 * 100 = 90.00...01)
    assert fmt.pct(0.9, rounding="down") == "90.0%"
    assert fmt.pct(0.7, rounding="down") == "70.0%"


shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
halves = st.floats(min_value=0.0, max_value=2.0, allow_nan=False)


@given(shares, halves)
def test_a_share_range_stays_inside_0_100_and_contains_the_interval(mean: float, half: float):
    text = fmt.share_range(mean, half)
    shown, low, high = _numbers(text)
    assert 0.0 <= low <= shown <= high <= 100.0, text
    assert low <= max(0.0, mean - half) * 100 + 1e-6  # the range shown contains the interval
    assert high >= min(1.0, mean + half) * 100 - 1e-6
    assert shown <= mean * 100 + 1e-6  # rounded down
    assert not RAW_FLOAT.search(text)


@given(shares, st.integers(min_value=1, max_value=999))
def test_rounded_down_a_share_under_a_target_shows_under_it(share: float, per_mille: int):
    target = per_mille / 1000
    if share < target:
        assert _numbers(fmt.pct(share, rounding="down"))[0] < target * 100 - 1e-9


@given(st.floats(min_value=-1e13, max_value=1e13, allow_nan=False))
def test_no_formatted_number_has_more_than_two_decimals(value: float):
    for text in (
        fmt.number(value),
        fmt.figure(value),
        fmt.yuan(value),
        fmt.money(value),
        fmt.money(value, "en"),
        fmt.duration(value, "min", abs(value) / 3),
        fmt.count(value),
    ):
        assert not RAW_FLOAT.search(text), text
        assert "e+" not in text and "e-" not in text


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_csv_numbers_are_plain_decimals_of_at_most_six_places(value: float):
    text = fmt.csv_number(value)
    if not math.isfinite(value):
        assert text == ""
        return
    assert re.fullmatch(r"-?\d+(\.\d{1,6})?", text), text
    assert abs(float(text) - value) <= 5e-7 * max(1.0, abs(value) * 1e-9) + 5e-7


# --- the commands ---------------------------------------------------------------------------------

FAST = ["-r", "2", "--days", "3", "--case-days", "8", "--case-warmup", "2", "-q",
        "--backend", "serial"]  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("fmt") / "tiny.toml"
    path.write_text(generate(4, 3), encoding="utf-8")
    return path


def _clean(output: str) -> None:
    found = RAW_FLOAT.findall(output)
    assert not found, (found, output)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_command_output_holds_no_raw_float(tiny, tmp_path, lang: str) -> None:
    runs = [
        ["scenario", "show", "liaoyuan"],
        ["simulate", str(tiny), *FAST],
        ["compare", str(tiny), "--variant", "more:districts.*.streets.*.windows+=1", *FAST],
        ["plan", str(tiny), "-r", "1", "--check-replications", "2", "-q", "--backend", "serial",
         "--out", str(tmp_path / f"plan-{lang}")],
        ["sensitivity", str(tiny), "-r", "1", "--draws", "2", "-q", "--backend", "serial"],
    ]  # fmt: skip
    for args in runs:
        result = runner.invoke(app, [*args, "--lang", lang])
        assert result.exit_code == 0, (args, result.output)
        _clean(result.stdout)
        # every share range printed stays inside 0-100%
        for low, high in re.findall(r"\((\d+\.\d)-(\d+\.\d)\)", result.stdout):
            assert 0.0 <= float(low) <= float(high) <= 100.0
    plan = tmp_path / f"plan-{lang}"
    curves = plan / "curves.csv"
    result = runner.invoke(app, ["allocate", str(tiny), "--curves", str(curves), "-q",
                                 "--lang", lang])  # fmt: skip
    assert result.exit_code == 0, result.output
    _clean(result.stdout)
    with (plan / "allocation.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            for value in row.values():
                assert not re.search(r"\d\.\d{7,}|\d[eE][+-]?\d", value), row


def test_the_plan_reads_in_plain_words(tiny) -> None:
    result = runner.invoke(app, ["plan", str(tiny), "-r", "1", "--check-replications", "0", "-q",
                                 "--backend", "serial", "--lang", "en"])  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    for jargon in ("binding:", "shadow price", "right-hand side", "floors/caps", "0/0"):
        assert jargon not in out, jargon
    assert "not checked by simulation" in out
    assert re.search(r"posts pool: .*(a limit|not a limit|used)", out)
    assert "one more post" in out
    scenario = load(str(tiny))
    assert f"of the pool of {scenario.budget.posts_pool:,}" in out
