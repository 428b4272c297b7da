"""Allocation of social-worker posts and service funds across communities.

A pure library over response curves: no simulation, no files, no printing.

- :mod:`optimize.curves`: response curves, concave fitting, Erlang C screening curves.
- :mod:`optimize.model`: the problem (communities, pools, caps, fairness), its checks and errors.
- :mod:`optimize.greedy`: greedy marginal allocation, exact for one pool.
- :mod:`optimize.decompose`: Lagrangian decomposition over both pools, with a certified gap.
- :mod:`optimize.milp`: the general PuLP model with named constraints.
- :mod:`optimize.solve`: :func:`solve` and its :class:`Result`.
- :mod:`optimize.sensitivity`: marginal values, shadow prices and their ranges.
"""

from jiedao.optimize.curves import Curve, erlang_curve, fit_concave, wait_within_probability
from jiedao.optimize.model import (
    CommunitySpec,
    GroupCap,
    InfeasibleError,
    Mode,
    Problem,
    problem_from_scenario,
    staff_per_yuan,
)
from jiedao.optimize.sensitivity import Sensitivity, ShadowPrice, analyse
from jiedao.optimize.solve import Allocation, Result, Status, solve

__all__ = [
    "Allocation",
    "CommunitySpec",
    "Curve",
    "GroupCap",
    "InfeasibleError",
    "Mode",
    "Problem",
    "Result",
    "Sensitivity",
    "ShadowPrice",
    "Status",
    "analyse",
    "erlang_curve",
    "fit_concave",
    "problem_from_scenario",
    "solve",
    "staff_per_yuan",
    "wait_within_probability",
]
