"""The allocation problem: posts and service funds across communities.

Each community gets an integer number of **posts** (社工岗; at least its party-building posts, at
most an optional maximum) and **funds** in yuan (at least its floor: the ¥200k urban / ¥100k town
standard or a lower policy floor). A post that serves adds one staff-equivalent; the policy share
of the funds buys service hours (政府购买服务) at the hour price, and ``hours_per_post_year``
of them make one more staff-equivalent, so a yuan buys
``purchase_share / hour_price / hours_per_post_year`` staff-equivalents. The community's service
level is read off its response curve.

**What the optimiser judges** (``Problem.aim``, ``margin``, ``shape``). By default the *lower 95%
bound* of each curve (``aim="lower"``; the check judges "met" on it), less an optional ``margin``,
at the measured points made monotone without lifting any (``shape="measured"``: see
:mod:`optimize.curves`). ``aim="mean"`` judges the mean; ``shape="concave"`` the old concave fit
(the result then says how far it lifted points). Curves without bounds are judged on their levels
whatever ``aim`` says.

**Units.** A community's *units* ``u`` are its staff-equivalents above those at its floors (floor
posts and floor funds, where ``x0`` staff-equivalents serve): ``u = posts - lo + k (funds -
fund_floor)``. The aimed curve is compiled to a piecewise-linear function of ``u`` with
breakpoints ``bu`` and levels ``aim`` (one row per community, padded flat). When funds cannot move
(the fund pool equals the floors, or funds buy no hours) ``u`` is a whole number of posts and the
breakpoints are the posts grid ``0, 1, 2, ...`` (the curve read exactly at every whole post);
otherwise they are the measured points themselves, so the function is the curve, exactly, at any
mix of posts and funds. A curve says nothing below its first staff level, so a community never gets
fewer posts than it takes to reach it.

**Two modes.** ``Mode.SHORTFALL`` (fixed pools): minimise the weighted shortfall
``sum_i w_i * max(0, target_i - level_i)`` plus the **floor penalty**
``floor_weight * sum_i w_i * max(0, floor_i - level_i)`` within the posts pool (less a
``posts_reserve``) and the fund pool. The floor is ``floor_share x target`` (0.5 by default;
``None`` switches it off): shortfalls below it cost ``1 + floor_weight`` times as much (100 by
default, in effect lexicographic), so no site is cut to its minimum because it is the hardest to
serve. Where a site's curve cannot reach its floor at all (anywhere on the curve where funds buy
hours, within its posts maximum where they do not: never depending on the pools, so more budget is
never worse), its floor is dropped and the result says so (:attr:`Compiled.unfloored`).
``fairness`` remains the hard form (an infeasible request when it cannot be met).
``Mode.COST``: meet every community's target at least total cost ``posts * post_cost + funds``;
the pools do not constrain it.

**Placing the whole pool** (:mod:`optimize.place`): once the shortfall is optimal, the posts left
are spread (``spread``: ``"lowest_bound"`` where they raise the lowest aimed level, a mapping of
reference posts per community such as the Jilin rule, or ``"none"``), and ``keep_today`` keeps
every community at or above its posts today (``CommunitySpec.posts_today``).

**Named constraints**, the same in every method, so that binding ones can be reported:
``posts_pool``, ``fund_pool``, ``posts_cap:<group>``, ``funds_cap:<group>`` and, per community,
``posts_floor:<id>``, ``posts_max:<id>``, ``fund_floor:<id>``, ``fairness:<id>`` (level at least
``fairness x target``), ``target:<id>`` (cost mode), ``posts_today:<id>`` (``keep_today``).

Requests that cannot be met raise :class:`InfeasibleError` naming the requirement, before any solver
runs where the check is simple.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from jiedao.optimize.curves import TOLERANCE, Curve, fit_concave, running_min_right

if TYPE_CHECKING:
    from jiedao.scenarios.model import Scenario

NO_MAX = 2**40  # posts maximum of a community that has none
LEVEL_TOLERANCE = 1e-9
FLOOR_SHARE = 0.5  # default soft floor: half the target
FLOOR_WEIGHT = 100.0  # a shortfall below the floor costs 1 + 100 times as much
SPREADS = ("lowest_bound", "none")


class Mode(StrEnum):
    SHORTFALL = "shortfall"
    COST = "cost"


class Aim(StrEnum):
    LOWER = "lower"  # the lower 95% bound of the curve (what the check judges)
    MEAN = "mean"


class Shape(StrEnum):
    MEASURED = "measured"  # the points made monotone without lifting any (exact)
    CONCAVE = "concave"  # the weighted least-squares concave fit (lifts S-shaped points)


class InfeasibleError(ValueError):
    """A request that cannot be met; ``requirement`` names the constraint (``"posts_pool"``)."""

    def __init__(self, message: str, requirement: str | None = None) -> None:
        super().__init__(message)
        self.requirement = requirement


@dataclass(frozen=True)
class CommunitySpec:
    """One community as the optimiser sees it."""

    id: str
    curve: Curve
    target: float
    weight: float = 1.0
    posts_floor: int = 2
    posts_max: int | None = None
    nonserving_posts: int = 2  # party-building posts that policy does not count as capacity
    fund_floor_yuan: float = 0.0
    type: str | None = None  # urban / town, for messages
    posts_today: int | None = None  # for today / plan / change, cuts and ``keep_today``


@dataclass(frozen=True)
class GroupCap:
    """At most ``max_posts`` posts and ``max_funds_yuan`` funds over a group (street, district)."""

    name: str
    members: tuple[str, ...]
    max_posts: int | None = None
    max_funds_yuan: float | None = None


@dataclass(frozen=True)
class Problem:
    """Communities, pools and side constraints. ``fund_pool_yuan=None``: funds stay at floors.

    See the module docstring for ``aim``, ``margin``, ``shape``, ``floor_share``,
    ``floor_weight``, ``spread``, ``posts_reserve`` and ``keep_today``. ``post_label`` names the
    staff type in the budget lines ("posts", "window clerks").
    """

    communities: tuple[CommunitySpec, ...]
    posts_pool: int | None = None
    fund_pool_yuan: float | None = None
    posts_pool_exact: bool = False
    post_cost_yuan: float = 50_000.0
    purchase_share: float = 0.3
    hour_price_yuan: float = 60.0
    hours_per_post_year: float = 1750.0
    caps: tuple[GroupCap, ...] = ()
    fairness: float | None = None
    aim: str = Aim.LOWER.value
    margin: float = 0.0
    shape: str = Shape.MEASURED.value
    floor_share: float | None = FLOOR_SHARE
    floor_weight: float = FLOOR_WEIGHT
    spread: str | Mapping[str, float] = "lowest_bound"
    posts_reserve: int = 0
    keep_today: bool = False
    post_label: str = "posts"
    _ids: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "communities", tuple(self.communities))
        object.__setattr__(self, "caps", tuple(self.caps))
        ids = {c.id: i for i, c in enumerate(self.communities)}
        if len(ids) != len(self.communities):
            repeated = [k for k, n in Counter(c.id for c in self.communities).items() if n > 1]
            raise ValueError(f"community ids must be unique; repeated: {', '.join(repeated[:5])}")
        if not self.communities:
            raise ValueError("a problem needs at least one community")
        object.__setattr__(self, "_ids", ids)
        if self.posts_pool is not None and self.posts_pool < 0:
            raise ValueError(f"posts_pool must be >= 0, got {self.posts_pool}")
        if self.fund_pool_yuan is not None and self.fund_pool_yuan < 0:
            raise ValueError(f"fund_pool_yuan must be >= 0, got {self.fund_pool_yuan}")
        if not 0 <= self.purchase_share <= 1:
            raise ValueError(f"purchase_share must lie in 0-1, got {self.purchase_share}")
        for name in ("post_cost_yuan", "hour_price_yuan", "hours_per_post_year"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.fairness is not None and not 0 < self.fairness <= 1:
            raise ValueError(f"fairness must lie in (0, 1], got {self.fairness}")
        Aim(self.aim)
        Shape(self.shape)
        if not 0 <= self.margin < 1:
            raise ValueError(f"margin must lie in [0, 1), got {self.margin}")
        if self.floor_share is not None and not 0 < self.floor_share <= 1:
            raise ValueError(f"floor_share must lie in (0, 1] or be None, got {self.floor_share}")
        if not (self.floor_weight >= 0 and math.isfinite(self.floor_weight)):
            raise ValueError(f"floor_weight must be >= 0, got {self.floor_weight}")
        if self.posts_reserve < 0:
            raise ValueError(f"posts_reserve must be >= 0, got {self.posts_reserve}")
        if isinstance(self.spread, str):
            if self.spread not in SPREADS:
                raise ValueError(
                    f"spread must be one of {', '.join(SPREADS)} or a mapping of reference "
                    f"posts per community, got {self.spread!r}"
                )
        else:
            reference = {str(k): float(v) for k, v in self.spread.items()}
            unknown = [k for k in reference if k not in ids]
            if unknown:
                raise ValueError(f"spread names unknown communities: {unknown[:5]}")
            if any(not (v >= 0 and math.isfinite(v)) for v in reference.values()):
                raise ValueError("spread reference posts must be >= 0")
            object.__setattr__(self, "spread", reference)
        for cap in self.caps:
            unknown = [m for m in cap.members if m not in ids]
            if unknown:
                raise ValueError(f"cap {cap.name!r} names unknown communities: {unknown[:5]}")
        for c in self.communities:
            if not 0 < c.target <= 1:
                raise ValueError(f"community {c.id}: target must lie in (0, 1], got {c.target}")
            if c.weight < 0 or not math.isfinite(c.weight):
                raise ValueError(f"community {c.id}: weight must be >= 0, got {c.weight}")
            if c.posts_floor < 0 or c.nonserving_posts < 0 or c.fund_floor_yuan < 0:
                raise ValueError(f"community {c.id}: floors must be >= 0")
            if c.posts_today is not None and c.posts_today < 0:
                raise ValueError(f"community {c.id}: posts_today must be >= 0")
            if c.posts_max is not None and c.posts_max < c.posts_floor:
                raise InfeasibleError(
                    f"community {c.id}: posts maximum {c.posts_max} is below its floor of "
                    f"{c.posts_floor} posts",
                    f"posts_max:{c.id}",
                )

    @property
    def staff_per_yuan(self) -> float:
        return staff_per_yuan(self.purchase_share, self.hour_price_yuan, self.hours_per_post_year)

    def index(self, community_id: str) -> int:
        return self._ids[community_id]

    def with_pools(
        self, posts_pool: int | None = None, fund_pool_yuan: float | None = None
    ) -> Problem:
        """The same problem with other pools (None keeps the current one)."""
        return replace(
            self,
            posts_pool=self.posts_pool if posts_pool is None else posts_pool,
            fund_pool_yuan=self.fund_pool_yuan if fund_pool_yuan is None else fund_pool_yuan,
        )

    def with_options(self, **options: Any) -> Problem:
        """The same problem with other options (``aim="mean"``, ``spread="none"``...)."""
        return replace(self, **options)


def staff_per_yuan(
    purchase_share: float, hour_price_yuan: float, hours_per_post_year: float
) -> float:
    """Staff-equivalents one yuan of service funds buys."""
    return purchase_share / hour_price_yuan / hours_per_post_year


def problem_from_scenario(
    scenario: Scenario,
    curves: Mapping[str, Curve],
    *,
    target: float | Mapping[str, float] | None = None,
    weights: str | Mapping[str, float] = "households",
    fairness: float | None = None,
    posts_pool: int | None = None,
    fund_pool_yuan: float | None = None,
    fund_floor_share: float = 1.0,
    posts_max: int | Mapping[str, int] | None = None,
    caps: Iterable[GroupCap] = (),
    **options: Any,
) -> Problem:
    """Build a problem from a scenario and one curve per community id.

    ``target`` defaults to the window target share; ``weights`` are ``"households"``, ``"equal"``
    or a mapping; fund floors are ``fund_floor_share`` x the standard for the community's type
    (below 1 the fund pool can move between communities). Each community's posts today are the
    scenario's. ``options`` are :class:`Problem` fields (``aim``, ``margin``, ``shape``,
    ``floor_share``, ``floor_weight``, ``spread``, ``posts_reserve``, ``keep_today``,
    ``post_label``, ``post_cost_yuan``...).
    """
    budget, policy = scenario.budget, scenario.policy
    standards = {str(kind): float(yuan) for kind, yuan in budget.fund_standard_yuan.items()}
    default_target = scenario.targets.window.share
    communities = []
    for c in scenario.communities():
        if c.id not in curves:
            raise ValueError(f"no response curve for community {c.id}")
        if weights == "households":
            weight = float(c.households)
        elif weights == "equal":
            weight = 1.0
        elif isinstance(weights, Mapping):
            weight = float(weights[c.id])
        else:
            raise ValueError(f"weights must be 'households', 'equal' or a mapping, not {weights!r}")
        if isinstance(target, Mapping):
            community_target = float(target.get(c.id, default_target))
        else:
            community_target = default_target if target is None else float(target)
        maximum = posts_max.get(c.id) if isinstance(posts_max, Mapping) else posts_max
        party = c.party_building_posts
        communities.append(
            CommunitySpec(
                id=c.id,
                curve=curves[c.id],
                target=community_target,
                weight=weight,
                posts_floor=party,
                posts_max=maximum,
                nonserving_posts=party - min(policy.party_posts_serve, party),
                fund_floor_yuan=fund_floor_share * standards[str(c.type)],
                type=c.type,
                posts_today=int(c.posts),
            )
        )
    settings: dict[str, Any] = {
        "posts_pool": budget.posts_pool if posts_pool is None else posts_pool,
        "fund_pool_yuan": budget.fund_pool_yuan if fund_pool_yuan is None else fund_pool_yuan,
        "post_cost_yuan": budget.post_cost_yuan,
        "purchase_share": budget.purchase_share,
        "hour_price_yuan": budget.hour_price_yuan,
        "hours_per_post_year": budget.hours_per_post_year,
        "caps": tuple(caps),
        "fairness": fairness,
    }
    settings.update(options)
    return Problem(communities=tuple(communities), **settings)


# --- the compiled arrays every method works on ----------------------------------------------------


def interp_rows(x: np.ndarray, y: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation, flat beyond both ends.

    ``x`` and ``y`` are (n, m) with each row of ``x`` non-decreasing (repeated values allowed);
    ``query`` is (n,) or (n, r).
    """
    q = np.asarray(query, dtype=float)
    flat = q.ndim == 1
    q2 = q[:, None] if flat else q
    m = x.shape[1]
    count = np.zeros(q2.shape, dtype=np.int64)
    for j in range(m):
        count += x[:, j : j + 1] <= q2
    index = np.clip(count - 1, 0, m - 2)
    left = np.take_along_axis(x, index, axis=1)
    right = np.take_along_axis(x, index + 1, axis=1)
    low = np.take_along_axis(y, index, axis=1)
    high = np.take_along_axis(y, index + 1, axis=1)
    width = right - left
    share = np.clip((q2 - left) / np.where(width > 0, width, 1.0), 0.0, 1.0)
    share = np.where(width > 0, share, (q2 >= right).astype(float))
    out = low + (high - low) * share
    return out[:, 0] if flat else out


