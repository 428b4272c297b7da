"""A street's comprehensive enforcement team (综合执法): cases that take working days.

Cases come directly (complaints, inspections: a Poisson stream over opening hours) and as
escalations from the street's grids. The team works cases in parallel: ``enforcement_officers x
cases_per_officer`` case slots (rounded down); a case waits first-come-first-served for a free slot,
then runs for its duration in *working days* on the working calendar (so a case of 3 working days
started on a Friday afternoon ends on Wednesday afternoon). Pooled (一支队伍管执法, one team per
street) or departmental (each department its own officers and cases, split by the department
shares) is a scenario switch.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from jiedao.scenarios.model import Scenario, Street
from jiedao.scenarios.schema import WEEKDAYS
from jiedao.sim.arrivals import arrival_times, rate_segments
from jiedao.sim.calendar import WorkCalendar
from jiedao.sim.staffing import always, on_duty_minutes, split_staff
from jiedao.sim.station import Station, Table
from jiedao.sim.streams import generator, inverse_cdf

STREAM = "enforcement"
DIRECT, ESCALATED = 0, 1


def department_index(shares: dict[str, float], u: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(list(shares.values()))
    cumulative[-1] = 1.0
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(shares) - 1)


class EnforcementTeam:
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
        demand = scenario.demand.enforcement
        self.env = env
        self.calendar = calendar
        self.demand = demand
        rng = lambda purpose: generator(seed, replication, street.id, STREAM, purpose)  # noqa: E731
        working = [WEEKDAYS.index(d) for d in scenario.calendar.working_days]
        per_day = (
            demand.direct_cases_per_street_per_month
            * 12.0
            / calendar.working_days_per_year(len(working))
            * street.demand_factor
        )
        segments = rate_segments(calendar, per_day, None, None, working)
        self.direct = arrival_times(rng("arrivals"), segments, horizon)
        n = len(self.direct)
        self.direct_days = inverse_cdf(demand.duration_days, rng("duration").random(n))
        self.direct_department = department_index(demand.departments, rng("department").random(n))

        if scenario.policy.enforcement_mode == "pooled":
            officers = {"all": float(street.enforcement_officers)}
            self.department_station = np.zeros(len(demand.departments), dtype=np.int64)
        else:
            officers = split_staff(street.enforcement_officers, demand.departments)
            self.department_station = np.arange(len(demand.departments))
        self.slots = [
            int(math.floor(o * demand.cases_per_officer + 1e-9)) for o in officers.values()
        ]
        self.schedules = [always(s) for s in self.slots]
        self.tables = [Table() for _ in self.slots]
        self.work_days: list[list[float]] = [[] for _ in self.slots]
        self.stations = [
            Station(env, table, schedule, duration=self._make_duration(k), priorities=1)
            for k, (table, schedule) in enumerate(zip(self.tables, self.schedules, strict=True))
        ]
        env.process(self._arrive())

    def _make_duration(self, k: int):
        work_days = self.work_days[k]
        calendar = self.calendar

        def duration(row: int, now: float) -> float:
            return calendar.add_working_days(now, work_days[row]) - now

        return duration

    def submit(self, days: float, department: int, origin: int, source: int) -> None:
        """A case arrives now (``source``: DIRECT or ESCALATED; ``origin``: caller's index)."""
        k = int(self.department_station[department])
        row = self.tables[k].add(self.env.now, math.nan, math.inf, 0, origin, source)
        self.work_days[k].append(float(days))
        self.stations[k].arrive(row)

    def _arrive(self):
        env = self.env
        for i in range(len(self.direct)):
            t = float(self.direct[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            self.submit(float(self.direct_days[i]), int(self.direct_department[i]), i, DIRECT)

    def available_minutes(self, start: float, end: float) -> list[float]:
        return [on_duty_minutes(s, start, end) for s in self.schedules]
