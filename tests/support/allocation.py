"""Brute-force truths for the allocation optimiser, written without its code.

The aimed curve of a community is read straight off its measured points: the lower 95% bound
(``level - ci95``, clipped at 0) or the mean, each point lowered to the smallest value at or above
its staffing, linear in between (``numpy.interp``), flat beyond the ends. The objective is the
weighted shortfall from the targets plus ``floor_weight`` times the weighted shortfall from the
floors (``floor_share x target``, dropped where the curve cannot reach it at all: within the
community's posts maximum where funds buy no hours, anywhere on the curve where they do).

Posts: every split of the pool (each community from its floor to its maximum, or six above its
floor). Funds: with one continuous pool and piecewise-linear values, for fixed posts the problem is
linear within any choice of segments, so an optimum has every community but at most one at a
breakpoint (a curve point, or where the curve crosses its target or floor): enumerate those and
give the rest to the one left free.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st

from jiedao.optimize import CommunitySpec, Curve, Problem

K = 1e-5  # one staff-equivalent per ¥100,000 in the generated problems


def aimed_points(spec: CommunitySpec, aim: str = "lower", margin: float = 0.0) -> list[float]:
    level = [float(v) for v in spec.curve.level]
    if aim == "lower" and spec.curve.ci95 is not None:
        level = [max(0.0, v - float(h)) for v, h in zip(level, spec.curve.ci95, strict=True)]
    level = [max(0.0, v - margin) for v in level]
    return [min(level[j:]) for j in range(len(level))]


def level_at(spec: CommunitySpec, staff: float, points: Sequence[float]) -> float:
    return float(np.interp(staff, [float(s) for s in spec.curve.staff], points))


def crossing(spec: CommunitySpec, points: Sequence[float], level: float) -> float | None:
    staff = [float(s) for s in spec.curve.staff]
    for a, b, la, lb in zip(staff, staff[1:], points, points[1:], strict=False):
        if la < level <= lb:
            return a + (level - la) / (lb - la) * (b - a)
    return None


def floors(problem: Problem, k: float, aim: str = "lower") -> list[float]:
    """Each community's floor level, 0 where there is none."""
    share = problem.floor_share
    if share is None or problem.floor_weight <= 0:
        return [0.0] * len(problem.communities)
    out = []
    for s in problem.communities:
        points = aimed_points(s, aim, problem.margin)
        if s.posts_max is None or k > 0:  # funds can always buy more, whatever the pools
            best = max(points)
        else:
            best = level_at(s, s.posts_max - s.nonserving_posts, points)
        out.append(share * s.target if best >= share * s.target - 1e-12 else 0.0)
    return out


def brute_force(problem: Problem, k: float, *, aim: str = "lower", spare: int = 6) -> float:
    """Least penalised weighted shortfall by enumeration (fund floors are 0 here)."""
    specs = problem.communities
    assert all(s.fund_floor_yuan == 0 for s in specs)
    budget = problem.fund_pool_yuan or 0.0
    weight = problem.floor_weight
    floor = floors(problem, k, aim)
    points = [aimed_points(s, aim, problem.margin) for s in specs]
    total = sum(s.weight * (s.target + weight * f) for s, f in zip(specs, floor, strict=True))

    def served(i: int, staff: float) -> float:
        level = level_at(specs[i], staff, points[i])
        s = specs[i]
        return s.weight * (min(level, s.target) + weight * min(level, floor[i]))

    ranges = [
        range(
            s.posts_floor, (s.posts_max if s.posts_max is not None else s.posts_floor + spare) + 1
        )
        for s in specs
    ]
    best = -math.inf
    for posts in itertools.product(*ranges):
        if sum(posts) > problem.posts_pool - problem.posts_reserve:
            continue
        base = [p - s.nonserving_posts for p, s in zip(posts, specs, strict=True)]
        if budget <= 0 or k <= 0:
            best = max(best, sum(served(i, x) for i, x in enumerate(base)))
            continue
        options = []
        for i, (s, x) in enumerate(zip(specs, base, strict=True)):
            marks = [float(v) for v in s.curve.staff]
            for level in (s.target, floor[i]):
                at = crossing(s, points[i], level) if level > 0 else None
                if at is not None:
                    marks.append(at)
            options.append([x] + sorted(m for m in marks if m > x))
        for free in range(-1, len(specs)):
            for choice in itertools.product(*options):
                spent = sum((c - x) / k for c, x in zip(choice, base, strict=True))
                if spent > budget + 1e-6:
                    continue
                staff = list(choice)
                if free >= 0:
                    staff[free] += (budget - spent) * k
                best = max(best, sum(served(i, x) for i, x in enumerate(staff)))
    return total - best