def least_units_pwl(bu: np.ndarray, bv: np.ndarray, required: np.ndarray) -> np.ndarray:
    """Least ``u`` at which each row's piecewise-linear level reaches ``required`` (inf if never).

    Rows of ``bv`` are non-decreasing.
    """
    reached = bv >= required[:, None] - LEVEL_TOLERANCE
    first = np.argmax(reached, axis=1)
    rows = np.arange(bv.shape[0])
    before = np.maximum(first - 1, 0)
    low, high = bv[rows, before], bv[rows, first]
    u_low, u_high = bu[rows, before], bu[rows, first]
    rise = high - low
    step = np.where(rise > 0, (required - low) / np.where(rise > 0, rise, 1.0), 0.0)
    units = np.where(first == 0, bu[rows, 0], u_low + np.clip(step, 0.0, 1.0) * (u_high - u_low))
    return np.where(reached.any(axis=1), np.maximum(units, 0.0), np.inf)


def least_units(levels: np.ndarray, required: np.ndarray) -> np.ndarray:
    """Least u on the posts grid ``0, 1, 2, ...`` at which ``levels`` reach ``required``."""
    grid = np.broadcast_to(np.arange(levels.shape[1], dtype=float), levels.shape)
    return least_units_pwl(grid, levels, required)


