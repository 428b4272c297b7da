"""Exact on the measured curves: S-shaped curves, lower bounds and the decomposition's gap.

Truths: brute force over the raw measured points (support.allocation: every split of the posts,
the breakpoints of the funds), read with numpy's interpolation and a running minimum written
there; hand-built curves whose optimum is worked out below.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from support import allocation as oracle

from jiedao.optimize import CommunitySpec, Curve, Mode, Problem, lift, solve
from jiedao.optimize.decompose import lagrangian
from jiedao.optimize.model import compile_problem

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MONEY = {"purchase_share": 1.0, "hour_price_yuan": 1.0, "hours_per_post_year": 100_000.0}
K = 1e-5  # one staff-equivalent per ¥100,000


def spec(name: str, levels: list[float], **fields: object) -> CommunitySpec:
    staff = np.arange(len(levels), dtype=float)
    defaults: dict[str, object] = {
        "target": 0.9,
        "weight": 1.0,
        "posts_floor": 0,
        "nonserving_posts": 0,
    }
    defaults.update(fields)
    return CommunitySpec(name, Curve(staff, levels), **defaults)  # type: ignore[arg-type]


# --- hand-built S-shaped curves ------------------------------------------------------------------

# a: a cliff between 2 and 3 staff (0.15 -> 0.90), like Dongji 1; b and c are concave. Target 0.9,
# equal weights, no floors. With 4 posts the exact optimum gives a three posts (0.90, on target:
# shortfall 0) and b one (0.65: 0.25), c none (0.30: 0.60): 0.85. The concave fit of a lifts its
# foot (0.10 -> 0.41 at 1 staff), so it sees a's steep part spread over every post and gives a
# only two: on the points actually measured a sits at 0.15, and the plan's shortfall is 1.35.
S_SHAPED = (
    spec("a", [0.05, 0.10, 0.15, 0.90, 0.95]),
    spec("b", [0.40, 0.65, 0.80, 0.88, 0.92]),
    spec("c", [0.30, 0.55, 0.72, 0.85, 0.92]),
)


@pytest.mark.parametrize("pool", [3, 4, 5, 6, 7, 8])
def test_s_shaped_plan_equals_brute_force_where_the_concave_fit_misallocates(pool: int) -> None:
    problem = Problem(S_SHAPED, posts_pool=pool, floor_share=None, **MONEY)
    truth = oracle.brute_force(problem, K)
    exact = solve(problem)
    assert exact.objective == pytest.approx(truth, abs=1e-9)
    assert exact.posts_total == pool  # and the whole pool placed
    concave = solve(problem.with_options(shape="concave"))
    on_the_points = oracle.plan_value(problem, K, concave.posts(), concave.funds())
    assert on_the_points >= truth - 1e-9
    assert concave.curve_lift_max > 0.25  # it says how far it lifts
    assert any("lifts points by up to" in note for note in concave.notes)
    if pool == 4:
        assert exact.objective == pytest.approx(0.85, abs=1e-9)
        assert [a.posts for a in exact.allocation][0] == 3
        assert on_the_points == pytest.approx(1.35, abs=1e-9)


def test_the_milp_and_the_decomposition_agree_on_the_hand_case() -> None:
    problem = Problem(S_SHAPED, posts_pool=4, floor_share=None, **MONEY)
    milp = solve(problem, method="milp")
    decomposed = solve(problem, method="decompose")
    assert milp.binaries > 0  # a's curve needs them
    assert milp.objective == pytest.approx(0.85, abs=1e-9)
    assert decomposed.objective == pytest.approx(0.85, abs=1e-9)


def test_a_dip_is_lowered_never_lifted() -> None:
    # 0.6 at 1 staff, then 0.5 at 2 (noise): the running minimum from the right lowers the 0.6
    # to 0.5; nothing is raised. Read raw, one post would meet 0.55; on what was measured at and
    # above each staffing, 1 and 2 posts read 0.5 and only 3 reach it (0.95)
    community = spec("a", [0.0, 0.6, 0.5, 0.95], target=0.55)
    problem = Problem((community,), posts_pool=3, floor_share=None, spread="none", **MONEY)
    result = solve(problem)
    assert result.posts_total == 3
    assert result.curve_lowered_max == pytest.approx(0.1)
    assert lift(community.curve, community.curve.monotone()) == 0.0
    assert community.curve.monotone().level.tolist() == [0.0, 0.5, 0.5, 0.95]


def test_aim_at_the_lower_bound() -> None:
    # Lower bounds 0.25, 0.65, 0.87, 0.95 (mean less the half-width). A post costs ¥50,000, a
    # staff-equivalent of funds ¥100,000. Target 0.9:
    # - on the lower bound it needs 2 + 0.03 / 0.08 = 2.375 staff: 2 posts + ¥37,500 (137,500),
    #   cheaper than 3 posts (150,000);
    # - on the mean (0.3, 0.7, 0.92, 0.97): 1 + 0.2 / 0.22 = 1.91 staff: 2 posts (100,000);
    # - on the mean less a margin of 0.03: 2 + 0.01 / 0.05 = 2.2: 2 posts + ¥20,000 (120,000).
    curve = Curve([0, 1, 2, 3], [0.3, 0.7, 0.92, 0.97], ci95=[0.05, 0.05, 0.05, 0.02])
    community = CommunitySpec("a", curve, 0.9, 1.0, 0, None, 0)
    problem = Problem((community,), **MONEY)
    lower = solve(problem, Mode.COST)
    mean = solve(problem.with_options(aim="mean"), Mode.COST)
    margin = solve(problem.with_options(aim="mean", margin=0.03), Mode.COST)
    assert lower.cost_yuan == pytest.approx(137_500, abs=1e-3)
    assert (lower.posts_total, lower.funds_total_yuan) == (2, pytest.approx(37_500, abs=1e-3))
    assert mean.cost_yuan == pytest.approx(100_000, abs=1e-3)
    assert margin.cost_yuan == pytest.approx(120_000, abs=1e-3)
    a = lower.allocation[0]
    assert a.aimed_level == pytest.approx(0.9, abs=1e-9) and a.target_met
    assert a.lower_level == pytest.approx(a.aimed_level)
    assert a.service_level == pytest.approx(0.92 + 0.375 * 0.05)  # the mean there


# --- random S-shaped curves against brute force ---------------------------------------------------


@FAST
@given(oracle.measured_problems())
def test_random_measured_curves_equal_brute_force(problem: Problem) -> None:
    truth = oracle.brute_force(problem, K, aim=problem.aim)
    result = solve(problem, method="milp")
    assert result.objective == pytest.approx(truth, abs=1e-7)
    assert result.posts_total <= problem.posts_pool
    assert result.funds_total_yuan <= (problem.fund_pool_yuan or 0.0) + 1e-3


@FAST
@given(oracle.measured_problems())
def test_the_decomposition_certified_gap_bounds_the_distance_to_brute_force(
    problem: Problem,
) -> None:
    truth = oracle.brute_force(problem, K, aim=problem.aim)
    d = lagrangian(compile_problem(problem))
    assert d.bound <= truth + 1e-7  # a valid bound
    assert d.objective >= truth - 1e-9  # a feasible allocation
    assert d.objective - truth <= d.gap + 1e-9  # so the gap it reports bounds its error
    assert int(d.posts.sum()) <= problem.posts_pool
    assert d.funds.sum() <= (problem.fund_pool_yuan or 0.0) + 1e-3
    result = solve(problem)  # auto: the decomposition, the MILP where it is not certified
    assert result.objective == pytest.approx(truth, abs=1e-7)


def test_decomposition_matches_the_milp_on_a_few_hundred_s_shaped_communities() -> None:
    rng = np.random.default_rng(11)
    n = 150
    staff = np.arange(12, dtype=float)
    middle = rng.uniform(2.0, 7.0, n)
    width = rng.uniform(0.3, 1.2, n)
    level = 1 / (1 + np.exp(-(staff[None, :] - middle[:, None]) / width[:, None]))
    level = np.clip(level + rng.normal(0, 0.01, level.shape), 0, 1)
    communities = tuple(
        CommunitySpec(
            f"c{i:03d}",
            Curve(staff, level[i], np.full(12, 0.02)),
            0.9,
            float(rng.integers(1000, 8000)),
            fund_floor_yuan=200_000.0,
        )
        for i in range(n)
    )
    problem = Problem(communities, posts_pool=7 * n, fund_pool_yuan=n * 300_000.0)
    milp = solve(problem, method="milp")
    decomposed = solve(problem, method="decompose")
    assert milp.binaries > n  # S-shaped curves need their binaries
    assert decomposed.bound <= milp.objective * (1 + 1e-9)
    assert decomposed.objective <= milp.objective * (1 + 1e-6)
    assert decomposed.gap is not None and decomposed.gap <= 1e-6
