"""The validated scenario the engines use: a frozen tree with every default resolved.

The loader turns a :class:`scenarios.schema.ScenarioFile` into a :class:`Scenario`. Every site
carries its stable id (``longshan/dongji/c01``) and the dotted path of its table in the file, so
later checks and engines can name the field a planner has to change.

What a post does is explicit here (the reform's 社工岗): a community's ``posts`` are its
``party_building_posts`` (which serve demand only as far as ``policy.party_posts_serve`` says) plus
its service posts; ``policy.station_posts`` of those staff the community service station that takes
matters handed down by grids, the rest are grid workers (网格员). Purchased service hours bought
from the fund add part-time capacity to the same team (see :attr:`Community.purchased_hours`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jiedao.scenarios.schema import (
    Access,
    Budget,
    Calendar,
    Demand,
    Duties,
    Overtime,
    Policy,
    Shift,
    SimulationDefaults,
    Targets,
)


@dataclass(frozen=True)
class Community:
    id: str
    path: str
    name: str
    name_zh: str
    type: str
    households: int
    residents: int | None
    grids: int
    posts: int
    party_building_posts: int
    funds_yuan: float
    demand_factor: float
    # window residents are drawn per part: (stable key, households); one part, the community's own
    # id, unless the file gives key or merged_from
    parts: tuple[tuple[str, int], ...] = ()
    # one-way travel minutes to the community station, the street centre and the district hall
    station_travel_min: float = 0.0
    street_travel_min: float = 0.0
    district_travel_min: float = 0.0
    # how each was found: "given", "km" (from a distance) or "derived" (from areas)
    travel_basis: tuple[str, str, str] = ("given", "given", "given")
    persons_per_household: float = 2.3
    # share of households of each of ``duties.household_types`` (the city's unless it gives its own)
    household_shares: dict[str, float] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.parts) if self.parts else (self.id,)

    @property
    def population(self) -> float:
        """Residents: as given, else households x persons per household."""
        if self.residents is not None:
            return float(self.residents)
        return self.households * self.persons_per_household


@dataclass(frozen=True)
class Street:
    id: str
    path: str
    name: str
    name_zh: str
    windows: int
    window_shifts: tuple[Shift, ...]
    specialised_windows: dict[str, int] | None
    enforcement_officers: int
    demand_factor: float
    communities: tuple[Community, ...]
    hall: bool = False  # the entry stands for the district hall (see schema.Street.hall)

    @property
    def households(self) -> int:
        return sum(c.households for c in self.communities)


@dataclass(frozen=True)
class District:
    id: str
    path: str
    name: str
    name_zh: str
    streets: tuple[Street, ...]

    @property
    def households(self) -> int:
        return sum(s.households for s in self.streets)

    @property
    def hall(self) -> Street | None:
        """The street entry standing for the district hall, if any."""
        return next((s for s in self.streets if s.hall), None)


@dataclass(frozen=True, eq=False)
class Origin:
    """What a scenario was validated from: the file's data with its overrides applied, the file's
    text (for line numbers in errors) and the overrides. Variants are made from it in memory
    (:func:`jiedao.scenarios.loader.with_overrides`). Workers that receive a scenario to simulate
    do not need it, so it does not travel with a pickled scenario."""

    data: dict[str, Any] | None
    text: str | None
    overrides: tuple[Any, ...] = ()
    # what the latest overrides changed: (field path, old value, new value, override as written)
    changes: tuple[tuple[str, Any, Any, str], ...] = ()

    def __reduce__(self) -> tuple[type, tuple[None, None, tuple[Any, ...]]]:
        return (Origin, (None, None, ()))


@dataclass(frozen=True)
class Scenario:
    name: str
    name_zh: str
    description: str
    source: str
    calendar: Calendar
    demand: Demand
    targets: Targets
    budget: Budget
    policy: Policy
    simulation: SimulationDefaults
    districts: tuple[District, ...]
    duties: Duties = field(default_factory=Duties)
    overtime: Overtime = field(default_factory=Overtime)
    _index: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    origin: Origin | None = field(default=None, repr=False, compare=False)
    access: Access = field(default_factory=Access)

    def streets(self) -> Iterator[Street]:
        for district in self.districts:
            yield from district.streets

    def communities(self) -> Iterator[Community]:
        for street in self.streets():
            yield from street.communities

    @property
    def households(self) -> int:
        return sum(d.households for d in self.districts)

    def service_capacity_posts(self, community: Community) -> int:
        """Posts that serve demand: service posts plus the party posts policy lets serve."""
        party = community.party_building_posts
        return community.posts - party + min(self.policy.party_posts_serve, party)

    def purchased_hours(self, community: Community) -> float:
        """Yearly service hours the community's fund buys (政府购买服务)."""
        return community.funds_yuan * self.budget.purchase_share / self.budget.hour_price_yuan

    def staff_equivalents(self, community: Community) -> float:
        """Serving posts plus purchased hours converted at the hours of a post-year."""
        return self.service_capacity_posts(community) + (
            self.purchased_hours(community) / self.budget.hours_per_post_year
        )
