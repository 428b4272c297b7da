"""Grid truth in the plan: the same work in finer grain never needs more posts, duties scale with
the community, a growing backlog is never "met", the norms and elasticities beside the answer."""

from __future__ import annotations

import math
from typing import Any

import pytest

from jiedao.optimize.model import InfeasibleError, Mode
from jiedao.planning.plan import (
    load_elasticities,
    load_posts,
    make_plan,
    norm_posts,
)
from jiedao.planning.response import community_load
from jiedao.scenarios import load, with_overrides
from jiedao.scenarios.textbook import base_data, build


def posts_needed(scenario: Any, **kwargs: Any) -> tuple[float, Any]:
    """Least posts meeting every community's grid target (cost mode), inf when no measured
    staffing level meets it; and the plan."""
    try:
        plan = make_plan(
            scenario, mode=Mode.COST, check_replications=0, with_sensitivity=False,
            with_clerks=False, **kwargs,
        )  # fmt: skip
    except InfeasibleError:
        return math.inf, None
    return (float(plan.result.posts_total) if plan.result.success else math.inf), plan


def toy(scale: float = 1.0) -> Any:
    """One community whose event load binds: 25 events a day of 40 minutes (scale 1, 2.4 workers'
    load), all found on patrol (no travel), 10% urgent, to be answered within 30 minutes; no
    duties and no purchased hours. ``scale`` multiplies every duration and divides the rate: the
    same work, in coarser or finer grain."""
    data = base_data()
    grid = data["demand"]["grid"]
    del grid["events_per_grid_per_month"]
    grid.update(
        events_per_1000_residents_per_month=25 * 365.25 / 7 * 5 / 12 / 10.0 / scale,
        urgent_share=0.1,
        patrol_share=1.0,
        patrol_handling_min={"dist": "lognormal", "mean": 40.0 * scale, "cv": 1.0},
        handling_min={"dist": "lognormal", "mean": 40.0 * scale, "cv": 1.0},
        travel_min={"dist": "deterministic", "value": 0.0},
        station_handling_min={"dist": "deterministic", "value": 30.0 * scale},
        routing={"grid": 1.0},
    )
    community = data["districts"]["d"]["streets"]["s"]["communities"]["c"]
    community.update(households=4348, residents=10_000, funds_yuan=0.0)  # 10,000 residents
    data["budget"] = {"posts_pool": 40}
    data["targets"] = {"grid": {"urgent_response_h": 0.5}}
    data["simulation"] = {"case_days": 35, "case_warmup_days": 7, "max_replications": 6}
    return build(data)


def test_finer_grain_never_needs_more_posts_and_coarser_never_fewer():
    """The same work split into 10x more, 10x shorter events never needs more posts; 10x fewer,
    10x longer events never need fewer. Without free overtime long events are no cheaper."""
    fine, base, coarse = toy(0.1), toy(1.0), toy(10.0)
    # same work, hence the same staffing levels measured
    loads = [community_load(s, next(s.communities())) for s in (fine, base, coarse)]
    assert loads[0].event_servers == pytest.approx(loads[1].event_servers)
    assert loads[2].event_servers == pytest.approx(loads[1].event_servers)
    made = [posts_needed(s, replications=2, seed=2, levels=6) for s in (fine, base, coarse)]
    needed = [n for n, _ in made]
    assert needed[0] <= needed[1] <= needed[2], needed
    assert needed[1] < math.inf
    # the load binds: at the posts the finest grain needs, its team is at least 70% busy
    points = made[0][1].measured.points[next(fine.communities()).id]
    party = 2
    at = next(p for p in points if p.staff == needed[0] - party)
    assert at.utilisation >= 0.7, at


@pytest.mark.slow
def test_finer_grain_never_needs_more_posts_in_liaoyuan():
    city = load("liaoyuan")

    def grain(scenario: Any, scale: float) -> Any:
        grid = scenario.demand.grid
        moves = {
            "demand.grid.events_per_1000_residents_per_month": (
                grid.events_per_1000_residents_per_month / scale
            ),
            "demand.grid.travel_min.mean": grid.travel_min.mean * scale,
            "demand.grid.handling_min.mean": grid.handling_min.mean * scale,
            "demand.grid.patrol_handling_min.mean": grid.patrol_handling_min.mean * scale,
            "demand.grid.station_handling_min.mean": grid.station_handling_min.mean * scale,
        }
        return with_overrides(scenario, moves)

    needed = [posts_needed(grain(city, scale), replications=3)[0] for scale in (0.1, 1.0, 10.0)]
    assert needed[0] <= needed[1] <= needed[2], needed


