"""Every post placed, no silent cuts, no site abandoned; the budget line and what funds buy.

Truths: brute force (support.allocation) for the first stage's optimum, which the second stage
must keep; counts of posts; hand-worked toys.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import allocation as oracle

from jiedao.optimize import CommunitySpec, Curve, Mode, Problem, budget_line, solve

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MONEY = {"purchase_share": 1.0, "hour_price_yuan": 1.0, "hours_per_post_year": 100_000.0}
K = 1e-5


def room(problem: Problem) -> int:
    return sum((c.posts_max if c.posts_max is not None else 10**9) for c in problem.communities)


@FAST
@given(oracle.measured_problems(), st.integers(0, 2))
def test_shortfall_mode_places_the_whole_pool(problem: Problem, reserve: int) -> None:
    floors = sum(c.posts_floor for c in problem.communities)
    reserve = min(reserve, problem.posts_pool - floors)
    problem = problem.with_options(posts_reserve=reserve)
    truth = oracle.brute_force(problem, K, aim=problem.aim)
    result = solve(problem)
    usable = problem.posts_pool - reserve
    assert result.posts_total == min(usable, room(problem))
    assert result.posts_unplaced == max(0, usable - room(problem))
    assert result.objective == pytest.approx(truth, abs=1e-7)  # the optimum is kept
    old = solve(problem.with_options(spread="none"))  # the first stage only
    assert old.objective == pytest.approx(truth, abs=1e-7)
    assert old.posts_total <= result.posts_total


@FAST
@given(oracle.measured_problems(), st.data())
def test_with_the_no_cuts_policy_no_community_drops_below_today(
    problem: Problem, data: st.DataObject
) -> None:
    today = [
        data.draw(
            st.integers(
                c.posts_floor, c.posts_max if c.posts_max is not None else c.posts_floor + 3
            )
        )
        for c in problem.communities
    ]
    communities = tuple(
        CommunitySpec(**{**c.__dict__, "posts_today": t})
        for c, t in zip(problem.communities, today, strict=True)
    )
    problem = Problem(
        communities,
        posts_pool=max(problem.posts_pool, sum(today)),
        fund_pool_yuan=problem.fund_pool_yuan,
        **MONEY,
    )
    kept = solve(problem.with_options(keep_today=True))
    assert all(a.posts >= t for a, t in zip(kept.allocation, today, strict=True))
    assert kept.cuts == () and not any(a.cut for a in kept.allocation)
    # without the policy, every change is shown and a cut is called one
    free = solve(problem)
    for a, t in zip(free.allocation, today, strict=True):
        assert a.posts_today == t and a.posts_change == a.posts - t
        assert a.cut == (a.posts < t)
    assert set(free.cuts) == {a.community_id for a in free.allocation if a.posts < a.posts_today}
    assert free.objective <= kept.objective + 1e-9  # the policy costs, never helps


def hopeless_toy() -> Problem:
    # Three sites of equal weight, target 0.9, 6 posts to share. easy1/easy2 gain 0.3 a post up
    # to 0.9 at 3 posts; hard gains 0.1 a post and needs 9 for its target: hopeless within the
    # pool. Linear in the level, the shortfall is least with every post on the easy sites (3 + 3)
    # and hard at its minimum: 0 posts, level 0.
    # With the floors (0.45) the deep shortfalls come first: easy 2 + 2 (0.6, above the floor)
    # and hard 2 (0.2: 0.25 below its floor) leave 0.25 below the floors, less than any other
    # split (hard 5 to reach its floor leaves easy 1 + 0: 0.15 + 0.45 below theirs).
    easy = Curve([0, 1, 2, 3], [0.0, 0.3, 0.6, 0.9])
    hard = Curve(np.arange(11, dtype=float), np.linspace(0.0, 1.0, 11))
    return Problem(
        (
            CommunitySpec("easy1", easy, 0.9, 1.0, 0, None, 0),
            CommunitySpec("easy2", easy, 0.9, 1.0, 0, None, 0),
            CommunitySpec("hard", hard, 0.9, 1.0, 0, None, 0),
        ),
        posts_pool=6,
        **MONEY,
    )


def test_a_hopeless_site_is_not_cut_to_the_minimum() -> None:
    problem = hopeless_toy()
    result = solve(problem)
    assert result.objective == pytest.approx(oracle.brute_force(problem, K), abs=1e-9)
    assert [a.posts for a in result.allocation] == [2, 2, 2]
    assert result.deep_shortfall == pytest.approx(0.25)
    linear = solve(problem.with_options(floor_share=None))
    assert [a.posts for a in linear.allocation] == [3, 3, 0]  # the old objective abandons it
    # the result names who stays below target and why
    named = {u.community_id: u for u in result.unmet}
    assert set(named) == {"easy1", "easy2", "hard"}
    assert named["hard"].reason == (
        "the pool runs out: 7 more posts would lift it to 0.90 (below its floor of 0.45)"
    )
    assert named["hard"].below_floor and named["hard"].posts_to_target == 7
    assert named["easy1"].reason == "the pool runs out: 1 more post would lift it to 0.90"


def test_a_site_whose_curve_never_reaches_its_target_is_named() -> None:
    low = Curve([0, 1, 2, 4], [0.1, 0.3, 0.5, 0.6])
    problem = Problem(
        (
            CommunitySpec("low", low, 0.9, 1.0, 0, None, 0),
            CommunitySpec("fine", Curve([0, 1, 2], [0.2, 0.8, 0.95]), 0.9, 1.0, 0, None, 0),
        ),
        posts_pool=8,
        **MONEY,
    )
    result = solve(problem)
    named = {u.community_id: u for u in result.unmet}
    assert set(named) == {"low"}
    assert "never reaches 0.90 within its cap: at most 0.600" in named["low"].reason
    assert named["low"].posts_to_target is None
    assert result.posts_total == 8  # everything placed all the same
    # its floor (0.45) is reachable, so it keeps one; at 0.3 target share 0.9 it would not
    assert result.unfloored == ()
    strict = solve(problem.with_options(floor_share=0.8))  # floor 0.72 > 0.6: dropped, named
    assert [i for i, _ in strict.unfloored] == ["low"]
    assert "never reaches 0.72 (its floor)" in strict.unfloored[0][1]


def test_the_rest_is_spread_where_the_bound_is_lowest() -> None:
    # Both meet 0.8 with 1 post; 3 posts are left. a's bound rises 0.82 -> 0.86 -> 0.99, b's
    # 0.88 -> 0.97: the lowest margin is a's (0.02) first, then a again (0.06 < b's 0.08), then
    # b (0.08 < a's 0.19).
    a = CommunitySpec("a", Curve([0, 1, 2, 3], [0.0, 0.82, 0.86, 0.99]), 0.8, 1.0, 0, None, 0)
    b = CommunitySpec("b", Curve([0, 1, 2, 3], [0.0, 0.88, 0.97, 0.99]), 0.8, 1.0, 0, None, 0)
    result = solve(Problem((a, b), posts_pool=5, **MONEY))
    assert [x.posts for x in result.allocation] == [3, 2]
    assert result.posts_spread == 3 and result.posts_trimmed >= 0
    assert result.objective == 0.0


def test_the_rest_is_spread_by_a_reference_norm() -> None:
    # Every target is met with 1 post each; a reference (the Jilin rule, say) asks 4, 2 and 1:
    # the 4 posts left go where the reference is furthest above the plan: a, a, a then b.
    curve = Curve([0, 1, 2], [0.0, 0.95, 0.99])
    communities = tuple(CommunitySpec(n, curve, 0.9, 1.0, 0, None, 0) for n in "abc")
    problem = Problem(communities, posts_pool=7, spread={"a": 4.0, "b": 2.0, "c": 1.0}, **MONEY)
    result = solve(problem)
    assert [x.posts for x in result.allocation] == [4, 2, 1]
    assert result.spread == "reference"


def test_posts_that_raise_nothing_are_placed_evenly_and_counted() -> None:
    curve = Curve([0, 1], [0.0, 0.95])
    communities = (
        CommunitySpec("big", curve, 0.9, 3.0, 0, None, 0),
        CommunitySpec("small", curve, 0.9, 1.0, 0, None, 0),
    )
    result = solve(Problem(communities, posts_pool=10, **MONEY))
    assert result.posts_total == 10 and result.posts_without_value == 8
    # by weight: 3 : 1 of the posts (6 and 2 on top of one each)
    assert [x.posts for x in result.allocation] == [7, 3]
    assert any("raise no level" in note for note in result.notes)


def test_a_reserve_is_kept_only_when_asked() -> None:
    problem = hopeless_toy().with_pools(posts_pool=20)
    assert solve(problem).posts_total == 20
    kept = solve(problem.with_options(posts_reserve=3))
    assert kept.posts_total == 17 and kept.posts_reserve == 3
    assert any("reserve" in note for note in kept.notes)


# --- budget and funds -----------------------------------------------------------------------------


def test_one_budget_line_and_what_a_yuan_of_fund_buys() -> None:
    # Liaoyuan's figures: 30% of the funds buy hours at ¥60, 1,750 hours a post-year: a yuan buys
    # 0.005 hours and 1/350,000 of a staff-equivalent; a post costs ¥50,000.
    flat = Curve([0, 1, 2], [0.5, 0.95, 0.95])  # flat from 1 staff
    communities = (
        CommunitySpec("a", flat, 0.9, 1.0, 1, None, 0, fund_floor_yuan=200_000.0),
        CommunitySpec("b", flat, 0.9, 1.0, 1, None, 0, fund_floor_yuan=100_000.0),
    )
    problem = Problem(communities, posts_pool=2, fund_pool_yuan=300_000.0)
    result = solve(problem)
    value = result.fund_value
    assert value is not None and result.budget is not None
    assert value.hours_per_yuan == pytest.approx(0.3 / 60)
    assert value.yuan_per_staff_equivalent == pytest.approx(350_000)
    assert value.post_cost_yuan == 50_000
    assert value.movable_yuan == 0.0 and "cannot move" in value.note
    # each community is already on its flat stretch with its post: every hour its funds buy
    # lands where nothing rises, so the whole fund buys nothing the model counts
    assert value.share_buying_no_hours == pytest.approx(0.7)
    assert value.share_on_flat_curves == pytest.approx(0.3)
    assert value.share_buying_nothing == pytest.approx(1.0)
    assert result.budget.total_yuan == pytest.approx(result.cost_yuan)
    posts = result.budget.line("posts")
    hours = result.budget.line("purchased service hours")
    assert posts is not None and posts.yuan == 2 * 50_000
    assert hours is not None and hours.quantity == pytest.approx(300_000 * 0.3 / 60)
    more = result.budget.plus(budget_line("window clerks", 15, "clerk-year", 73_033))
    assert more.total_yuan == pytest.approx(result.cost_yuan + 15 * 73_033)


def test_cost_mode_takes_the_cheaper_capacity() -> None:
    # a staff-equivalent from funds costs ¥100,000 here; posts ¥40,000 or ¥150,000
    curve = Curve([0, 1, 2], [0.0, 0.5, 1.0])
    community = CommunitySpec("a", curve, 0.75, 1.0, 0, None, 0)  # needs 1.5 staff
    cheap = solve(Problem((community,), post_cost_yuan=40_000.0, **MONEY), Mode.COST)
    dear = solve(Problem((community,), post_cost_yuan=150_000.0, **MONEY), Mode.COST)
    assert (cheap.posts_total, cheap.funds_total_yuan) == (2, 0.0)  # 80,000 < 40,000 + 50,000
    assert dear.posts_total == 0 and dear.funds_total_yuan == pytest.approx(150_000)
