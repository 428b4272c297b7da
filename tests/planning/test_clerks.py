"""Window clerks planned like posts: cost mode equals Erlang C staffing on steady demand, and
shortfall mode within today's total leaves no street below its own level today.

Truth: the M/M/c formula P(wait <= t) = 1 - C(c, a) exp(-(c mu - lambda) t) with Erlang C's
probability of waiting (optimize.curves.wait_within_probability, checked against the textbook in
tests/optimize), and the engine's own check on fresh residents.
"""

from __future__ import annotations

import pytest

from jiedao.optimize.curves import wait_within_probability
from jiedao.optimize.model import Mode
from jiedao.planning.clerks import plan_clerks
from jiedao.scenarios.textbook import base_data, build

RATE_PER_1000 = 7.5  # residents per 1,000 households a day
SERVICE_MIN = 8.0
TARGET_WAIT = 30.0
# residents an hour at each of five streets, round the clock, 3 clerks each today (the issue's
# toy): Erlang C for "90% wait at most 30 min" needs 2, 4, 5, 12 and 17
HOURLY = {"a": 9, "b": 20, "c": 30, "d": 80, "e": 120}


def erlang_staffing(hourly: float) -> int:
    lam = hourly / 60.0
    return next(
        c for c in range(1, 200) if wait_within_probability(c, lam, SERVICE_MIN, TARGET_WAIT) >= 0.9
    )


def steady_city(days: int = 5):
    data = base_data()
    data["calendar"].update(
        open="00:00",
        close="24:00",
        lunch=[],
        working_days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    )
    window = data["demand"]["window"]
    window["rate_per_1000_households_per_day"] = RATE_PER_1000
    window["categories"]["all"]["service_min"] = {"dist": "exponential", "mean": SERVICE_MIN}
    data["defaults"]["street"]["windows"] = 3
    data["districts"]["d"]["streets"] = {
        name: {
            "communities": {"c": {"households": round(rate * 24 * 1000 / RATE_PER_1000)}},
        }
        for name, rate in HOURLY.items()
    }
    return build(data, [f"simulation.days={days}", "simulation.warmup_days=1"])


@pytest.fixture(scope="module")
def city():
    return steady_city()


def test_erlang_staffing_of_the_toy() -> None:
    assert [erlang_staffing(r) for r in HOURLY.values()] == [2, 4, 5, 12, 17]


def test_cost_mode_gives_the_erlang_c_staffing_and_meets_every_target(city) -> None:
    plan = plan_clerks(city, mode=Mode.COST, replications=8, check_replications=4, seed=3)
    proposed = {a.community_id: a.posts for a in plan.result.allocation}
    assert proposed == {f"d/{k}": erlang_staffing(r) for k, r in HOURLY.items()}
    assert plan.needed == sum(erlang_staffing(r) for r in HOURLY.values())
    assert plan.result.funds_total_yuan == 0  # whole clerks: no hours bought for windows
    # the engine's check on fresh residents: every street meets its target on the lower bound
    assert all(c.target_met for c in plan.checks.values()), plan.checks


@pytest.mark.slow
def test_shortfall_mode_leaves_no_street_below_its_level_today(city) -> None:
    plan = plan_clerks(city, mode=Mode.SHORTFALL, replications=8, check_replications=4, seed=3)
    proposed = {a.community_id: a.posts for a in plan.result.allocation}
    assert sum(proposed.values()) <= 15  # today's total
    # a meets the target today with 3 clerks; b (Erlang 0.77 at 3) and the busier ones miss it
    # today: every street ends meeting the target or no lower than today on the check's criterion
    # (today's clerks run on the check's own residents)
    for s, c in plan.checks.items():
        assert c.met_today == (c.lower_today >= city.targets.window.share)
        assert c.not_below_today, (s, c)
        assert c.target_met or c.lower >= c.lower_today - 1e-9
    assert plan.checks["d/a"].met_today and plan.checks["d/a"].target_met
    assert plan.needed == sum(erlang_staffing(r) for r in HOURLY.values())
