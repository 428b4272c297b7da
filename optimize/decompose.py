"""Lagrangian decomposition: posts and funds at city-of-cities scale, with a certified gap.

Two pools couple the communities: integer posts and continuous funds. Put a price ``mu`` on a yuan
of funds and the fund pool disappears from the constraints (it moves into the objective as
``mu * (budget - funds)``). What remains splits by community except for the posts pool, and for a
fixed price each community's best value with ``p`` extra posts,

    h_i(p) = max over funds f >= 0 of  served_i(p + k f) - mu f,

is concave in ``p`` (the partial maximum of a jointly concave function). Funds are worth buying on
a segment while its value per yuan exceeds ``mu``, so the best funds have a closed form: fill the
segments steeper than ``mu`` and stop. The posts pool over the concave ``h_i`` is then solved
exactly by the greedy marginal allocation. The dual function

    D(mu) = mu * budget + max over posts of sum_i h_i(p_i)

is an upper bound on the best served value for every ``mu >= 0`` (weak duality), so
``total target - D(mu)`` is a lower bound on the weighted shortfall. ``D`` is convex in ``mu`` with
subgradient ``budget - funds demanded``, so bisection finds the best price.

A primal allocation comes from the posts chosen at the prices bracketing the best one, with the
funds pool then filled exactly (:func:`optimize.greedy.water_fill`), improved by alternating the
two exact single-pool steps (posts greedy for fixed funds, funds water-filled for fixed posts). The
difference between its shortfall and the bound is the certified optimality gap: it comes only from
the few communities where posts and funds trade at the margin, so it shrinks as communities grow
in number.

Cost mode needs no coupling at all: each community separately buys its target's staff-equivalents
at least cost, whole posts at ``post_cost`` or funds at ``1 / k`` per staff-equivalent, which
:func:`cheapest` solves exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jiedao.optimize.greedy import (
    fill_exact,
    fund_pieces,
    greedy_posts,
    post_gains,
    served_matrix,
    take_largest,
    water_fill,
)
from jiedao.optimize.model import Compiled, InfeasibleError, Mode


@dataclass(frozen=True)
class Decomposition:
    """A primal allocation, a lower bound on its objective and the prices that certify it."""

    posts: np.ndarray
    funds: np.ndarray  # yuan
    objective: float  # weighted shortfall of the allocation
    bound: float  # no allocation has a smaller weighted shortfall
    fund_price: float  # served value per yuan at the best price (mu)
    post_price: float  # served value of the last post handed out at that price
    iterations: int

    @property
    def gap(self) -> float:
        return max(0.0, self.objective - self.bound)

    @property
    def relative_gap(self) -> float:
        return self.gap / self.objective if self.objective > 0 else 0.0


@dataclass(frozen=True)
class _Inner:
    price: float
    extra: np.ndarray
    funds: np.ndarray
    value: float  # D(price)
    excess: float  # budget - funds demanded (a subgradient of D)
    post_price: float


class _Lagrangian:
    def __init__(self, c: Compiled) -> None:
        self.c = c
        self.served = served_matrix(c)
        self.per_yuan, self.length = fund_pieces(c)
        self.low = c.levels[:, :-1]
        self.rise = np.diff(c.levels, axis=1)
        self.steps = np.arange(c.grid, dtype=float)[None, :]
        self.blocked = self.steps[:, :-1] >= (c.hi - c.lo)[:, None]
        self.rows = np.arange(c.size)

    def solve(self, price: float) -> _Inner:
        c = self.c
        worth = (self.per_yuan > price) & (self.length > 0)
        stop = np.where(worth.all(axis=1), worth.shape[1], np.argmax(~worth, axis=1))
        last = np.maximum(stop - 1, 0)
        bought = stop > 0
        reach = np.where(bought, last + self.length[self.rows, last], 0.0)  # units funds reach
        at_reach = np.where(
            bought,
            c.weight
            * np.minimum(
                self.low[self.rows, last]
                + self.rise[self.rows, last] * self.length[self.rows, last],
                c.target,
            ),
            self.served[:, 0],
        )
        short = self.steps < reach[:, None]
        h = np.where(
            short, at_reach[:, None] - price * (reach[:, None] - self.steps) / c.k, self.served
        )
        gains = np.diff(h, axis=1)
        gains[self.blocked] = -np.inf
        extra = take_largest(gains, c.extra_posts)
        if c.problem.posts_pool_exact:
            extra = fill_exact(c, extra, c.extra_posts)
        index = np.minimum(extra, c.grid - 1)
        funds = np.maximum(0.0, reach - extra) / c.k
        value = float(h[self.rows, index].sum()) + price * c.extra_funds
        taken = gains[self.rows, np.minimum(np.maximum(extra - 1, 0), c.grid - 2)]
        post_price = float(taken[extra > 0].min()) if np.any(extra > 0) else 0.0
        return _Inner(price, extra, funds, value, c.extra_funds - float(funds.sum()), post_price)


REPAIR_EVERY = 12  # bisection steps between attempts at a primal allocation


def lagrangian(
    c: Compiled, *, relative_tolerance: float = 1e-9, max_iterations: int = 100
) -> Decomposition:
    """Minimise the weighted shortfall over both pools; see the module docstring."""
    if c.mode is not Mode.SHORTFALL:
        raise ValueError("the Lagrangian decomposition is for the shortfall mode")
    if c.problem.caps or c.problem.fairness is not None:
        raise ValueError("group caps and fairness floors need method='milp'")
    total = float(np.sum(c.weight * c.target))
    if c.extra_funds <= 0 or c.k <= 0:  # posts are the only pool: the greedy is exact
        extra = greedy_posts(c, c.extra_posts)
        posts, funds = c.lo + extra, c.fund_floor.copy()
        shortfall = c.objective(posts, funds)
        return Decomposition(posts, funds, shortfall, shortfall, 0.0, _last_gain(c, extra), 1)
    dual = _Lagrangian(c)
    low = dual.solve(0.0)
    best = low
    iterations = 1
    primal: tuple[float, np.ndarray, np.ndarray] | None = None

    def certified() -> bool:
        return primal is not None and primal[0] - (total - best.value) <= (
            relative_tolerance * primal[0]
        )

    if low.excess >= 0:  # funds are not scarce even when free: no price needed
        primal = _repair(c, low.extra, total - best.value, relative_tolerance, primal)
    else:
        high = dual.solve(float(dual.per_yuan.max()) * (1 + 1e-12))
        best = min(best, high, key=lambda inner: inner.value)
        iterations += 1
        while iterations < max_iterations and high.price - low.price > 1e-15 * high.price:
            middle = dual.solve(0.5 * (low.price + high.price))
            iterations += 1
            best = min(best, middle, key=lambda inner: inner.value)
            if middle.excess < 0:
                low = middle
            else:
                high = middle
            if iterations % REPAIR_EVERY == 0 and not certified():
                for extra in (low.extra, high.extra):
                    primal = _repair(c, extra, total - best.value, relative_tolerance, primal)
            if certified():
                break
        if not certified():
            for extra in (low.extra, high.extra):
                primal = _repair(c, extra, total - best.value, relative_tolerance, primal)
    assert primal is not None
    shortfall, extra, funds = primal
    return Decomposition(
        posts=c.lo + extra,
        funds=c.fund_floor + funds,
        objective=shortfall,
        bound=total - best.value,
        fund_price=best.price,
        post_price=best.post_price,
        iterations=iterations,
    )


def _repair(
    c: Compiled,
    extra: np.ndarray,
    bound: float,
    relative_tolerance: float,
    primal: tuple[float, np.ndarray, np.ndarray] | None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Best of ``primal`` and an allocation grown from these posts by the exact pool steps."""
    funds = water_fill(c, extra, c.extra_funds)
    for _ in range(3):  # alternate: funds for fixed posts, posts for fixed funds
        shortfall = c.objective(c.lo + extra, c.fund_floor + funds)
        if primal is None or shortfall < primal[0]:
            primal = (shortfall, extra, funds)
        if shortfall - bound <= relative_tolerance * shortfall:
            break
        better = greedy_posts(c, c.extra_posts, funds * c.k)
        if np.array_equal(better, extra):
            break
        extra = better
        funds = water_fill(c, extra, c.extra_funds)
    assert primal is not None
    return primal


