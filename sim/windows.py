"""A street's convenience-service centre (便民服务中心): residents queueing at windows.

Residents arrive as a non-homogeneous Poisson process (:mod:`sim.arrivals`) with a matter category;
their service time comes from the category's distribution. Windows are either pooled (一窗通办:
any clerk serves any matter, one queue) or specialised (one queue and its own clerks per
category; clerks split by ``specialised_windows`` or, if not given, in proportion to each
category's workload).

A resident whose patience runs out leaves; a share ``return_share`` of those come back once,
``return_after_days`` working days later at the same point of the working day. With ``at_closing =
"return"`` residents still queued at closing are sent home and all come back the same way; with
``"overtime"`` they are served after closing and the overtime is recorded.

Every visit is a row of its station's table; a return visit is a new row (``returning`` marks it),
so the accounting identity holds per visit: arrivals = completed + abandoned + sent home + still in
the centre at the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import simpy

from jiedao.scenarios.model import Scenario, Street
from jiedao.scenarios.schema import WEEKDAYS, dist_mean
from jiedao.sim.arrivals import arrival_times, rate_segments
from jiedao.sim.calendar import WorkCalendar
from jiedao.sim.staffing import day_schedule, on_duty_minutes, split_staff
from jiedao.sim.station import ABANDONED, SENT_HOME, Station, Table
from jiedao.sim.streams import generator, inverse_cdf

STREAM = "window"


def category_windows(scenario: Scenario, street: Street) -> dict[str, float]:
    """Clerks per category under specialised windows."""
    categories = scenario.demand.window.categories
    if street.specialised_windows is not None:
        return {k: float(street.specialised_windows.get(k, 0)) for k in categories}
    load = {k: c.share * dist_mean(c.service_min) for k, c in categories.items()}
    total = sum(load.values())
    shares = {k: (v / total if total > 0 else 1.0 / len(load)) for k, v in load.items()}
    n = street.windows
    if n >= len(categories):
        # at least one clerk per category, the rest by workload
        rest = split_staff(n - len(categories), shares)
        return {k: 1.0 + rest[k] for k in categories}
    return split_staff(n, shares)


@dataclass(frozen=True)
class Visits:
    """A window centre's residents for one replication, in arrival order (first visits only)."""

    arrivals: np.ndarray
    category: np.ndarray  # index into ``demand.window.categories``
    service: np.ndarray
    patience: np.ndarray  # ``inf`` when the scenario has no patience
    will_return: np.ndarray  # abandoners who come back once (``return_share``)


