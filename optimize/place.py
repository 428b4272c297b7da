"""Every post placed: the second stage after the shortfall is optimal.

The first stage (any method) minimises the penalised shortfall. Many allocations reach that
optimum once targets are met (or cannot be met at all), and a solver returns any one of them, with
posts left in the pool. The second stage makes the answer canonical and places the pool:

1. **Trim.** Each community keeps the fewest posts, then the least funds, that give it the same
   aimed level (so the first stage's objective is unchanged, to the last digit).
2. **Spread** the posts left, less the ``posts_reserve`` (``Problem.spread``):

   ``"lowest_bound"`` (default)
       each next post goes to the community whose aimed level (its curve's lower bound unless
       ``aim="mean"``) stands lowest against its target, among those where more posts still
       raise it: if one post would not (a flat stretch of an S-shaped curve), the fewest that do
       go together. Ties go to the larger weight (households). It lifts the most exposed margin
       first, so a community placed just at its target gets head-room before one well above.
   a mapping ``{community_id: reference posts}`` (a norm such as the Jilin rule, as numbers)
       each next post goes to the community furthest below its reference (``reference - posts``
       largest; ties to the larger weight), which is the least-squares distance to the
       reference among allocations at or above the first stage's.
   ``"none"``
       posts stay in the pool (the old behaviour), unless ``posts_pool_exact``.

   Posts that raise no level the model measures (every curve flat or at its maximum) are placed
   evenly by weight: the fewest posts per household first. They are counted in
   :attr:`Placement.posts_without_value`.

Adding posts never lowers a level (the curves are monotone), so the objective can only improve;
with an optimal first stage it stays the same.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from jiedao.optimize.model import Compiled, Mode

RISE = 1e-12


class _CapRoom:
    """Room left in the group caps on posts, per community (the tightest cap it belongs to)."""

    def __init__(self, c: Compiled, posts: np.ndarray) -> None:
        self.caps: list[tuple[int, np.ndarray]] = []
        self.left: list[int] = []
        self.of: dict[int, list[int]] = {}
        for cap, rows in zip(c.problem.caps, c.member_rows, strict=True):
            if cap.max_posts is None:
                continue
            g = len(self.left)
            self.left.append(int(cap.max_posts - posts[rows].sum()))
            for i in rows.tolist():
                self.of.setdefault(i, []).append(g)

    def room(self, i: int) -> int:
        groups = self.of.get(i)
        return min((self.left[g] for g in groups), default=2**40) if groups else 2**40

    def take(self, i: int, q: int) -> None:
        for g in self.of.get(i, ()):
            self.left[g] -= q


@dataclass(frozen=True)
class Placement:
    posts: np.ndarray
    funds: np.ndarray
    trimmed_posts: int  # posts the first stage gave that raised no level
    trimmed_funds_yuan: float
    spread_posts: int  # posts the second stage placed
    posts_without_value: int  # of those, posts placed where no measured level rises
    unplaced_posts: int  # posts left in the pool beyond the reserve (every community at its max)
    rule: str  # "lowest_bound", "reference", "none"


def trim(c: Compiled, posts: np.ndarray, funds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fewest posts, then the least funds, at which each community keeps its aimed level."""
    level = c.level_at(c.units(posts, funds))
    extra = posts - c.lo
    fund_units = c.k * (funds - c.fund_floor)
    width = int(extra.max(initial=0)) + 1
    steps = np.arange(width, dtype=float)[None, :]
    levels = c.level_at(np.broadcast_to(steps + fund_units[:, None], (c.size, width)))
    keeps = (levels >= level[:, None] - RISE) & (steps <= extra[:, None])
    fewest = np.argmax(keeps, axis=1)
    new_posts = c.lo + np.minimum(fewest, extra)
    new_funds = funds.copy()
    if c.k > 0:
        # least fund units keeping the level, checked exactly before it is taken
        have = (new_posts - c.lo).astype(float)
        low, high = np.zeros(c.size), fund_units.copy()
        for _ in range(60):
            middle = 0.5 * (low + high)
            ok = c.level_at(have + middle) >= level - RISE
            high = np.where(ok, middle, high)
            low = np.where(ok, low, middle)
        ok = c.level_at(have + high) >= level - RISE
        candidate = c.fund_floor + high / c.k
        new_funds = np.where(ok & (candidate < funds), candidate, funds)
    return new_posts, new_funds


