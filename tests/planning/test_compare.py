"""Paired comparison of scenarios with common random numbers (``planning.compare``)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from jiedao.export.documents import compare_document
from jiedao.export.labels import label
from jiedao.export.table import format_table
from jiedao.export.text import compare_table_rows, render_compare
from jiedao.planning import compare as pairing
from jiedao.planning.compare import check_compatible, paired_difference
from jiedao.scenarios import load
from jiedao.sim.run import run

SHORT = {"days": 5, "case_days": 20, "case_warmup_days": 5}
WINDOWS_ONLY = ("window",)


def _run(ref: str, overrides: tuple[str, ...] = (), reps: int = 3, seed: int = 5, **kw):
    options = {**SHORT, **kw}
    return run(load(ref, list(overrides)), reps, seed, **options)


SCHEMA = "jiedao.compare/1"


def compare(results, names, metrics=None):
    """The comparison and its ``jiedao.compare/1`` document, which the assertions read."""
    comparison = pairing.compare(results, names, metrics)
    return comparison, compare_document(comparison)


def _entry(document, site, stream):
    return next(e for e in document["results"] if e["site"] == site and e["stream"] == stream)


@pytest.fixture(scope="module")
def base():
    return _run("liaoyuan")


@pytest.mark.slow
def test_fewer_windows_make_window_waits_significantly_longer(base):
    fewer = _run("liaoyuan", ("districts.*.streets.*.windows=2",))
    comparison, document = compare([base, fewer], ["now", "two-windows"])
    assert document["schema"] == SCHEMA
    assert document["baseline"] == "now"
    assert (document["seed"], document["replications"], document["days"]) == (5, 3, 5)
    wait = _entry(document, "city", "window")["metrics"]["wait_mean_min"]
    diff = wait["differences"]["two-windows"]
    assert diff["significant"] is True
    assert (
        diff["mean"] > 0 and diff["ci95"] < diff["mean"]
    )  # sign right: fewer clerks, longer waits
    assert wait["scenarios"]["two-windows"]["mean"] > wait["scenarios"]["now"]["mean"]
    assert math.isclose(
        diff["mean"],
        wait["scenarios"]["two-windows"]["mean"] - wait["scenarios"]["now"]["mean"],
        abs_tol=1e-5,
    )
    # same residents in both runs: first visits do not change with staffing (return visits do)
    first = [
        r.per_replication("city", "window", "arrivals")
        - r.per_replication("city", "window", "returning")
        for r in (base, fewer)
    ]
    assert np.array_equal(first[0], first[1])
    # streets and communities are shared, so they are compared too
    assert {e["level"] for e in document["results"]} == {"city", "district", "street", "community"}
    assert document["not_compared"] == {"now": [], "two-windows": []}


@pytest.mark.slow
def test_identical_pair_is_not_significant_anywhere(base):
    again = _run("liaoyuan")
    comparison, document = compare([base, again], ["a", "b"])
    checked = 0
    for entry in document["results"]:
        for metric, item in entry["metrics"].items():
            diff = item["differences"]["b"]
            if diff["n"] == 0:
                continue
            assert diff["mean"] == 0, (entry["site"], metric)
            assert diff["ci95"] == 0, (entry["site"], metric)
            assert diff["significant"] is False, (entry["site"], metric)
            checked += 1
    assert checked > 100


def test_paired_interval_is_narrower_than_the_unpaired_one():
    # a small change: one clerk more in one street of 17 (Tai'an has 3)
    reps = 4
    a = _run("liaoyuan", reps=reps, streams=WINDOWS_ONLY)
    b = _run(
        "liaoyuan", ("districts.xian.streets.taian.windows=4",), reps=reps, streams=WINDOWS_ONLY
    )
    comparison, document = compare([a, b], ["now", "one-more"])
    for site in ("city", "xian"):
        item = _entry(document, site, "window")["metrics"]["wait_mean_min"]
        paired = item["differences"]["one-more"]["ci95"]
        ci_a = item["scenarios"]["now"]["ci95"]
        ci_b = item["scenarios"]["one-more"]["ci95"]
        unpaired = math.sqrt(ci_a**2 + ci_b**2)
        assert paired < unpaired / 5, site  # the noise both runs share cancels
    # away from the change nothing moves at all
    other = _entry(document, "longshan/dongji", "window")["metrics"]["wait_mean_min"]
    assert other["differences"]["one-more"]["mean"] == 0


@pytest.mark.slow
def test_before_and_after_the_reform_compare_at_city_and_district_level():
    before = _run("liaoyuan-before")
    after = _run("liaoyuan")
    comparison, document = compare([before, after], ["before", "after"])
    levels = {e["level"] for e in document["results"]}
    assert levels == {"city", "district"}
    sites = {e["site"] for e in document["results"]}
    assert sites == {"city", "longshan", "xian", "dongfeng"}
    assert "longshan/centre" in document["not_compared"]["before"]
    assert "longshan/dongji" in document["not_compared"]["after"]
    streams = {e["stream"] for e in document["results"] if e["site"] == "city"}
    assert streams == {"window", "grid", "enforcement"}
    wait = _entry(document, "longshan", "window")["metrics"]["wait_mean_min"]
    assert set(wait["scenarios"]) == {"before", "after"}
    assert set(wait["differences"]) == {"after"}
    headers, rows = compare_table_rows(comparison)
    assert headers[:5] == ["site", "stream", "metric", "before", "after"]
    assert headers[5:] == ["after - before", "significant"]
    assert rows and all(row[0] == "city" for row in rows)
    assert all(len(row) == len(headers) for row in rows)
    assert all(row[-1] in ("yes", "no", "n/a") for row in rows)
    window, share_label = label("window", "en"), label("target_share", "en")
    share = next(r for r in rows if r[1] == window and r[2] == share_label)
    assert re.fullmatch(r"\d+\.\d% \(\d+\.\d-\d+\.\d\)", share[3]), share[3]  # mean (95% range)
    assert " pp" in share[5]
    assert "city" in format_table(headers, rows)
    _, district_rows = compare_table_rows(comparison, metrics=("wait_mean_min",), level="district")
    assert {r[0] for r in district_rows} == {"longshan", "xian", "dongfeng"}
    _, all_rows = compare_table_rows(comparison, metrics=("wait_mean_min",), level=None)
    assert {r[0] for r in all_rows} == {"city", "longshan", "xian", "dongfeng"}


@pytest.mark.slow
def test_three_scenarios_and_a_metric_filter(base):
    more = _run("liaoyuan", ("districts.*.streets.*.windows=6",))
    fewer = _run("liaoyuan", ("districts.*.streets.*.windows=3",))
    comparison, document = compare(
        [base, more, fewer], ["now", "more", "fewer"], metrics=["wait_mean_min"]
    )
    city = _entry(document, "city", "window")["metrics"]
    assert set(city) == {"wait_mean_min"}
    diffs = city["wait_mean_min"]["differences"]
    assert list(diffs) == ["more", "fewer"]
    assert diffs["more"]["mean"] <= 0 <= diffs["fewer"]["mean"]
    headers, rows = compare_table_rows(comparison, metrics=("wait_mean_min",))
    assert headers[-4:] == ["more - now", "significant", "fewer - now", "significant"]


def test_one_replication_gives_no_interval_and_no_verdict():
    a = _run("liaoyuan", reps=1, streams=WINDOWS_ONLY)
    b = _run("liaoyuan", ("districts.*.streets.*.windows=2",), reps=1, streams=WINDOWS_ONLY)
    comparison, document = compare([a, b], ["a", "b"])
    diff = _entry(document, "city", "window")["metrics"]["wait_mean_min"]["differences"]["b"]
    assert diff["mean"] > 0 and diff["ci95"] is None and diff["significant"] is None
    _, rows = compare_table_rows(comparison, metrics=("wait_mean_min",))
    assert rows[0][-1] == "n/a"


def test_runs_that_cannot_be_paired_are_refused(base):
    other_seed = _run("liaoyuan", seed=6, streams=WINDOWS_ONLY)
    with pytest.raises(ValueError, match="seed differs"):
        compare([base, other_seed], ["a", "b"])
    other_reps = _run("liaoyuan", reps=2, streams=WINDOWS_ONLY)
    with pytest.raises(ValueError, match="replications differs"):
        check_compatible([base, other_reps], ["a", "b"])
    other_days = _run("liaoyuan", days=6, streams=WINDOWS_ONLY)
    with pytest.raises(ValueError, match="days differs"):
        check_compatible([base, other_days], ["a", "b"])
    with pytest.raises(ValueError, match="at least two"):
        check_compatible([base], ["a"])
    with pytest.raises(ValueError, match="both named"):
        check_compatible([base, base], ["a", "a"])
    with pytest.raises(ValueError, match="names"):
        check_compatible([base, base], ["a"])


def test_paired_difference_by_hand():
    a = np.array([1.0, 2.0, 3.0, np.nan])
    b = np.array([2.0, 2.5, 4.5, 9.0])
    diff = paired_difference(a, b)
    d = np.array([1.0, 0.5, 1.5])
    half = 4.302652729911275 * d.std(ddof=1) / math.sqrt(3)  # t(0.975, 2)
    assert diff.n == 3
    assert math.isclose(diff.mean, 1.0)
    assert math.isclose(diff.ci95, half, rel_tol=1e-5)
    assert diff.significant is False  # half-width 1.24 > 1
    assert paired_difference(a[:3], b[:3] + 5).significant is True
    assert paired_difference(np.array([np.nan]), np.array([1.0])).mean is None
    constant = paired_difference(np.array([1.0, 2.0]), np.array([2.0, 3.0]))
    assert constant.ci95 == 0 and constant.significant is True


# --- pairing that holds, and the whole cost beside the queues ------------------------------------

# figures made by the residents themselves: the same residents give the same values, so pairing
# must shrink their intervals wherever it is claimed
RESIDENT_WINDOW = ("arrivals", "completed")
# The parts of the whole cost the residents decide (which matters arise, where from, how long they
# take); the whole cost also holds the queues' waits, whose noise pairing removes only where both
# runs share it: the before-file's district halls queue far more than the street centres, so at
# Longshan the two runs' whole costs barely correlate (0.05 over 4 replications) and pairing
# cannot narrow that interval.
RESIDENT_COST = ("matters", "travel_min", "service_min", "trips_per_matter")


@pytest.fixture(scope="module")
def before_after():
    reps = 4
    before = _run("liaoyuan-before", reps=reps)
    after = _run("liaoyuan", reps=reps)
    return before, after, pairing.compare([before, after], ["before", "after"])


def test_before_and_after_pair_their_residents_but_not_their_grids(before_after):
    before, after, comparison = before_after
    document = compare_document(comparison)
    assert document["pairing"] == {
        "after": {"window": True, "grid": False, "enforcement": False, "whole_cost": True}
    }
    assert document["paired"] is False
    for site in comparison.sites:
        for item in site.metrics.values():
            d = item.differences["after"]
            assert d.paired is (site.stream == "window"), (site.site, site.stream)
    # the same residents: every matter of the window window is in both runs
    for site in comparison.costs:
        d = site.metrics["matters"].differences["after"]
        assert d.mean == 0 and d.ci95 == 0, site.site
    # an independent difference is Welch's, computed from the two runs' own replications
    grid = _entry(document, "city", "grid")["metrics"]["arrivals"]["differences"]["after"]
    assert grid["interval"] == "welch" and grid["independent_ci95"] is None
    welch = pairing.welch_difference(
        before.per_replication("city", "grid", "arrivals"),
        after.per_replication("city", "grid", "arrivals"),
    )
    assert grid["ci95"] == pytest.approx(welch.ci95, abs=1e-6)


def test_the_paired_interval_is_narrower_wherever_pairing_is_claimed(before_after):
    before, after, comparison = before_after
    # independent runs of the same two scenarios: another seed for the after run
    other = _run("liaoyuan", reps=4, seed=6)
    checked = 0
    for site in comparison.sites:
        if site.stream != "window":
            continue
        for metric in RESIDENT_WINDOW:
            d = site.metrics[metric].differences["after"]
            assert d.paired
            assert d.ci95 < d.independent_ci95, (site.site, metric)
            unpaired = pairing.welch_difference(
                before.per_replication(site.site, "window", metric),
                other.per_replication(site.site, "window", metric),
            )
            assert d.ci95 < unpaired.ci95, (site.site, metric)
            checked += 1
    for site in comparison.costs:
        for metric in RESIDENT_COST:
            d = site.metrics[metric].differences["after"]
            assert d.paired and d.ci95 < d.independent_ci95, (site.site, metric)
            checked += 1
    assert checked == 4 * len(RESIDENT_WINDOW) + 4 * len(RESIDENT_COST)


def test_keys_that_do_not_match_make_the_runs_independent():
    before = _run("liaoyuan-before", reps=3, streams=WINDOWS_ONLY)
    # one merged community of Xi'an that claims to be somebody else: Xi'an and the city no
    # longer see the same residents; Longshan and Dongfeng still do
    renamed = _run(
        "liaoyuan-before",
        ('districts.xian.streets.centre.communities.c04.merged_from={ "elsewhere/c1" = 11314 }',),
        reps=3,
        streams=WINDOWS_ONLY,
    )
    comparison = pairing.compare([before, renamed], ["before", "renamed"])
    paired = {
        (s.site, s.stream): s.metrics["arrivals"].differences["renamed"].paired
        for s in comparison.sites
    }
    assert paired == {
        ("city", "window"): False, ("longshan", "window"): True, ("xian", "window"): False,
        ("dongfeng", "window"): True, ("longshan/centre", "window"): True,
        ("xian/centre", "window"): False, ("dongfeng/centre", "window"): True,
    }
    costs = {s.site: s.metrics["matters"].differences["renamed"].paired for s in comparison.costs}
    assert costs["xian/centre/c04"] is False and costs["xian/centre/c01"] is True
    assert costs["longshan"] is True and costs["city"] is False
    text = render_compare(comparison, lang="en")
    assert "independent runs, Welch intervals: service window, whole cost" in text


def test_compare_reports_the_whole_cost_and_its_break_even(before_after):
    _, _, comparison = before_after
    document = compare_document(comparison)
    entry = next(e for e in document["whole_cost"] if e["site"] == "city")
    cost = entry["metrics"]["whole_cost_min"]
    parts = ("travel_min", "wait_min", "service_min")
    for name in ("before", "after"):
        total = sum(entry["metrics"][p]["scenarios"][name]["mean"] for p in parts)
        assert cost["scenarios"][name]["mean"] == pytest.approx(total, abs=1e-5)
    be = next(b for b in document["break_even"] if b["site"] == "city")
    diff = cost["differences"]["after"]["mean"]
    trips = entry["metrics"]["trips_per_matter"]["scenarios"]["after"]["mean"]
    assert be["margin_min"] == pytest.approx(-diff / (2 * trips), abs=1e-5)
    assert be["effects_min"]["travel"] == pytest.approx(
        entry["metrics"]["travel_min"]["differences"]["after"]["mean"], abs=1e-6
    )
    per_trip = entry["metrics"]["travel_per_trip_min"]["scenarios"]
    saving = per_trip["before"]["mean"] - per_trip["after"]["mean"]
    assert be["break_even_saving_min"] == pytest.approx(saving - be["margin_min"], abs=1e-5)
    assert {e["level"] for e in document["whole_cost"]} == {"city", "district"}
    text = render_compare(comparison, lang="en")
    assert "whole cost, min a matter" in text and "break-even" in text


def test_a_level_without_common_sites_falls_back_in_one_line(before_after):
    _, _, comparison = before_after
    assert comparison.level_shown("street") == (
        "district",
        "no common streets: before, after share no street ids; comparing at district level",
    )
    assert comparison.level_shown("community")[0] == "district"
    assert comparison.level_shown("district") == ("district", None)
    text = render_compare(comparison, "street", lang="en")
    first, *rest = text.splitlines()
    assert first.startswith("no common streets")
    assert any(line.startswith("longshan ") for line in rest)


def test_a_constant_figure_differs_only_beyond_the_rounding_of_its_sums():
    """A district's duty workers are the same in every replication of both runs; summed street by
    street or resident by resident they can differ in the last bits, which is no difference."""
    a = np.full(2, 88.287474)  # two equal values: variance exactly zero
    noise = pairing.welch_difference(a, np.full(2, np.nextafter(a[0], 100.0)))
    assert noise.significant is False and noise.ci95 == 0.0
    real = pairing.welch_difference(a, a + 0.5)
    assert real.significant is True and real.mean == pytest.approx(0.5)
