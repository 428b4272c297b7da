"""Marginal values that hold: no shadow price where the relaxation is not tight, HiGHS ranging
against re-solving, and the posts pool's value swept once against solving every pool."""

from __future__ import annotations

import numpy as np
import pytest
from support import allocation as oracle

from jiedao.optimize import (
    CommunitySpec,
    Curve,
    Problem,
    analyse,
    pool_frontier,
    post_values,
    solve,
)
from jiedao.optimize.milp import HighsSession, build_model
from jiedao.optimize.model import compile_problem

MONEY = {"purchase_share": 1.0, "hour_price_yuan": 1.0, "hours_per_post_year": 100_000.0}
K = 1e-5


def test_no_shadow_price_where_the_relaxation_is_not_tight() -> None:
    # Two communities 0 -> 0.6 with one staff, target 0.3, one post in the pool. Whole posts:
    # one community gets it (0.6, on target), the other stays at 0: shortfall 0.3. The LP
    # relaxation divides the post, 0.5 each (0.3 each): shortfall 0, and its dual (0.6 a post)
    # holds nowhere near the integer problem. One more post: 0 (improvement 0.3); ¥10,000 more
    # buys 0.1 staff, 0.06 for the one without a post.
    curve = Curve([0, 1], [0.0, 0.6])
    communities = tuple(CommunitySpec(n, curve, 0.3, 1.0, 0, None, 0) for n in "ab")
    problem = Problem(communities, posts_pool=1, floor_share=None, **MONEY)
    sensitivity = analyse(problem)
    assert sensitivity.objective == pytest.approx(0.3)
    assert sensitivity.lp_objective == pytest.approx(0.0, abs=1e-9)
    assert sensitivity.relaxation_tight is False
    assert sensitivity.shadow_prices == {}
    assert sensitivity.note.startswith("no shadow price is shown")
    assert "one more post removes 0.3" in sensitivity.note
    assert sensitivity.marginal_post == pytest.approx(0.3)
    assert sensitivity.marginal_source == "sweep"
    assert sensitivity.marginal_funds == pytest.approx(0.06)


def hand_lp() -> Problem:
    return oracle.hand_case()


def test_highs_ranging_agrees_with_re_solving_at_the_range_ends() -> None:
    # the hand-solved case of test_optimize: tight, prices .3 a post and .03 per ¥10,000, which
    # hold for posts pools 1.5 .. 3.5 and fund pools ¥0 .. ¥100,000
    problem = hand_lp()
    sensitivity = analyse(problem)
    assert sensitivity.relaxation_tight is True and sensitivity.range_source == "highs_ranging"
    model = build_model(compile_problem(problem))
    session = HighsSession(model, relax=True)
    base = session.run().objective
    assert base == pytest.approx(0.65)
    for name, truth in (("posts_pool", (1.5, 3.5)), ("fund_pool", (0.0, 100_000.0))):
        price = sensitivity.shadow_prices[name]
        per_unit = price.value / (10_000.0 if price.unit == "¥10,000" else 1.0)
        assert truth[0] - 1e-6 <= price.lower <= price.rhs <= price.upper <= truth[1] + 1e-6
        for end in (price.lower, price.upper):
            session.set_rhs(name, end)
            moved = session.run().objective
            assert moved == pytest.approx(base - per_unit * (end - price.rhs), abs=1e-9)
        session.set_rhs(name, price.rhs)


def s_shaped_posts_only(n: int = 6, seed: int = 2) -> Problem:
    rng = np.random.default_rng(seed)
    staff = np.arange(10, dtype=float)
    communities = []
    for i in range(n):
        middle, width = rng.uniform(2.0, 6.0), rng.uniform(0.3, 1.0)
        level = np.clip(1 / (1 + np.exp(-(staff - middle) / width)) + rng.normal(0, 0.01, 10), 0, 1)
        communities.append(
            CommunitySpec(
                f"c{i}",
                Curve(staff, np.round(level, 3), np.full(10, 0.02)),
                0.85,
                float(rng.integers(1, 5)),
                posts_floor=1,
                nonserving_posts=1,
            )
        )
    return Problem(tuple(communities), posts_pool=20, **MONEY)


