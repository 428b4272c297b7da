"""Response curves: how a community's service level grows with its staff.

A response curve gives, at a few staffing levels, the community's service level: the share of its
demand that meets the target (0-1), with an optional 95% half-width (``ci95``) or an explicit lower
95% bound (``lower``) per point. Staff are *staff-equivalents*: serving posts plus purchased service
hours converted at the hours of a post-year. Between measured points the level is the linear
interpolation of the two neighbouring points; beyond the last point it stays at the last level
(more staff than the curve knows about earns nothing); below the first point the curve says
nothing, and the optimiser never staffs a community below it.

**Exact on the measured points** (the optimiser's default, ``shape="measured"``). Measured points
are noisy, and near a queueing cliff they are S-shaped: the level rises slowly, then steeply, then
flattens (0.16 -> 0.55 -> 0.99 over two posts). The optimiser allocates on the points themselves,
made monotone *without lifting any point*: :meth:`Curve.monotone` lowers each point to the smallest
level measured at or above its staffing (a running minimum from the right), so a dip caused by
noise pulls the points before it down to it and nothing is ever promised that a larger staffing did
not show. A curve that already is non-decreasing comes back unchanged. The allocation over such
curves is not concave; :mod:`optimize.milp` solves it exactly (one binary per curve segment) and
:mod:`optimize.decompose` with a certified gap.

**The lower bound.** The check judges "met" on the lower 95% bound of a community's level, so the
optimiser aims at the curve's lower bound (:attr:`Curve.lower`: the given bounds, else
``level - ci95``, else the level itself), made monotone the same way (:meth:`Curve.bound`).

**The concave fit** (``shape="concave"``, kept as an option): :func:`fit_concave` makes the points
monotone and concave, which is what the old allocation needed, at the price of promising service
the simulation did not show where the curve is S-shaped: :func:`lift` says by how much.

``method="lsq"`` (the default, for simulated or observed points)
    the weighted least-squares projection of the points onto the monotone concave sequences on the
    same staff grid: minimise ``sum w_j (z_j - y_j)**2`` subject to non-increasing, non-negative
    slopes. Written with slopes ``s_j = t_j + t_{j+1} + ...`` (``t >= 0``) it is a bounded linear
    least-squares problem, solved exactly by ``scipy.optimize.lsq_linear`` (BVLS). Weights are the
    inverse variances ``(1.96 / ci95)**2`` when confidence intervals are known. A curve that already
    is monotone and concave comes back unchanged (it is its own projection). Levels above 1 are
    clipped, which keeps the fit monotone and concave. On an S-shaped curve it lifts the points at
    the foot of the cliff (Jilu 1 at 6 staff: 0.138 -> 0.469).

``method="majorant"``
    isotonic regression (pool-adjacent-violators) and then the least concave majorant (the upper
    hull). Meant for exact analytic curves such as :func:`erlang_curve`, whose S shape (zero until
    the queue is stable, then a jump) is not concave: the majorant is the tightest concave
    relaxation and agrees with the curve at its hull vertices.

The analytic screening curve is Erlang C: for an M/M/c queue with arrival rate ``lambda``, mean
service time ``1/mu`` and ``c`` servers, ``P(wait <= t) = 1 - C(c, a) exp(-(c mu - lambda) t)``,
with ``a = lambda / mu`` and ``C`` the Erlang C probability of waiting; 0 when ``c <= a`` (the
queue is unstable, so in the long run nobody is served within any target).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

TOLERANCE = 1e-9


def running_min_right(values: np.ndarray) -> np.ndarray:
    """Each value lowered to the smallest value at or after it (along the last axis)."""
    return np.minimum.accumulate(np.asarray(values, dtype=float)[..., ::-1], axis=-1)[..., ::-1]


@dataclass(frozen=True, eq=False)
class Curve:
    """Service level (0-1) at increasing staff-equivalents, with optional 95% CI half-widths or
    explicit lower 95% bounds (``lower`` wins when both are given)."""

    staff: np.ndarray
    level: np.ndarray
    ci95: np.ndarray | None = None
    lower_bound: np.ndarray | None = None

    def __post_init__(self) -> None:
        staff = np.array(self.staff, dtype=float)
        level = np.array(self.level, dtype=float)
        if staff.ndim != 1 or staff.shape != level.shape or staff.size == 0:
            raise ValueError("a curve needs equally many staff and level values, at least one")
        if not np.isfinite(staff.sum() + level.sum()):
            raise ValueError("curve staff and levels must be finite")
        if staff.size > 1 and (staff[1:] <= staff[:-1]).any():
            raise ValueError(f"curve staff must be strictly increasing, got {staff.tolist()}")
        if staff[0] < 0:
            raise ValueError(f"curve staff must be >= 0, got {staff[0]:g}")
        level = _unit_interval(level, "service levels")
        ci95 = None
        if self.ci95 is not None:
            ci95 = np.array(self.ci95, dtype=float)
            if ci95.shape != staff.shape:
                raise ValueError("ci95 must have one value per staff level")
            ci95 = np.where(np.isfinite(ci95), np.maximum(ci95, 0.0), 0.0)
            ci95.flags.writeable = False
        bound = None
        if self.lower_bound is not None:
            bound = np.array(self.lower_bound, dtype=float)
            if bound.shape != staff.shape:
                raise ValueError("lower bounds must have one value per staff level")
            bound = np.minimum(_unit_interval(bound, "lower bounds"), level)
            bound.flags.writeable = False
        staff.flags.writeable = False
        level.flags.writeable = False
        object.__setattr__(self, "staff", staff)
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "ci95", ci95)
        object.__setattr__(self, "lower_bound", bound)

    def __call__(self, staff: float | np.ndarray) -> float | np.ndarray:
        """Level at any staff-equivalents: linear between points, flat beyond the ends."""
        value = np.interp(staff, self.staff, self.level)
        return float(value) if np.ndim(value) == 0 else value

    def __len__(self) -> int:
        return int(self.staff.size)

    def __repr__(self) -> str:
        points = ", ".join(f"{s:g}: {v:.3f}" for s, v in zip(self.staff, self.level, strict=True))
        return f"Curve({{{points}}})"

    @property
    def max_level(self) -> float:
        return float(self.level[-1] if self.is_monotone() else self.level.max())

    @property
    def has_bounds(self) -> bool:
        """Whether the curve knows its uncertainty (half-widths or lower bounds)."""
        return self.ci95 is not None or self.lower_bound is not None

    @property
    def lower(self) -> np.ndarray:
        """Lower 95% bound per point: as given, else ``level - ci95`` (clipped), else the level."""
        if self.lower_bound is not None:
            return self.lower_bound
        if self.ci95 is not None:
            return np.clip(self.level - self.ci95, 0.0, 1.0)
        return self.level

    def slopes(self) -> np.ndarray:
        """Level gained per staff-equivalent on each segment."""
        return np.diff(self.level) / np.diff(self.staff)

    def is_monotone(self, tol: float = TOLERANCE) -> bool:
        return bool(np.all(np.diff(self.level) >= -tol))

    def is_concave(self, tol: float = TOLERANCE) -> bool:
        return bool(np.all(np.diff(self.slopes()) <= tol))

    def monotone(self) -> Curve:
        """This curve made non-decreasing without lifting any point: each level (and each lower
        bound) lowered to the smallest measured at or above its staffing."""
        if self.is_monotone(tol=0.0) and (
            self.lower_bound is None or bool(np.all(np.diff(self.lower_bound) >= 0))
        ):
            return self
        level = running_min_right(self.level)
        bound = None if not self.has_bounds else running_min_right(self.lower)
        return Curve(self.staff, level, self.ci95, bound)

    def bound(self) -> Curve:
        """The lower 95% bound as a curve of its own, made monotone without lifting."""
        return Curve(self.staff, running_min_right(self.lower))

    def concave(self, method: Literal["lsq", "majorant"] = "lsq") -> Curve:
        """This curve made monotone and concave (see the module docstring)."""
        return fit_concave(self.staff, self.level, ci95=self.ci95, method=method)


def _unit_interval(values: np.ndarray, what: str) -> np.ndarray:
    low, high = values.min(), values.max()
    if low < -TOLERANCE or high > 1 + TOLERANCE:
        raise ValueError(f"{what} must lie in 0-1, got {values.tolist()}")
    if low < 0 or high > 1:
        values = values.clip(0.0, 1.0)
    return values


def lift(raw: Curve | np.ndarray, shaped: Curve | np.ndarray) -> float:
    """How far ``shaped`` lies above ``raw`` at the measured points (0 when it lifts none)."""
    a = raw.level if isinstance(raw, Curve) else np.asarray(raw, dtype=float)
    b = shaped.level if isinstance(shaped, Curve) else np.asarray(shaped, dtype=float)
    return float(max(0.0, np.max(b - a)))


def fit_concave(
    staff: Sequence[float] | np.ndarray,
    level: Sequence[float] | np.ndarray,
    *,
    ci95: Sequence[float] | np.ndarray | None = None,
    weights: Sequence[float] | np.ndarray | None = None,
    method: Literal["lsq", "majorant"] = "lsq",
) -> Curve:
    """Fit a monotone non-decreasing, concave curve to measured points.

    ``weights`` default to inverse variances from ``ci95`` when given, else equal. Points that
    already are monotone and concave are returned unchanged.
    """
    x = np.asarray(staff, dtype=float)
    y = np.asarray(level, dtype=float)
    half_widths = None if ci95 is None else np.asarray(ci95, dtype=float)
    raw = Curve(x, np.clip(y, 0.0, 1.0), half_widths)
    if raw.is_monotone() and raw.is_concave():
        return raw
    w = _weights(x.size, half_widths, weights)
    if method == "lsq":
        fitted = _project_monotone_concave(x, y, w)
    elif method == "majorant":
        fitted = _concave_majorant(x, _isotonic(y, w))
    else:
        raise ValueError(f"unknown fitting method {method!r}; use 'lsq' or 'majorant'")
    return Curve(x, np.clip(fitted, 0.0, 1.0), half_widths)


def _weights(
    size: int, ci95: Sequence[float] | np.ndarray | None, weights: Iterable[float] | None
) -> np.ndarray:
    if weights is not None:
        w = np.asarray(list(weights), dtype=float)
    elif ci95 is not None:
        half = np.asarray(ci95, dtype=float)
        positive = half[np.isfinite(half) & (half > 0)]
        floor = positive.min() if positive.size else 1.0
        # a CI of 0 (all replications agree) would get infinite weight: use the tightest one seen
        w = (1.96 / np.where(np.isfinite(half) & (half > 0), half, floor)) ** 2
    else:
        w = np.ones(size)
    if w.shape != (size,) or np.any(w <= 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be positive, one per point")
    return w


def _project_monotone_concave(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """argmin sum w (z - y)^2 over z with non-increasing, non-negative slopes on the grid x."""
    from scipy.optimize import lsq_linear  # scipy.optimize takes a third of a second to import

    if x.size == 1:
        return y.copy()
    # z_i = a + sum_m t_m * (x[min(i, m + 1)] - x[0]), a in [0, 1], t_m >= 0
    size = x.size
    design = np.zeros((size, size))
    design[:, 0] = 1.0
    index = np.arange(size)
    for m in range(size - 1):
        design[:, 1 + m] = x[np.minimum(index, m + 1)] - x[0]
    root = np.sqrt(w)
    lower = np.zeros(size)
    upper = np.full(size, np.inf)
    upper[0] = 1.0
    fit = lsq_linear(
        design * root[:, None], y * root, bounds=(lower, upper), method="bvls", tol=1e-12
    )
    return np.asarray(design @ fit.x)


def _isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted isotonic (non-decreasing) regression by pool-adjacent-violators."""
    means: list[float] = []
    masses: list[float] = []
    counts: list[int] = []
    for value, weight in zip(y, w, strict=True):
        means.append(float(value))
        masses.append(float(weight))
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            mass = masses[-2] + masses[-1]
            mean = (means[-2] * masses[-2] + means[-1] * masses[-1]) / mass
            count = counts[-2] + counts[-1]
            del means[-1], masses[-1], counts[-1]
            means[-1], masses[-1], counts[-1] = mean, mass, count
    return np.repeat(means, counts)


