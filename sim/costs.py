"""The resident's whole cost of window matters, per community, street, district and city.

A matter costs its resident the trips (there and back, to wherever it is taken, and again for a
second trip or after giving up in a queue), the waits in window queues and the service; a matter
done online costs its service time only, and one done at the community station on the resident's
behalf (代办) the trip to the station and the hand-over (the station's queue is the posts' backlog,
not the resident's time). The engine keeps sums per community (:data:`sim.access.COST_PARTS`, in
``StreetRecord.costs``); here they are added up over the communities of each site and turned into
figures per matter, one value per replication:

| metric | meaning |
|---|---|
| ``matters`` | matters that arose in the observation window |
| ``whole_cost_min`` | travel + wait + service minutes per matter |
| ``travel_min``, ``wait_min``, ``service_min`` | its parts, per matter |
| ``trips_per_matter`` | trips (station, window visits, second trips) per matter |
| ``travel_per_trip_min`` | one-way minutes per trip |
| ``online_share``, ``station_share``, ``second_trip_share`` | shares of matters |
| ``whole_cost_yuan`` | ``whole_cost_min`` at ``access.value_of_time_yuan_per_h`` |
| ``resident_hours_per_year``, ``whole_cost_yuan_per_year`` | the site's total, annualised |

Residents' time in yuan is a social cost: it is never added to the budget's yuan.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jiedao.scenarios.model import Scenario
from jiedao.scenarios.schema import WEEKDAYS
from jiedao.sim.access import COST_PARTS
from jiedao.sim.calendar import WorkCalendar

COST_METRICS = (
    "matters",
    "whole_cost_min",
    "travel_min",
    "wait_min",
    "service_min",
    "trips_per_matter",
    "travel_per_trip_min",
    "online_share",
    "station_share",
    "second_trip_share",
    "whole_cost_yuan",
    "resident_hours_per_year",
    "whole_cost_yuan_per_year",
)


def cost_metrics(parts: np.ndarray, scenario: Scenario, year_factor: float) -> dict[str, float]:
    """Figures of one site in one replication from its summed parts; ``year_factor`` scales the
    observation window's totals to a year."""
    p = {name: float(parts[i]) for i, name in enumerate(COST_PARTS)}
    n = p["matters"]
    total = p["travel_min"] + p["wait_min"] + p["service_min"]
    nan = float("nan")

    def per(value: float) -> float:
        return value / n if n > 0 else nan

    vot = scenario.access.value_of_time_yuan_per_h
    hours = total / 60.0 * year_factor
    return {
        "matters": n,
        "whole_cost_min": per(total),
        "travel_min": per(p["travel_min"]),
        "wait_min": per(p["wait_min"]),
        "service_min": per(p["service_min"]),
        "trips_per_matter": per(p["trips"]),
        "travel_per_trip_min": p["travel_min"] / (2.0 * p["trips"]) if p["trips"] > 0 else nan,
        "online_share": per(p["online"]),
        "station_share": per(p["station_matters"]),
        "second_trip_share": per(p["second_trips"]),
        "whole_cost_yuan": per(total) / 60.0 * vot if n > 0 else nan,
        "resident_hours_per_year": hours,
        "whole_cost_yuan_per_year": hours * vot,
    }


def year_factor(scenario: Scenario, warmup_days: int, days: int) -> float:
    """Working days in a year over working days in the observation window ``[warm, days)``."""
    calendar = WorkCalendar.build(scenario.calendar, days)
    observed = float(calendar.working[warmup_days:days].sum())
    working = len({WEEKDAYS.index(d) for d in scenario.calendar.working_days})
    return calendar.working_days_per_year(working) / observed if observed > 0 else float("nan")


def community_sums(scenario: Scenario, records: Sequence[object]) -> dict[str, np.ndarray]:
    """The parts of every community in one replication, summed over the streets' records (a
    community's residents may visit another street's centre: its district's hall)."""
    sums = {c.id: np.zeros(len(COST_PARTS)) for c in scenario.communities()}
    for record in records:
        for community, parts in getattr(record, "costs", {}).items():
            sums[community] = sums[community] + parts
    return sums


def site_costs(
    scenario: Scenario, sums: dict[str, np.ndarray], factor: float
) -> dict[str, dict[str, float]]:
    """Figures per site from one replication's sums, in the order of the run's sites: the city,
    the districts, then each street followed by its communities."""
    zero = np.zeros(len(COST_PARTS))
    street_sums = {
        street.id: sum((sums[c.id] for c in street.communities), zero)
        for street in scenario.streets()
    }
    district_sums = {
        d.id: sum((street_sums[s.id] for s in d.streets), zero) for d in scenario.districts
    }
    out = {"city": cost_metrics(sum(district_sums.values(), zero), scenario, factor)}
    for district in scenario.districts:
        out[district.id] = cost_metrics(district_sums[district.id], scenario, factor)
    for street in scenario.streets():
        out[street.id] = cost_metrics(street_sums[street.id], scenario, factor)
        for c in street.communities:
            out[c.id] = cost_metrics(sums[c.id], scenario, factor)
    return out


def cost_values(
    scenario: Scenario,
    records: Sequence[object],
    replications: int,
    warmup_days: int,
    days: int,
) -> dict[str, dict[str, np.ndarray]]:
    """Site -> metric -> one value per replication; empty when no window stream ran."""
    if not any(getattr(r, "costs", None) for r in records):
        return {}
    factor = year_factor(scenario, warmup_days, days)
    by_rep: dict[int, list[object]] = {}
    for record in records:
        by_rep.setdefault(int(getattr(record, "replication")), []).append(record)  # noqa: B009
    per: dict[str, list[dict[str, float]]] = {}
    for r in range(replications):
        figures = site_costs(scenario, community_sums(scenario, by_rep.get(r, [])), factor)
        for site, metrics in figures.items():
            per.setdefault(site, []).append(metrics)
    return {
        site: {name: np.array([m[name] for m in ms]) for name in COST_METRICS}
        for site, ms in per.items()
    }
