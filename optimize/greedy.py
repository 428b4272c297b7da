"""Greedy marginal allocation: exact for one pool over separable concave curves.

Give the posts of a pool one at a time, each to the community where it raises the objective most.
When every community's value is concave in its posts, the marginal gains of a community fall as it
gets more, so the greedy choice never has to be undone: the posts it hands out are exactly the
``R`` largest marginal gains over all communities, and that allocation is optimal (the classical
result for separable concave resource allocation, e.g. Ibaraki & Katoh, *Resource Allocation
Problems*, 1988). :func:`greedy_heap` is the textbook version with a heap of each community's next
gain; :func:`greedy_posts` picks the same ``R`` largest gains at once with ``numpy.argpartition``,
which is what makes 100,000 communities take a fraction of a second.

The value here is the weighted *served* level ``w_i * min(level_i, target_i)``: maximising its sum
is minimising the weighted shortfall. Capping at the target keeps it concave (a minimum of concave
functions) and stops the allocation from buying service a community does not need.

Funds above the floors are a second, continuous pool: for fixed posts, :func:`water_fill` pours
them into the steepest curve segments first (value per yuan), which is exact for that pool alone.
Posts greedy at floor funds followed by water-filling (:func:`greedy`) is the quick reference the
benchmark compares against; with both pools it is only a heuristic, and the Lagrangian
decomposition in :mod:`optimize.decompose` is what certifies a gap.
"""

from __future__ import annotations

import heapq

import numpy as np

from jiedao.optimize.model import Compiled


def served_matrix(c: Compiled, units: np.ndarray | None = None) -> np.ndarray:
    """``w * min(level, target)`` at ``units`` (n x m), or on the grid when ``units`` is None."""
    if units is None:
        level = c.levels
    else:
        u = np.clip(units, 0.0, c.grid - 1)
        j = np.minimum(np.floor(u).astype(np.int64), c.grid - 2)
        left = np.take_along_axis(c.levels, j, axis=1)
        right = np.take_along_axis(c.levels, j + 1, axis=1)
        level = left + (right - left) * (u - j)
    return c.weight[:, None] * np.minimum(level, c.target[:, None])


def post_gains(c: Compiled, extra_units: np.ndarray | None = None) -> np.ndarray:
    """Gain of the (p+1)-th post above the floor, p = 0..G-2; -inf where the maximum forbids it.

    ``extra_units`` holds each community's funds above the floor, in posts, kept fixed.
    """
    steps = np.arange(c.grid, dtype=float)[None, :]
    units = None if extra_units is None else steps + extra_units[:, None]
    gains = np.diff(served_matrix(c, units), axis=1)
    room = (c.hi - c.lo)[:, None]
    gains[steps[:, :-1] >= room] = -np.inf
    return gains


def take_largest(gains: np.ndarray, count: int) -> np.ndarray:
    """How many of each row's leading gains belong to the ``count`` largest positive gains.

    Rows are non-increasing (concave values), so the ``count`` largest entries anywhere are each
    row's first ones: find the threshold value, take what lies above it in every row, and share
    out the ties at the threshold in row order.
    """
    positive = gains > 0
    available = int(np.count_nonzero(positive))
    if count <= 0:
        return np.zeros(gains.shape[0], dtype=np.int64)
    if count >= available:
        return positive.sum(axis=1).astype(np.int64)
    values = gains[positive]
    threshold = np.partition(values, values.size - count)[values.size - count]
    above = (gains > threshold).sum(axis=1)
    ties = (gains == threshold).sum(axis=1)
    missing = count - int(above.sum())
    before = np.cumsum(ties) - ties
    return (above + np.clip(missing - before, 0, ties)).astype(np.int64)


def fill_exact(c: Compiled, extra: np.ndarray, count: int) -> np.ndarray:
    """Top up ``extra`` posts to exactly ``count`` with zero-gain posts, in row order."""
    missing = count - int(extra.sum())
    if missing <= 0:
        return extra
    room = np.minimum(c.hi - c.lo - extra, missing)
    before = np.cumsum(room) - room
    return extra + np.clip(missing - before, 0, room)


def greedy_posts(c: Compiled, count: int, extra_units: np.ndarray | None = None) -> np.ndarray:
    """Posts above the floors from a pool of ``count``: the optimum for posts alone."""
    extra = take_largest(post_gains(c, extra_units), count)
    if c.problem.posts_pool_exact:
        extra = fill_exact(c, extra, count)
    return extra


def greedy_heap(gains: np.ndarray, count: int) -> np.ndarray:
    """The textbook greedy: a heap of each row's next gain, ``count`` times (reference, slow)."""
    taken = np.zeros(gains.shape[0], dtype=np.int64)
    heap = [(-float(row[0]), i) for i, row in enumerate(gains) if row.size and row[0] > 0]
    heapq.heapify(heap)
    for _ in range(count):
        if not heap:
            break
        _, i = heapq.heappop(heap)
        taken[i] += 1
        if taken[i] < gains.shape[1] and gains[i, taken[i]] > 0:
            heapq.heappush(heap, (-float(gains[i, taken[i]]), i))
    return taken


def fund_pieces(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Per grid segment: value per yuan and the segment's useful length in posts (to the target)."""
    low = c.levels[:, :-1]
    rise = np.diff(c.levels, axis=1)
    gap = c.target[:, None] - low
    useful = (rise > 0) & (gap > 0)
    length = np.where(useful, np.clip(gap / np.where(useful, rise, 1.0), 0.0, 1.0), 0.0)
    per_yuan = np.where(useful, c.weight[:, None] * rise * c.k, 0.0)
    return per_yuan, length


def water_fill(c: Compiled, extra_posts: np.ndarray, budget: float) -> np.ndarray:
    """Funds above the floors (yuan) from ``budget``, for fixed posts: exact for this pool."""
    funds = np.zeros(c.size)
    if budget <= 0 or c.k <= 0:
        return funds
    per_yuan, length = fund_pieces(c)
    segment = np.arange(c.grid - 1)[None, :]
    open_ = (segment >= extra_posts[:, None]) & (length > 0) & (per_yuan > 0)
    rows, cols = np.nonzero(open_)
    if rows.size == 0:
        return funds
    value = per_yuan[rows, cols]
    cost = length[rows, cols] / c.k
    order = np.argsort(-value, kind="stable")
    spent = np.cumsum(cost[order])
    full = spent <= budget
    np.add.at(funds, rows[order[full]], cost[order[full]])
    partial = int(np.count_nonzero(full))
    if partial < order.size:
        left = budget - (spent[partial - 1] if partial else 0.0)
        funds[rows[order[partial]]] += left
    return funds


def greedy(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Posts greedy at floor funds, then funds water-filled: (posts, funds_yuan).

    Exact when the fund pool equals the floors (posts are the only pool) or when there are no
    posts to hand out; a heuristic otherwise.
    """
    extra = greedy_posts(c, c.extra_posts)
    funds = water_fill(c, extra, c.extra_funds)
    return c.lo + extra, c.fund_floor + funds
