"""A scenario at a glance: the numbers ``jiedao scenario show`` prints, as plain data."""

from __future__ import annotations

from typing import Any

from jiedao.scenarios.model import Scenario


def summarise(scenario: Scenario) -> dict[str, Any]:
    """Sites with their households and staff, the targets and the budget (JSON-ready)."""
    budget = scenario.budget
    streets = []
    for street in scenario.streets():
        streets.append(
            {
                "site": street.id,
                "name": street.name,
                "name_zh": street.name_zh,
                "communities": len(street.communities),
                "households": street.households,
                "grids": sum(c.grids for c in street.communities),
                "windows": street.windows,
                "enforcement_officers": street.enforcement_officers,
                "posts": sum(c.posts for c in street.communities),
                "funds_yuan": sum(c.funds_yuan for c in street.communities),
            }
        )
    communities = [
        {
            "site": c.id,
            "name": c.name,
            "name_zh": c.name_zh,
            "type": c.type,
            "households": c.households,
            "grids": c.grids,
            "posts": c.posts,
            "party_building_posts": c.party_building_posts,
            "service_posts": scenario.service_capacity_posts(c),
            "funds_yuan": c.funds_yuan,
            "purchased_hours": scenario.purchased_hours(c),
        }
        for c in scenario.communities()
    ]
    fund_total = sum(float(c["funds_yuan"]) for c in communities)  # type: ignore[arg-type]
    return {
        "schema": "jiedao.scenario.show/1",
        "scenario": scenario.name,
        "name_zh": scenario.name_zh,
        "source": scenario.source,
        "totals": {
            "districts": len(scenario.districts),
            "streets": len(streets),
            "communities": len(communities),
            "households": scenario.households,
            "grids": sum(c["grids"] for c in communities),
            "windows": sum(s["windows"] for s in streets),
            "enforcement_officers": sum(s["enforcement_officers"] for s in streets),
            "posts": sum(c["posts"] for c in communities),
            "funds_yuan": fund_total,
        },
        "policy": scenario.policy.model_dump(),
        "targets": scenario.targets.model_dump(),
        "budget": {
            **budget.model_dump(),
            "posts_cost_yuan": budget.posts_pool * budget.post_cost_yuan,
        },
        "streets": streets,
        "communities": communities,
    }
