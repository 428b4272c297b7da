"""Lagrangian decomposition: posts and funds at province scale, on curves of any shape, with a
certified gap.

A community's *value* at ``u`` units is ``G_i(u) = w_i (min(A_i(u), target_i) + floor_weight
min(A_i(u), floor_i))`` (maximising its sum minimises the penalised shortfall), with ``A_i`` the
aimed curve; ``G_i`` is monotone but not concave where the curve is S-shaped. Two pools couple the
communities: integer posts ``p`` (posts above the floors) and continuous funds ``f`` (yuan above
the floors), ``u = p + k f``.

**The bound.** Put a price ``mu`` on a yuan of funds and ``lambda`` on a post. For any prices
``>= 0`` the dual function

    D(lambda, mu) = lambda P + mu F + sum_i max over p in 0..cap_i, f >= 0 of
                    [G_i(p + k f) - lambda p - mu f]

bounds the best total value from above (weak duality), so ``total - D`` bounds the penalised
shortfall from below, whatever the curves' shape. For a fixed ``mu`` each community's best value
with ``p`` posts, ``h_i(p) = max over f of G_i(p + k f) - mu f``, is a maximum over finitely many
candidates (the breakpoints of ``G_i`` at or above ``p``: between them ``G_i`` is linear), and the
minimum over ``lambda`` is exact: it is the sum of the ``P`` largest gains of the concave envelopes
of the ``h_i`` in ``p`` (found by gift-wrapping each row's points). ``D`` is convex in ``mu``; a
golden-section search finds its minimum. With funds that cannot move only the posts part remains.

**The allocation** alternates two single-pool steps, each a separable knapsack solved by the same
routine: the upper hull of each community's options (value against cost) is taken in order of
falling value per unit cost while the pool lasts, what is left is spent on the best option that
still fits, row by row. Posts for fixed funds (options: 0..cap posts), then funds for fixed posts
(options: the breakpoints of ``G_i`` above ``u``, a yuan at ``1/k`` per unit). The certified gap is
the allocation's penalised shortfall less the bound. It comes from the few communities whose
choice lies inside a hull segment at the margin (Shapley-Folkman): it stays within a couple of
communities' steps however many communities there are, so relative to the total it shrinks as
they grow in number.

Cost mode needs no coupling at all: each community separately buys its target's units at least
cost, whole posts at ``post_cost`` or funds at ``1 / k`` per staff-equivalent, which
:func:`cheapest` solves exactly (the aimed curve is monotone, so its least units are exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from jiedao.optimize.model import Compiled, InfeasibleError, Mode, least_units_pwl

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Decomposition:
    """A primal allocation, a lower bound on its objective and the prices that certify it."""

    posts: np.ndarray
    funds: np.ndarray  # yuan
    objective: float  # penalised shortfall of the allocation
    bound: float  # no allocation has a smaller penalised shortfall
    fund_price: float  # value per yuan at the best price found (mu)
    post_price: float  # value of the last post at that price (lambda)
    iterations: int

    @property
    def gap(self) -> float:
        return max(0.0, self.objective - self.bound)

    @property
    def relative_gap(self) -> float:
        return self.gap / self.objective if self.objective > 0 else 0.0


# --- the upper hull of each row's options --------------------------------------------------------


def hull(cost: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper concave hull of each row's options, starting at option 0.

    ``cost`` (n, K) non-decreasing per row (``inf`` marks options that do not exist), ``value``
    (n, K). Returns the hull vertex of each step (n, K) as option indices (``-1`` past the last
    vertex) and the number of vertices per row. Gift-wrapping: from each vertex, the option
    reached by the steepest chord (the farthest of equally steep ones) is the next vertex.
    """
    n, width = cost.shape
    vertices = np.full((n, width), -1, dtype=np.int64)
    vertices[:, 0] = 0
    count = np.ones(n, dtype=np.int64)
    columns = np.arange(width)[None, :]
    active = np.arange(n)
    current = np.zeros(n, dtype=np.int64)
    for _ in range(width - 1):
        if not active.size:
            break
        rows_cost, rows_value = cost[active], value[active]
        here = current[active]
        local = np.arange(active.size)
        base_cost = rows_cost[local, here][:, None]
        base_value = rows_value[local, here][:, None]
        step = rows_cost - base_cost
        later = (columns > here[:, None]) & np.isfinite(rows_cost) & (step > 1e-15)
        slope = np.where(later, (rows_value - base_value) / np.where(later, step, 1.0), -np.inf)
        best = slope.max(axis=1)
        alive = np.isfinite(best) & (best > 1e-15)
        tol = 1e-12 * np.maximum(1.0, np.abs(np.where(alive, best, 0.0)))
        steepest = later & (slope >= (best - tol)[:, None])
        far = width - 1 - np.argmax(steepest[:, ::-1], axis=1)
        moving = active[alive]
        current[moving] = far[alive]
        vertices[moving, count[moving]] = far[alive]
        count[moving] += 1
        active = moving
    return vertices, count