def visit_segments(
    scenario: Scenario, street: Street, calendar: WorkCalendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The centre's arrival rate over the calendar (:func:`sim.arrivals.rate_segments`)."""
    demand = scenario.demand.window
    per_day = demand.rate_per_1000_households_per_day * street.households / 1000.0
    per_day *= street.demand_factor
    working = [WEEKDAYS.index(d) for d in scenario.calendar.working_days]
    return rate_segments(calendar, per_day, demand.hour_profile, demand.weekday_profile, working)


def draw_visits(
    scenario: Scenario,
    street: Street,
    calendar: WorkCalendar,
    horizon: float,
    seed: int,
    replication: int,
    segments: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Visits:
    """Draw a street centre's residents from its named streams (what :class:`WindowCentre` uses).

    Kept apart from the SimPy process so that other engines (the vectorised fast path in
    :mod:`sim.fastpath`) see exactly the same residents for the same seed and replication;
    ``segments`` (from :func:`visit_segments`) may be passed to share them between replications.
    """
    demand = scenario.demand.window
    rng = lambda purpose: generator(seed, replication, street.id, STREAM, purpose)  # noqa: E731
    if segments is None:
        segments = visit_segments(scenario, street, calendar)
    arrivals = arrival_times(rng("arrivals"), segments, horizon)
    n = len(arrivals)
    keys = list(demand.categories)
    shares = np.array([demand.categories[k].share for k in keys])
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    category = np.searchsorted(cumulative, rng("category").random(n), side="right")
    category = np.minimum(category, len(keys) - 1)
    u_service = rng("service").random(n)
    service = np.empty(n)
    for index, key in enumerate(keys):
        mask = category == index
        service[mask] = inverse_cdf(demand.categories[key].service_min, u_service[mask])
    if demand.patience_min is not None:
        patience = inverse_cdf(demand.patience_min, rng("patience").random(n))
    else:
        patience = np.full(n, math.inf)
    will_return = rng("return").random(n) < demand.return_share
    return Visits(arrivals, category, service, patience, will_return)


class WindowCentre:
    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        street: Street,
        calendar: WorkCalendar,
        horizon: float,
        seed: int,
        replication: int,
    ) -> None:
        demand = scenario.demand.window
        self.env = env
        self.calendar = calendar
        self.horizon = horizon
        self.return_share = demand.return_share
        self.return_after = float(demand.return_after_days)
        visits = draw_visits(scenario, street, calendar, horizon, seed, replication)
        self.arrivals = visits.arrivals
        self.category = visits.category
        self.service = visits.service
        self.patience = visits.patience
        self.will_return = visits.will_return
        keys = list(demand.categories)

        if scenario.policy.window_mode == "pooled":
            self.schedules = [day_schedule(calendar, street.windows, street.window_shifts)]
            self.station_of = np.zeros(len(keys), dtype=np.int64)
        else:
            clerks = category_windows(scenario, street)
            self.schedules = [day_schedule(calendar, clerks[k]) for k in keys]
            self.station_of = np.arange(len(keys))
        self.tables = [Table() for _ in self.schedules]
        # overtime past closing, per clerk per day (None: the evening queue is served whatever
        # it takes); the mechanism is sim.station's
        allowance = scenario.overtime.window_h_per_clerk_day
        self.stations = [
            Station(
                env,
                table,
                schedule,
                at_closing=demand.at_closing,
                on_leave=self._make_on_leave(table),
                priorities=1,
                allowance_min=None if allowance is None else allowance * 60.0,
            )
            for table, schedule in zip(self.tables, self.schedules, strict=True)
        ]
        self.returning: list[set[int]] = [set() for _ in self.tables]
        env.process(self._arrive())

    def _arrive(self):
        env = self.env
        arrivals, service, patience = self.arrivals, self.service, self.patience
        category, station_of = self.category, self.station_of
        stations, tables = self.stations, self.tables
        for i in range(len(arrivals)):
            t = float(arrivals[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            k = int(station_of[category[i]])
            row = tables[k].add(
                t, float(service[i]), t + float(patience[i]), 0, i, int(category[i])
            )
            stations[k].arrive(row)

    def _make_on_leave(self, table: Table):
        def on_leave(row: int, when: float) -> None:
            resident = table.origin[row]
            k = int(self.station_of[self.category[resident]])
            outcome = table.outcome[row]
            if outcome == ABANDONED and (
                not self.will_return[resident] or row in self.returning[k]
            ):
                return
            if outcome not in (ABANDONED, SENT_HOME):
                return
            back = self.calendar.add_working_days(table.arrival[row], self.return_after)
            if back >= self.horizon:
                return
            event = self.env.timeout(max(back - self.env.now, 0.0), (k, resident))
            event.callbacks.append(self._come_back)

        return on_leave

    def _come_back(self, event: simpy.Event) -> None:
        k, resident = event._value
        now = self.env.now
        row = self.tables[k].add(
            now,
            float(self.service[resident]),
            now + float(self.patience[resident]),
            0,
            resident,
            int(self.category[resident]),
        )
        self.returning[k].add(row)
        self.stations[k].arrive(row)

    def available_minutes(self, start: float, end: float) -> list[float]:
        return [on_duty_minutes(s, start, end) for s in self.schedules]
