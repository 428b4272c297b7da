"""What an allocation costs, what its funds buy, and who it cannot lift, in plain figures.

**One budget line** (:class:`Budget`): every staff type the optimiser was given, each at its
yearly cost in yuan: the posts (``post_label``: social-worker posts, or window clerks for a clerk
problem) at ``post_cost_yuan``, the service funds split into the share that buys hours
(``purchase_share``, at ``hour_price_yuan`` an hour) and the share that buys no hours the model
counts. :meth:`Budget.plus` adds lines the optimiser does not plan (planning adds window clerks and
paid overtime at their yearly costs), so one total covers the plan; 万元 conversions are for
export.

**What a yuan of fund buys** (:class:`FundValue`): hours, staff-equivalents, the cost of a
staff-equivalent bought with funds beside a post's, and the share of the funds that buys nothing
the model counts: the part that buys no hours (``1 - purchase_share``) and the hours that land
where a community's aimed curve no longer rises.

**Who is not lifted** (:class:`Unmet`): every community below its target, with why: its curve
never reaches the target (or floor) within its posts maximum, or the pool runs out (and how many
more posts, its funds as they are, would lift it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from jiedao.optimize.model import (
    NO_MAX,
    Compiled,
    Mode,
    best_within_cap,
    curve_phrase,
    least_units_pwl,
)


@dataclass(frozen=True)
class BudgetLine:
    item: str  # "posts", "purchased service hours", "funds buying no hours", "window clerks"...
    quantity: float
    unit: str  # "post-year", "hour", "yuan", "clerk-year"...
    unit_cost_yuan: float
    yuan: float
    staff_equivalents: float | None = None  # serving staff-equivalents the line buys, if counted


def budget_line(
    item: str,
    quantity: float,
    unit: str,
    unit_cost_yuan: float,
    staff_equivalents: float | None = None,
) -> BudgetLine:
    """A line at ``quantity x unit_cost_yuan`` (the hook planning uses for clerks, overtime)."""
    return BudgetLine(
        item,
        float(quantity),
        unit,
        float(unit_cost_yuan),
        float(quantity) * unit_cost_yuan,
        staff_equivalents,
    )


@dataclass(frozen=True)
class Budget:
    lines: tuple[BudgetLine, ...]

    @property
    def total_yuan(self) -> float:
        return float(sum(line.yuan for line in self.lines))

    def plus(self, *lines: BudgetLine) -> Budget:
        return replace(self, lines=self.lines + tuple(lines))

    def line(self, item: str) -> BudgetLine | None:
        return next((line for line in self.lines if line.item == item), None)


@dataclass(frozen=True)
class FundValue:
    hours_per_yuan: float  # purchase_share / hour price
    staff_per_yuan: float  # staff-equivalents a yuan buys
    yuan_per_staff_equivalent: float | None  # None when funds buy no hours
    post_cost_yuan: float  # a serving post: one staff-equivalent a year
    funds_total_yuan: float
    hours_bought: float
    staff_equivalents_bought: float
    share_buying_no_hours: float  # 1 - purchase_share
    share_on_flat_curves: float  # share of the funds whose hours land where no level rises
    share_buying_nothing: float  # the two together
    movable_yuan: float  # fund pool above the floors (shortfall mode); 0: funds cannot move
    note: str


@dataclass(frozen=True)
class Unmet:
    community_id: str
    level: float  # the aimed level at the allocation
    target: float
    floor: float | None  # the soft floor, None where there is none or it was dropped
    below_floor: bool
    best_within_cap: float  # the best aimed level its posts maximum (and the funds) allow
    posts_to_target: int | None  # more posts (funds as they are) lifting it to its target
    reason: str


def budget(c: Compiled, posts: np.ndarray, funds: np.ndarray) -> Budget:
    problem = c.problem
    share = problem.purchase_share
    total_funds = float(funds.sum())
    hours = total_funds * share / problem.hour_price_yuan
    serving = float((posts - c.nonserving).sum())
    label = problem.post_label
    lines = [
        budget_line(label, float(posts.sum()), "post-year", problem.post_cost_yuan, serving),
        budget_line(
            "purchased service hours",
            hours,
            "hour",
            problem.hour_price_yuan,
            hours / problem.hours_per_post_year,
        ),
        BudgetLine(
            "funds buying no hours",
            total_funds * (1 - share),
            "yuan",
            1.0,
            total_funds * (1 - share),
            None,
        ),
    ]
    return Budget(tuple(lines))


def fund_value(c: Compiled, posts: np.ndarray, funds: np.ndarray) -> FundValue:
    problem = c.problem
    share = problem.purchase_share
    total = float(funds.sum())
    fund_staff = c.k * funds
    staff_top = c.staff_top  # serving staff-equivalents from which the aimed level is flat
    serving = posts - c.nonserving + fund_staff
    flat_staff = np.minimum(fund_staff, np.maximum(0.0, serving - staff_top))
    flat_yuan = float(flat_staff.sum() / c.k) * share if c.k > 0 else 0.0
    no_hours = 1.0 - share
    on_flat = flat_yuan / total if total > 0 else 0.0
    movable = c.extra_funds if c.mode is Mode.SHORTFALL else math.inf
    per_staff = 1.0 / c.k if c.k > 0 else None
    if c.mode is Mode.SHORTFALL and movable <= 0:
        note = (
            "the fund pool equals the fund floors: funds cannot move between communities "
            "(lower the floors or raise the pool to let them)"
        )
    elif per_staff is None:
        note = "funds buy no service hours (purchase_share is 0)"
    else:
        cheaper = "funds" if per_staff < problem.post_cost_yuan else "a post"
        note = (
            f"a staff-equivalent bought with funds costs ¥{per_staff:,.0f} against "
            f"¥{problem.post_cost_yuan:,.0f} for a post: {cheaper} is the cheaper capacity"
        )
    return FundValue(
        hours_per_yuan=share / problem.hour_price_yuan,
        staff_per_yuan=c.k,
        yuan_per_staff_equivalent=per_staff,
        post_cost_yuan=problem.post_cost_yuan,
        funds_total_yuan=total,
        hours_bought=total * share / problem.hour_price_yuan,
        staff_equivalents_bought=float(fund_staff.sum()),
        share_buying_no_hours=no_hours if total > 0 else 0.0,
        share_on_flat_curves=on_flat,
        share_buying_nothing=(no_hours if total > 0 else 0.0) + on_flat,
        movable_yuan=float(movable) if math.isfinite(movable) else math.inf,
        note=note,
    )


def unmet(c: Compiled, posts: np.ndarray, funds: np.ndarray) -> tuple[Unmet, ...]:
    """Every community below its target, with why (see the module docstring)."""
    units = c.units(posts, funds)
    level = c.level_at(units)
    short = np.flatnonzero(level < c.target - 1e-9)
    if not short.size:
        return ()
    best, cap_units = best_within_cap(c)
    reach = least_units_pwl(c.bu, c.aim, c.target)
    more = np.ceil(reach - units - 1e-9)
    possible = np.isfinite(more) & (more <= (c.hi - posts)) & (more >= 1)
    dropped = dict(c.unfloored)
    out = []
    for i in short.tolist():
        floor = float(c.floor[i]) if c.floor[i] > 0 else None
        below = floor is not None and level[i] < floor - 1e-9
        needed = int(more[i]) if possible[i] else None
        if best[i] < c.target[i] - 1e-9:
            reason = (
                f"{curve_phrase(c, i)} never reaches {c.target[i]:.2f} within its cap: at most "
                f"{best[i]:.3f}" + _limit(c, i, cap_units[i])
            )
        elif c.mode is Mode.SHORTFALL:
            reason = "the pool runs out" + (
                f": {needed} more post{'s' if needed != 1 else ''} would lift it to "
                f"{c.target[i]:.2f}"
                if needed
                else ""
            )
        else:
            reason = "the constraints leave it short"
        if i in dropped:
            reason += f"; no floor: {dropped[i]}"
        elif below:
            reason += f" (below its floor of {floor:.2f})"
        out.append(
            Unmet(
                community_id=c.ids[i],
                level=float(level[i]),
                target=float(c.target[i]),
                floor=floor,
                below_floor=bool(below),
                best_within_cap=float(best[i]),
                posts_to_target=needed,
                reason=reason,
            )
        )
    return tuple(out)


def _limit(c: Compiled, i: int, units: float) -> str:
    if c.hi[i] < NO_MAX and units < c.bu[i, -1] - 1e-9:
        return f" with its maximum of {int(c.hi[i])} posts"
    return f" at the most staff measured ({c.curve_end[i]:.3g} staff-equivalents)"
