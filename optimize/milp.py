"""The exact model: a MILP over the measured curves, every side constraint named, city scale.

The model is built once as arrays (:class:`LinearModel`: column costs and bounds, integrality, the
constraint matrix by rows, row bounds, our names for the rows that matter) and handed to HiGHS
through highspy (the default: the same solver PuLP would call, without PuLP's per-variable Python
loop, and with the LP relaxation, duals and ranging on the same object) or to any PuLP solver
(``"CBC"`` is bundled with PuLP).

Variables per community: integer ``posts`` (total, party-building posts included) and continuous
``funds`` in units of ¥10,000 (万元; it keeps the coefficients near 1 and makes a fund dual read
directly as "per ¥10,000"). Its units above the floors are
``u = posts - lo + k10 * (funds - floor)``.

**Shortfall mode** minimises ``sum_i w_i (s_i + floor_weight r_i)``: ``s_i`` the shortfall from
the target, ``r_i`` from the floor. The aimed curve (:mod:`optimize.model`) is written in the
*incremental* form: one continuous ``d_ij`` per curve segment below the target (``0 <= d_ij <=
len_ij``), ``sum_j d_ij <= u_i``, level ``v_i0 + sum_j slope_ij d_ij``, ``s_i >= target - level``,
``r_i >= floor - level``. Where a community's segments are concave (slopes non-increasing) the
steepest fill first by themselves and no binary is needed. Where they are not (an S-shaped curve:
slow, then steep), one binary ``z_ij`` per segment orders them: ``d_ij >= len_ij z_ij`` and
``d_i,j+1 <= len_i,j+1 z_ij`` (a segment is used only once the one before is full), which makes
the level exactly the curve's at ``u``, never the concave envelope's. The LP relaxation of this
form is the concave envelope of each curve; :mod:`optimize.sensitivity` compares the two.

**Cost mode** minimises ``posts * post_cost + funds`` subject to ``u_i >= need_i``, the least units
at which the aimed curve reaches the target; monotone curves make that exact without binaries.

Row names follow :mod:`optimize.model` (``posts_pool``, ``fund_pool``, ``posts_cap:<g>``,
``funds_cap:<g>``, ``target:<id>``, ``fairness:<id>``); the floors and maxima are column bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from jiedao.optimize.model import NO_MAX, Compiled, Mode

if TYPE_CHECKING:
    from jiedao.optimize.solve import Status

WAN = 10_000.0  # yuan in a fund unit
INF = math.inf
RESOURCE_UNITS = {"posts_pool": "post", "fund_pool": "¥10,000"}


@dataclass(eq=False)
class LinearModel:
    """A minimisation ``min cost x`` over ``col_lower <= x <= col_upper``,
    ``row_lower <= A x <= row_upper``, with ``A`` by rows (``start``, ``index``, ``value``)."""

    compiled: Compiled
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    names: dict[str, int]  # our name -> row
    units: dict[str, str]  # unit of each named row's right-hand side
    offset: float = 0.0  # objective constant (model units)
    binaries: int = 0
    scale: float = 1.0  # model objective units -> ours (yuan in cost mode)
    # per community: its segment columns, their lengths and slopes, its binaries (a start)
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )
    short_cols: np.ndarray | None = None
    deep_cols: np.ndarray | None = None  # -1 where a community has no floor column

    @property
    def num_col(self) -> int:
        return int(self.cost.size)

    @property
    def num_row(self) -> int:
        return int(self.row_lower.size)

    def allocation(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posts (rounded) and funds in yuan (not below the floors) from a solution."""
        c = self.compiled
        posts = np.rint(x[: c.size]).astype(np.int64)
        funds = np.round(x[c.size : 2 * c.size] * WAN, 6)
        return np.clip(posts, c.lo, c.hi), np.maximum(funds, c.fund_floor)

    def solution_for(self, posts: np.ndarray, funds: np.ndarray) -> np.ndarray:
        """A full column vector for an allocation (a start for the MILP): segments filled in
        order up to the units, binaries where a segment is full, shortfalls read off."""
        c = self.compiled
        x = np.zeros(self.num_col)
        x[: c.size] = posts
        x[c.size : 2 * c.size] = funds / WAN
        if self.short_cols is None or self.deep_cols is None:
            return x
        units = c.units(posts, funds)
        for i, (cols, lengths, slopes, binaries) in enumerate(self.pieces):
            fill = np.clip(units[i] - (np.cumsum(lengths) - lengths), 0.0, lengths)
            x[cols] = fill
            if binaries.size:
                x[binaries] = (fill[:-1] >= lengths[:-1] - 1e-12).astype(float)
                x[cols[1:]] = np.where(x[binaries] > 0, fill[1:], 0.0)
            level = c.aim[i, 0] + float(slopes @ x[cols])
            x[self.short_cols[i]] = max(0.0, c.target[i] - level)
            if self.deep_cols[i] >= 0:
                x[self.deep_cols[i]] = max(0.0, c.floor[i] - level)
        return x

    def rhs(self, name: str) -> float:
        """Right-hand side of a named row in its natural unit (posts, yuan)."""
        row = self.names[name]
        value = self.row_upper[row] if math.isfinite(self.row_upper[row]) else self.row_lower[row]
        return float(value) * (WAN if self.units[name] == "¥10,000" else 1.0)

    def row_sense(self, name: str) -> str:
        row = self.names[name]
        low, high = self.row_lower[row], self.row_upper[row]
        if low == high:
            return "="
        return "<=" if math.isfinite(high) else ">="


