"""Where a resident takes a window matter, and how far that is: matters by level and access.

Each matter category says where residents take it (``taken_at``: the community service station,
which does it on the resident's behalf, 代办; the street's convenience-service centre; the district
hall) and where it is completed (``done_at``, default the same). A share ``second_trip_share`` of
residents make a second trip: up to where the matter is completed when that is above where they
took it, else back to the same place (a missing document). A share ``online_share`` never travels.

Places are resolved per community: the community's own station; its own street's centre (which is
the district hall where the street entry stands for it, ``hall = true``); its district's hall. The
one-way travel minutes to each come from the scenario (given, from a distance, or derived from
areas: :func:`jiedao.scenarios.loader.travel_minutes`); a trip to a street entry that is a hall
takes the district hall's minutes.

The resident's whole cost is kept as sums of :data:`COST_PARTS` per community (summable across
streets and replications' tasks): :mod:`jiedao.sim.costs` turns them into figures per matter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jiedao.scenarios.model import Community, Scenario, Street
from jiedao.scenarios.schema import LEVELS

STATION = ""  # the place id of a community's own service station

# Sums kept per community (one float each), over the cohort of matters that arose in the
# observation window:
# matters, done online, taken at the station (代办), trips (station trips + window visits + second
# trips past the horizon), station trips (first and second), window visits (first, second and
# return visits), second trips designed, round-trip travel minutes, wait minutes (window queues),
# service minutes (at a window, at the station's hand-over, or online)
COST_PARTS = (
    "matters",
    "online",
    "station_matters",
    "trips",
    "station_trips",
    "window_visits",
    "second_trips",
    "travel_min",
    "wait_min",
    "service_min",
)
PART = {name: i for i, name in enumerate(COST_PARTS)}


@dataclass(frozen=True)
class Route:
    """Where one category's matters from one community go: first trip and second trip."""

    first: str  # a window centre's street id, or STATION
    first_min: float  # one way
    second: str
    second_min: float


def _index(scenario: Scenario) -> dict[str, object]:
    return scenario._index


def place(
    scenario: Scenario, community: Community, street: Street, level: str
) -> tuple[str, float]:
    """(place id, one-way minutes) of ``level`` for a community of ``street``."""
    if level == "community":
        return STATION, community.station_travel_min
    if level == "street" and not street.hall:
        return street.id, community.street_travel_min
    district = district_of(scenario, street)
    hall = street if street.hall else next((s for s in district.streets if s.hall), None)
    if hall is None:  # the loader refuses a district matter without a hall
        raise ValueError(f"district {district.id!r} has no hall for {community.id}")
    return hall.id, community.district_travel_min


def district_of(scenario: Scenario, street: Street):  # noqa: ANN201 (District)
    prefix = street.id.split("/", 1)[0]
    return next(d for d in scenario.districts if d.id == prefix)


def routes(scenario: Scenario) -> dict[str, tuple[Route, ...]]:
    """Community id -> one :class:`Route` per matter category (in the file's order)."""
    cache = _index(scenario)
    if "routes" not in cache:
        categories = list(scenario.demand.window.categories.values())
        out: dict[str, tuple[Route, ...]] = {}
        for street in scenario.streets():
            for c in street.communities:
                items = []
                for category in categories:
                    first, first_min = place(scenario, c, street, category.taken_at)
                    done = category.completed_at
                    if LEVELS.index(done) > LEVELS.index(category.taken_at):
                        second, second_min = place(scenario, c, street, done)
                    else:
                        second, second_min = first, first_min
                    items.append(Route(first, first_min, second, second_min))
                out[c.id] = tuple(items)
        cache["routes"] = out
    return cache["routes"]  # type: ignore[return-value]


def community_order(scenario: Scenario) -> dict[str, int]:
    """Community id -> its position in the scenario (the index window visits carry)."""
    cache = _index(scenario)
    if "community_order" not in cache:
        cache["community_order"] = {c.id: i for i, c in enumerate(scenario.communities())}
    return cache["community_order"]  # type: ignore[return-value]


def senders(scenario: Scenario, street: Street) -> list[tuple[Community, Street]]:
    """The communities whose residents may come to ``street``'s centre: its own, and for a
    district hall every community of its district."""
    if not street.hall:
        return [(c, street) for c in street.communities]
    district = district_of(scenario, street)
    return [(c, s) for s in district.streets for c in s.communities]


def centre_keys(scenario: Scenario, street: Street) -> frozenset[str]:
    """The residents' keys a street's centre can see (for pairing two scenarios)."""
    return frozenset(k for c, _ in senders(scenario, street) for k in c.keys)


def empty_parts() -> np.ndarray:
    return np.zeros(len(COST_PARTS))