@dataclass(frozen=True)
class _Pieces:
    row: np.ndarray
    start: np.ndarray  # option index
    end: np.ndarray
    cost: np.ndarray
    gain: np.ndarray

    @property
    def ratio(self) -> np.ndarray:
        return self.gain / self.cost


def hull_pieces(cost: np.ndarray, value: np.ndarray) -> _Pieces:
    vertices, count = hull(cost, value)
    rows, steps = np.nonzero(np.arange(vertices.shape[1] - 1)[None, :] < (count - 1)[:, None])
    start = vertices[rows, steps]
    end = vertices[rows, steps + 1]
    return _Pieces(
        rows,
        start,
        end,
        cost[rows, end] - cost[rows, start],
        value[rows, end] - value[rows, start],
    )


def knapsack(
    cost: np.ndarray, value: np.ndarray, budget: float, *, whole: bool
) -> tuple[np.ndarray, float]:
    """Choose one option per row, total cost within ``budget``, value as large as it gets.

    Option 0 costs nothing. Hull pieces are taken in order of falling value per unit cost while
    they fit; then what is left goes, one row at a time, to the option that adds most within it.
    ``whole=False`` (funds) lets the last piece be taken in part: the returned ``spent`` per row
    then marks a point between two options (see :func:`knapsack_amounts`). Returns the chosen
    amount per row (the option's cost, or a partial amount) and the value of the hull bound.
    """
    n = cost.shape[0]
    chosen = np.zeros(n, dtype=np.int64)
    amount = np.zeros(n)
    pieces = hull_pieces(cost, value)
    if pieces.row.size == 0 or budget <= 0:
        return amount, 0.0
    order = np.lexsort((pieces.row, -pieces.ratio))
    spent = np.cumsum(pieces.cost[order])
    fits = int(np.searchsorted(spent, budget * (1 + 1e-12) + 1e-9, side="right"))
    taken = order[:fits]
    # pieces of a row are taken in order (ratios fall along a row), so the last one taken is
    # the row's vertex
    np.maximum.at(chosen, pieces.row[taken], pieces.end[taken])
    left = budget - (spent[fits - 1] if fits else 0.0)
    bound_value = float(pieces.gain[taken].sum())
    rows = np.arange(n)
    amount = cost[rows, chosen].copy()
    if fits < order.size:
        nxt = order[fits]
        bound_value += float(pieces.ratio[nxt]) * max(0.0, left)
        if not whole and left > 0:
            i = int(pieces.row[nxt])
            amount[i] += left  # part of the way along this row's next piece
            left = 0.0
    if whole and left >= 1.0 - 1e-9:
        _spend_rest(cost, value, chosen, amount, left)
    return amount, bound_value


def _spend_rest(
    cost: np.ndarray, value: np.ndarray, chosen: np.ndarray, amount: np.ndarray, left: float
) -> None:
    """Spend what the hull pass left: repeatedly the single best upgrade that fits."""
    rows = np.arange(cost.shape[0])
    for _ in range(10_000):
        base_cost = cost[rows, chosen][:, None]
        extra = cost - base_cost
        fits = np.isfinite(cost) & (extra > 0) & (extra <= left + 1e-9)
        gain = np.where(fits, value - value[rows, chosen][:, None], -np.inf)
        flat = int(np.argmax(gain))
        i, j = divmod(flat, cost.shape[1])
        if not gain[i, j] > 1e-15:
            return
        left -= float(extra[i, j])
        chosen[i] = j
        amount[i] = cost[i, j]


# --- the community values -------------------------------------------------------------------------


