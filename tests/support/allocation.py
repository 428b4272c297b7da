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

from jiedao.optimize import CommunitySpec, Problem


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
