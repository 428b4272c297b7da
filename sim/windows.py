"""Window matters and the centres that take them: a street's convenience-service centre (便民服务
中心), or a district hall (a street entry marked ``hall``).

Residents' matters arise per community (:func:`draw_matters`), per part of a community under its
stable key (its id, its ``key``, or each key it ``merged_from``), as a non-homogeneous Poisson
process (:mod:`sim.arrivals`); each has a category, a service time, a patience, and is done online
or not, needs a second trip or not, comes back after giving up or not. Where it goes follows from
its category (:mod:`sim.access`): the community station (jobs for the station's posts,
:func:`station_jobs`), the community's street centre, or the district hall; a second trip comes
``second_trip_after_days`` working days later where the matter is completed. A centre's residents
are the first and second trips that come to it (:func:`draw_visits`, which the fast path reads
too), in arrival order.

Windows are either pooled (一窗通办: any clerk serves any matter, one queue) or specialised (one
queue and its own clerks per category; clerks split by ``specialised_windows`` or, if not given,
in proportion to each category's workload).

A resident whose patience runs out leaves; a share ``return_share`` of those come back once,
``return_after_days`` working days later at the same point of the working day. With ``at_closing =
"return"`` residents still queued at closing are sent home and all come back the same way; with
``"overtime"`` they are served after closing and the overtime is recorded.

Every visit is a row of its station's table; a return visit is a new row (``returning`` marks it),
so the accounting identity holds per visit: arrivals = completed + abandoned + sent home + still in
the centre at the horizon. :meth:`WindowCentre.costs` keeps the resident's whole cost per community
(:data:`sim.access.COST_PARTS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import simpy

from jiedao.scenarios.model import Community, Scenario, Street
from jiedao.scenarios.schema import WEEKDAYS, dist_mean
from jiedao.sim.access import (
    PART,
    STATION,
    community_order,
    empty_parts,
    routes,
    senders,
)
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
class Matters:
    """One community's window matters for one replication, in order of their first moment.

    Drawn per part of the community (its stable key, or each key it merged: ``Community.parts``)
    from streams named by that key, so the same residents arise in two scenarios wherever the keys
    agree, whatever the site ids. Every resident draws every uniform (category, service, patience,
    return, online, second trip) whatever the shares, so changing one share moves no other draw.
    """

    arrivals: np.ndarray
    category: np.ndarray  # index into ``demand.window.categories``
    service: np.ndarray
    patience: np.ndarray  # ``inf`` when the scenario has no patience
    will_return: np.ndarray  # abandoners who come back once (``return_share``)
    online: np.ndarray  # done online (``online_share``): no trip
    second: np.ndarray  # needs a second trip (``second_trip_share``)


@dataclass(frozen=True)
class Visits:
    """A window centre's residents for one replication, in arrival order (first and second trips;
    return visits after giving up are made during the run)."""

    arrivals: np.ndarray
    category: np.ndarray  # index into ``demand.window.categories``
    service: np.ndarray
    patience: np.ndarray  # ``inf`` when the scenario has no patience
    will_return: np.ndarray  # abandoners who come back once (``return_share``)
    community: np.ndarray | None = None  # the resident's community (scenario order)
    trip: np.ndarray | None = None  # 1: first trip, 2: second trip
    travel_min: np.ndarray | None = None  # one way, from the resident's community
    matter_time: np.ndarray | None = None  # when the matter arose (its first trip)


Segments = tuple[np.ndarray, np.ndarray, np.ndarray]


def visit_segments(
    scenario: Scenario, street: Street, calendar: WorkCalendar
) -> dict[float, Segments]:
    """The arrival rates over the calendar of every part that sends residents to the street's
    centre (:func:`sim.arrivals.rate_segments`), keyed by the part's visits per working day; pass
    it to :func:`draw_visits` to share them between replications."""
    cache: dict[float, Segments] = {}
    for community, sender in senders(scenario, street):
        for _, households in community.parts:
            _segments(scenario, sender, households, calendar, cache)
    return cache


def _segments(
    scenario: Scenario,
    street: Street,
    households: int,
    calendar: WorkCalendar,
    cache: dict[float, Segments] | None,
) -> Segments:
    demand = scenario.demand.window
    per_day = demand.rate_per_1000_households_per_day * households / 1000.0
    per_day *= street.demand_factor
    if cache is not None and per_day in cache:
        return cache[per_day]
    working = [WEEKDAYS.index(d) for d in scenario.calendar.working_days]
    segments = rate_segments(
        calendar, per_day, demand.hour_profile, demand.weekday_profile, working
    )
    if cache is not None:
        cache[per_day] = segments
    return segments


def draw_matters(
    scenario: Scenario,
    community: Community,
    street: Street,
    calendar: WorkCalendar,
    horizon: float,
    seed: int,
    replication: int,
    segments: dict[float, Segments] | None = None,
) -> Matters:
    """A community's matters in ``[0, horizon)`` (``street`` is the community's own street)."""
    demand = scenario.demand.window
    keys = list(demand.categories)
    cats = [demand.categories[k] for k in keys]
    cumulative = np.cumsum([c.share for c in cats])
    cumulative[-1] = 1.0
    online_share = np.array([c.online_share for c in cats])
    second_share = np.array([c.second_trip_share for c in cats])
    pieces: list[tuple[np.ndarray, ...]] = []
    for key, households in community.parts:
        rng = lambda purpose: generator(seed, replication, key, STREAM, purpose)  # noqa: B023, E731
        arrivals = arrival_times(
            rng("arrivals"), _segments(scenario, street, households, calendar, segments), horizon
        )
        n = len(arrivals)
        category = np.searchsorted(cumulative, rng("category").random(n), side="right")
        category = np.minimum(category, len(keys) - 1)
        u_service = rng("service").random(n)
        service = np.empty(n)
        for index, category_key in enumerate(keys):
            mask = category == index
            service[mask] = inverse_cdf(
                demand.categories[category_key].service_min, u_service[mask]
            )
        if demand.patience_min is not None:
            patience = inverse_cdf(demand.patience_min, rng("patience").random(n))
        else:
            patience = np.full(n, math.inf)
        will_return = rng("return").random(n) < demand.return_share
        online = rng("online").random(n) < online_share[category]
        second = rng("second").random(n) < second_share[category]
        pieces.append((arrivals, category, service, patience, will_return, online, second))
    columns = [np.concatenate(column) for column in zip(*pieces, strict=True)]
    order = np.argsort(columns[0], kind="stable")
    return Matters(*(column[order] for column in columns))


@dataclass(frozen=True)
class CentreDraw:
    """A centre's visits, and the matters of its own communities (whose whole cost its street
    accounts for)."""

    visits: Visits
    own: tuple[tuple[Community, Matters], ...]


def second_trip_times(calendar: WorkCalendar, arrivals: np.ndarray, days: int) -> np.ndarray:
    """The second trip of each matter: ``days`` working days after its first, same time of day."""
    return np.array([calendar.add_working_days(float(t), float(days)) for t in arrivals])


def draw_centre(
    scenario: Scenario,
    street: Street,
    calendar: WorkCalendar,
    horizon: float,
    seed: int,
    replication: int,
    segments: dict[float, Segments] | None = None,
) -> CentreDraw:
    """The residents who come to ``street``'s centre: first trips of the matters taken there, and
    second trips of matters sent back or up to it (:mod:`sim.access`)."""
    demand = scenario.demand.window
    paths = routes(scenario)
    order = community_order(scenario)
    columns: list[list[np.ndarray]] = [[] for _ in range(9)]
    own = []
    for community, home in senders(scenario, street):
        matters = draw_matters(
            scenario, community, home, calendar, horizon, seed, replication, segments
        )
        if home.id == street.id:
            own.append((community, matters))
        route = paths[community.id]
        first_here = np.array([r.first == street.id for r in route])
        second_here = np.array([r.second == street.id for r in route])
        first_min = np.array([r.first_min for r in route])
        second_min = np.array([r.second_min for r in route])
        cat = matters.category
        go = ~matters.online & first_here[cat]
        back = ~matters.online & matters.second & second_here[cat]
        when = second_trip_times(calendar, matters.arrivals[back], demand.second_trip_after_days)
        keep = when < horizon
        when = when[keep]
        back_index = np.flatnonzero(back)[keep]
        for trip, index, times, minutes in (
            (1, np.flatnonzero(go), matters.arrivals[go], first_min),
            (2, back_index, when, second_min),
        ):
            columns[0].append(times)
            columns[1].append(cat[index])
            columns[2].append(matters.service[index])
            columns[3].append(matters.patience[index])
            columns[4].append(matters.will_return[index])
            columns[5].append(np.full(len(index), order[community.id], dtype=np.int64))
            columns[6].append(np.full(len(index), trip, dtype=np.int8))
            columns[7].append(minutes[cat[index]])
            columns[8].append(matters.arrivals[index])
    if columns[0]:
        merged = [np.concatenate(c) for c in columns]
    else:
        merged = [np.empty(0) for _ in columns]
    merged[1] = merged[1].astype(np.int64)
    merged[4] = merged[4].astype(bool)
    merged[5] = merged[5].astype(np.int64)
    merged[6] = merged[6].astype(np.int8)
    by_time = np.argsort(merged[0], kind="stable")
    visits = Visits(*(m[by_time] for m in merged))
    return CentreDraw(visits, tuple(own))


def draw_visits(
    scenario: Scenario,
    street: Street,
    calendar: WorkCalendar,
    horizon: float,
    seed: int,
    replication: int,
    segments: dict[float, Segments] | None = None,
) -> Visits:
    """Draw a street centre's residents from their named streams (what :class:`WindowCentre` uses).

    Kept apart from the SimPy process so that other engines (the vectorised fast path in
    :mod:`sim.fastpath`) see exactly the same residents for the same seed and replication;
    ``segments`` (from :func:`visit_segments`) may be passed to share them between replications.
    """
    return draw_centre(scenario, street, calendar, horizon, seed, replication, segments).visits


def station_jobs(
    scenario: Scenario,
    community: Community,
    street: Street,
    calendar: WorkCalendar,
    horizon: float,
    seed: int,
    replication: int,
    stream_key: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(arrival, service) of the matters the community's station does on residents' behalf
    (代办): first trips of matters taken at the community, and second trips sent back to it, in
    ``[0, horizon)``. They are work for the station's posts (:class:`sim.grids.CommunityGrids`).
    ``stream_key`` names the residents' streams in place of the parts' keys (part ``i`` is
    ``"{stream_key}|{i}"``)."""
    route = routes(scenario)[community.id]
    first_here = np.array([r.first == STATION for r in route])
    second_here = np.array([r.second == STATION for r in route])
    if not (first_here.any() or second_here.any()):
        return np.empty(0), np.empty(0)
    if stream_key is not None:
        parts = tuple((f"{stream_key}|{i}", h) for i, (_, h) in enumerate(community.parts))
        community = replace(community, parts=parts)
    matters = draw_matters(scenario, community, street, calendar, horizon, seed, replication)
    cat = matters.category
    go = ~matters.online & first_here[cat]
    back = ~matters.online & matters.second & second_here[cat]
    days = scenario.demand.window.second_trip_after_days
    when = second_trip_times(calendar, matters.arrivals[back], days)
    keep = when < horizon
    arrival = np.concatenate([matters.arrivals[go], when[keep]])
    service = np.concatenate([matters.service[go], matters.service[back][keep]])
    by_time = np.argsort(arrival, kind="stable")
    return arrival[by_time], service[by_time]


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
        self.scenario = scenario
        self.street = street
        self.draw = draw_centre(scenario, street, calendar, horizon, seed, replication)
        visits = self.visits = self.draw.visits
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

    # --- the resident's whole cost ----------------------------------------------------------------

    def costs(self, warm: float, horizon: float) -> dict[str, np.ndarray]:
        """Sums of :data:`sim.access.COST_PARTS` per community id over the matters that arose in
        ``[warm, horizon)``: the visits to this centre (travel there and back, wait, service;
        return visits too), and for the street's own communities their matters, online matters,
        station trips (代办) and second trips that fall past the horizon (travel and service,
        whose wait is not simulated)."""
        ids = [c.id for c in self.scenario.communities()]
        out: dict[str, np.ndarray] = {}
        v = self.visits
        assert v.community is not None and v.travel_min is not None and v.matter_time is not None
        for table in self.tables:
            if not table.arrival:
                continue
            origin = np.asarray(table.origin, dtype=np.int64)
            arrival = np.asarray(table.arrival)
            start = np.asarray(table.start)
            left = np.asarray(table.left)
            service = np.asarray(table.service)
            when = v.matter_time[origin]
            cohort = (when >= warm) & (when < horizon)
            started = ~np.isnan(start)
            gone = ~started & ~np.isnan(left)
            wait = np.where(started, start, np.where(gone, left, horizon)) - arrival
            # a service started is what the resident spent, finished by the horizon or not
            served = np.where(started, service, 0.0)
            community = v.community[origin]
            for g in np.unique(community[cohort]):
                mask = cohort & (community == g)
                parts = out.setdefault(ids[int(g)], empty_parts())
                count = float(mask.sum())
                parts[PART["trips"]] += count
                parts[PART["window_visits"]] += count
                parts[PART["travel_min"]] += 2.0 * float(v.travel_min[origin[mask]].sum())
                parts[PART["wait_min"]] += float(wait[mask].sum())
                parts[PART["service_min"]] += float(served[mask].sum())
        paths = routes(self.scenario)
        days = self.scenario.demand.window.second_trip_after_days
        for community_, matters in self.draw.own:
            parts = out.setdefault(community_.id, empty_parts())
            route = paths[community_.id]
            cohort = (matters.arrivals >= warm) & (matters.arrivals < horizon)
            cat = matters.category
            parts[PART["matters"]] += float(cohort.sum())
            online = cohort & matters.online
            parts[PART["online"]] += float(online.sum())
            parts[PART["service_min"]] += float(matters.service[online].sum())
            at_station = np.array([r.first == STATION for r in route])[cat]
            station_min = np.array([r.first_min for r in route])[cat]
            go = cohort & ~matters.online & at_station
            parts[PART["station_matters"]] += float(go.sum())
            parts[PART["trips"]] += float(go.sum())
            parts[PART["station_trips"]] += float(go.sum())
            parts[PART["travel_min"]] += 2.0 * float(station_min[go].sum())
            parts[PART["service_min"]] += float(matters.service[go].sum())
            back = cohort & ~matters.online & matters.second
            parts[PART["second_trips"]] += float(back.sum())
            second_station = np.array([r.second == STATION for r in route])[cat]
            second_min = np.array([r.second_min for r in route])[cat]
            times = np.full(len(matters.arrivals), np.nan)
            times[back] = second_trip_times(self.calendar, matters.arrivals[back], days)
            # second trips to the station, and those past the horizon (never simulated)
            uncounted = back & (second_station | (times >= horizon))
            parts[PART["trips"]] += float(uncounted.sum())
            parts[PART["station_trips"]] += float((back & second_station).sum())
            parts[PART["travel_min"]] += 2.0 * float(second_min[uncounted].sum())
            parts[PART["service_min"]] += float(matters.service[uncounted].sum())
        return out
