"""Figures that pass validation but are probably a slip of the unit: warnings, not errors.

A scenario can be valid and still say something no city means: a post that costs ¥4.8 a year (the
planner wrote 万元), a community fund of ¥20 (20万元), a post cost of one month's pay, a demand
factor of 120 (a percentage), a target of 0.9% (0.009 for 0.9). The run goes on, because such a
figure may be deliberate in a what-if; :func:`plausibility_warnings` returns one line per
suspicious figure, naming the file, the field and the likely intent, and the CLI prints each as
``warning: ...`` on stderr. Shares written as percentages (``share = 90``) fail validation instead
(a share is at most 1); the loader's message says to write 0.9 for 90%.

The thresholds are far from any real figure (docs/sources.md: a post costs ¥40,000-60,000 a year,
community funds are ¥100,000-200,000, a service hour ¥50-100), so a real scenario never warns.
"""

from __future__ import annotations

from jiedao.scenarios.model import Scenario

MIN_YEARLY_PAY_YUAN = 12_000.0  # below this a post's yearly cost is surely a month's pay
WAN_YUAN = 10_000.0  # 1 万元
MAX_POST_COST_YUAN = 2_000_000.0
MIN_FUND_YUAN = 1_000.0  # a yearly community fund below this is surely in 万元
MIN_HOUR_PRICE_YUAN = 5.0
MAX_HOUR_PRICE_YUAN = 1_000.0
MIN_HOURS_PER_POST_YEAR = 200.0
MAX_DEMAND_FACTOR = 5.0
MIN_TARGET_SHARE = 0.1


def _yuan(value: float) -> str:
    return f"¥{value:,.0f}" if value >= 100 else f"¥{value:g}"


def _wan(value: float) -> str:
    return f"{value:g}万元 ({_yuan(value * WAN_YUAN)})"


def plausibility_warnings(scenario: Scenario) -> list[str]:
    """One line per figure that is valid but probably a slip of the unit (empty when none)."""
    source = scenario.source
    out: list[str] = []

    def warn(path: str, message: str) -> None:
        out.append(f"{source}: {path}: {message}")

    budget = scenario.budget
    cost = budget.post_cost_yuan
    if cost < MIN_FUND_YUAN:
        warn(
            "budget.post_cost_yuan",
            f"post cost {_yuan(cost)} a year: amounts are in yuan; did you mean {_wan(cost)}?",
        )
    elif cost < MIN_YEARLY_PAY_YUAN:
        warn(
            "budget.post_cost_yuan",
            f"post cost {_yuan(cost)} a year is less than a year's pay: is it a month's? "
            f"(x 12 = {_yuan(cost * 12)})",
        )
    elif cost > MAX_POST_COST_YUAN:
        warn(
            "budget.post_cost_yuan",
            f"post cost {_yuan(cost)} a year for one post: is it the cost of all posts?",
        )
    for kind, fund in sorted(budget.fund_standard_yuan.items()):
        if 0 < fund < MIN_FUND_YUAN:
            warn(
                f"budget.fund_standard_yuan.{kind}",
                f"a fund standard of {_yuan(fund)} a year for {kind} communities: amounts are "
                f"in yuan; did you mean {_wan(fund)}?",
            )
    communities = list(scenario.communities())
    pool = budget.fund_pool_yuan
    if pool is not None and communities and 0 < pool < MIN_FUND_YUAN * len(communities):
        warn(
            "budget.fund_pool_yuan",
            f"a fund pool of {_yuan(pool)} for {len(communities):,} communities "
            f"({_yuan(pool / len(communities))} each): amounts are in yuan; did you mean "
            f"{_wan(pool)}?",
        )
    standards = {str(k): v for k, v in budget.fund_standard_yuan.items()}
    small = [
        c
        for c in communities
        if 0 < c.funds_yuan < MIN_FUND_YUAN and c.funds_yuan != standards.get(c.type)
    ]
    if small:
        first = small[0]
        others = f" (and {len(small) - 1:,} more communities)" if len(small) > 1 else ""
        warn(
            f"{first.path}.funds_yuan",
            f"funds of {_yuan(first.funds_yuan)} a year{others}: amounts are in yuan; did you "
            f"mean {_wan(first.funds_yuan)}?",
        )
    price = budget.hour_price_yuan
    if price < MIN_HOUR_PRICE_YUAN:
        warn(
            "budget.hour_price_yuan",
            f"{_yuan(price)} for a service hour is below any wage: amounts are in yuan",
        )
    elif price > MAX_HOUR_PRICE_YUAN:
        warn(
            "budget.hour_price_yuan",
            f"{_yuan(price)} for one service hour: is it a day's price, or a month's?",
        )
    hours = budget.hours_per_post_year
    if hours < MIN_HOURS_PER_POST_YEAR:
        warn(
            "budget.hours_per_post_year",
            f"{hours:g} hours a year for a post: a year is about 1,750 working hours "
            "(250 days x 7 h); did you give hours a day or a week?",
        )
    for path, share in (
        ("targets.window.share", scenario.targets.window.share),
        ("targets.grid.share", scenario.targets.grid.share),
        ("targets.enforcement.share", scenario.targets.enforcement.share),
    ):
        if share < MIN_TARGET_SHARE:
            warn(
                path,
                f"a target of {share:.1%}: shares are fractions of 1; did you mean "
                f"{share * 100:g} ({share * 100:.0%})?",
            )
    factors = [
        (s.path, s.demand_factor) for s in scenario.streets() if s.demand_factor > MAX_DEMAND_FACTOR
    ] + [(c.path, c.demand_factor) for c in communities if c.demand_factor > MAX_DEMAND_FACTOR]
    if factors:
        path, factor = factors[0]
        others = f" (and {len(factors) - 1:,} more sites)" if len(factors) > 1 else ""
        warn(
            f"{path}.demand_factor",
            f"demand factor {factor:g}{others}: 1 is average demand; did you write a "
            f"percentage ({factor / 100:g})?",
        )
    return out