def test_with_no_events_more_households_need_more_posts():
    """Duties alone (visits per household, patrol per grid, meetings per worker) decide the
    posts when there are no events, and they grow with the community."""
    data = base_data()
    data["demand"]["grid"]["events_per_grid_per_month"] = 0.0
    data["duties"] = {
        "visit_min": 20.0,
        "visits_per_household_year": 2.0,
        "patrol_min_per_grid_day": 30.0,
        "meetings_h_per_worker_week": 3.5,
    }
    street = data["districts"]["d"]["streets"]["s"]["communities"]
    street.clear()
    for key, households in (("small", 2000), ("mid", 5000), ("big", 9000)):
        street[key] = {"households": households, "funds_yuan": 0.0}
    data["defaults"]["community"] = {"posts": 10, "households_per_grid": 940}
    data["budget"] = {"posts_pool": 30}
    scenario = build(data)
    plan = make_plan(
        scenario, mode=Mode.COST, replications=2, check_replications=2, with_sensitivity=False,
        with_clerks=False, case_days=21, case_warmup_days=0,
    )  # fmt: skip
    posts = {a.community_id.rsplit("/", 1)[-1]: a.posts for a in plan.result.allocation}
    assert posts["small"] < posts["mid"] < posts["big"], posts
    # each gets at least the staff its duties keep busy (purchased hours may do duties, but sit
    # in no meetings), and the check agrees that they are done
    spy = 0.3 / 60.0 / 1750.0  # the budget's defaults: staff-equivalents a yuan buys
    for a in plan.result.allocation:
        c = next(x for x in scenario.communities() if x.id == a.community_id)
        duty = community_load(scenario, c).duty_workers
        workers, bought = a.posts - 2 - 1, a.funds_yuan * spy
        assert workers * (1 - 0.1) + bought >= duty - 1e-9
        assert plan.checks[c.id].target_met


def test_a_growing_backlog_is_never_met():
    """A team at utilisation above 1 whose ordinary deadline is long looks fine over a short
    run (few events have waited past it yet): the check calls it not met."""
    data = base_data()
    grid = data["demand"]["grid"]
    grid.update(
        events_per_grid_per_month=400.0,
        urgent_share=0.0,
        patrol_share=1.0,
        patrol_handling_min={"dist": "exponential", "mean": 30.0},
        routing={"grid": 1.0},
    )
    data["targets"] = {"grid": {"ordinary_close_days": 10.0}}
    data["districts"]["d"]["streets"]["s"]["communities"]["c"]["funds_yuan"] = 0.0
    scenario = build(data)
    from jiedao.optimize.curves import Curve
    from jiedao.planning.plan import check_allocation

    flat = Curve([1.0, 10.0], [1.0, 1.0])
    # 400 events a month of 30 minutes is ~1.3 workers' load: one grid worker is overloaded
    checks = check_allocation(
        scenario, {"d/s/c": 2.0}, {"d/s/c": flat}, {"d/s/c": 0.9}, 4, 3, 21, 0,
        purchased={"d/s/c": 0.0},
    )  # fmt: skip
    check = checks["d/s/c"]
    assert check.offered_load > 1.0
    assert check.level >= 0.9  # the mean looks met over three weeks ...
    assert check.backlog_grows and not check.target_met  # ... but it is not


def test_norms_by_hand():
    city = load("liaoyuan")
    norms = norm_posts(city)
    # Dongji 1: 6,928 households: Jilin 10 + 3,928 / 500 = 17.9 -> 18; 15 + 3,928 / 300 = 28.1
    # -> 28; national 6,928 x 2.3 x 18 / 10,000 = 28.7
    assert norms.jilin_low["longshan/dongji/c01"] == 18
    assert norms.jilin_high["longshan/dongji/c01"] == 28
    assert norms.national["longshan/dongji/c01"] == pytest.approx(6928 * 2.3 * 18 / 10_000)
    low, high, national = norms.totals
    assert low < high and national == pytest.approx(226_070 * 2.3 * 18 / 10_000)


def test_elasticities_of_the_load_estimate_by_hand():
    """The estimate is linear in the event rate where the duties and events exceed the hours
    the funds buy, so its elasticity to the rate is the events' share of the estimate."""
    city = load("liaoyuan")
    ranked = {e.path: e.value for e in load_elasticities(city)}
    total = load_posts(city)
    loads = [community_load(city, c) for c in city.communities()]
    events = sum(x.event_servers / (1 - x.meeting_share) for x in loads)
    rate = "demand.grid.events_per_1000_residents_per_month"
    assert ranked[rate] == pytest.approx(events / total, rel=1e-6)
    assert ranked["defaults.community.persons_per_household"] == pytest.approx(ranked[rate])
    # doubling the rate moves the estimate by exactly the events' part
    doubled = with_overrides(city, {rate: 60.0})
    assert load_posts(doubled) == pytest.approx(total + events, rel=1e-6)
