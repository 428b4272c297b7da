"""The general model in PuLP: every side constraint, named, and duals at city scale.

Variables per community: integer ``posts`` (total, party-building posts included) and continuous
``funds`` in units of ¥10,000 (万元; it keeps the coefficients near 1 and makes a fund dual read
directly as "per ¥10,000"). Its units above the floors are
``u = posts - floor_posts + k10 * (funds - floor_funds)``.

Shortfall mode minimises ``sum_i w_i s_i`` with ``s_i >= 0`` and, for every grid segment ``j`` of
the community below its target, ``s_i >= target_i - (v_j + slope_j * (u_i - j))``, and
``s_i >= target_i - v_last`` beyond the grid. A concave curve is the minimum of its segment lines,
so ``target - level`` is their maximum and the rows are exact: no binaries, one integer per
community. Cost mode minimises ``posts * post_cost + funds`` subject to ``u_i >= need_i``, the
least units meeting the target. Both modes are minimisations, which keeps the dual sign rule
simple (see :mod:`optimize.sensitivity`).

Constraint names follow :mod:`optimize.model` (``posts_pool``, ``fund_pool``, ``posts_cap:<g>``,
``fund_floor:<id>``...). PuLP rewrites characters such as ``/`` and ``:`` in names, so the model
keeps its own map from our names to the constraint objects; PuLP sees ``posts_pool``,
``fund_pool`` and indexed names (``fund_floor_12``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pulp

from jiedao.optimize.model import NO_MAX, Compiled, Mode

WAN = 10_000.0  # yuan in a fund unit

RESOURCE_UNITS = {"posts_pool": "post", "fund_pool": "¥10,000"}


@dataclass(eq=False)
class MilpModel:
    compiled: Compiled
    prob: pulp.LpProblem
    posts: list[pulp.LpVariable]
    funds: list[pulp.LpVariable]  # ¥10,000
    constraints: dict[str, pulp.LpConstraint]  # our name -> constraint (curve rows excluded)
    units: dict[str, str]  # unit of each constraint's right-hand side

    def allocation(self) -> tuple[np.ndarray, np.ndarray]:
        """Posts (rounded) and funds in yuan (not below the floors) from the solved variables."""
        c = self.compiled
        posts = np.array([round(v.varValue or 0.0) for v in self.posts], dtype=np.int64)
        funds = np.round([(v.varValue or 0.0) * WAN for v in self.funds], 6)
        return np.maximum(posts, c.lo), np.maximum(funds, c.fund_floor)

    def rhs(self, name: str) -> float:
        """Right-hand side of a constraint in its natural unit (posts, yuan)."""
        value = -self.constraints[name].constant
        return value * WAN if self.units[name] == "¥10,000" else value

    def set_rhs(self, name: str, value: float) -> None:
        scale = WAN if self.units[name] == "¥10,000" else 1.0
        self.constraints[name].constant = -value / scale


def _variable_factory(prob: pulp.LpProblem) -> Callable[..., pulp.LpVariable]:
    """``prob.add_variable`` where PuLP has it (3.3 deprecates free-standing variables)."""
    if hasattr(prob, "add_variable"):
        return prob.add_variable
    return pulp.LpVariable


def build_milp(c: Compiled) -> MilpModel:
    """The PuLP model of a compiled problem (see the module docstring)."""
    problem = c.problem
    prob = pulp.LpProblem("allocation", pulp.LpMinimize)
    k10 = c.k * WAN
    variable = _variable_factory(prob)
    posts = [
        variable(f"posts_{i}", 0, None if c.hi[i] >= NO_MAX else int(c.hi[i]), pulp.LpInteger)
        for i in range(c.size)
    ]
    funds = [variable(f"funds_{i}", 0, None, pulp.LpContinuous) for i in range(c.size)]
    floor_wan = c.fund_floor / WAN
    constraints: dict[str, pulp.LpConstraint] = {}
    units: dict[str, str] = {}

    def add(name: str, pulp_name: str, constraint: pulp.LpConstraint, unit: str) -> None:
        prob.addConstraint(constraint, pulp_name)
        constraints[name] = constraint
        units[name] = unit

    def units_expression(i: int, scale: float = 1.0) -> list[tuple[pulp.LpVariable, float]]:
        return [(posts[i], scale), (funds[i], scale * k10)]

    # units u_i = posts_i + k10 funds_i - offset_i
    offset = c.lo + k10 * floor_wan
    if c.mode is Mode.SHORTFALL:
        short = [variable(f"short_{i}", 0, None, pulp.LpContinuous) for i in range(c.size)]
        prob.setObjective(pulp.LpAffineExpression(zip(short, c.weight.tolist(), strict=True)))
        low = c.levels[:, :-1]
        rise = np.diff(c.levels, axis=1)
        for i in range(c.size):
            target = float(c.target[i])
            for j in range(int(c.top[i])):
                if low[i, j] >= target - 1e-12:
                    break
                slope = float(rise[i, j])
                # s + slope * u >= target - v_j + slope * j
                expression = pulp.LpAffineExpression([(short[i], 1.0), *units_expression(i, slope)])
                rhs = target - float(low[i, j]) + slope * (j + float(offset[i]))
                prob.addConstraint(
                    pulp.LpConstraint(expression, pulp.LpConstraintGE, rhs=rhs), f"curve_{i}_{j}"
                )
            ceiling = target - float(c.levels[i, -1])
            if ceiling > 0:
                prob.addConstraint(
                    pulp.LpConstraint(
                        pulp.LpAffineExpression([(short[i], 1.0)]), pulp.LpConstraintGE, rhs=ceiling
                    ),
                    f"curve_{i}_top",
                )
        pool = pulp.LpAffineExpression((p, 1.0) for p in posts)
        sense = pulp.LpConstraintEQ if problem.posts_pool_exact else pulp.LpConstraintLE
        add(
            "posts_pool",
            "posts_pool",
            pulp.LpConstraint(pool, sense, rhs=problem.posts_pool),
            "post",
        )
        fund_pool = (float(c.fund_floor.sum()) + c.extra_funds) / WAN
        add(
            "fund_pool",
            "fund_pool",
            pulp.LpConstraint(
                pulp.LpAffineExpression((f, 1.0) for f in funds), pulp.LpConstraintLE, rhs=fund_pool
            ),
            "¥10,000",
        )
    else:
        cost = [(p, problem.post_cost_yuan / WAN) for p in posts] + [(f, 1.0) for f in funds]
        prob.setObjective(pulp.LpAffineExpression(cost))

    if c.need is not None:
        name = "target" if c.mode is Mode.COST else "fairness"
        for i in range(c.size):
            add(
                f"{name}:{c.ids[i]}",
                f"{name}_{i}",
                pulp.LpConstraint(
                    pulp.LpAffineExpression(units_expression(i)),
                    pulp.LpConstraintGE,
                    rhs=float(c.need[i] + offset[i]),
                ),
                "units",
            )
    for g, (cap, rows) in enumerate(zip(problem.caps, c.member_rows, strict=True)):
        if cap.max_posts is not None:
            expression = pulp.LpAffineExpression((posts[i], 1.0) for i in rows)
            add(
                f"posts_cap:{cap.name}",
                f"posts_cap_{g}",
                pulp.LpConstraint(expression, pulp.LpConstraintLE, rhs=cap.max_posts),
                "post",
            )
        if cap.max_funds_yuan is not None:
            expression = pulp.LpAffineExpression((funds[i], 1.0) for i in rows)
            add(
                f"funds_cap:{cap.name}",
                f"funds_cap_{g}",
                pulp.LpConstraint(expression, pulp.LpConstraintLE, rhs=cap.max_funds_yuan / WAN),
                "¥10,000",
            )
    for i in range(c.size):
        add(
            f"posts_floor:{c.ids[i]}",
            f"posts_floor_{i}",
            pulp.LpConstraint(
                pulp.LpAffineExpression([(posts[i], 1.0)]), pulp.LpConstraintGE, rhs=int(c.lo[i])
            ),
            "post",
        )
        add(
            f"fund_floor:{c.ids[i]}",
            f"fund_floor_{i}",
            pulp.LpConstraint(
                pulp.LpAffineExpression([(funds[i], 1.0)]),
                pulp.LpConstraintGE,
                rhs=float(floor_wan[i]),
            ),
            "¥10,000",
        )
    return MilpModel(c, prob, posts, funds, constraints, units)
