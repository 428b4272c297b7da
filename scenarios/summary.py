"""A scenario at a glance: the figures ``jiedao scenario show`` prints, as frozen records."""

from __future__ import annotations

from dataclasses import dataclass

from jiedao.scenarios.model import Scenario


@dataclass(frozen=True)
class StreetSummary:
    site: str
    name: str
    name_zh: str
    communities: int
    households: int
    grids: int
    windows: int
    enforcement_officers: int
    posts: int
    funds_yuan: float
    hall: bool = False  # the entry stands for its district's hall


@dataclass(frozen=True)
class CommunitySummary:
    site: str
    name: str
    name_zh: str
    type: str
    households: int
    grids: int
    posts: int
    party_building_posts: int
    service_posts: int
    funds_yuan: float
    purchased_hours: float
    # one-way minutes to the station, the street centre and the district hall, and their basis
    # ("given", "km" or "derived"); the keys its window residents are drawn under
    station_travel_min: float = 0.0
    street_travel_min: float = 0.0
    district_travel_min: float = 0.0
    travel_basis: tuple[str, str, str] = ("given", "given", "given")
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioSummary:
    scenario: Scenario
    streets: tuple[StreetSummary, ...]
    communities: tuple[CommunitySummary, ...]

    @property
    def grids(self) -> int:
        return sum(c.grids for c in self.communities)

    @property
    def windows(self) -> int:
        return sum(s.windows for s in self.streets)

    @property
    def enforcement_officers(self) -> int:
        return sum(s.enforcement_officers for s in self.streets)

    @property
    def posts(self) -> int:
        return sum(c.posts for c in self.communities)

    @property
    def funds_yuan(self) -> float:
        return sum(c.funds_yuan for c in self.communities)

    @property
    def posts_cost_yuan(self) -> float:
        budget = self.scenario.budget
        return budget.posts_pool * budget.post_cost_yuan


def summarise(scenario: Scenario) -> ScenarioSummary:
    """Sites with their households and staff."""
    streets = tuple(
        StreetSummary(
            site=street.id,
            name=street.name,
            name_zh=street.name_zh,
            communities=len(street.communities),
            households=street.households,
            grids=sum(c.grids for c in street.communities),
            windows=street.windows,
            enforcement_officers=street.enforcement_officers,
            posts=sum(c.posts for c in street.communities),
            funds_yuan=sum(c.funds_yuan for c in street.communities),
            hall=street.hall,
        )
        for street in scenario.streets()
    )
    communities = tuple(
        CommunitySummary(
            site=c.id,
            name=c.name,
            name_zh=c.name_zh,
            type=c.type,
            households=c.households,
            grids=c.grids,
            posts=c.posts,
            party_building_posts=c.party_building_posts,
            service_posts=scenario.service_capacity_posts(c),
            funds_yuan=c.funds_yuan,
            purchased_hours=scenario.purchased_hours(c),
            station_travel_min=c.station_travel_min,
            street_travel_min=c.street_travel_min,
            district_travel_min=c.district_travel_min,
            travel_basis=c.travel_basis,
            keys=c.keys,
        )
        for c in scenario.communities()
    )
    return ScenarioSummary(scenario, streets, communities)