class _Rows:
    """Rows gathered as (columns, coefficients, lower, upper)."""

    def __init__(self) -> None:
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, cols: Any, vals: Any, lower: float, upper: float) -> int:
        self.cols.append(np.asarray(cols, dtype=np.int32))
        self.vals.append(np.asarray(vals, dtype=float))
        self.lower.append(float(lower))
        self.upper.append(float(upper))
        return len(self.lower) - 1

    def arrays(self) -> tuple[np.ndarray, ...]:
        lengths = np.fromiter((c.size for c in self.cols), np.int64, len(self.cols))
        start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        index = np.concatenate(self.cols) if self.cols else np.zeros(0, np.int32)
        value = np.concatenate(self.vals) if self.vals else np.zeros(0)
        return start, index, value, np.array(self.lower), np.array(self.upper)


@dataclass
class _Columns:
    cost: list[np.ndarray] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, cost: Any, lower: Any, upper: Any, integer: bool = False) -> np.ndarray:
        cost = np.atleast_1d(np.asarray(cost, dtype=float))
        size = cost.size
        self.cost.append(cost)
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (size,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (size,)).copy())
        self.integer.append(np.full(size, integer))
        first = self.count
        self.count += size
        return np.arange(first, first + size)


def segments(c: Compiled) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The curve segments below each target: (rows, lengths, slopes, concave per community).

    Segments are truncated where the aimed level crosses the target, zero-length ones dropped,
    and flat ones after a community's last rise dropped (they add nothing).
    """
    length = np.diff(c.bu, axis=1)
    start, end = c.aim[:, :-1], c.aim[:, 1:]
    target = c.target[:, None]
    keep = (length > 1e-12) & (start < target - 1e-12)
    crossing = end > target
    share = np.where(crossing, (target - start) / np.where(end > start, end - start, 1.0), 1.0)
    length = np.where(crossing, length * np.clip(share, 0.0, 1.0), length)
    rise = np.minimum(end, target) - start
    rising = keep & (rise > 1e-12)
    last_rise = np.where(
        rising.any(axis=1), rising.shape[1] - 1 - np.argmax(rising[:, ::-1], axis=1), -1
    )
    keep &= np.arange(keep.shape[1])[None, :] <= last_rise[:, None]
    slope = np.where(keep, rise / np.where(length > 0, length, 1.0), 0.0)
    # concave: kept slopes non-increasing in order
    concave = np.ones(c.size, dtype=bool)
    previous = np.full(c.size, np.inf)
    for j in range(keep.shape[1]):
        here = keep[:, j]
        concave &= ~here | (slope[:, j] <= previous + 1e-12)
        previous = np.where(here, slope[:, j], previous)
    rows, cols = np.nonzero(keep)
    return rows, length[rows, cols], slope[rows, cols], concave


def build_model(c: Compiled) -> LinearModel:
    """The linear model of a compiled problem (see the module docstring)."""
    problem = c.problem
    n = c.size
    k10 = c.k * WAN
    columns = _Columns()
    rows = _Rows()
    names: dict[str, int] = {}
    units: dict[str, str] = {}
    floor_wan = c.fund_floor / WAN
    post_upper = np.where(c.hi >= NO_MAX, INF, c.hi.astype(float))
    cost_mode = c.mode is Mode.COST
    posts = columns.add(
        np.full(n, problem.post_cost_yuan / WAN if cost_mode else 0.0),
        c.lo.astype(float),
        post_upper,
        integer=True,
    )
    funds_free = c.funds_move
    funds = columns.add(
        np.full(n, 1.0 if cost_mode else 0.0),
        floor_wan,
        np.full(n, INF) if funds_free else floor_wan,
    )
    offset = c.lo + k10 * floor_wan  # u = posts + k10 funds - offset
    binaries = 0
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    short_cols = deep_cols = None

    def named(name: str, row: int, unit: str) -> None:
        names[name] = row
        units[name] = unit

    if not cost_mode:
        seg_rows, seg_len, seg_slope, concave = segments(c)
        start = c.aim[:, 0]
        gap = np.maximum(0.0, c.target - start)
        deep_gap = np.maximum(0.0, c.floor - start)
        short = columns.add(c.weight.copy(), 0.0, gap)
        deep_rows = np.flatnonzero(deep_gap > 0)
        deep = columns.add(c.weight[deep_rows] * c.floor_weight, 0.0, deep_gap[deep_rows])
        deep_of = np.full(n, -1)
        deep_of[deep_rows] = deep
        short_cols, deep_cols = short, deep_of
        d = columns.add(np.zeros(seg_rows.size), 0.0, seg_len)
        order = np.argsort(seg_rows, kind="stable")
        bounds = np.searchsorted(seg_rows[order], np.arange(n + 1))
        for i in range(n):
            mine = d[order[bounds[i] : bounds[i + 1]]]
            slopes = seg_slope[order[bounds[i] : bounds[i + 1]]]
            lengths = seg_len[order[bounds[i] : bounds[i + 1]]]
            # sum d <= u:  posts + k10 funds - sum d >= offset
            rows.add(
                np.concatenate([[posts[i], funds[i]], mine]),
                np.concatenate([[1.0, k10], -np.ones(mine.size)]),
                float(offset[i]),
                INF,
            )
            if gap[i] > 0:
                rows.add(
                    np.concatenate([[short[i]], mine]), np.concatenate([[1.0], slopes]), gap[i], INF
                )
            if deep_of[i] >= 0:
                rows.add(
                    np.concatenate([[deep_of[i]], mine]),
                    np.concatenate([[1.0], slopes]),
                    deep_gap[i],
                    INF,
                )
            z = np.zeros(0, dtype=np.int64)
            if not concave[i] and mine.size > 1:
                z = columns.add(np.zeros(mine.size - 1), 0.0, 1.0, integer=True)
                binaries += z.size
                for j in range(mine.size - 1):
                    rows.add([mine[j], z[j]], [1.0, -lengths[j]], 0.0, INF)
                    rows.add([mine[j + 1], z[j]], [1.0, -lengths[j + 1]], -INF, 0.0)
            pieces.append((mine, lengths, slopes, z))
        assert problem.posts_pool is not None
        usable = float(problem.posts_pool - problem.posts_reserve)
        row = rows.add(posts, np.ones(n), usable if problem.posts_pool_exact else -INF, usable)
        named("posts_pool", row, "post")
        if funds_free:
            pool = (float(c.fund_floor.sum()) + c.extra_funds) / WAN
            named("fund_pool", rows.add(funds, np.ones(n), -INF, pool), "¥10,000")
    if c.need is not None:
        name = "target" if cost_mode else "fairness"
        for i in range(n):
            row = rows.add([posts[i], funds[i]], [1.0, k10], float(c.need[i] + offset[i]), INF)
            named(f"{name}:{c.ids[i]}", row, "units")
    for cap, members in zip(problem.caps, c.member_rows, strict=True):
        if cap.max_posts is not None:
            row = rows.add(posts[members], np.ones(members.size), -INF, cap.max_posts)
            named(f"posts_cap:{cap.name}", row, "post")
        if cap.max_funds_yuan is not None:
            row = rows.add(funds[members], np.ones(members.size), -INF, cap.max_funds_yuan / WAN)
            named(f"funds_cap:{cap.name}", row, "¥10,000")
    start_, index, value, lower, upper = rows.arrays()
    return LinearModel(
        compiled=c,
        cost=np.concatenate(columns.cost),
        col_lower=np.concatenate(columns.lower),
        col_upper=np.concatenate(columns.upper),
        integer=np.concatenate(columns.integer),
        start=start_,
        index=index,
        value=value,
        row_lower=lower,
        row_upper=upper,
        names=names,
        units=units,
        offset=0.0,
        binaries=binaries,
        scale=WAN if cost_mode else 1.0,
        pieces=pieces,
        short_cols=short_cols,
        deep_cols=deep_cols,
    )


# --- solving --------------------------------------------------------------------------------------


@dataclass
class Solution:
    status: Status
    x: np.ndarray | None
    objective: float | None  # model units
    bound: float | None  # the solver's dual bound (model units), MILP
    row_dual: np.ndarray | None  # d objective / d row bound (minimisation), LP only
    log: str
    session: Any = None  # the solver object, for re-solves and ranging (highspy)


class HighsSession:
    """A model loaded into highspy: solve, move a right-hand side, re-solve warm, range."""

    def __init__(self, model: LinearModel, *, relax: bool = False, time_limit: float | None = None):
        import highspy

        from jiedao.optimize.solve import quiet_stdout

        self.model = model
        self.relax = relax
        with quiet_stdout() as log:
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("threads", 1)
            h.setOptionValue("mip_rel_gap", 1e-9)
            h.setOptionValue("mip_abs_gap", 1e-10)
            if relax:  # see optimize.solve.make_solver: presolve can stall on these LPs
                h.setOptionValue("presolve", "off")
            if time_limit is not None:
                h.setOptionValue("time_limit", float(time_limit))
            lp = highspy.HighsLp()
            lp.num_col_ = model.num_col
            lp.num_row_ = model.num_row
            inf = highspy.kHighsInf
            lp.col_cost_ = model.cost
            lp.col_lower_ = np.where(np.isfinite(model.col_lower), model.col_lower, -inf)
            lp.col_upper_ = np.where(np.isfinite(model.col_upper), model.col_upper, inf)
            lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -inf)
            lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, inf)
            lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
            lp.a_matrix_.start_ = model.start
            lp.a_matrix_.index_ = model.index
            lp.a_matrix_.value_ = model.value
            lp.offset_ = model.offset
            if not relax and model.integer.any():
                kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
                lp.integrality_ = [kinds[int(flag)] for flag in model.integer]
            h.passModel(lp)
        self.highs = h
        self.log = "".join(log)
        self._highspy = highspy

    def run(self) -> Solution:
        from jiedao.optimize.solve import Status, quiet_stdout

        h = self.highs
        with quiet_stdout() as log:
            h.run()
        text = "".join(log)
        self.log += text
        status = h.getModelStatus()
        kinds = self._highspy.HighsModelStatus
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        is_mip = not self.relax and bool(self.model.integer.any())
        if status == kinds.kOptimal:
            ours = Status.OPTIMAL
        elif status == kinds.kInfeasible:
            ours = Status.INFEASIBLE
        elif status in (kinds.kUnbounded, kinds.kUnboundedOrInfeasible):
            ours = Status.UNBOUNDED if status == kinds.kUnbounded else Status.INFEASIBLE
        elif has_solution:
            ours = Status.FEASIBLE
        else:
            ours = Status.NOT_SOLVED
        if ours not in (Status.OPTIMAL, Status.FEASIBLE):
            return Solution(ours, None, None, None, None, text, self)
        solution = h.getSolution()
        x = np.asarray(solution.col_value, dtype=float)
        bound = float(info.mip_dual_bound) if is_mip else None
        duals = None if is_mip else np.asarray(solution.row_dual, dtype=float)
        return Solution(ours, x, float(info.objective_function_value), bound, duals, text, self)

    def set_start(self, x: np.ndarray) -> None:
        """Give the MILP a starting solution (an incumbent from the decomposition)."""
        solution = self._highspy.HighsSolution()
        solution.col_value = list(map(float, x))
        solution.value_valid = True
        self.highs.setSolution(solution)

    def set_rhs(self, name: str, value: float) -> None:
        """Move a named row's right-hand side (natural units: posts, yuan)."""
        model = self.model
        row = model.names[name]
        scaled = value / (WAN if model.units[name] == "¥10,000" else 1.0)
        low, high = model.row_lower[row], model.row_upper[row]
        inf = self._highspy.kHighsInf
        if low == high:
            low = high = scaled
        elif math.isfinite(high):
            high = scaled
        else:
            low = scaled
        self.highs.changeRowBounds(
            row, low if math.isfinite(low) else -inf, high if math.isfinite(high) else inf
        )

    def ranging(self) -> Any:
        from jiedao.optimize.solve import quiet_stdout

        with quiet_stdout():
            status, ranging = self.highs.getRanging()
        if status != self._highspy.HighsStatus.kOk or not ranging.valid:
            return None
        return ranging