def place(c: Compiled, posts: np.ndarray, funds: np.ndarray) -> Placement:
    """Trim the first stage's answer and spread the rest of the posts pool (module docstring)."""
    problem = c.problem
    if c.mode is not Mode.SHORTFALL:
        return Placement(posts, funds, 0, 0.0, 0, 0, 0, "none")
    spread = problem.spread
    rule = "reference" if isinstance(spread, Mapping) else str(spread)
    if rule == "none":
        left = c.extra_posts - int((posts - c.lo).sum())
        if problem.posts_pool_exact and left > 0:
            posts = _evenly(c, posts.copy(), left)
            return Placement(posts, funds, 0, 0.0, left, left, 0, rule)
        return Placement(posts, funds, 0, 0.0, 0, 0, 0, rule)
    trimmed_posts, trimmed_funds = trim(c, posts, funds)
    trimmed = int((posts - trimmed_posts).sum())
    saved = float((funds - trimmed_funds).sum())
    posts, funds = trimmed_posts.copy(), trimmed_funds
    left = c.extra_posts - int((posts - c.lo).sum())
    placed = 0
    if left > 0 and rule == "lowest_bound":
        placed = _lowest_bound(c, posts, funds, left)
    elif left > 0 and isinstance(spread, Mapping):
        placed = _reference(c, posts, spread, left)
    flat = 0
    if left - placed > 0:
        before = int(posts.sum())
        posts = _evenly(c, posts, left - placed)
        flat = int(posts.sum()) - before
    unplaced = left - placed - flat
    return Placement(posts, funds, trimmed, saved, placed + flat, flat, unplaced, rule)


def _lowest_bound(c: Compiled, posts: np.ndarray, funds: np.ndarray, left: int) -> int:
    """Spread ``left`` posts where the aimed level stands lowest against the target (in place)."""
    fund_units = c.k * (funds - c.fund_floor)
    bu, aim = c.bu, c.aim
    top = c.u_top
    caps = _CapRoom(c, posts)

    def level(i: int, extra: float) -> float:
        return float(np.interp(extra + fund_units[i], bu[i], aim[i]))

    def step(i: int, budget: int) -> int:
        """Fewest posts (<= budget and the room) that raise community i's level; 0 if none."""
        extra = int(posts[i] - c.lo[i])
        room = int(min(budget, c.room[i] - extra, caps.room(i)))
        if room <= 0 or extra + fund_units[i] >= top[i] - 1e-12:
            return 0
        now = level(i, extra)
        for q in range(1, room + 1):
            if level(i, extra + q) > now + RISE:
                return q
        return 0

    heap = [
        (level(i, float(posts[i] - c.lo[i])) - c.target[i], -c.weight[i], i)
        for i in range(c.size)
        if c.room[i] > posts[i] - c.lo[i] and posts[i] - c.lo[i] + fund_units[i] < top[i] - 1e-12
    ]
    heapq.heapify(heap)
    placed = 0
    while heap and placed < left:
        _, weight, i = heapq.heappop(heap)
        q = step(i, left - placed)
        if q == 0:
            continue
        posts[i] += q
        caps.take(i, q)
        placed += q
        extra = float(posts[i] - c.lo[i])
        if c.room[i] > extra and extra + fund_units[i] < top[i] - 1e-12:
            heapq.heappush(heap, (level(i, extra) - c.target[i], weight, i))
    return placed


def _reference(c: Compiled, posts: np.ndarray, reference: Mapping[str, float], left: int) -> int:
    """Spread ``left`` posts to the communities furthest below their reference (in place)."""
    wanted = np.array([reference.get(i, np.nan) for i in c.ids], dtype=float)
    caps = _CapRoom(c, posts)
    heap = [
        (-(wanted[i] - posts[i]), -c.weight[i], i)
        for i in range(c.size)
        if np.isfinite(wanted[i]) and posts[i] < c.hi[i]
    ]
    heapq.heapify(heap)
    placed = 0
    while heap and placed < left:
        _, weight, i = heapq.heappop(heap)
        if caps.room(i) <= 0:
            continue
        posts[i] += 1
        caps.take(i, 1)
        placed += 1
        if posts[i] < c.hi[i]:
            heapq.heappush(heap, (-(wanted[i] - posts[i]), weight, i))
    return placed


def _evenly(c: Compiled, posts: np.ndarray, left: int) -> np.ndarray:
    """Place ``left`` posts where there is room, the fewest posts per unit of weight first."""
    out = posts.copy()
    caps = _CapRoom(c, out)
    weight = np.where(c.weight > 0, c.weight, 1e-9)
    heap = [(out[i] / weight[i], i) for i in range(c.size) if out[i] < c.hi[i]]
    heapq.heapify(heap)
    placed = 0
    while heap and placed < left:
        _, i = heapq.heappop(heap)
        if caps.room(i) <= 0:
            continue
        out[i] += 1
        placed += 1
        caps.take(i, 1)
        if out[i] < c.hi[i]:
            heapq.heappush(heap, (out[i] / weight[i], i))
    return out
