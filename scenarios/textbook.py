"""Textbook scenarios built in code: one street, one community, no noise.

For validating the engine against queueing theory (the tests) and for measuring its cost (the
benchmarks), where a scenario file would only hide the one number that matters.

``queue_scenario`` is the textbook case: a street centre open 24 hours on every day, Poisson
arrivals at ``lam`` per minute, one matter category with the given service distribution, ``c``
pooled windows, no reneging unless ``patience`` is given. Grids and enforcement carry no demand
unless asked for.
"""

from __future__ import annotations

import copy
from typing import Any

from jiedao.scenarios.loader import load_data
from jiedao.scenarios.model import Scenario

EXP = {"dist": "exponential", "mean": 1.0}
QUEUE_HOUSEHOLDS = 100_000


def base_data() -> dict[str, Any]:
    return {
        "name": "test",
        "calendar": {
            "start_date": "2026-03-02",
            "open": "08:30",
            "close": "17:00",
            "lunch": ["12:00", "13:30"],
            "working_days": ["mon", "tue", "wed", "thu", "fri"],
        },
        "demand": {
            "window": {
                "rate_per_1000_households_per_day": 0.0,
                "categories": {
                    "all": {"share": 1.0, "service_min": {"dist": "deterministic", "value": 10.0}}
                },
            },
            "grid": {
                "events_per_grid_per_month": 0.0,
                "travel_min": {"dist": "deterministic", "value": 0.0},
                "handling_min": {"dist": "deterministic", "value": 60.0},
                "station_handling_min": {"dist": "deterministic", "value": 30.0},
                "routing": {"grid": 1.0},
            },
            "enforcement": {
                "direct_cases_per_street_per_month": 0.0,
                "duration_days": {"dist": "deterministic", "value": 5.0},
            },
        },
        "defaults": {
            "street": {"windows": 1, "enforcement_officers": 1},
            "community": {"posts": 4, "grids": 1},
        },
        "districts": {"d": {"streets": {"s": {"communities": {"c": {"households": 1000}}}}}},
    }


def build(data: dict[str, Any], overrides: list[str] | None = None) -> Scenario:
    data = copy.deepcopy(data)
    data["calendar"]["start_date"] = _date(data["calendar"]["start_date"])
    return load_data(data, "test.toml", overrides=overrides or [])


def _date(value: Any) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def queue_scenario(
    lam: float,
    c: int,
    service: dict[str, Any] | None = None,
    patience: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
) -> Scenario:
    """M/G/c(+G) at a street centre open around the clock; ``lam`` arrivals per minute."""
    data = base_data()
    data["calendar"].update(
        open="00:00",
        close="24:00",
        lunch=[],
        working_days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    )
    window = data["demand"]["window"]
    # a street of 100,000 households keeps the visit rate per 1,000 households plausible
    data["districts"]["d"]["streets"]["s"]["communities"]["c"]["households"] = QUEUE_HOUSEHOLDS
    window["rate_per_1000_households_per_day"] = lam * 1440.0 * 1000.0 / QUEUE_HOUSEHOLDS
    window["categories"]["all"]["service_min"] = service or EXP
    if patience is not None:
        window["patience_min"] = patience
    data["defaults"]["street"]["windows"] = c
    return build(data, overrides)