@dataclass(frozen=True, eq=False)
class Compiled:
    """A problem as arrays over each community's units (see the module docstring)."""

    problem: Problem
    mode: Mode
    ids: tuple[str, ...]
    lo: np.ndarray  # posts floor: party posts, raised where the curve starts higher or today's
    hi: np.ndarray  # posts maximum (NO_MAX when none)
    nonserving: np.ndarray
    fund_floor: np.ndarray  # yuan
    k: float  # staff-equivalents per yuan
    x0: np.ndarray  # serving staff-equivalents at the floors
    bu: np.ndarray  # (n, m) units at the breakpoints, non-decreasing, bu[:, 0] == 0
    aim: np.ndarray  # (n, m) the level the optimiser judges (lower bound or mean, less margin)
    mean: np.ndarray  # (n, m) the mean level, shaped the same way
    low: np.ndarray  # (n, m) the lower 95% bound, shaped the same way
    target: np.ndarray
    weight: np.ndarray
    floor: np.ndarray  # soft floor level (0 where none or dropped)
    floor_weight: float
    need: np.ndarray | None  # least u meeting the target (cost) or the fairness floor
    extra_posts: int  # posts to place above the floors: pool - reserve - floors (shortfall)
    extra_funds: float  # fund pool above the floors (shortfall mode)
    member_rows: tuple[np.ndarray, ...]  # rows of each cap's members
    funds_move: bool  # funds above the floors can buy staff (else u is whole posts)
    lift: np.ndarray  # how far the shape lifted an aimed point (concave fit), per community
    lowered: np.ndarray  # how far it lowered one (the monotone step or the fit)
    unfloored: tuple[tuple[int, str], ...]  # communities whose floor was dropped, and why
    today: np.ndarray  # posts today, -1 where unknown
    bounded: np.ndarray  # bool: the curve carries bounds (so ``aim="lower"`` means something)
    curve_end: np.ndarray  # staff-equivalents of each curve's last point
    staff_top: np.ndarray  # serving staff-equivalents from which the aimed level stops rising

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def width(self) -> int:
        return int(self.bu.shape[1])

    @property
    def u_top(self) -> np.ndarray:
        """Units from which each community's aimed level stops rising."""
        rising = np.diff(self.aim, axis=1) > LEVEL_TOLERANCE
        last = np.where(rising.any(axis=1), self.width - 1 - np.argmax(rising[:, ::-1], axis=1), 0)
        return self.bu[np.arange(self.size), last]

    @property
    def room(self) -> np.ndarray:
        """Posts each community may take above its floor."""
        return self.hi - self.lo

    def units(self, posts: np.ndarray, funds: np.ndarray) -> np.ndarray:
        return (posts - self.lo) + self.k * (funds - self.fund_floor)

    def level_at(self, units: np.ndarray, which: str = "aim") -> np.ndarray:
        """Level of every community at ``units`` (flat beyond the curve's ends)."""
        values = {"aim": self.aim, "mean": self.mean, "low": self.low}[which]
        return interp_rows(self.bu, values, units)

    def served(self, level: np.ndarray) -> np.ndarray:
        """Value of a level: ``w (min(level, target) + floor_weight min(level, floor))``."""
        target = self.target if level.ndim == 1 else self.target[:, None]
        floor = self.floor if level.ndim == 1 else self.floor[:, None]
        weight = self.weight if level.ndim == 1 else self.weight[:, None]
        return weight * (np.minimum(level, target) + self.floor_weight * np.minimum(level, floor))

    @property
    def total_value(self) -> float:
        """The value of every community at its target: the objective is this less the served."""
        return float(np.sum(self.weight * (self.target + self.floor_weight * self.floor)))

    def shortfalls(self, posts: np.ndarray, funds: np.ndarray) -> tuple[float, float]:
        """Weighted shortfall from the targets, and from the floors (unweighted by the penalty)."""
        level = self.level_at(self.units(posts, funds))
        plain = float(np.sum(self.weight * np.maximum(0.0, self.target - level)))
        deep = float(np.sum(self.weight * np.maximum(0.0, self.floor - level)))
        return plain, deep

    def objective(self, posts: np.ndarray, funds: np.ndarray) -> float:
        """Weighted shortfall plus the floor penalty (shortfall mode), or cost in yuan."""
        if self.mode is Mode.COST:
            return float(np.sum(posts) * self.problem.post_cost_yuan + np.sum(funds))
        plain, deep = self.shortfalls(posts, funds)
        return plain + self.floor_weight * deep