class _Values:
    """Each community's value on the posts grid and at the breakpoints of ``G``."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        n = c.size
        cap = np.minimum(c.room, np.ceil(c.u_top + 1e-9)).astype(np.int64)
        self.cap = np.maximum(cap, 0)
        self.posts = int(self.cap.max()) + 1
        p = np.arange(self.posts, dtype=float)
        self.grid = np.broadcast_to(p, (n, self.posts))
        self.open = p[None, :] <= self.cap[:, None]
        crossings = [least_units_pwl(c.bu, c.aim, c.target)]
        if c.floor.any():
            crossings.append(least_units_pwl(c.bu, c.aim, np.where(c.floor > 0, c.floor, 2.0)))
        extra = np.stack(crossings, axis=1)
        extra = np.where(np.isfinite(extra), extra, c.bu[:, -1:])
        self.breaks = np.sort(np.hstack([c.bu, extra]), axis=1)
        self.break_value = c.served(c.level_at(self.breaks))
        self._stay: np.ndarray | None = None
        self._first: np.ndarray | None = None

    def at(self, units: np.ndarray) -> np.ndarray:
        return self.c.served(self.c.level_at(units))

    def posts_values(self, fund_units: np.ndarray) -> np.ndarray:
        """Value with 0..cap posts above the floor and ``fund_units`` from funds (n, P)."""
        value = self.at(self.grid + fund_units[:, None])
        return np.where(self.open, value, -np.inf)

    def best_with_price(self, unit_price: float) -> tuple[np.ndarray, np.ndarray]:
        """``h(p) = max over u >= p of G(u) - unit_price (u - p)`` on the posts grid, and the
        units it buys, for a price per unit bought with funds."""
        c = self.c
        if self._stay is None:
            self._stay = self.posts_values(np.zeros(c.size))
        stay = self._stay
        if unit_price == math.inf or c.k <= 0 or not c.funds_move:
            return stay, self.grid.copy()
        score = self.break_value - unit_price * self.breaks
        width = score.shape[1]
        best = np.full(c.size, -np.inf)
        best_at = np.zeros(c.size)
        suffix = np.empty_like(score)
        suffix_at = np.empty_like(score)
        for j in range(width - 1, -1, -1):
            better = score[:, j] >= best
            best = np.where(better, score[:, j], best)
            best_at = np.where(better, self.breaks[:, j], best_at)
            suffix[:, j] = best
            suffix_at[:, j] = best_at
        if self._first is None:  # first breakpoint at or above p
            first = np.zeros(self.grid.shape, dtype=np.int64)
            for j in range(width):
                first += self.breaks[:, j : j + 1] < self.grid - 1e-12
            self._first = first
        first = self._first
        inside = first < width
        index = np.minimum(first, width - 1)
        above = np.where(inside, np.take_along_axis(suffix, index, axis=1), -np.inf)
        above_at = np.take_along_axis(suffix_at, index, axis=1)
        own = stay - unit_price * self.grid
        buy = above > own
        h = np.where(buy, above, own) + unit_price * self.grid
        units = np.where(buy, above_at, self.grid)
        return np.where(self.open, h, -np.inf), units


def _posts_dual(h: np.ndarray, posts: int) -> tuple[float, float, np.ndarray]:
    """``min over lambda`` of the posts part: sum of h(0) and the ``posts`` largest envelope
    gains. Returns the value, lambda, and the posts per row at that lambda (hull counts)."""
    cost = np.where(np.isfinite(h), np.arange(h.shape[1], dtype=float)[None, :], np.inf)
    pieces = hull_pieces(cost, np.where(np.isfinite(h), h, 0.0))
    base = float(h[:, 0].sum())
    n = h.shape[0]
    taken = np.zeros(n)
    if pieces.row.size == 0:
        return base, 0.0, taken
    order = np.lexsort((pieces.row, -pieces.ratio))
    spent = np.cumsum(pieces.cost[order])
    fits = int(np.searchsorted(spent, posts + 1e-9, side="right"))
    value = base + float(pieces.gain[order[:fits]].sum())
    np.add.at(taken, pieces.row[order[:fits]], pieces.cost[order[:fits]])
    price = 0.0
    if fits < order.size:
        nxt = order[fits]
        left = posts - (spent[fits - 1] if fits else 0.0)
        value += float(pieces.ratio[nxt]) * left
        taken[pieces.row[nxt]] += left
        price = float(pieces.ratio[nxt])
    return value, price, taken


# --- the primal steps ----------------------------------------------------------------------------


def _posts_step(values: _Values, fund_units: np.ndarray, count: int) -> np.ndarray:
    """Posts above the floors for fixed funds: the single-pool knapsack over 0..cap posts,
    then improved by moving posts between communities."""
    v = values.posts_values(fund_units)
    cost = np.where(np.isfinite(v), values.grid, np.inf)
    amount, _ = knapsack(cost, np.where(np.isfinite(v), v, 0.0), float(count), whole=True)
    extra = np.rint(amount).astype(np.int64)
    return improve_posts(v, extra, count)


SWAP_STEPS = 3  # posts moved at once (a flat stretch of an S-shaped curve needs several)


def improve_posts(v: np.ndarray, extra: np.ndarray, count: int, rounds: int = 500) -> np.ndarray:
    """Local search: give ``q`` posts (1..SWAP_STEPS) from the community that loses least to
    the one that gains most, or from the pool while any are left, while that gains."""
    n, width = v.shape
    rows = np.arange(n)
    extra = extra.copy()
    for _ in range(rounds):
        here = v[rows, extra]
        left = count - int(extra.sum())
        best_move: tuple[float, int, int, int] | None = None
        for q in range(1, SWAP_STEPS + 1):
            up = np.where(extra + q < width, v[rows, np.minimum(extra + q, width - 1)], -np.inf)
            gain = up - here
            down = np.where(extra >= q, v[rows, np.maximum(extra - q, 0)], -np.inf)
            loss = here - down
            j = int(np.argmax(gain))
            if not np.isfinite(gain[j]) or gain[j] <= 1e-12:
                continue
            if left >= q:
                candidate = (float(gain[j]), -1, j, q)
            else:
                loss_j = loss.copy()
                loss_j[j] = np.inf
                i = int(np.argmin(loss_j))
                if not np.isfinite(loss_j[i]):
                    continue
                candidate = (float(gain[j] - loss_j[i]), i, j, q)
            if candidate[0] > 1e-12 * max(1.0, abs(float(here[j]))) and (
                best_move is None or candidate[0] > best_move[0]
            ):
                best_move = candidate
        if best_move is None:
            break
        _, i, j, q = best_move
        extra[j] += q
        if i >= 0:
            extra[i] -= q
    return extra


def _funds_step(c: Compiled, values: _Values, extra: np.ndarray, budget: float) -> np.ndarray:
    """Funds above the floors (yuan) for fixed posts: the knapsack over the breakpoints above."""
    if budget <= 0 or c.k <= 0 or not c.funds_move:
        return np.zeros(c.size)
    start = extra.astype(float)
    units = np.hstack([start[:, None], np.maximum(values.breaks, start[:, None])])
    units = np.sort(units, axis=1)
    cost = (units - start[:, None]) / c.k
    value = values.at(units)
    amount, _ = knapsack(cost, value, budget, whole=False)
    return amount


def lagrangian(
    c: Compiled, *, relative_tolerance: float = 1e-9, max_iterations: int = 60
) -> Decomposition:
    """Minimise the penalised shortfall over both pools; see the module docstring."""
    if c.mode is not Mode.SHORTFALL:
        raise ValueError("the Lagrangian decomposition is for the shortfall mode")
    if c.problem.caps or c.problem.fairness is not None:
        raise ValueError("group caps and fairness floors need method='milp'")
    values = _Values(c)
    total = c.total_value
    posts_pool = c.extra_posts
    budget = c.extra_funds if c.funds_move else 0.0

    best_primal: tuple[float, np.ndarray, np.ndarray] | None = None

    def consider(extra: np.ndarray, funds: np.ndarray) -> None:
        nonlocal best_primal
        objective = c.objective(c.lo + extra, c.fund_floor + funds)
        if best_primal is None or objective < best_primal[0] - 1e-15:
            best_primal = (objective, extra.copy(), funds.copy())

    def primal_from(extra: np.ndarray) -> None:
        extra = np.minimum(extra, values.cap)
        if int(extra.sum()) > posts_pool:
            extra = _posts_step(values, np.zeros(c.size), posts_pool)
        funds = _funds_step(c, values, extra, budget)
        consider(extra, funds)
        for _ in range(3):  # alternate: posts for fixed funds, funds for fixed posts
            better = _posts_step(values, funds * c.k, posts_pool)
            if np.array_equal(better, extra):
                break
            extra = better
            funds = _funds_step(c, values, extra, budget)
            consider(extra, funds)

    def dual(price: float) -> tuple[float, float, np.ndarray]:
        unit_price = price / c.k if c.k > 0 else math.inf
        h, _ = values.best_with_price(unit_price)
        value, post_price, taken = _posts_dual(h, posts_pool)
        return value + price * budget, post_price, taken

    def certified(value: float) -> bool:
        return best_primal is not None and best_primal[0] - (total - value) <= (
            relative_tolerance * max(best_primal[0], 1e-300)
        )

    posts_only = _posts_dual(values.posts_values(np.zeros(c.size)), posts_pool)
    iterations = 1
    if budget <= 0:
        value, post_price, taken = posts_only
        best = (value, 0.0, post_price)
        primal_from(np.floor(taken + 1e-9).astype(np.int64))
    else:
        results: dict[float, tuple[float, float, np.ndarray]] = {}

        def evaluate(price: float) -> float:
            nonlocal iterations
            if price not in results:
                results[price] = dual(price)
                iterations += 1
            return results[price][0]

        def best_price() -> float:
            return min(results, key=lambda p: results[p][0])

        # D is convex in the fund price: golden-section search on a bracket that starts from
        # the posts' own price without funds (a yuan is worth about k posts' worth) and grows
        # while the minimum sits at its top
        top = float(
            np.max(
                np.diff(values.break_value, axis=1)
                / np.maximum(np.diff(values.breaks, axis=1), 1e-12),
                initial=0.0,
            )
        )
        ceiling = max(top, 1e-300) * c.k * (1 + 1e-9)
        high = min(ceiling, max(2.0 * posts_only[1] * c.k, 1e-12 * ceiling))
        evaluate(0.0)
        while high < ceiling and evaluate(high) < evaluate(high / 2):
            high = min(ceiling, 4.0 * high)
        a, b = 0.0, high
        x1, x2 = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
        f1, f2 = evaluate(x1), evaluate(x2)
        checked = False
        while iterations < max_iterations and b - a > 1e-13 * max(b, 1e-300):
            if f1 <= f2:
                b, x2, f2 = x2, x1, f1
                x1 = b - GOLDEN * (b - a)
                f1 = evaluate(x1)
            else:
                a, x1, f1 = x1, x2, f2
                x2 = a + GOLDEN * (b - a)
                f2 = evaluate(x2)
            if (b - a <= 1e-5 * b and not checked) or (checked and iterations % 8 == 0):
                checked = True
                price = best_price()
                primal_from(np.floor(results[price][2] + 1e-9).astype(np.int64))
                if certified(results[price][0]):
                    break
        price = best_price()
        value, post_price, taken = results[price]
        best = (value, price, post_price)
        if not certified(value):
            for p in sorted(results, key=lambda q: results[q][0])[:2]:
                primal_from(np.floor(results[p][2] + 1e-9).astype(np.int64))
    if not certified(best[0]):
        primal_from(_posts_step(values, np.zeros(c.size), posts_pool))
    assert best_primal is not None
    objective, extra, funds = best_primal
    bound = min(total - best[0], objective)
    return Decomposition(
        posts=c.lo + extra,
        funds=c.fund_floor + funds,
        objective=objective,
        bound=bound,
        fund_price=best[1],
        post_price=best[2],
        iterations=iterations,
    )


def cheapest(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Cost mode without caps: each community meets its target at least cost (exact)."""
    if c.mode is not Mode.COST or c.need is None:
        raise ValueError("cheapest() is for the cost mode")
    if c.problem.caps:
        raise ValueError("group caps need method='milp'")
    need = c.need
    room = c.room
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
    options = np.stack([np.zeros(c.size), np.floor(need + 1e-12), np.ceil(need - 1e-12)], axis=1)
    options = np.minimum(options, room[:, None]).astype(np.int64)
    funds = np.maximum(0.0, need[:, None] - options) / c.k
    cost = options * c.problem.post_cost_yuan + funds
    pick = np.argmin(cost, axis=1)
    rows = np.arange(c.size)
    return c.lo + options[rows, pick], c.fund_floor + funds[rows, pick]