def _concave_majorant(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least concave majorant (upper hull) of the points, evaluated on x."""
    hull: list[int] = []
    for i in range(x.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b when it lies on or below the chord from a to i
            if (y[b] - y[a]) * (x[i] - x[a]) <= (y[i] - y[a]) * (x[b] - x[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return np.interp(x, x[hull], y[hull])


# --- Erlang C screening ---------------------------------------------------------------------------


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (1 when the queue is unstable)."""
    if servers < 0 or offered_load < 0:
        raise ValueError("servers and offered load must be >= 0")
    if servers == 0 or offered_load >= servers:
        return 1.0
    if offered_load == 0:
        return 0.0
    blocking = 1.0  # Erlang B by the stable recursion B(c) = a B(c-1) / (c + a B(c-1))
    for c in range(1, servers + 1):
        blocking = offered_load * blocking / (c + offered_load * blocking)
    return servers * blocking / (servers - offered_load * (1.0 - blocking))


def wait_within_probability(
    servers: int, arrival_rate: float, mean_service_time: float, target_wait: float
) -> float:
    """P(wait <= target_wait) in a stable M/M/c queue; 0 when it is unstable.

    Rates and times share one unit (e.g. arrivals per minute, minutes).
    """
    if arrival_rate < 0 or mean_service_time <= 0 or target_wait < 0:
        raise ValueError("need arrival_rate >= 0, mean_service_time > 0 and target_wait >= 0")
    load = arrival_rate * mean_service_time
    if servers <= load and arrival_rate > 0:
        return 0.0
    if arrival_rate == 0:
        return 1.0
    waits = erlang_c(servers, load)
    decay = servers / mean_service_time - arrival_rate
    return 1.0 - waits * math.exp(-decay * target_wait)


def erlang_curve(
    arrival_rate: float,
    mean_service_time: float,
    target_wait: float,
    staff_min: int = 0,
    staff_max: int = 11,
) -> Curve:
    """Analytic screening curve: M/M/c service level at c = staff_min..staff_max."""
    if not 0 <= staff_min <= staff_max:
        raise ValueError("need 0 <= staff_min <= staff_max")
    staff = np.arange(staff_min, staff_max + 1)
    level = [
        wait_within_probability(int(c), arrival_rate, mean_service_time, target_wait) for c in staff
    ]
    return Curve(staff.astype(float), np.asarray(level))
