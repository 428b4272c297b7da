"""A community's grids (网格) and its service station: events found, answered and routed.

Events are reported by residents or found on patrol (a Poisson stream over opening hours, from the
community's number of grids), are urgent or ordinary, and need a grid worker for travel (none for
an event found on patrol: the worker is there) plus handling. Urgent events go ahead of ordinary
ones in the queue (non-preemptive). Grid workers work the calendar's opening hours; an event in hand
at lunch or closing is finished, queued events wait for the next opening.

The community's serving posts (service posts, plus party-building posts where policy lets them
serve) minus ``policy.station_posts`` are its grid workers; purchased service hours add part-time
capacity to them. With merged grids (多网合一) the workers form one team that takes every event of
the community; with departmental grids each department has its own workers (split by the event
shares) and takes only its own events, which is the pooling the reform removed.

After handling, the event routes by the scenario's shares: closed by the grid worker; handed down
to the community service station (``station_posts``, a queue of its own) and closed there; handed
on to the street (leaves the model); or escalated to the street's enforcement team.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from jiedao.scenarios.model import Community, Scenario
from jiedao.scenarios.schema import WEEKDAYS
from jiedao.sim.arrivals import arrival_times, rate_segments
from jiedao.sim.calendar import WorkCalendar
from jiedao.sim.enforcement import ESCALATED, EnforcementTeam, department_index
from jiedao.sim.staffing import day_schedule, on_duty_minutes, split_staff
from jiedao.sim.station import Station, Table
from jiedao.sim.streams import generator, inverse_cdf

STREAM = "grid"
ROUTES = ("grid", "community", "street", "enforcement")
GRID, COMMUNITY, STREET, ENFORCEMENT = range(4)
URGENT, ORDINARY = 0, 1
DAIBAN = 1  # kind of a station row that is a window matter done on a resident's behalf


def grid_workers(scenario: Scenario, community: Community) -> tuple[float, int]:
    """(grid-worker staff-equivalents, station posts) of a community as the scenario has it."""
    serving = scenario.service_capacity_posts(community)
    station = min(scenario.policy.station_posts, serving)
    purchased = scenario.purchased_hours(community) / scenario.budget.hours_per_post_year
    return serving - station + purchased, station


class CommunityGrids:
    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        community: Community,
        calendar: WorkCalendar,
        horizon: float,
        seed: int,
        replication: int,
        enforcement: EnforcementTeam,
        workers: float | None = None,
        station_posts: int | None = None,
        station_jobs: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        demand = scenario.demand.grid
        self.env = env
        self.enforcement = enforcement
        rng = lambda purpose: generator(seed, replication, community.id, STREAM, purpose)  # noqa: E731
        default_workers, default_station = grid_workers(scenario, community)
        self.workers = default_workers if workers is None else workers
        self.station_posts = default_station if station_posts is None else station_posts

        working = [WEEKDAYS.index(d) for d in scenario.calendar.working_days]
        per_day = (
            demand.events_per_grid_per_month
            * community.grids
            * 12.0
            / calendar.working_days_per_year(len(working))
            * community.demand_factor
        )
        segments = rate_segments(
            calendar, per_day, demand.hour_profile, demand.weekday_profile, working
        )
        self.arrivals = arrival_times(rng("arrivals"), segments, horizon)
        n = len(self.arrivals)
        self.urgent = rng("urgent").random(n) < demand.urgent_share
        patrol = rng("patrol").random(n) < demand.patrol_share
        self.travel = np.where(patrol, 0.0, inverse_cdf(demand.travel_min, rng("travel").random(n)))
        self.handling = inverse_cdf(demand.handling_min, rng("handling").random(n))
        routing = {str(k): v for k, v in demand.routing.items()}
        route_shares = np.array([routing.get(r, 0.0) for r in ROUTES])
        cumulative = np.cumsum(route_shares)
        cumulative[-1] = 1.0
        self.route = np.minimum(
            np.searchsorted(cumulative, rng("route").random(n), side="right"), len(ROUTES) - 1
        )
        self.station_service = inverse_cdf(demand.station_handling_min, rng("station").random(n))
        self.department = department_index(demand.departments, rng("department").random(n))
        enforcement_demand = scenario.demand.enforcement
        self.case_days = inverse_cdf(
            enforcement_demand.duration_days, rng("case_duration").random(n)
        )
        self.case_department = department_index(
            enforcement_demand.departments, rng("case_department").random(n)
        )
        self.close = np.full(n, math.nan)  # closed, or handed on to the street / enforcement

        # grid workers' time free for events (the rest is routine work not modelled as a queue)
        capacity = self.workers * demand.event_time_share
        if scenario.policy.grid_mode == "merged":
            staff = {"all": capacity}
            self.team_of = np.zeros(len(demand.departments), dtype=np.int64)
        else:
            staff = split_staff(capacity, demand.departments)
            self.team_of = np.arange(len(demand.departments))
        self.schedules = [day_schedule(calendar, s) for s in staff.values()]
        self.tables = [Table() for _ in self.schedules]
        self.teams = [
            Station(env, table, schedule, on_done=self._make_route(table))
            for table, schedule in zip(self.tables, self.schedules, strict=True)
        ]
        self.team_row = np.full(n, -1, dtype=np.int64)
        self.team_index = np.full(n, -1, dtype=np.int64)
        self.station_schedule = day_schedule(calendar, self.station_posts)
        self.station_table = Table()
        self.station = Station(env, self.station_table, self.station_schedule, on_done=self._closed)
        env.process(self._arrive())
        if station_jobs is not None and len(station_jobs[0]):
            env.process(self._station_jobs(*station_jobs))

    def _station_jobs(self, arrival: np.ndarray, service: np.ndarray):
        """Window matters the station does on residents' behalf (代办, :func:`sim.windows.
        station_jobs`): rows of the station's table of kind :data:`DAIBAN`, queued with the events
        handed down, closing none of them."""
        env = self.env
        for i in range(len(arrival)):
            t = float(arrival[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            row = self.station_table.add(t, float(service[i]), math.inf, 0, i, DAIBAN)
            self.station.arrive(row)

    def _arrive(self):
        env = self.env
        service = self.travel + self.handling
        for i in range(len(self.arrivals)):
            t = float(self.arrivals[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            k = int(self.team_of[self.department[i]])
            priority = URGENT if self.urgent[i] else ORDINARY
            row = self.tables[k].add(
                t, float(service[i]), math.inf, priority, i, int(self.route[i])
            )
            self.team_row[i] = row
            self.team_index[i] = k
            self.teams[k].arrive(row)

    def _make_route(self, table: Table):
        def route(row: int) -> None:
            event = table.origin[row]
            where = self.route[event]
            now = self.env.now
            if where == COMMUNITY:
                station_row = self.station_table.add(
                    now, float(self.station_service[event]), math.inf, 0, event
                )
                self.station.arrive(station_row)
                return
            self.close[event] = now
            if where == ENFORCEMENT:
                self.enforcement.submit(
                    float(self.case_days[event]), int(self.case_department[event]), event, ESCALATED
                )

        return route

    def _closed(self, row: int) -> None:
        if self.station_table.kind[row] == DAIBAN:
            return
        self.close[self.station_table.origin[row]] = self.env.now

    def available_minutes(self, start: float, end: float) -> list[float]:
        return [on_duty_minutes(s, start, end) for s in self.schedules]

    def station_available_minutes(self, start: float, end: float) -> float:
        return on_duty_minutes(self.station_schedule, start, end)
