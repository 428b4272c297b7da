"""Whole-model properties on the shipped scenarios: conservation, monotonicity, common random
numbers, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jiedao.export.documents import simulate_document
from jiedao.scenarios import load
from jiedao.scenarios.loader import builtin_path, read_toml, validate_data
from jiedao.sim.grids import COMMUNITY, ENFORCEMENT, FROM_GRID
from jiedao.sim.model import simulate_street
from jiedao.sim.run import run
from jiedao.sim.station import COMPLETED, IN_SYSTEM

SHORT = {"replications": 2, "days": 10, "case_days": 40, "case_warmup_days": 10}


@pytest.fixture(scope="module")
def liaoyuan():
    return load("liaoyuan")


@pytest.fixture(scope="module")
def results(liaoyuan):
    return run(liaoyuan, seed=3, keep_records=True, **SHORT)


@pytest.mark.parametrize(
    "name", ["liaoyuan", pytest.param("liaoyuan-before", marks=pytest.mark.slow)]
)
def test_conservation_every_site_and_stream(name):
    """arrivals = completed + abandoned + sent home + handed on + in system at the end."""
    scenario = load(name)
    res = run(scenario, seed=5, **SHORT)
    checked = 0
    for (site, stream), m in res.values.items():
        lhs = m["arrivals"]
        rhs = (
            m["completed"]
            + m["abandoned"]
            + m["sent_home"]
            + m["handed_on"]
            + m["in_system_at_end"]
        )
        np.testing.assert_array_equal(lhs, rhs, err_msg=f"{site} {stream}")
        checked += 1
    assert checked > 30
    # levels add up: the city's arrivals are the sum of its streets' (windows) and communities'
    streets = [s.id for s in scenario.streets()]
    communities = [c.id for c in scenario.communities()]
    for stream, sites in (("window", streets), ("grid", communities), ("enforcement", streets)):
        total = sum(res.values[(s, stream)]["arrivals"] for s in sites)
        np.testing.assert_array_equal(res.values[("city", stream)]["arrivals"], total)


@pytest.mark.slow
def test_hand_offs_link_the_stations(results, liaoyuan):
    """Grid events escalated to enforcement arrive there as cases, those handed down to the
    community station arrive there, and 'in system' means exactly the rows not yet finished."""
    warm, horizon = SHORT["case_warmup_days"] * 1440.0, SHORT["case_days"] * 1440.0
    for record in results.records:
        handed = 0
        for g in record.grids:
            escalated = (g.route == ENFORCEMENT) & ~np.isnan(g.close)
            handed += int(escalated.sum())
            down = (g.route == COMMUNITY) & ~np.isnan(g.team_start)
            # an event is done by a grid worker when a team row or an on-call row of it completed
            # (a row handed from the team to the on-call worker, or back, ends HANDED)
            finished_team = np.zeros(len(g.arrival), dtype=bool)
            for rows in [*g.teams, *([g.on_call] if g.on_call is not None else [])]:
                finished_team[rows.origin[rows.outcome == COMPLETED]] = True
            # the station's other rows are window matters done on residents' behalf (代办)
            events = g.station.kind == FROM_GRID
            assert int(events.sum()) == int((down & finished_team).sum())
            open_rows = sum(int((t.outcome == IN_SYSTEM).sum()) for t in g.teams)
            assert open_rows == int(np.isnan(np.concatenate([t.end for t in g.teams])).sum())
        cases = sum(int((e.kind == 1).sum()) for e in record.enforcement)
        assert cases == handed
    site = results.values[("city", "enforcement")]
    assert np.all(site["escalated"] > 0)
    assert warm < horizon


@pytest.mark.slow
def test_same_seed_same_json(liaoyuan):
    a = simulate_document(run(liaoyuan, seed=9, **SHORT))
    b = simulate_document(run(liaoyuan, seed=9, **SHORT))
    a.pop("runtime_s"), b.pop("runtime_s")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    c = simulate_document(run(liaoyuan, seed=10, **SHORT))
    c.pop("runtime_s")
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)


def test_common_random_numbers_across_staffing(liaoyuan):
    """More windows or grid workers change waits, never who arrives or what they need."""
    more = load(
        "liaoyuan",
        ["districts.*.streets.*.windows=8", "districts.*.streets.*.defaults.community.posts=20"],
    )
    a = simulate_street(liaoyuan, "xian/xiancheng", 0, 4, 5, 20)
    b = simulate_street(more, "xian/xiancheng", 0, 4, 5, 20)
    first = ~a.windows[0].returning
    np.testing.assert_array_equal(
        a.windows[0].arrival[first][:500], b.windows[0].arrival[~b.windows[0].returning][:500]
    )
    for ga, gb in zip(a.grids, b.grids, strict=True):
        np.testing.assert_array_equal(ga.arrival, gb.arrival)
        np.testing.assert_array_equal(ga.route, gb.route)
    # adding a community does not change the others' draws: streams are keyed by site id
    data, _ = read_toml(builtin_path("liaoyuan"), "liaoyuan.toml")
    data["districts"]["xian"]["streets"]["xiancheng"]["communities"]["c09"] = {
        "households": 5000,
        "posts": 10,
    }
    bigger = validate_data(data, "liaoyuan.toml")
    c = simulate_street(bigger, "xian/xiancheng", 0, 4, 5, 20)
    for ga, gc in zip(a.grids, c.grids[:3], strict=True):
        np.testing.assert_array_equal(ga.arrival, gc.arrival)


@pytest.mark.parametrize(
    "street",
    [
        "longshan/dongji",
        pytest.param("xian/xiancheng", marks=pytest.mark.slow),
        pytest.param("dongfeng/jilu", marks=pytest.mark.slow),
    ],
)
def test_one_more_window_never_raises_the_mean_wait(liaoyuan, street):
    waits = []
    for windows in range(1, 8):
        scenario = load(
            "liaoyuan", [f"districts.{street.replace('/', '.streets.')}.windows={windows}"]
        )
        res = run(
            scenario,
            seed=2,
            replications=2,
            days=10,
            case_days=2,
            case_warmup_days=0,
            streams=("window",),
        )
        waits.append(res.per_replication(street, "window", "wait_mean_min"))
    waits = np.array(waits)
    assert np.all(np.diff(waits, axis=0) <= 1e-9), waits
    assert waits[0].mean() > 10 * max(waits[-1].mean(), 0.01)


def test_one_more_grid_worker_never_raises_the_response(liaoyuan):
    street = "longshan/dongji"
    ids = [c.id for c in next(s for s in liaoyuan.streets() if s.id == street).communities]
    previous = None
    for workers in range(1, 9):
        record = simulate_street(
            liaoyuan,
            street,
            0,
            8,
            1,
            40,
            streams=("grid",),
            grid_workers={i: float(workers) for i in ids},
        )
        # events not reached by the horizon count as waiting until it (censored), so every level
        # is compared over the same events
        reached = [np.nan_to_num(g.team_start, nan=40 * 1440.0) for g in record.grids]
        response = np.array(
            [
                np.mean(start + g.travel - g.arrival)
                for start, g in zip(reached, record.grids, strict=True)
            ]
        )
        if previous is not None:
            assert np.all(response <= previous + 1e-9), (workers, response, previous)
        previous = response
