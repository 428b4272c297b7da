"""Shared curves: communities with identical curve inputs share one measurement, exactly.

Their streams are named by a hash of the inputs (planning/shared.py), so measuring each community
separately on those streams gives the same numbers bit for bit: sharing is that, made once."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from support.paths import MINIMAL

from jiedao.planning.response import measure_curves
from jiedao.planning.shared import curve_inputs, curve_key, share_curves
from jiedao.scenarios import load, with_overrides

# the minimal example with its hillside community made the twin of riverside/c01 (same households,
# posts and type) in another street
TWINS = (
    MINIMAL.read_text(encoding="utf-8")
    .replace('defaults.community.type = "town"', "")
    .replace("c01 = { households = 5600, posts = 12 }", "c01 = { households = 4200%s }")
)
assert TWINS.count("%s") == 1

FAST = {"replications": 2, "levels": 4, "case_days": 10, "case_warmup_days": 2, "seed": 3}
A, B, OTHER = "north/riverside/c01", "north/hillside/c01", "north/riverside/c02"


def _scenario(extra: str = ""):
    path = Path(tempfile.mkdtemp()) / "twins.toml"
    path.write_text(TWINS % extra, encoding="utf-8")
    return load(path)


def _same(p, q) -> bool:
    return [vars(x) for x in p] == [vars(x) for x in q]


def test_identical_inputs_share_a_key_and_one_measurement():
    scenario = _scenario()
    sharing = share_curves(scenario)
    assert sharing.key[A] == sharing.key[B] != sharing.key[OTHER]
    assert sharing.measured == [A, OTHER] and sharing.measured_by[B] == A
    assert sharing.distinct == 2


def test_sharing_equals_measuring_each_community_on_its_hashed_streams():
    scenario = _scenario()
    shared = measure_curves(scenario, **FAST)
    separate = measure_curves(scenario, share=False, **FAST)
    assert shared.distinct == 2 and separate.distinct == 3
    # the twin measured in its own street, on its own (hashed) streams: the same numbers
    assert _same(separate.points[B], separate.points[A])
    for c in (A, B, OTHER):
        assert _same(shared.points[c], separate.points[c]), c
        np.testing.assert_array_equal(shared.fitted[c].level, separate.fitted[c].level)
    assert not _same(shared.points[A], shared.points[OTHER])


@pytest.mark.parametrize("extra", [", demand_factor = 1.1", ", grids = 12", ", residents = 9000"])
def test_changing_one_input_separates_them(extra):
    scenario = _scenario(extra)
    sharing = share_curves(scenario)
    assert sharing.key[A] != sharing.key[B]
    assert sharing.distinct == 3


@pytest.mark.parametrize("extra", [", posts = 11", ', name = "Hill"', ", street_travel_min = 30"])
def test_what_does_not_shape_the_curve_does_not_separate_them(extra):
    """Posts enter through the staffing levels (the curve's axis), not as an input of their own;
    names and travel to the street centre are not read by the grid model."""
    scenario = _scenario(extra)
    assert share_curves(scenario).measured_by[B] == A


def test_a_changed_input_gives_its_own_curve():
    scenario = _scenario(", demand_factor = 1.3")
    curves = measure_curves(scenario, **FAST)
    assert curves.distinct == 3
    assert not _same(curves.points[A], curves.points[B])


def test_the_key_is_a_hash_of_the_inputs_not_of_the_id():
    scenario = _scenario()
    street = {c.id: s for s in scenario.streets() for c in s.communities}
    inputs = {c.id: curve_inputs(scenario, street[c.id], c) for c in scenario.communities()}
    assert inputs[A] == inputs[B]
    assert A not in repr(inputs[A]) and "riverside" not in repr(inputs[A])
    assert curve_key(inputs[A]) == curve_key(dict(reversed(list(inputs[A].items()))))
    assert curve_key({**inputs[A], "demand_factor": 1.0 + 1e-12}) != curve_key(inputs[A])


def test_a_scenario_wide_change_keeps_the_streams():
    """Moving a scenario's figure (the grid event rate) leaves every key alone: a variant's curves
    are measured on the same random numbers as the base's (common random numbers)."""
    base = _scenario()
    moved = with_overrides(base, ["demand.grid.events_per_grid_per_month=18"])
    assert share_curves(moved).key == share_curves(base).key
