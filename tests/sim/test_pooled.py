"""Summaries in the workers: fixed-bin histograms within their stated bound, merges that are exact
and independent of order, and district and city figures from merged pools equal to the figures of
the pooled records (docs/simulation.md, "Summaries in the workers")."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from jiedao.scenarios import load
from jiedao.sim.calendar import DAY
from jiedao.sim.monitor import enforcement_metrics, grid_metrics, window_metrics
from jiedao.sim.pooled import RELATIVE, WIDTH, Histogram, Sample, bin_index, bin_width
from jiedao.sim.run import Horizon, _calendar, summarise_records, summarise_street, tasks

SHORT = Horizon(5, 1, 20, 5)
PERCENTILES = ("p50", "p90", "p95")


def _samples() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(11)
    waits = rng.exponential(3.0, 4000)
    waits[rng.random(4000) < 0.4] = 0.0  # an atom at zero: residents served at once
    return [
        ("min", waits),
        ("min", rng.lognormal(3.0, 1.5, 3000)),  # minutes to days: across the geometric bins
        ("days", rng.gamma(0.5, 0.8, 2500)),
        ("min", np.round(rng.exponential(20.0, 50), 1)),  # few values, many ties
        ("min", np.array([7.5])),
    ]


@pytest.mark.parametrize("case", range(5))
def test_histogram_percentiles_are_within_the_stated_bound(case):
    """At most w (0.1 min, 0.01 day) below T = w / 1%, and 1% of the value above; exact zeros
    exact."""
    unit, values = _samples()[case]
    w = WIDTH[unit]
    hist = Histogram.of(values, w)
    qs = [50, 90, 95, 0, 100, 33.3]
    exact = np.percentile(values, qs)
    for q, got, want in zip(qs, hist.percentiles(qs), exact, strict=True):
        bound = max(w, RELATIVE * abs(want)) if want != 0 else 0.0
        assert abs(got - want) <= bound + 1e-12, (unit, q, got, want)
    # the extremes are exact (a bin keeps its least and greatest value)
    assert hist.percentiles([0, 100]) == [values.min(), values.max()]


def test_bins_are_w_wide_below_the_threshold_and_one_percent_above():
    w = WIDTH["min"]
    v = np.array([0.0, 0.05, 0.1, 9.99, 10.0, 100.0, 5000.0])
    idx = bin_index(v, w)
    widths = bin_width(idx, w)
    assert widths[0] == 0.0  # zero is a bin of its own
    np.testing.assert_allclose(widths[1:4], w)
    np.testing.assert_array_less(widths[4:], RELATIVE * v[4:] + 1e-12)
    np.testing.assert_array_less(RELATIVE * v[4:] / (1 + RELATIVE) - 1e-12, widths[4:])
    assert list(idx[:4]) == [-1, 0, 1, 99]


def test_merging_histograms_is_exact_in_any_order():
    _, values = _samples()[0]
    whole = Histogram.of(values, 0.1)
    parts = [Histogram.of(p, 0.1) for p in np.array_split(values, 7)]
    for order in ([*range(7)], [6, 2, 4, 0, 1, 5, 3]):
        merged = Histogram.merge([parts[k] for k in order], 0.1)
        for name in ("index", "count", "lo", "hi"):
            np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))


def test_sample_mean_is_the_sum_over_the_count():
    _, values = _samples()[1]
    parts = [Sample.of(p, "min").shipped() for p in np.array_split(values, 5)]
    merged = Sample.merge(parts, "min")
    assert merged.n == len(values) and merged.values is None
    assert merged.mean() == pytest.approx(values.mean(), rel=1e-12)


@pytest.fixture(scope="module")
def liaoyuan_records():
    scenario = load("liaoyuan")
    return scenario, [t.record(scenario) for t in tasks(scenario, 2, 9, SHORT)]


def _pooled_truth(scenario, records, site_streets):
    """The old way: every record of a site's streets pooled, then summarised."""
    warm, end = SHORT.warmup_days * DAY, SHORT.days * DAY
    cw, ce = SHORT.case_warmup_days * DAY, SHORT.case_days * DAY
    calendar = _calendar(scenario, SHORT)
    t = scenario.targets
    out = {}
    for r in range(2):
        recs = [x for x in records if x.replication == r and x.street in site_streets]
        out[("window", r)] = window_metrics([w for x in recs for w in x.windows], warm, end,
                                            t.window)  # fmt: skip
        out[("grid", r)] = grid_metrics([g for x in recs for g in x.grids], cw, ce, t.grid,
                                        calendar)  # fmt: skip
        out[("enforcement", r)] = enforcement_metrics(
            [e for x in recs for e in x.enforcement], cw, ce, t.enforcement, calendar
        )
    return out


def test_district_and_city_from_merged_pools_equal_the_pooled_records(liaoyuan_records):
    scenario, records = liaoyuan_records
    exact, _ = summarise_records(scenario, records, 2, SHORT, exact=True)
    binned, _ = summarise_records(scenario, records, 2, SHORT)
    sites = [("city", [s.id for s in scenario.streets()])]
    sites += [(d.id, [s.id for s in d.streets]) for d in scenario.districts]
    assert any(len(streets) > 1 for _, streets in sites)
    for site, streets in sites:
        truth = _pooled_truth(scenario, records, set(streets))
        for (stream, r), want in truth.items():
            for name, value in want.items():
                got_exact = exact[(site, stream)][name][r]
                got = binned[(site, stream)][name][r]
                if value != value:
                    assert got_exact != got_exact and got != got, (site, stream, name)
                    continue
                # sums added street by street: equal up to the rounding of the sums
                assert got_exact == pytest.approx(value, rel=1e-9, abs=1e-9), (site, name)
                if any(p in name for p in PERCENTILES):
                    unit = "days" if name.endswith("_days") else "min"
                    bound = max(WIDTH[unit], RELATIVE * abs(value)) if value else 0.0
                    assert abs(got - value) <= bound + 1e-9, (site, stream, name, got, value)
                else:
                    assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (site, name)


def test_streets_and_communities_are_exact_and_summaries_travel_small(liaoyuan_records):
    scenario, records = liaoyuan_records
    values, levels = summarise_records(scenario, records, 2, SHORT)
    calendar = _calendar(scenario, SHORT)
    cw, ce = SHORT.case_warmup_days * DAY, SHORT.case_days * DAY
    for record in records:
        street = next(s for s in scenario.streets() if s.id == record.street)
        for community in street.communities:
            grids = [g for g in record.grids if g.community == community.id]
            want = grid_metrics(grids, cw, ce, scenario.targets.grid, calendar)
            for name, value in want.items():
                got = values[(community.id, "grid")][name][record.replication]
                assert got == value or (got != got and value != value), (community.id, name)
    task = tasks(scenario, 1, 9, SHORT)[0]
    summary = task(scenario)
    assert summary.record is None
    assert len(pickle.dumps(summary)) < len(pickle.dumps(task.record(scenario))) / 3


def test_figures_do_not_depend_on_the_order_summaries_arrive_in(liaoyuan_records):
    scenario, records = liaoyuan_records
    summaries = [summarise_street(scenario, r, SHORT) for r in records]
    ordered, _ = summarise_records(scenario, summaries, 2, SHORT)
    random.Random(4).shuffle(summaries)
    shuffled, _ = summarise_records(scenario, summaries, 2, SHORT)
    for key, metrics in ordered.items():
        for name, v in metrics.items():
            np.testing.assert_array_equal(shuffled[key][name], v, err_msg=f"{key} {name}")
