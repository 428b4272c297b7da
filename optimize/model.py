"""The allocation problem: posts and service funds across communities.

Each community gets an integer number of **posts** (社工岗; at least its party-building posts, at
most an optional maximum) and **funds** in yuan (at least its floor: the ¥200k urban / ¥100k town
standard or a lower policy floor). A post that serves adds one staff-equivalent; the policy share
of the funds buys service hours (政府购买服务) at the hour price, and ``hours_per_post_year``
of them make one more staff-equivalent, so a yuan buys
``purchase_share / hour_price / hours_per_post_year`` staff-equivalents. The community's service
level is read off its response curve.

**The posts grid.** The model samples each community's curve at its floor funds and at every whole
number of posts from its floor up: ``v_j = curve(x0 + j)`` where ``x0`` is its staff-equivalents at
the floor (serving posts plus the hours its floor funds buy). Funds above the floor add a fraction
of a post, and the level in between is the linear interpolation of ``v``. At whole posts with floor
funds this is the curve itself; in between it is the chord of a concave curve, never above it
(conservative by a hair). In return every segment is one post long, so with posts alone the LP over
the segments is integral, and a greedy marginal allocation over posts is exact. A curve says nothing
below its first staff level, so a community never gets fewer posts than it takes to reach it.

**Two modes.** ``Mode.SHORTFALL`` (fixed pools): minimise the weighted shortfall
``sum_i w_i * max(0, target_i - level_i)`` within the posts pool and the fund pool.
``Mode.COST``: meet every community's target at least total cost ``posts * post_cost + funds``;
the pools are what this mode computes, so they do not constrain it.

**Named constraints**, the same in every method, so that binding ones can be reported:
``posts_pool``, ``fund_pool``, ``posts_cap:<group>``, ``funds_cap:<group>`` and, per community,
``posts_floor:<id>``, ``posts_max:<id>``, ``fund_floor:<id>``, ``fairness:<id>`` (level at least
``fairness x target``), ``target:<id>`` (cost mode).

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

from jiedao.optimize.curves import TOLERANCE, Curve

if TYPE_CHECKING:
    from jiedao.scenarios.model import Scenario

NO_MAX = 2**40  # posts maximum of a community that has none
LEVEL_TOLERANCE = 1e-9


class Mode(StrEnum):
    SHORTFALL = "shortfall"
    COST = "cost"


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


@dataclass(frozen=True)
class GroupCap:
    """At most ``max_posts`` posts and ``max_funds_yuan`` funds over a group (street, district)."""

    name: str
    members: tuple[str, ...]
    max_posts: int | None = None
    max_funds_yuan: float | None = None


@dataclass(frozen=True)
class Problem:
    """Communities, pools and side constraints. ``fund_pool_yuan=None``: funds stay at floors."""

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
) -> Problem:
    """Build a problem from a scenario and one curve per community id.

    ``target`` defaults to the window target share; ``weights`` are ``"households"``, ``"equal"``
    or a mapping; fund floors are ``fund_floor_share`` x the standard for the community's type.
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
            )
        )
    return Problem(
        communities=tuple(communities),
        posts_pool=budget.posts_pool if posts_pool is None else posts_pool,
        fund_pool_yuan=budget.fund_pool_yuan if fund_pool_yuan is None else fund_pool_yuan,
        post_cost_yuan=budget.post_cost_yuan,
        purchase_share=budget.purchase_share,
        hour_price_yuan=budget.hour_price_yuan,
        hours_per_post_year=budget.hours_per_post_year,
        caps=tuple(caps),
        fairness=fairness,
    )


# --- the compiled arrays every method works on ----------------------------------------------------


