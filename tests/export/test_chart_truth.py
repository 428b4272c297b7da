"""The waiting-time chart and the tables judge the same residents the same way (issue 14): those
who gave up, were sent home or are still open past the target count against the share within it,
and urgent and ordinary grid events are each judged against their own target, in one unit per
stream (minutes for windows and urgent response, days for ordinary events and cases)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from jiedao.export.summary import UNITS
from jiedao.scenarios import load
from jiedao.scenarios.generate import generate
from jiedao.sim.run import run, times_against_targets


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("truth") / "city.toml"
    path.write_text(generate(3, 5), encoding="utf-8")
    scenario = load(str(path))
    return run(scenario, replications=1, seed=4, days=3, case_days=21, case_warmup_days=4,
               keep_records=True)  # fmt: skip


def test_each_streams_share_within_target_is_the_tables(results) -> None:
    times = times_against_targets(results)
    assert set(times) == {"window", "urgent", "ordinary", "enforcement"}
    table = {
        "window": ("window", "target_share"),
        "urgent": ("grid", "urgent_target_share"),
        "ordinary": ("grid", "ordinary_target_share"),
        "enforcement": ("enforcement", "target_share"),
    }
    for stream, (values, target, unit) in times.items():
        assert unit == UNITS[stream][0]
        site_stream, metric = table[stream]
        shown = results.metric("city", site_stream, metric)[0]  # one replication: its share
        if values.size == 0:
            assert np.isnan(shown)
            continue
        assert float(np.mean(values <= target)) == pytest.approx(shown, abs=1e-12), stream


def test_those_who_gave_up_count_against_the_window_share(results) -> None:
    values, target, _ = times_against_targets(results)["window"]
    served = values[np.isfinite(values)]
    m = results.values[("city", "window")]
    gave_up = int(m["abandoned"][0] + m["sent_home"][0])
    assert values.size - served.size >= gave_up  # and those still waiting past the target
    if gave_up:  # leaving them out would overstate the share, as the old chart did
        assert np.mean(served <= target) > np.mean(values <= target)


def test_urgent_and_ordinary_are_judged_against_their_own_targets(results) -> None:
    targets = results.scenario.targets.grid
    times = times_against_targets(results)
    assert times["urgent"][1] == targets.urgent_response_h * 60.0  # minutes
    assert times["ordinary"][1] == targets.ordinary_close_days  # days
    finite = times["ordinary"][0][np.isfinite(times["ordinary"][0])]
    assert finite.size and float(finite.max()) < results.horizon.case_days + 1  # days, not minutes


# --- the compare chart: every variant, by name, inside the metric's range ------------------------


def test_compare_chart_draws_every_variant_by_name_from_compare_json(results, tmp_path) -> None:
    import json

    from jiedao.export.runs import before_after_rows, write_compare
    from jiedao.planning.compare import compare_scenarios
    from jiedao.scenarios.loader import with_variant

    base = results.scenario
    variants = [
        with_variant(base, "plus1:districts.*.streets.*.windows+=1"),
        with_variant(base, "minus1:districts.*.streets.*.enforcement_officers-=1"),
    ]
    names = ["base", *(n for n, _ in variants)]
    scenarios = [base, *(s for _, s in variants)]
    from jiedao.sim.run import Horizon

    comparison = compare_scenarios(scenarios, names, 2, 4, Horizon(1, 0, 5, 1))
    write_compare(comparison, tmp_path, "en")
    document = json.loads((tmp_path / "compare.json").read_text("utf-8"))
    city = {e["stream"]: e["metrics"] for e in document["results"] if e["level"] == "city"}
    from jiedao.export.charts import variants_chart

    rows = before_after_rows(comparison, "en")
    fig = variants_chart(rows, comparison.names, "en")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(rows) >= 3
    wanted = [(s, m) for s, m in [("window", "wait_mean_min"), ("window", "target_share"),
              ("grid", "wait_mean_min"), ("grid", "target_share"),
              ("enforcement", "target_share")] if s in city and m in city[s]]  # fmt: skip
    compared = 0
    for ax, (stream, metric) in zip(axes, wanted, strict=True):
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == names  # every variant, by its name
        heights = [p.get_height() for p in ax.patches]
        for name, height in zip(names, heights, strict=True):
            if city[stream][metric]["scenarios"][name]["mean"] is None:
                assert np.isnan(height)  # no figure, no bar
                continue
            compared += 1
            assert height == pytest.approx(
                city[stream][metric]["scenarios"][name]["mean"], abs=1e-6
            )
        for line in ax.collections:  # the error bars: inside 0-1 for a share, never below 0
            for segment in line.get_segments():
                ys = np.asarray(segment, dtype=float).reshape(-1, 2)[:, 1]
                ys = ys[np.isfinite(ys)]
                if ys.size == 0:
                    continue
                assert ys.min() >= -1e-12
                if metric.endswith("share"):
                    assert ys.max() <= 1.0 + 1e-12
    assert compared >= 9  # most bars hold a figure
    # the compare report: the same figures per variant, every variant named, self-contained
    from jiedao.export.runs import write_compare_report

    path = write_compare_report(comparison, tmp_path / "report.html", "en", date="2026-12-01")
    html = path.read_text("utf-8")
    for section in ("headline", "charts", "about"):
        assert f'id="{section}"' in html
    assert not re.search(r"<script|(src|href)=\"(https?:)?//", html)
    header = re.search(r"<thead>(.*?)</thead>", html, flags=re.S).group(1)
    assert all(f">{n}<" in header for n in names)
    window = city["window"]["target_share"]["scenarios"]
    for name in names:
        mean, half = window[name]["mean"], window[name]["ci95"]
        from jiedao.export import format as fmt

        assert fmt.share_range(mean, half) in html


def test_matplotlib_charts_give_the_same_svg_bytes_twice() -> None:
    from jiedao.export.charts import render, variants_chart

    rows = [("share", [(0.9, 0.2), (0.95, 0.1)], True), ("wait", [(3.0, 1.0), (2.0, 4.0)], False)]
    first = render(variants_chart(rows, ["a", "b"], "en"), "svg")
    second = render(variants_chart(rows, ["a", "b"], "en"), "svg")
    assert first == second
    assert b"<dc:date>" not in first


def test_the_simulate_report_and_chart_print_the_tables_shares(results, tmp_path) -> None:
    from jiedao.export import format as fmt
    from jiedao.export.runs import waits_chart, write_simulate_report

    path = write_simulate_report(results, tmp_path / "r.html", "en", date="2026-12-01")
    html = path.read_text("utf-8")
    for section in ("headline", "charts", "about"):
        assert f'id="{section}"' in html
    assert not re.search(r"<script|(src|href)=\"(https?:)?//", html)
    fig = waits_chart(results, "en")
    notes = [t.get_text() for ax in fig.axes for t in ax.texts]
    for stream, metric in (("window", "target_share"), ("grid", "urgent_target_share")):
        mean, half = results.metric("city", stream, metric)
        assert fmt.share_range(mean, half) in html  # the report prints the table's share
        assert any(f"within target {mean:.1%}" in n for n in notes)  # and so does the chart


def test_json_shares_carry_lo_and_hi_inside_0_1(results) -> None:
    from jiedao.export.documents import simulate_document

    seen = 0
    for entry in simulate_document(results)["results"]:
        for name, m in entry["metrics"].items():
            if not name.endswith("share") or m["mean"] is None:
                continue
            half = m["ci95"] or 0.0
            assert m["lo"] == pytest.approx(max(0.0, m["mean"] - half), abs=1e-6)
            assert m["hi"] == pytest.approx(min(1.0, m["mean"] + half), abs=1e-6)
            assert 0.0 <= m["lo"] <= m["mean"] <= m["hi"] <= 1.0
            seen += 1
    assert seen > 10
