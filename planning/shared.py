"""Shared response curves: communities whose curve inputs are identical share one measurement.

A community's grid curve (:func:`planning.response.measure_curves`) depends on the scenario (the
same for every community of it), its staffing levels, and a few of its own figures. Two
communities equal in all of these have the same curve in distribution; to make them the *same
numbers*, their random streams are named by a hash of exactly those inputs (:func:`curve_key`)
instead of by the community's id. The measurement of one is then, bit for bit, the measurement of
the other, and is made once (exact by construction; ``tests/planning/test_shared.py`` measures
both separately and compares).

The inputs, all that the grid model reads of a community and its street when its curve is
measured (``sim.grids``, and the 代办 matters of ``sim.windows.station_jobs``):

- its events: ``grids``, ``households`` (and so the residents: ``residents``,
  ``persons_per_household``), ``demand_factor``, ``household_shares``;
- what sets its staffing levels and how each level splits: the staff-equivalents its own funds
  buy and the station's posts (the levels and their split follow from these and the scenario's
  figures, the same for every community of a scenario);
- the matters its station does on residents' behalf, when any category is taken or completed at
  the community: which categories are, the households of each of its parts, and its street's
  ``demand_factor``.

Its id, names, path, posts beyond the station's, travel times and the rest of its street are not
inputs. Nor is anything of the scenario's (demand rates, durations, targets, the calendar): they
are the same for every community, and leaving them out keeps the streams when a variant moves
them, so that sensitivity analysis (``planning.whatif``) compares curves on common random
numbers, as it did with streams named by id. The check of a plan (``planning.plan``) still
simulates every community with its own streams.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from jiedao.scenarios.model import Community, Scenario, Street
from jiedao.sim.access import STATION, routes
from jiedao.sim.grids import grid_staff


def curve_inputs(scenario: Scenario, street: Street, community: Community) -> dict[str, Any]:
    """What shapes the community's curve (module docstring), as plain JSON values."""
    route = routes(scenario)[community.id]
    first = [r.first == STATION for r in route]
    second = [r.second == STATION for r in route]
    inputs: dict[str, Any] = {
        "grids": community.grids,
        "households": community.households,
        "residents": community.residents,
        "persons_per_household": community.persons_per_household,
        "demand_factor": community.demand_factor,
        "household_shares": sorted(community.household_shares.items()),
        "purchased": grid_staff(scenario, community)[1],
        "station_posts": grid_staff(scenario, community)[2],
    }
    if any(first) or any(second):
        inputs["station_matters"] = {
            "first": first,
            "second": second,
            "parts": [h for _, h in community.parts],
            "street_demand_factor": street.demand_factor,
        }
    return inputs


def curve_key(inputs: dict[str, Any]) -> str:
    """The name of the curve's random streams: 128 bits of SHA-256 of its inputs (floats written
    exactly, by ``repr``)."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=repr)
    return "curve:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Sharing:
    """Which community measures each curve (the first of its key, in the scenario's order)."""

    key: dict[str, str]  # community id -> its curve's key
    measured_by: dict[str, str]  # community id -> the community whose measurement it takes

    @property
    def measured(self) -> list[str]:
        """The communities measured, one per distinct curve, in the scenario's order."""
        return [c for c, m in self.measured_by.items() if c == m]

    @property
    def distinct(self) -> int:
        return len(self.measured)


def share_curves(scenario: Scenario, share: bool = True) -> Sharing:
    """Group the communities by curve key (``share`` off: every community measured, still on
    its hashed streams)."""
    key: dict[str, str] = {}
    first: dict[str, str] = {}
    measured_by: dict[str, str] = {}
    for street in scenario.streets():
        for community in street.communities:
            k = curve_key(curve_inputs(scenario, street, community))
            key[community.id] = k
            owner = first.setdefault(k, community.id) if share else community.id
            measured_by[community.id] = owner
    return Sharing(key, measured_by)
