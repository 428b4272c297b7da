"""Allocation of social-worker posts and service funds across communities.

A pure library over response curves: no simulation, no files, no printing.

- :mod:`optimize.curves`: response curves, their lower bounds, monotone shaping without lifting,
  the concave fit (an option), Erlang C screening curves.
- :mod:`optimize.model`: the problem (communities, pools, caps, floors, what it aims at), its
  compiled arrays, checks and errors.
- :mod:`optimize.milp`: the exact MILP over the measured curves, HiGHS through highspy or PuLP.
- :mod:`optimize.decompose`: Lagrangian decomposition over both pools, with a certified gap.
- :mod:`optimize.greedy`: greedy marginal allocation, the quick reference.
- :mod:`optimize.place`: the second stage: every post placed.
- :mod:`optimize.report`: the budget line, what a yuan of fund buys, who is not lifted and why.
- :mod:`optimize.solve`: :func:`solve` and its :class:`Result`.
- :mod:`optimize.sensitivity`: exact marginal values, shadow prices where they hold, HiGHS
  ranging, the posts pool's value swept once (:func:`pool_frontier`).
"""

from jiedao.optimize.curves import Curve, erlang_curve, fit_concave, lift, wait_within_probability
from jiedao.optimize.model import (
    Aim,
    CommunitySpec,
    GroupCap,
    InfeasibleError,
    Mode,
    Problem,
    Shape,
    problem_from_scenario,
    staff_per_yuan,
)
from jiedao.optimize.report import Budget, BudgetLine, FundValue, Unmet, budget_line
from jiedao.optimize.sensitivity import (
    PoolPoint,
    Sensitivity,
    ShadowPrice,
    analyse,
    pool_frontier,
    post_values,
)
from jiedao.optimize.solve import Allocation, Result, Status, solve

__all__ = [
    "Aim",
    "Allocation",
    "Budget",
    "BudgetLine",
    "CommunitySpec",
    "Curve",
    "FundValue",
    "GroupCap",
    "InfeasibleError",
    "Mode",
    "PoolPoint",
    "Problem",
    "Result",
    "Sensitivity",
    "ShadowPrice",
    "Shape",
    "Status",
    "Unmet",
    "analyse",
    "budget_line",
    "erlang_curve",
    "fit_concave",
    "lift",
    "pool_frontier",
    "post_values",
    "problem_from_scenario",
    "solve",
    "staff_per_yuan",
    "wait_within_probability",
]