@dataclass(frozen=True, eq=False)
class Compiled:
    """A problem as arrays over the posts grid (see the module docstring).

    ``units`` (``u``) count posts above the floor plus funds above the floor in posts: a community
    at ``u`` has service level ``interp(u, 0..G-1, levels[i])``.
    """

    problem: Problem
    mode: Mode
    ids: tuple[str, ...]
    lo: np.ndarray  # posts floor, raised where the curve starts higher
    hi: np.ndarray  # posts maximum (NO_MAX when none)
    nonserving: np.ndarray
    fund_floor: np.ndarray  # yuan
    k: float  # staff-equivalents per yuan
    x0: np.ndarray  # staff-equivalents at the floors
    levels: np.ndarray  # (n, G) level at u = 0..G-1, flat after the curve's end
    top: np.ndarray  # grid index from which a community's level stops rising
    target: np.ndarray
    weight: np.ndarray
    need: np.ndarray | None  # least u meeting the target (cost) or the fairness floor
    extra_posts: int  # posts pool above the floors (shortfall mode)
    extra_funds: float  # fund pool above the floors (shortfall mode)
    member_rows: tuple[np.ndarray, ...]  # rows of each cap's members

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def grid(self) -> int:
        return int(self.levels.shape[1])

    def units(self, posts: np.ndarray, funds: np.ndarray) -> np.ndarray:
        return (posts - self.lo) + self.k * (funds - self.fund_floor)

    def level_at(self, units: np.ndarray) -> np.ndarray:
        """Service level of every community at ``units`` (clamped to the grid)."""
        u = np.clip(np.asarray(units, dtype=float), 0.0, self.grid - 1)
        j = np.minimum(np.floor(u).astype(np.int64), self.grid - 2)
        rows = np.arange(self.size)
        left = self.levels[rows, j]
        return left + (self.levels[rows, j + 1] - left) * (u - j)

    def objective(self, posts: np.ndarray, funds: np.ndarray) -> float:
        """Weighted shortfall (shortfall mode) or total cost in yuan (cost mode)."""
        if self.mode is Mode.COST:
            return float(np.sum(posts) * self.problem.post_cost_yuan + np.sum(funds))
        level = self.level_at(self.units(posts, funds))
        return float(np.sum(self.weight * np.maximum(0.0, self.target - level)))


def compile_problem(problem: Problem, mode: Mode | str = Mode.SHORTFALL) -> Compiled:
    """Validate the curves, sample them on the posts grid and check simple feasibility."""
    mode = Mode(mode)
    specs = problem.communities
    n = len(specs)
    k = problem.staff_per_yuan
    width = max(2, max(len(c.curve) for c in specs))
    staff = np.empty((n, width))
    level = np.empty((n, width))
    for i, c in enumerate(specs):
        m = len(c.curve)
        staff[i, :m] = c.curve.staff
        level[i, :m] = c.curve.level
        if m < width:  # flat continuation, one staff apart
            staff[i, m:] = c.curve.staff[-1] + np.arange(1, width - m + 1)
            level[i, m:] = c.curve.level[-1]
    _check_curves(specs, staff, level)

    floor = np.fromiter((c.posts_floor for c in specs), np.int64, n)
    nonserving = np.fromiter((c.nonserving_posts for c in specs), np.int64, n)
    fund_floor = np.fromiter((c.fund_floor_yuan for c in specs), float, n)
    hi = np.fromiter((NO_MAX if c.posts_max is None else c.posts_max for c in specs), np.int64, n)
    start = np.fromiter((c.curve.staff[0] for c in specs), float, n)
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
    x0 = lo - nonserving + k * fund_floor
    span = np.maximum(1, np.ceil(end - x0 - TOLERANCE).astype(np.int64))
    grid = int(span.max()) + 1
    levels = _interpolate_rows(staff, level, x0[:, None] + np.arange(grid)[None, :])
    rising = np.diff(levels, axis=1) > LEVEL_TOLERANCE
    top = np.where(rising.any(axis=1), grid - 1 - np.argmax(rising[:, ::-1], axis=1), 0)

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
        levels=levels,
        top=top,
        target=target,
        weight=weight,
        need=None,
        extra_posts=0,
        extra_funds=0.0,
        member_rows=member_rows,
    )
    return _check_feasible(compiled)