def _shape_points(
    problem: Problem, specs: Sequence[CommunitySpec], staff: np.ndarray, points: np.ndarray
) -> np.ndarray:
    """Points made monotone (running minimum from the right) or fitted concave, per row."""
    if Shape(problem.shape) is Shape.MEASURED:
        return running_min_right(points)
    out = np.empty_like(points)
    for i, c in enumerate(specs):
        m = len(c.curve)
        fitted = fit_concave(c.curve.staff, points[i, :m], ci95=c.curve.ci95).level
        out[i, :m] = fitted
        out[i, m:] = fitted[-1]
    return out


def compile_problem(problem: Problem, mode: Mode | str = Mode.SHORTFALL) -> Compiled:
    """Shape the curves, compile them to units and check simple feasibility."""
    mode = Mode(mode)
    specs = problem.communities
    n = len(specs)
    k = problem.staff_per_yuan
    width = max(2, max(len(c.curve) for c in specs))
    staff = np.empty((n, width))
    mean = np.empty((n, width))
    lower = np.empty((n, width))
    bounded = np.zeros(n, dtype=bool)
    for i, c in enumerate(specs):
        m = len(c.curve)
        staff[i, :m] = c.curve.staff
        mean[i, :m] = c.curve.level
        lower[i, :m] = c.curve.lower
        bounded[i] = c.curve.has_bounds
        if m < width:  # flat continuation, one staff apart
            staff[i, m:] = c.curve.staff[-1] + np.arange(1, width - m + 1)
            mean[i, m:] = c.curve.level[-1]
            lower[i, m:] = lower[i, m - 1]
    base = lower if Aim(problem.aim) is Aim.LOWER else mean
    raw_aim = np.clip(base - problem.margin, 0.0, 1.0)
    aim_points = _shape_points(problem, specs, staff, raw_aim)
    mean_points = _shape_points(problem, specs, staff, mean)
    low_points = _shape_points(problem, specs, staff, lower)
    rising = np.diff(aim_points, axis=1) > LEVEL_TOLERANCE
    last_rise = np.where(rising.any(axis=1), width - 1 - np.argmax(rising[:, ::-1], axis=1), 0)
    staff_top = staff[np.arange(n), last_rise]
    lift = np.maximum(0.0, (aim_points - raw_aim).max(axis=1))
    lowered = np.maximum(0.0, (raw_aim - aim_points).max(axis=1))

    floor = np.fromiter((c.posts_floor for c in specs), np.int64, n)
    nonserving = np.fromiter((c.nonserving_posts for c in specs), np.int64, n)
    fund_floor = np.fromiter((c.fund_floor_yuan for c in specs), float, n)
    hi = np.fromiter((NO_MAX if c.posts_max is None else c.posts_max for c in specs), np.int64, n)
    today = np.fromiter(
        (-1 if c.posts_today is None else c.posts_today for c in specs), np.int64, n
    )
    start = staff[:, 0]
    end = np.fromiter((c.curve.staff[-1] for c in specs), float, n)
    # a curve says nothing below its first point: posts rise until the floor reaches it
    reach_start = np.ceil(start + nonserving - k * fund_floor - TOLERANCE).astype(np.int64)
    lo = np.maximum(floor, reach_start)
    above = np.flatnonzero(lo > hi)
    if above.size:
        c = specs[above[0]]
        raise InfeasibleError(
            f"community {c.id}: its curve starts at {c.curve.staff[0]:g} staff-equivalents, "
            f"which needs {lo[above[0]]} posts, above its maximum of {c.posts_max}",
            f"posts_max:{c.id}",
        )
    if problem.keep_today:
        over = np.flatnonzero((today >= 0) & (today > hi))
        if over.size:
            c = specs[over[0]]
            raise InfeasibleError(
                f"community {c.id}: it has {c.posts_today} posts today, above its maximum of "
                f"{c.posts_max}, and the plan may not cut it (keep_today)",
                f"posts_today:{c.id}",
            )
        lo = np.maximum(lo, today)
    x0 = lo - nonserving + k * fund_floor

    extra_funds = 0.0
    if mode is Mode.SHORTFALL:
        floors = float(fund_floor.sum())
        pool = floors if problem.fund_pool_yuan is None else problem.fund_pool_yuan
        extra_funds = max(0.0, pool - floors)
    funds_move = k > 0 and (mode is Mode.COST or extra_funds > 0)
    if funds_move:
        bu = np.hstack([np.zeros((n, 1)), np.maximum(staff - x0[:, None], 0.0)])
    else:
        span = np.maximum(1, np.ceil(end - x0 - TOLERANCE).astype(np.int64))
        grid = int(span.max()) + 1
        bu = np.broadcast_to(np.arange(grid, dtype=float), (n, grid)).copy()
    query = x0[:, None] + bu
    aim = interp_rows(staff, aim_points, query)
    mean_v = interp_rows(staff, mean_points, query)
    low_v = interp_rows(staff, low_points, query)

    target = np.fromiter((c.target for c in specs), float, n)
    weight = np.fromiter((c.weight for c in specs), float, n)
    member_rows = tuple(
        np.fromiter((problem.index(m) for m in cap.members), np.int64, len(cap.members))
        for cap in problem.caps
    )
    compiled = Compiled(
        problem=problem,
        mode=mode,
        ids=tuple(c.id for c in specs),
        lo=lo,
        hi=hi,
        nonserving=nonserving,
        fund_floor=fund_floor,
        k=k,
        x0=x0,
        bu=bu,
        aim=aim,
        mean=mean_v,
        low=low_v,
        target=target,
        weight=weight,
        floor=np.zeros(n),
        floor_weight=float(problem.floor_weight),
        need=None,
        extra_posts=0,
        extra_funds=extra_funds,
        member_rows=member_rows,
        funds_move=funds_move,
        lift=lift,
        lowered=lowered,
        unfloored=(),
        today=today,
        bounded=bounded,
        curve_end=end,
        staff_top=staff_top,
    )
    return _check_feasible(compiled)