def solve_model(
    model: LinearModel,
    solver: str,
    *,
    relax: bool = False,
    time_limit: float | None = None,
    start: np.ndarray | None = None,
) -> Solution:
    """Solve with HiGHS through highspy (from ``start`` when given), or through PuLP for any
    other solver."""
    if solver == "HiGHS":
        session = HighsSession(model, relax=relax, time_limit=time_limit)
        if start is not None:
            session.set_start(start)
        return session.run()
    return _solve_pulp(model, solver, relax=relax, time_limit=time_limit)


def _solve_pulp(
    model: LinearModel, solver: str, *, relax: bool, time_limit: float | None
) -> Solution:
    import pulp

    from jiedao.optimize.solve import Status, make_solver, pulp_status, quiet_stdout

    prob = pulp.LpProblem("allocation", pulp.LpMinimize)
    new = prob.add_variable if hasattr(prob, "add_variable") else pulp.LpVariable
    variables = [
        new(
            f"x{j}",
            None if not math.isfinite(model.col_lower[j]) else float(model.col_lower[j]),
            None if not math.isfinite(model.col_upper[j]) else float(model.col_upper[j]),
            pulp.LpInteger if model.integer[j] else pulp.LpContinuous,
        )
        for j in range(model.num_col)
    ]
    prob.setObjective(
        pulp.LpAffineExpression(
            (variables[j], float(model.cost[j])) for j in np.flatnonzero(model.cost)
        )
        + model.offset
    )
    constraints = []
    for r in range(model.num_row):
        cols = model.index[model.start[r] : model.start[r + 1]]
        vals = model.value[model.start[r] : model.start[r + 1]]
        expression = pulp.LpAffineExpression(
            (variables[j], float(v)) for j, v in zip(cols, vals, strict=True)
        )
        low, high = model.row_lower[r], model.row_upper[r]
        if low == high:
            sense, rhs = pulp.LpConstraintEQ, low
        elif math.isfinite(high):
            sense, rhs = pulp.LpConstraintLE, high
        else:
            sense, rhs = pulp.LpConstraintGE, low
        constraint = pulp.LpConstraint(expression, sense, rhs=float(rhs))
        prob.addConstraint(constraint, f"r{r}")
        constraints.append(constraint)
    backend = make_solver(solver, mip=not relax, time_limit=time_limit)
    with quiet_stdout() as log:
        prob.solve(backend)
    text = "".join(log)
    status = pulp_status(prob)
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return Solution(status, None, None, None, None, text)
    x = np.array([v.varValue or 0.0 for v in variables])
    objective = float(model.cost @ x + model.offset)
    duals = None
    if relax:  # minimisation: both solvers report pi = d objective / d rhs
        duals = np.array([c.pi or 0.0 for c in constraints])
    return Solution(status, x, objective, None, duals, text)