def _interpolate_rows(staff: np.ndarray, level: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Row-wise piecewise-linear interpolation, flat beyond both ends."""
    width = staff.shape[1]
    index = (staff[:, None, :] <= query[:, :, None]).sum(axis=2) - 1
    index = np.clip(index, 0, width - 2)
    left = np.take_along_axis(staff, index, axis=1)
    right = np.take_along_axis(staff, index + 1, axis=1)
    low = np.take_along_axis(level, index, axis=1)
    high = np.take_along_axis(level, index + 1, axis=1)
    share = np.clip((query - left) / (right - left), 0.0, 1.0)
    return low + (high - low) * share


def _check_curves(specs: Sequence[CommunitySpec], staff: np.ndarray, level: np.ndarray) -> None:
    rise = np.diff(level, axis=1)
    slope = rise / np.diff(staff, axis=1)
    falling = (rise < -TOLERANCE).any(axis=1)
    convex = (np.diff(slope, axis=1) > TOLERANCE).any(axis=1)
    for flags, what in ((falling, "falls with more staff"), (convex, "is not concave")):
        bad = np.flatnonzero(flags)
        if bad.size:
            raise ValueError(
                f"the response curve of community {specs[bad[0]].id} {what} "
                f"({bad.size} such curves); fit it with optimize.curves.fit_concave"
            )


def least_units(levels: np.ndarray, required: np.ndarray) -> np.ndarray:
    """Least u at which each row's interpolated level reaches ``required`` (inf if never)."""
    reached = levels >= required[:, None] - LEVEL_TOLERANCE
    first = np.argmax(reached, axis=1)
    rows = np.arange(levels.shape[0])
    before = np.maximum(first - 1, 0)
    low, high = levels[rows, before], levels[rows, first]
    step = np.where(high > low, (required - low) / np.where(high > low, high - low, 1.0), 0.0)
    units = np.where(first == 0, 0.0, before + np.clip(step, 0.0, 1.0))
    return np.where(reached.any(axis=1), units, np.inf)


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
        targets = least_units(c.levels, c.target)
        _unreachable(c, targets, c.target, "target", "target")
        _above_maximum(c, targets, "target")
        return replace(c, need=targets)

    if problem.posts_pool is None:
        raise ValueError("the shortfall mode needs a posts pool")
    floor_posts = int(c.lo.sum())
    if problem.posts_pool < floor_posts:
        raise InfeasibleError(
            f"posts pool {problem.posts_pool} is below the floor of {_sum_phrase(c.lo, 'posts')}",
            "posts_pool",
        )
    if problem.posts_pool_exact and problem.posts_pool > int(c.hi.sum()):
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
        need = least_units(c.levels, required)
        # whether both pools together can lift everyone that far is for the solver to say
        _unreachable(c, need, required, "fairness", "fairness floor")
        _above_maximum(c, need, "fairness floor")
    return replace(
        c,
        need=need,
        extra_posts=problem.posts_pool - floor_posts,
        extra_funds=max(0.0, fund_pool - floor_funds),
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
    raise InfeasibleError(
        f"community {spec.id}: the {what} {required[i]:.3f}{detail} is above the best its "
        f"response curve reaches, {spec.curve.level[-1]:.3f} at {spec.curve.staff[-1]:g} "
        f"staff-equivalents" + (f" ({bad.size} communities in all)" if bad.size > 1 else ""),
        f"{name}:{spec.id}",
    )


def _above_maximum(c: Compiled, need: np.ndarray, what: str) -> None:
    """Where funds buy no staff (``purchase_share`` 0), posts alone must reach ``need``."""
    if c.k > 0:
        return
    room = (c.hi - c.lo).astype(float)
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
    """Names of the constraints an allocation meets with equality (resource ones first)."""
    problem = c.problem
    money = 1e-6 * (1.0 + float(np.max(funds, initial=0.0)))
    names: list[str] = []
    if c.mode is Mode.SHORTFALL:
        if int(posts.sum()) >= problem.posts_pool:  # type: ignore[operator]
            names.append("posts_pool")
        if funds.sum() >= c.fund_floor.sum() + c.extra_funds - money * c.size:
            names.append("fund_pool")
    for cap, rows in zip(problem.caps, c.member_rows, strict=True):
        if cap.max_posts is not None and posts[rows].sum() >= cap.max_posts:
            names.append(f"posts_cap:{cap.name}")
        if cap.max_funds_yuan is not None and funds[rows].sum() >= cap.max_funds_yuan - money:
            names.append(f"funds_cap:{cap.name}")
    units = c.units(posts, funds)
    per_community = [
        ("posts_floor", posts <= c.lo),
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
