"""One street for one replication: build the SimPy model, run it, return plain records.

A street is an independent unit of the city model: its window centre, and its communities' grids
and service stations with the street's enforcement team that their escalations feed. Windows and
cases run in two environments with their own horizons (``days`` for windows, whose queues empty
every evening; ``case_days`` for grids and enforcement, whose deadlines are days or weeks long).

The records are numpy arrays and numbers only: they pickle, so streets and replications can run in
other processes or on a cluster while the SimPy environments stay where they were built.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import simpy

from jiedao.scenarios.model import Scenario
from jiedao.sim.calendar import DAY, WorkCalendar
from jiedao.sim.enforcement import EnforcementTeam
from jiedao.sim.grids import CommunityGrids
from jiedao.sim.station import Station, Table
from jiedao.sim.windows import WindowCentre, category_windows, station_jobs

# Cases may end after the horizon; the calendar runs on so that their end can be placed.
CALENDAR_SLACK_DAYS = 400


@dataclass
class StationRecord:
    arrival: np.ndarray
    start: np.ndarray
    end: np.ndarray
    service: np.ndarray
    expiry: np.ndarray
    outcome: np.ndarray
    left: np.ndarray
    priority: np.ndarray
    kind: np.ndarray
    origin: np.ndarray
    returning: np.ndarray
    available_min: float  # scheduled on-duty server-minutes in the observation window
    overtime_min: float  # server-minutes past closing over the whole run (sim.station)
    marked: np.ndarray = field(default_factory=lambda: np.empty(0))
    # pauses of work in hand (on-duty clock): row, from, to (nan: still paused at the horizon)
    pause_row: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    pause_from: np.ndarray = field(default_factory=lambda: np.empty(0))
    pause_to: np.ndarray = field(default_factory=lambda: np.empty(0))
    # server-minutes worked off schedule: from, to, servers, after closing (else a break overrun)
    extra_from: np.ndarray = field(default_factory=lambda: np.empty(0))
    extra_to: np.ndarray = field(default_factory=lambda: np.empty(0))
    extra_servers: np.ndarray = field(default_factory=lambda: np.empty(0))
    extra_closing: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    staff: float = 0.0  # the station's nominal staff (workers, clerks), for per-worker figures

    @classmethod
    def of(
        cls,
        table: Table,
        station: Station,
        available: float,
        returning: set[int] | None = None,
        staff: float = 0.0,
    ) -> StationRecord:
        n = len(table.arrival)
        back = np.zeros(n, dtype=bool)
        if returning:
            back[list(returning)] = True
        extra = station.extra
        return cls(
            arrival=np.asarray(table.arrival, dtype=float),
            start=np.asarray(table.start, dtype=float),
            end=np.asarray(table.end, dtype=float),
            service=np.asarray(table.service, dtype=float),
            expiry=np.asarray(table.expiry, dtype=float),
            outcome=np.asarray(table.outcome, dtype=np.int8),
            left=np.asarray(table.left, dtype=float),
            priority=np.asarray(table.priority, dtype=np.int8),
            kind=np.asarray(table.kind, dtype=np.int16),
            origin=np.asarray(table.origin, dtype=np.int64),
            returning=back,
            available_min=available,
            overtime_min=station.overtime_min,
            marked=np.asarray(table.marked, dtype=float),
            pause_row=np.asarray(table.pause_row, dtype=np.int64),
            pause_from=np.asarray(table.pause_from, dtype=float),
            pause_to=np.asarray(table.pause_to, dtype=float),
            extra_from=np.array([e[0] for e in extra], dtype=float),
            extra_to=np.array([e[1] for e in extra], dtype=float),
            extra_servers=np.array([e[2] for e in extra], dtype=float),
            extra_closing=np.array([e[3] for e in extra], dtype=bool),
            staff=staff,
        )


@dataclass
class GridRecord:
    community: str
    arrival: np.ndarray
    urgent: np.ndarray
    travel: np.ndarray
    route: np.ndarray
    close: np.ndarray
    team_start: np.ndarray  # first start of work on the event (team or on-call worker)
    teams: list[StationRecord]
    station: StationRecord
    answered: np.ndarray = field(default_factory=lambda: np.empty(0))  # a worker on site
    work: np.ndarray = field(default_factory=lambda: np.empty(0))  # travel + handling minutes
    on_call: StationRecord | None = None
    workers: float = 0.0  # grid staff-equivalents (workers from posts + purchased)
    event_staff: float = 0.0  # of them, free for events after duties
    duty_workers: float = 0.0  # workers the duties need (visits, patrol)
    duty_available: float = 0.0  # staff time left after meetings, for duties and events


@dataclass
class StreetRecord:
    street: str
    replication: int
    windows: list[StationRecord] = field(default_factory=list)
    grids: list[GridRecord] = field(default_factory=list)
    enforcement: list[StationRecord] = field(default_factory=list)
    # the resident's whole cost: sums of sim.access.COST_PARTS per community id
    costs: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def residents(self) -> int:
        """Visits, events and cases simulated (for throughput figures)."""
        count = sum(len(s.arrival) for s in self.windows)
        count += sum(len(g.arrival) + len(g.station.arrival) for g in self.grids)
        return count + sum(len(s.arrival) for s in self.enforcement)


def simulate_street(
    scenario: Scenario,
    street_id: str,
    replication: int,
    seed: int,
    days: int,
    case_days: int,
    warmup_days: int = 0,
    case_warmup_days: int = 0,
    streams: tuple[str, ...] = ("window", "grid", "enforcement"),
    grid_workers: dict[str, float | tuple[float, float]] | None = None,
    stream_keys: dict[str, str] | None = None,
    only: Collection[str] | None = None,
) -> StreetRecord:
    """Run one street for one replication. ``grid_workers`` overrides staffing per community id:
    grid workers from posts, or (grid workers from posts, purchased staff-equivalents).
    ``stream_keys`` names a community's grid streams (and its 代办 residents') by a key in place
    of its id; ``only`` limits the grids to those communities (a response curve's)."""
    street = next(s for s in scenario.streets() if s.id == street_id)
    record = StreetRecord(street=street_id, replication=replication)

    if "window" in streams:
        horizon = days * DAY
        calendar = WorkCalendar.build(scenario.calendar, days + CALENDAR_SLACK_DAYS, days)
        env = simpy.Environment()
        centre = WindowCentre(env, scenario, street, calendar, horizon, seed, replication)
        env.run(until=horizon)
        available = centre.available_minutes(warmup_days * DAY, horizon)
        clerks = (
            [float(street.windows)]
            if scenario.policy.window_mode == "pooled"
            else list(category_windows(scenario, street).values())
        )
        for k, (table, station) in enumerate(zip(centre.tables, centre.stations, strict=True)):
            station.finish(horizon)
            record.windows.append(
                StationRecord.of(table, station, available[k], centre.returning[k], clerks[k])
            )
        record.costs = centre.costs(warmup_days * DAY, horizon)

    if "grid" in streams or "enforcement" in streams:
        horizon = case_days * DAY
        start = case_warmup_days * DAY
        calendar = WorkCalendar.build(scenario.calendar, case_days + CALENDAR_SLACK_DAYS, case_days)
        env = simpy.Environment()
        team = EnforcementTeam(env, scenario, street, calendar, horizon, seed, replication)
        grids = []
        keys = stream_keys or {}
        communities = [c for c in street.communities if only is None or c.id in only]
        for community in communities:
            given = None if grid_workers is None else grid_workers.get(community.id)
            workers, purchased = (given, 0.0) if not isinstance(given, tuple) else given
            grids.append(
                CommunityGrids(
                    env,
                    scenario,
                    community,
                    calendar,
                    horizon,
                    seed,
                    replication,
                    team,
                    workers=workers,
                    purchased=purchased if given is not None else None,
                    station_jobs=station_jobs(
                        scenario, community, street, calendar, horizon, seed, replication,
                        keys.get(community.id),
                    ),
                    stream_key=keys.get(community.id),
                )  # fmt: skip
            )
        env.run(until=horizon)
        for g, community in zip(grids, communities, strict=True):
            available = g.available_minutes(start, horizon)
            teams = []
            for k, (table, station) in enumerate(zip(g.tables, g.teams, strict=True)):
                station.finish(horizon)
                teams.append(StationRecord.of(table, station, available[k], staff=g.team_staff[k]))
            first_start, answered = g.event_times()
            on_call = None
            if g.on_call is not None:
                g.on_call.finish(horizon)
                on_call = StationRecord.of(g.on_call_table, g.on_call, 0.0, staff=1.0)
            g.station.finish(horizon)
            capacity = g.capacity
            record.grids.append(
                GridRecord(
                    community=community.id,
                    arrival=g.arrivals,
                    urgent=g.urgent,
                    travel=g.travel,
                    route=g.route,
                    close=g.close,
                    team_start=first_start,
                    teams=teams,
                    station=StationRecord.of(
                        g.station_table,
                        g.station,
                        g.station_available_minutes(start, horizon),
                        staff=float(g.station_posts),
                    ),
                    answered=answered,
                    work=g.work,
                    on_call=on_call,
                    workers=capacity.staff,
                    event_staff=capacity.event_staff,
                    duty_workers=capacity.duty_workers,
                    duty_available=capacity.workers * (1.0 - capacity.meeting_share)
                    + capacity.purchased,
                )
            )
        available = team.available_minutes(start, horizon)
        for k, (table, station) in enumerate(zip(team.tables, team.stations, strict=True)):
            station.finish(horizon)
            record.enforcement.append(StationRecord.of(table, station, available[k]))
    return record