def test_the_posts_sweep_equals_solving_every_pool() -> None:
    problem = s_shaped_posts_only()
    c = compile_problem(problem)
    sweep = post_values(c, 45)
    assert min(sweep) == 6 and max(sweep) == 45
    for pool in range(6, 46, 3):
        assert sweep[pool] == pytest.approx(solve(problem.with_pools(posts_pool=pool)).objective)
    # and against brute force where it is cheap enough
    small = Problem(problem.communities[:3], posts_pool=8, **MONEY)
    small_sweep = post_values(compile_problem(small), 8)
    for pool in range(3, 9):
        assert small_sweep[pool] == pytest.approx(
            oracle.brute_force(small.with_pools(posts_pool=pool), K, spare=9), abs=1e-9
        )


def test_the_value_of_one_more_post_holds_over_its_range() -> None:
    problem = s_shaped_posts_only()
    sensitivity = analyse(problem)
    assert sensitivity.marginal_source == "sweep" and sensitivity.post_value_range is not None
    low, high = sensitivity.post_value_range
    assert low <= 20 <= high
    value = {q: solve(problem.with_pools(posts_pool=q)).objective for q in range(low - 1, high + 3)}
    for q in range(low, high + 1):
        assert value[q] - value[q + 1] == pytest.approx(sensitivity.marginal_post, abs=1e-9)
    # just outside, one more post is worth something else (or the sweep's ends are reached)
    outside = [value[low - 1] - value[low], value[high + 1] - value[high + 2]]
    assert all(abs(v - sensitivity.marginal_post) > 1e-9 for v in outside) or low == 6


def test_the_frontier_places_every_post_and_matches_solve() -> None:
    problem = s_shaped_posts_only()
    points = pool_frontier(problem, "posts", [8, 14, 20, 30])
    for point in points:
        result = solve(problem.with_pools(posts_pool=int(point.pool)))
        assert point.source == "sweep"
        assert point.objective == pytest.approx(result.objective)
        assert point.posts_total == int(point.pool) == result.posts_total
        assert point.aimed_level == pytest.approx(
            np.average(
                [a.aimed_level for a in result.allocation],
                weights=[c.weight for c in problem.communities],
            )
        )
    everything = pool_frontier(problem)  # every pool from the floors to saturation
    assert [p.pool for p in everything] == list(range(6, 6 + len(everything)))
    assert all(
        a.objective >= b.objective - 1e-12 for a, b in zip(everything, everything[1:], strict=False)
    )
    # where funds move the frontier solves each point
    with_funds = problem.with_pools(fund_pool_yuan=200_000.0)
    solved = pool_frontier(with_funds, "funds", [100_000.0, 200_000.0, 300_000.0])
    for point in solved:
        result = solve(with_funds.with_pools(fund_pool_yuan=point.pool))
        assert point.source == "solve" and point.objective == pytest.approx(result.objective)
    assert solved[0].marginal is not None and solved[0].marginal >= 0


def test_a_price_of_zero_holds_from_the_integer_minimum_not_the_relaxations() -> None:
    # Two communities 0 -> 0.5 -> 1.0 over two staff, target 0.75: each needs 2 whole posts, so
    # every target is met from a pool of 4; divisible posts (the relaxation) would meet them from
    # 3 (1.5 each). At a pool of 6 the relaxation is tight (both 0) and its price 0 is right, but
    # its range reaches down to 3; the sweep's range starts at 4, where the integer one does.
    curve = Curve([0, 1, 2], [0.0, 0.5, 1.0])
    communities = tuple(CommunitySpec(n, curve, 0.75, 1.0, 0, None, 0) for n in "ab")
    problem = Problem(communities, posts_pool=6, floor_share=None, **MONEY)
    sensitivity = analyse(problem)
    assert sensitivity.relaxation_tight is True
    price = sensitivity.shadow_prices["posts_pool"]
    assert price.value == 0.0 and price.range_source == "sweep"
    assert (price.lower, price.upper) == (4.0, float("inf"))
    assert solve(problem.with_pools(posts_pool=3)).objective == pytest.approx(0.25)
    assert solve(problem.with_pools(posts_pool=4)).objective == 0.0