def plan_value(
    problem: Problem, k: float, posts: Sequence[int], funds: Sequence[float], *, aim: str = "lower"
) -> float:
    """The penalised shortfall of an allocation, read off the raw points as above."""
    specs = problem.communities
    floor = floors(problem, k, aim)
    out = 0.0
    for s, p, f, fl in zip(specs, posts, funds, floor, strict=True):
        points = aimed_points(s, aim, problem.margin)
        level = level_at(s, p - s.nonserving_posts + k * f, points)
        out += s.weight * (max(0.0, s.target - level) + problem.floor_weight * max(0.0, fl - level))
    return out


def hand_case() -> Problem:
    """The hand-solved case of tests/optimize/test_optimize.py (its comment works it out)."""
    return Problem(
        communities=(
            CommunitySpec("a", Curve([0, 1, 2, 3], [0, 0.5, 0.8, 0.9]), 1.0, 1.0, 0, None, 0),
            CommunitySpec("b", Curve([0, 1, 2, 3], [0, 0.4, 0.7, 0.8]), 1.0, 1.0, 0, None, 0),
        ),
        posts_pool=3,
        fund_pool_yuan=50_000.0,
        floor_share=None,  # the hand solution below has no floors
        purchase_share=1.0,
        hour_price_yuan=1.0,
        hours_per_post_year=100_000.0,
    )


# --- generated problems -------------------------------------------------------------------------


@st.composite
def measured_curves(draw: st.DrawFn, max_points: int = 5) -> Curve:
    """Any shape: S-shaped, concave, flat stretches and dips (noise), optional half-widths."""
    size = draw(st.integers(2, max_points))
    steps = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(-0.08, 0.5)), min_size=size - 1, max_size=size - 1
        )
    )
    start = draw(st.floats(0.0, 0.3))
    level = np.clip(start + np.concatenate([[0.0], np.cumsum(steps)]), 0.0, 1.0)
    level = np.round(level, 3)
    ci = None
    if draw(st.booleans()):
        ci = np.round(draw(st.lists(st.floats(0.0, 0.1), min_size=size, max_size=size)), 3)
    return Curve(np.arange(size, dtype=float), level, ci)


@st.composite
def measured_problems(draw: st.DrawFn, max_communities: int = 3, funds: bool = True) -> Problem:
    n = draw(st.integers(1, max_communities))
    communities = []
    for i in range(n):
        floor = draw(st.integers(0, 2))
        maximum = draw(st.one_of(st.none(), st.integers(floor, floor + 3)))
        communities.append(
            CommunitySpec(
                id=f"c{i}",
                curve=draw(measured_curves()),
                target=draw(st.floats(0.3, 1.0)),
                weight=draw(st.floats(0.5, 3.0)),
                posts_floor=floor,
                posts_max=maximum,
                nonserving_posts=draw(st.integers(0, floor)),
            )
        )
    floors = sum(c.posts_floor for c in communities)
    extra = draw(st.sampled_from([0.0, 30_000.0, 120_000.0, 250_000.0])) if funds else 0.0
    return Problem(
        communities=tuple(communities),
        posts_pool=floors + draw(st.integers(0, 5)),
        fund_pool_yuan=extra,
        floor_share=draw(st.sampled_from([None, 0.5, 0.8])),
        aim=draw(st.sampled_from(["lower", "mean"])),
        purchase_share=1.0,
        hour_price_yuan=1.0,
        hours_per_post_year=100_000.0,
    )
