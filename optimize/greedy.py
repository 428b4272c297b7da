"""Greedy marginal allocation: the quick reference, exact for one pool over concave curves only.

Give the posts of a pool one at a time, each to the community where one more post raises the
value most. When every community's value is concave in its posts the marginal gains of a community
fall as it gets more, the greedy choice never has to be undone and the allocation is optimal (the
classical result for separable concave resource allocation, e.g. Ibaraki & Katoh, *Resource
Allocation Problems*, 1988): :func:`take_largest` then picks the ``R`` largest gains at once with
``numpy.argpartition``. On an S-shaped curve one post near the foot of the cliff gains little and
the next ones much: the greedy never climbs it, which is why the exact methods
(:mod:`optimize.milp`, :mod:`optimize.decompose`) exist. :func:`greedy_heap` is the textbook
version with a heap of each community's next single-post gain, valid on any curve as a heuristic.

The value here is :meth:`optimize.model.Compiled.served`: maximising its sum is minimising the
penalised shortfall. Funds above the floors are then given by the single-pool knapsack of
:mod:`optimize.decompose` for the posts chosen.
"""

from __future__ import annotations

import heapq

import numpy as np

from jiedao.optimize.model import Compiled


def posts_grid(c: Compiled) -> int:
    """Number of post counts (0..G-1 above the floors) over which any value can still rise."""
    cap = np.minimum(c.room, np.ceil(c.u_top + 1e-9)).astype(np.int64)
    return int(max(1, cap.max())) + 1


def served_matrix(c: Compiled, extra_units: np.ndarray | None = None) -> np.ndarray:
    """Value at 0..G-1 posts above the floors (n x G), funds above the floors in ``extra_units``."""
    steps = np.arange(posts_grid(c), dtype=float)[None, :]
    units = steps + (0.0 if extra_units is None else extra_units[:, None])
    return c.served(c.level_at(np.broadcast_to(units, (c.size, steps.shape[1]))))


def post_gains(c: Compiled, extra_units: np.ndarray | None = None) -> np.ndarray:
    """Gain of the (p+1)-th post above the floor, p = 0..G-2; -inf where the maximum forbids it."""
    gains = np.diff(served_matrix(c, extra_units), axis=1)
    steps = np.arange(gains.shape[1])[None, :]
    gains[steps >= c.room[:, None]] = -np.inf
    return gains


def take_largest(gains: np.ndarray, count: int) -> np.ndarray:
    """How many of each row's leading gains belong to the ``count`` largest positive gains.

    Rows must be non-increasing (concave values): then the ``count`` largest entries anywhere are
    each row's first ones: find the threshold value, take what lies above it in every row, and
    share out the ties at the threshold in row order.
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
    room = np.minimum(c.room - extra, missing)
    before = np.cumsum(room) - room
    return extra + np.clip(missing - before, 0, room)


def greedy_heap(gains: np.ndarray, count: int) -> np.ndarray:
    """The textbook greedy: a heap of each row's next gain, ``count`` times."""
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


def greedy(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Posts one at a time where one more post gains most (funds at floor), then funds by the
    single-pool knapsack: (posts, funds_yuan). Exact with one pool and concave curves only."""
    from jiedao.optimize.decompose import _funds_step, _Values

    extra = greedy_heap(post_gains(c), c.extra_posts)
    budget = c.extra_funds if c.funds_move else 0.0
    funds = _funds_step(c, _Values(c), extra, budget)
    return c.lo + extra, c.fund_floor + funds