def best_within_cap(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """The best aimed level each community can reach within its posts maximum and the funds
    it could be given (all of the movable fund pool in shortfall mode), and the units it takes."""
    room = np.minimum(c.room, 2**31).astype(float)
    funds = c.k * c.extra_funds if c.mode is Mode.SHORTFALL else (np.inf if c.k > 0 else 0.0)
    units = np.minimum(room + funds, c.bu[:, -1])
    return c.level_at(units), units


def best_possible(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """The best aimed level each community can reach at all: its posts maximum plus any funds
    (where funds buy hours), whatever the pools. It decides whether a floor applies, so the
    floors, and with them the objective, do not depend on the pools."""
    room = np.minimum(c.room, 2**31).astype(float)
    units = np.minimum(room + (np.inf if c.k > 0 else 0.0), c.bu[:, -1])
    if c.k > 0 and not c.funds_move:  # the grid stops at the curve's end in posts
        units = c.bu[:, -1]
    return c.level_at(units), units


def _sum_phrase(values: np.ndarray, unit: str, money: bool = False) -> str:
    """'2 posts x 120 communities = 240' (grouped by value, largest group first)."""
    counts = Counter(values.tolist())

    def show(v: float) -> str:
        return f"¥{v:,.0f}" if money else f"{v:g} {unit}"

    parts = [
        f"{show(v)} x {n} {'community' if n == 1 else 'communities'}"
        for v, n in sorted(counts.items(), key=lambda item: (-item[1], -item[0]))
    ]
    total = float(values.sum())
    return f"{' + '.join(parts)} = {show(total) if money else f'{total:g}'}"


def curve_phrase(c: Compiled, i: int) -> str:
    """'its curve' or 'the lower 95% bound of its curve', as the optimiser judges it."""
    judged = "the lower 95% bound of its curve" if _judges_bound(c, i) else "its curve"
    return judged + (f" less the margin {c.problem.margin:g}" if c.problem.margin > 0 else "")


def _judges_bound(c: Compiled, i: int) -> bool:
    return Aim(c.problem.aim) is Aim.LOWER and bool(c.bounded[i])


def _check_feasible(c: Compiled) -> Compiled:
    problem = c.problem
    for cap, rows in zip(problem.caps, c.member_rows, strict=True):
        if cap.max_posts is not None and cap.max_posts < c.lo[rows].sum():
            raise InfeasibleError(
                f"posts cap {cap.max_posts} of {cap.name!r} is below the floor of "
                f"{_sum_phrase(c.lo[rows], 'posts')}",
                f"posts_cap:{cap.name}",
            )
        if cap.max_funds_yuan is not None and cap.max_funds_yuan < c.fund_floor[rows].sum() - 1e-6:
            raise InfeasibleError(
                f"funds cap ¥{cap.max_funds_yuan:,.0f} of {cap.name!r} is below the fund floors "
                f"of {_sum_phrase(c.fund_floor[rows], '', money=True)}",
                f"funds_cap:{cap.name}",
            )
    if c.mode is Mode.COST:
        targets = least_units_pwl(c.bu, c.aim, c.target)
        _unreachable(c, targets, c.target, "target", "target")
        _above_maximum(c, targets, "target")
        return replace(c, need=targets)

    if problem.posts_pool is None:
        raise ValueError("the shortfall mode needs a posts pool")
    floor_posts = int(c.lo.sum())
    if problem.posts_pool < floor_posts:
        what = "the floor" if not problem.keep_today else "the floor (today's posts kept)"
        raise InfeasibleError(
            f"posts pool {problem.posts_pool} is below {what} of {_sum_phrase(c.lo, 'posts')}",
            "posts_pool",
        )
    usable = problem.posts_pool - problem.posts_reserve
    if usable < floor_posts:
        raise InfeasibleError(
            f"posts pool {problem.posts_pool} less the reserve of {problem.posts_reserve} is "
            f"below the floor of {_sum_phrase(c.lo, 'posts')}",
            "posts_reserve",
        )
    if problem.posts_pool_exact and usable > int(c.hi.sum()):
        raise InfeasibleError(
            f"posts pool {problem.posts_pool} must be used in full but the communities' maxima "
            f"allow only {int(c.hi.sum())} posts",
            "posts_pool",
        )
    floor_funds = float(c.fund_floor.sum())
    fund_pool = floor_funds if problem.fund_pool_yuan is None else problem.fund_pool_yuan
    if fund_pool < floor_funds - 1e-6:
        raise InfeasibleError(
            f"fund pool ¥{fund_pool:,.0f} is below the fund floors of "
            f"{_sum_phrase(c.fund_floor, '', money=True)}",
            "fund_pool",
        )
    need: np.ndarray | None = None
    if problem.fairness is not None:
        required = problem.fairness * c.target
        need = least_units_pwl(c.bu, c.aim, required)
        # whether both pools together can lift everyone that far is for the solver to say
        _unreachable(c, need, required, "fairness", "fairness floor")
        _above_maximum(c, need, "fairness floor")
    floor = np.zeros(c.size)
    unfloored: list[tuple[int, str]] = []
    if problem.floor_share is not None and problem.floor_weight > 0:
        floor = problem.floor_share * c.target
        best, units = best_possible(c)
        short = np.flatnonzero(best < floor - LEVEL_TOLERANCE)
        for i in short.tolist():
            unfloored.append((i, _never_reaches(c, i, floor[i], best[i], units[i], "floor")))
        floor = np.where(best < floor - LEVEL_TOLERANCE, 0.0, floor)
    return replace(
        c,
        need=need,
        floor=floor,
        unfloored=tuple(unfloored),
        extra_posts=usable - floor_posts,
    )


def _never_reaches(c: Compiled, i: int, level: float, best: float, units: float, what: str) -> str:
    """'its curve never reaches 0.45 (its floor) within its cap: at most 0.31 with 9 posts'."""
    staff = c.x0[i] + units
    if c.hi[i] < NO_MAX and units < c.bu[i, -1] - 1e-9:
        limit = f"with its maximum of {int(c.hi[i])} posts (funds buy no hours)"
    else:
        limit = f"at the most staff measured ({staff:.3g} staff-equivalents)"
    name = {"floor": "its floor", "target": "its target"}[what]
    return (
        f"{curve_phrase(c, i)} never reaches {level:.2f} ({name}) within its cap: at most "
        f"{best:.3f} {limit}"
    )


def _unreachable(c: Compiled, need: np.ndarray, required: np.ndarray, name: str, what: str) -> None:
    bad = np.flatnonzero(~np.isfinite(need))
    if not bad.size:
        return
    i = int(bad[0])
    spec = c.problem.communities[i]
    detail = ""
    if name == "fairness":
        detail = f" ({c.problem.fairness:.0%} of its target {spec.target:.2f})"
    judged = (
        "the lower 95% bound of its response curve"
        if _judges_bound(c, i)
        else ("its response curve")
    )
    best = float(c.aim[i].max())
    raise InfeasibleError(
        f"community {spec.id}: the {what} {required[i]:.3f}{detail} is above the best "
        f"{judged} reaches, {best:.3f} at {spec.curve.staff[-1]:g} staff-equivalents"
        + (f" ({bad.size} communities in all)" if bad.size > 1 else ""),
        f"{name}:{spec.id}",
    )


def _above_maximum(c: Compiled, need: np.ndarray, what: str) -> None:
    """Where funds buy no staff (``purchase_share`` 0), posts alone must reach ``need``."""
    if c.k > 0:
        return
    room = c.room.astype(float)
    bad = np.flatnonzero(need > room + 1e-9)
    if not bad.size:
        return
    i = int(bad[0])
    posts = int(c.lo[i] + math.ceil(need[i] - 1e-9))
    raise InfeasibleError(
        f"community {c.ids[i]}: its {what} needs {posts} posts, above its maximum of "
        f"{int(c.hi[i])}, and funds buy no service hours (purchase_share is 0)"
        + (f" ({bad.size} communities in all)" if bad.size > 1 else ""),
        f"posts_max:{c.ids[i]}",
    )


def binding_constraints(c: Compiled, posts: np.ndarray, funds: np.ndarray) -> tuple[str, ...]:
    """Names of the constraints an allocation meets with equality (resource ones first).

    The fund pool is named only where funds can move (a pool equal to the floors is no choice).
    """
    problem = c.problem
    money = 1e-6 * (1.0 + float(np.max(funds, initial=0.0)))
    names: list[str] = []
    if c.mode is Mode.SHORTFALL:
        if int(posts.sum()) >= problem.posts_pool - problem.posts_reserve:  # type: ignore[operator]
            names.append("posts_pool")
        if c.funds_move and funds.sum() >= c.fund_floor.sum() + c.extra_funds - money * c.size:
            names.append("fund_pool")
    for cap, rows in zip(problem.caps, c.member_rows, strict=True):
        if cap.max_posts is not None and posts[rows].sum() >= cap.max_posts:
            names.append(f"posts_cap:{cap.name}")
        if cap.max_funds_yuan is not None and funds[rows].sum() >= cap.max_funds_yuan - money:
            names.append(f"funds_cap:{cap.name}")
    units = c.units(posts, funds)
    kept = (c.today >= 0) & (c.lo == c.today) if problem.keep_today else np.zeros(c.size, bool)
    per_community = [
        ("posts_floor", (posts <= c.lo) & ~kept),
        ("posts_today", (posts <= c.lo) & kept),
        ("posts_max", posts >= c.hi),
        ("fund_floor", funds <= c.fund_floor + money),
    ]
    if c.need is not None:
        name = "target" if c.mode is Mode.COST else "fairness"
        per_community.append((name, units <= c.need + 1e-7))
    for name, flags in per_community:
        names.extend(f"{name}:{c.ids[i]}" for i in np.flatnonzero(flags))
    return tuple(names)


def infeasible_requirement(c: Compiled) -> str:
    """The constraints to blame when the solver finds a model infeasible after the simple checks:
    the fairness floor, else the group caps, else the pools (shortfall) or targets (cost)."""
    problem = c.problem
    if c.mode is Mode.SHORTFALL and problem.fairness is not None:
        return "fairness"
    caps = [
        f"{kind}:{cap.name}"
        for cap in problem.caps
        for kind, limit in (("posts_cap", cap.max_posts), ("funds_cap", cap.max_funds_yuan))
        if limit is not None
    ]
    if caps:
        return ", ".join(caps)
    return "posts_pool" if c.mode is Mode.SHORTFALL else "target"


def describe_infeasible(c: Compiled) -> str:
    """Message for a model the solver found infeasible after the simple checks passed."""
    problem = c.problem
    parts: list[str] = []
    if c.mode is Mode.SHORTFALL:
        parts.append(f"posts pool {problem.posts_pool}")
        fund_pool = float(c.fund_floor.sum()) + c.extra_funds
        parts.append(f"fund pool ¥{fund_pool:,.0f}")
    parts.extend(f"the caps of {cap.name!r}" for cap in problem.caps)
    if not parts or bool((c.hi < NO_MAX).any()):
        parts.append("the communities' posts maxima")
    if c.mode is Mode.COST:
        return "the targets cannot all be met within " + ", ".join(parts)
    fairness = problem.fairness
    if fairness is not None:
        return (
            f"the fairness floor (every community at {fairness:.0%} of its target or more) "
            f"cannot be met within the {', '.join(parts)}"
        )
    return "no allocation meets the " + ", ".join(parts)


def as_arrays(allocation: Mapping[str, tuple[int, float]], c: Compiled) -> tuple[Any, Any]:
    """Posts and funds arrays in row order from ``{id: (posts, funds_yuan)}``."""
    posts = np.array([allocation[i][0] for i in c.ids], dtype=np.int64)
    funds = np.array([allocation[i][1] for i in c.ids], dtype=float)
    return posts, funds