def _last_gain(c: Compiled, extra: np.ndarray) -> float:
    """Served value of the least valuable post handed out (the posts pool's marginal value)."""
    if not np.any(extra > 0):
        return 0.0
    gains = post_gains(c)
    rows = np.flatnonzero((extra > 0) & (extra <= gains.shape[1]))
    if rows.size == 0:
        return 0.0
    return float(max(0.0, gains[rows, extra[rows] - 1].min()))


def cheapest(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Cost mode without caps: each community meets its target at least cost (exact)."""
    if c.mode is not Mode.COST or c.need is None:
        raise ValueError("cheapest() is for the cost mode")
    if c.problem.caps:
        raise ValueError("group caps need method='milp'")
    need = c.need
    room = c.hi - c.lo
    options = np.stack([np.zeros(c.size), np.floor(need + 1e-12), np.ceil(need - 1e-12)], axis=1)
    options = np.minimum(options, room[:, None]).astype(np.int64)
    if c.k <= 0:  # funds buy no hours: posts alone
        extra = np.ceil(need - 1e-12).astype(np.int64)
        short = np.flatnonzero(extra > room)
        if short.size:
            raise InfeasibleError(
                f"community {c.ids[short[0]]}: its target needs {c.lo[short[0]] + extra[short[0]]}"
                f" posts, above its maximum of {c.hi[short[0]]}, and funds buy no service hours",
                f"target:{c.ids[short[0]]}",
            )
        return c.lo + extra, c.fund_floor.copy()
    funds = np.maximum(0.0, need[:, None] - options) / c.k
    cost = options * c.problem.post_cost_yuan + funds
    pick = np.argmin(cost, axis=1)
    rows = np.arange(c.size)
    return c.lo + options[rows, pick], c.fund_floor + funds[rows, pick]
