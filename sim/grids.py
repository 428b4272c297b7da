"""A community's grids (网格) and its service station: events found, answered and routed.

**Demand.** Events arise at ``events_per_1000_residents_per_month`` (residents = households x
persons per household where not given) or, as an alternative, ``events_per_grid_per_month`` x grids;
either times the community's ``demand_factor`` and its household mix (household types with an
``event_factor``, relative to the city's mix): see :func:`events_per_day`. They arrive as a Poisson
stream over opening hours. An event is urgent or ordinary, and found on patrol (``patrol_share``: no
travel, short handling ``patrol_handling_min``) or reported by a resident (travel, scaled with the
grid's size where ``travel_reference_households_per_grid`` is given, plus ``handling_min``).

**Capacity.** The community's serving posts minus ``policy.station_posts`` are its grid
workers. Their duties (household visits per household a year by household type, patrol per
grid a day, meetings and data work per worker a week: ``[duties]``) are subtracted from their
on-duty time first (:func:`team_capacity`). Purchased service hours (政府购买服务) add to the team's
hours and may do duties and events alike (household visits are what such hours often buy), but
sit in no meetings. What is left after the duties is the team's event staff, fractional staff
being one part-time server present on that share of working days (:mod:`sim.staffing`). A
``demand.grid.event_time_share`` replaces the duties by a flat share (the old, calibrated
model; documented as an override).

**Service.** The team works on the on-duty clock (:mod:`sim.station`, ``at_break = "pause"``):
urgent events ahead of ordinary ones, non-preemptive (a worker finishes the job in hand; an urgent
event takes the next free worker), first come first served within a class; a job in hand at lunch
pauses and resumes at 13:30, one in hand at closing runs on for at most the overtime allowance
(``overtime.grid_h_per_worker_day``) and then pauses until the next opening. An urgent event counts
as *answered* when a worker arrives on site (the job's travel is done: ``Table.marked``). Off duty
(lunch, nights, weekends, holidays) urgent events are answered by the community's **on-call duty
worker** (值班, ``urgent_after_hours = "on_call"``): urgent events waiting or paused when the team
goes off duty are handed to the on-call worker (with the work left), who takes them one at a time,
first come first served, and finishes the one in hand; at the next opening those the on-call worker
has not started go back to the team. With ``"next_opening"`` (or no grid workers from posts, whose
rota the on-call duty is) they wait for the team.

With merged grids (多网合一) the workers form one team that takes every event of the community; with
departmental grids each department has its own workers (split by the event shares) and takes only
its own events, which is the pooling the reform removed.

**Routing.** After handling, the event routes by the scenario's shares: closed by the grid worker;
handed down to the community service station (``station_posts``, on the same on-duty clock and
allowance) and closed there; handed on to the street (leaves the model); or escalated to the
street's enforcement team. The station is a plain :class:`Station` fed by
:meth:`CommunityGrids.submit_to_station`, so other streams of matters (done at the station on
residents' behalf) can be fed into it too; only rows of kind :data:`FROM_GRID` close grid events.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from jiedao.scenarios.model import Community, Scenario
from jiedao.scenarios.schema import WEEKDAYS, dist_mean, minutes_of_day
from jiedao.sim.arrivals import arrival_times, rate_segments
from jiedao.sim.calendar import WorkCalendar
from jiedao.sim.enforcement import ESCALATED, EnforcementTeam, department_index
from jiedao.sim.staffing import always, day_schedule, on_duty_minutes, split_staff
from jiedao.sim.station import Change, Station, Table
from jiedao.sim.streams import generator, inverse_cdf

STREAM = "grid"
ROUTES = ("grid", "community", "street", "enforcement")
GRID, COMMUNITY, STREET, ENFORCEMENT = range(4)
URGENT, ORDINARY = 0, 1
FROM_GRID = 0  # kind of a station row handed down by a grid worker
DAIBAN = 1  # kind of a station row that is a window matter done on a resident's behalf
WEEKS_PER_YEAR = 365.25 / 7.0


# --- the community's demand and capacity (pure: the plan's estimates use them too) ---------------


def working_days_per_year(scenario: Scenario) -> float:
    return WEEKS_PER_YEAR * len(scenario.calendar.working_days)


def duty_minutes_per_day(scenario: Scenario) -> float:
    """On-duty minutes of a working day (opening to closing, lunch excluded)."""
    calendar = scenario.calendar
    span = minutes_of_day(calendar.close) - minutes_of_day(calendar.open)
    if calendar.lunch:
        span -= minutes_of_day(calendar.lunch[1]) - minutes_of_day(calendar.lunch[0])
    return float(span)


def household_event_factor(scenario: Scenario, community: Community) -> float:
    """Events of the community's household mix relative to the city's mix (1 for the city's)."""
    types = scenario.duties.household_types
    own = 1.0 + sum(
        community.household_shares.get(k, t.household_share) * (t.event_factor - 1.0)
        for k, t in types.items()
    )
    city = 1.0 + sum(t.household_share * (t.event_factor - 1.0) for t in types.values())
    return own / city if city > 0 else 1.0


def events_per_month(scenario: Scenario, community: Community) -> float:
    """The community's events in an average month (before its demand factor and household mix)."""
    demand = scenario.demand.grid
    if demand.events_per_grid_per_month is not None:
        return demand.events_per_grid_per_month * community.grids
    rate = demand.events_per_1000_residents_per_month or 0.0
    return rate * community.population / 1000.0


def events_per_day(scenario: Scenario, community: Community) -> float:
    """Events per average working day: a month's events x 12 over the working days of a year, times
    the community's demand factor and household mix."""
    return (
        events_per_month(scenario, community)
        * 12.0
        / working_days_per_year(scenario)
        * community.demand_factor
        * household_event_factor(scenario, community)
    )


def travel_factor(scenario: Scenario, community: Community) -> float:
    """Travel times scale with the square root of a grid's households (its area, at one density)
    when the scenario gives the size its travel times are stated for."""
    reference = scenario.demand.grid.travel_reference_households_per_grid
    if reference is None or community.grids <= 0:
        return 1.0
    return math.sqrt(community.households / community.grids / reference)


def event_work_min(scenario: Scenario, community: Community) -> float:
    """Mean minutes of a grid worker's work per event (travel and handling)."""
    demand = scenario.demand.grid
    patrol = demand.patrol_handling_min or demand.handling_min
    reported = dist_mean(demand.travel_min) * travel_factor(scenario, community) + dist_mean(
        demand.handling_min
    )
    return demand.patrol_share * dist_mean(patrol) + (1.0 - demand.patrol_share) * reported


def visit_minutes_per_day(scenario: Scenario, community: Community) -> float:
    """Household visits, in minutes per working day: visit_min x households x visits a year
    (by household type: a household of a type is visited its type's number of times instead)."""
    duties = scenario.duties
    types = duties.household_types
    shares = {k: community.household_shares.get(k, t.household_share) for k, t in types.items()}
    ordinary = max(0.0, 1.0 - sum(shares.values()))
    visits = ordinary * duties.visits_per_household_year + sum(
        shares[k] * t.visits_per_year for k, t in types.items()
    )
    return duties.visit_min * community.households * visits / working_days_per_year(scenario)


def patrol_minutes_per_day(scenario: Scenario, community: Community) -> float:
    return scenario.duties.patrol_min_per_grid_day * community.grids


def meeting_share(scenario: Scenario) -> float:
    """Share of a worker's on-duty time taken by meetings and data work."""
    week = duty_minutes_per_day(scenario) * len(scenario.calendar.working_days)
    if week <= 0:
        return 1.0
    return min(1.0, scenario.duties.meetings_h_per_worker_week * 60.0 / week)


@dataclass(frozen=True)
class TeamCapacity:
    """A grid team's staff-equivalents, what its duties take, and what is left for events."""

    workers: float  # grid workers from posts
    purchased: (
        float  # staff-equivalents of purchased service hours (duties and events, no meetings)
    )
    duty_workers: float  # workers the visits and patrol keep busy
    meeting_share: float  # share of each worker's time in meetings and data work
    event_staff: float  # staff-equivalents free for events
    duty_covered: float  # share of the duties the workers can do (1: all of them)

    @property
    def staff(self) -> float:
        return self.workers + self.purchased


def team_capacity(
    scenario: Scenario, community: Community, workers: float, purchased: float = 0.0
) -> TeamCapacity:
    """Event staff = max(0, workers x (1 - meeting share) + purchased - duty workers), where duty
    workers = (visit + patrol minutes a day) / on-duty minutes a day; the duties are covered to
    the share min(1, hours available / duty workers). With an ``event_time_share`` override,
    (workers + purchased) x that share and no duties."""
    share = scenario.demand.grid.event_time_share
    workers, purchased = max(0.0, workers), max(0.0, purchased)
    if share is not None:
        return TeamCapacity(workers, purchased, 0.0, 0.0, (workers + purchased) * share, 1.0)
    day = duty_minutes_per_day(scenario)
    duty = (
        (visit_minutes_per_day(scenario, community) + patrol_minutes_per_day(scenario, community))
        / day
        if day > 0
        else 0.0
    )
    m = meeting_share(scenario)
    available = workers * (1.0 - m) + purchased
    covered = 1.0 if duty <= available + 1e-12 else (available / duty if duty > 0 else 1.0)
    return TeamCapacity(workers, purchased, duty, m, max(0.0, available - duty), min(1.0, covered))


def grid_staff(scenario: Scenario, community: Community) -> tuple[float, float, int]:
    """(grid workers from posts, purchased staff-equivalents, station posts) as the scenario has
    them."""
    serving = scenario.service_capacity_posts(community)
    station = min(scenario.policy.station_posts, serving)
    purchased = scenario.purchased_hours(community) / scenario.budget.hours_per_post_year
    return float(serving - station), purchased, station


def grid_workers(scenario: Scenario, community: Community) -> tuple[float, int]:
    """(grid staff-equivalents: workers plus purchased hours, station posts) as the scenario has
    it."""
    workers, purchased, station = grid_staff(scenario, community)
    return workers + purchased, station


def split_grid_staff(
    scenario: Scenario, community: Community, staff: float, purchased: float | None = None
) -> tuple[float, float]:
    """Serving staff-equivalents ``staff`` (station posts included) as (grid workers from posts,
    purchased): ``purchased`` defaults to the hours the community's own funds buy, at most what
    the staff leaves after the station."""
    _, own, station = grid_staff(scenario, community)
    grid = max(0.0, staff - station)
    bought = min(grid, own if purchased is None else purchased)
    return grid - bought, bought


# --- the community's events -----------------------------------------------------------------------


@dataclass(frozen=True)
class GridEvents:
    """A community's events over a run, drawn from its named streams (the same whatever the
    staffing: common random numbers). One entry per event, in order of arrival."""

    arrival: np.ndarray
    urgent: np.ndarray
    travel: np.ndarray
    handling: np.ndarray
    work: np.ndarray  # travel + handling
    route: np.ndarray
    station_service: np.ndarray
    department: np.ndarray
    case_days: np.ndarray
    case_department: np.ndarray


def draw_events(
    scenario: Scenario,
    community: Community,
    calendar: WorkCalendar,
    horizon: float,
    seed: int,
    replication: int,
    stream_key: str | None = None,
) -> GridEvents:
    """The community's events in ``[0, horizon)``, from the streams named by the community's id,
    or by ``stream_key`` where one is given (shared curves, :mod:`planning.shared`). The engine,
    :class:`CommunityGrids`, and the fast path, :mod:`sim.gridpath`, draw them here."""
    demand = scenario.demand.grid
    name = community.id if stream_key is None else stream_key
    rng = lambda purpose: generator(seed, replication, name, STREAM, purpose)  # noqa: E731
    working = [WEEKDAYS.index(d) for d in scenario.calendar.working_days]
    per_day = events_per_day(scenario, community)
    segments = rate_segments(
        calendar, per_day, demand.hour_profile, demand.weekday_profile, working
    )
    arrivals = arrival_times(rng("arrivals"), segments, horizon)
    n = len(arrivals)
    urgent = rng("urgent").random(n) < demand.urgent_share
    patrol = rng("patrol").random(n) < demand.patrol_share
    travel = np.where(
        patrol,
        0.0,
        inverse_cdf(demand.travel_min, rng("travel").random(n))
        * travel_factor(scenario, community),
    )
    u_handling = rng("handling").random(n)
    handling = inverse_cdf(demand.handling_min, u_handling)
    if demand.patrol_handling_min is not None:
        short = inverse_cdf(demand.patrol_handling_min, u_handling)
        handling = np.where(patrol, short, handling)
    work = travel + handling
    routing = {str(k): v for k, v in demand.routing.items()}
    route_shares = np.array([routing.get(r, 0.0) for r in ROUTES])
    cumulative = np.cumsum(route_shares)
    cumulative[-1] = 1.0
    route = np.minimum(
        np.searchsorted(cumulative, rng("route").random(n), side="right"), len(ROUTES) - 1
    )
    station_service = inverse_cdf(demand.station_handling_min, rng("station").random(n))
    department = department_index(demand.departments, rng("department").random(n))
    enforcement_demand = scenario.demand.enforcement
    case_days = inverse_cdf(
        enforcement_demand.duration_days, rng("case_duration").random(n)
    )
    case_department = department_index(
        enforcement_demand.departments, rng("case_department").random(n)
    )
    return GridEvents(
        arrivals, urgent, travel, handling, work, route, station_service, department, case_days,
        case_department,
    )  # fmt: skip


# --- the simulation -------------------------------------------------------------------------------


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
        purchased: float | None = None,
        station_jobs: tuple[np.ndarray, np.ndarray] | None = None,
        stream_key: str | None = None,
    ) -> None:
        demand = scenario.demand.grid
        # the name its random streams carry: the community's id, or a key given for it (shared
        # response curves name them by a hash of what shapes the curve: planning.shared)
        name = community.id if stream_key is None else stream_key
        self.env = env
        self.calendar = calendar
        self.enforcement = enforcement
        own_workers, own_purchased, own_station = grid_staff(scenario, community)
        if workers is None:
            workers, purchased = own_workers, own_purchased
        self.capacity = team_capacity(scenario, community, workers, purchased or 0.0)
        self.workers = self.capacity.staff
        self.station_posts = own_station if station_posts is None else station_posts

        events = draw_events(scenario, community, calendar, horizon, seed, replication, name)
        self.events = events
        self.arrivals, self.urgent, self.travel = events.arrival, events.urgent, events.travel
        self.handling, self.work, self.route = events.handling, events.work, events.route
        self.station_service, self.department = events.station_service, events.department
        self.case_days, self.case_department = events.case_days, events.case_department
        n = len(self.arrivals)
        self.close = np.full(n, math.nan)  # closed, or handed on to the street / enforcement

        allowance = scenario.overtime.grid_h_per_worker_day * 60.0
        capacity = self.capacity.event_staff
        if scenario.policy.grid_mode == "merged":
            staff = {"all": capacity}
            self.team_of = np.zeros(len(demand.departments), dtype=np.int64)
        else:
            staff = split_staff(capacity, demand.departments)
            self.team_of = np.arange(len(demand.departments))
        self.team_staff = list(staff.values())
        self.schedules = [day_schedule(calendar, s) for s in staff.values()]
        self.tables = [Table() for _ in self.schedules]
        self.teams = [
            Station(
                env,
                table,
                schedule,
                on_done=self._make_route(table),
                at_break="pause",
                allowance_min=allowance,
                on_change=self._make_team_change(k),
                on_pause=self._make_team_pause(k),
            )
            for k, (table, schedule) in enumerate(zip(self.tables, self.schedules, strict=True))
        ]
        self.on_call: Station | None = None
        self.on_call_table = Table()
        # the on-call duty is a rota of the community's grid workers: none without them
        if demand.urgent_after_hours == "on_call" and self.capacity.workers > 0:
            self.on_call = Station(
                env, self.on_call_table, always(1), on_done=self._make_route(self.on_call_table)
            )
        self.station_schedule = day_schedule(calendar, self.station_posts)
        self.station_table = Table()
        self.station = Station(
            env,
            self.station_table,
            self.station_schedule,
            on_done=self._station_done,
            at_break="pause",
            allowance_min=allowance,
        )
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
            self.submit_to_station(float(service[i]), i, DAIBAN)

    # --- events in --------------------------------------------------------------------------------

    def _arrive(self):
        env = self.env
        for i in range(len(self.arrivals)):
            t = float(self.arrivals[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            k = int(self.team_of[self.department[i]])
            if self.on_call is not None and self.urgent[i] and not self.calendar.is_open(t):
                row = self.on_call_table.add(
                    t, float(self.work[i]), math.inf, URGENT, i, int(self.route[i]),
                    float(self.travel[i]),
                )  # fmt: skip
                self.on_call.arrive(row)
                continue
            priority = URGENT if self.urgent[i] else ORDINARY
            row = self.tables[k].add(
                t, float(self.work[i]), math.inf, priority, i, int(self.route[i]),
                float(self.travel[i]),
            )  # fmt: skip
            self.teams[k].arrive(row)

    # --- the on-call duty -----------------------------------------------------------------------

    def _make_team_change(self, k: int) -> Callable[[Change], None]:
        def changed(change: Change) -> None:
            if self.on_call is None:
                return
            if self.calendar.is_open(self.env.now):
                self._pull_back(k)
            else:
                self._hand_over(k)

        return changed

    def _make_team_pause(self, k: int) -> Callable[[], None]:
        def paused() -> None:
            if self.on_call is not None and not self.calendar.is_open(self.env.now):
                self._hand_over(k)

        return paused

    def _hand_over(self, k: int) -> None:
        """The team goes off duty: its urgent work, paused or queued, goes to the on-call worker
        with the work left (arrival on site still to come where the travel is not done)."""
        assert self.on_call is not None
        team, table = self.teams[k], self.tables[k]
        moved = [
            (table.arrival[row], row, remaining) for row, remaining in team.take_paused(URGENT)
        ]
        moved += [(table.arrival[row], row, table.service[row]) for row in team.take_queued(URGENT)]
        moved.sort(key=lambda x: x[0])
        now = self.env.now
        for arrival, row, remaining in moved:
            done = table.service[row] - remaining
            on_site = table.marked[row] == table.marked[row] and table.marked[row] <= now
            mark = math.nan if on_site else max(0.0, table.mark[row] - done)
            new = self.on_call_table.add(
                arrival, remaining, math.inf, URGENT, table.origin[row], table.kind[row], mark
            )
            self.on_call.arrive(new)

    def _pull_back(self, k: int) -> None:
        """The team is on duty again: urgent events the on-call worker has not started go back."""
        assert self.on_call is not None
        on_call, table = self.on_call, self.on_call_table
        mine = lambda row: int(self.team_of[self.department[table.origin[row]]]) == k  # noqa: E731
        for row in on_call.take_queued(URGENT, mine):
            new = self.tables[k].add(
                table.arrival[row], table.service[row], math.inf, URGENT, table.origin[row],
                table.kind[row], table.mark[row],
            )  # fmt: skip
            self.teams[k].arrive(new)

    # --- events out -------------------------------------------------------------------------------

    def _make_route(self, table: Table) -> Callable[[int], None]:
        def route(row: int) -> None:
            self._route(table.origin[row])

        return route

    def _route(self, event: int) -> None:
        where = self.route[event]
        now = self.env.now
        if where == COMMUNITY:
            self.submit_to_station(float(self.station_service[event]), event, FROM_GRID)
            return
        self.close[event] = now
        if where == ENFORCEMENT:
            self.enforcement.submit(
                float(self.case_days[event]), int(self.case_department[event]), event, ESCALATED
            )

    def submit_to_station(self, service_min: float, origin: int, kind: int) -> int:
        """A matter for the community service station, now (``kind`` names its stream; grid events
        handed down are :data:`FROM_GRID`, their ``origin`` the event's index). Returns its row."""
        row = self.station_table.add(self.env.now, service_min, math.inf, 0, origin, kind)
        self.station.arrive(row)
        return row

    def _station_done(self, row: int) -> None:
        if self.station_table.kind[row] == FROM_GRID:
            self.close[self.station_table.origin[row]] = self.env.now

    # --- after the run ----------------------------------------------------------------------------

    def event_times(self) -> tuple[np.ndarray, np.ndarray]:
        """(first start, answered: a worker on site) per event, over the team and on-call rows."""
        n = len(self.arrivals)
        start = np.full(n, math.nan)
        answered = np.full(n, math.nan)
        for table in [*self.tables, self.on_call_table]:
            if not table.origin:
                continue
            origin = np.asarray(table.origin, dtype=np.int64)
            np.fmin.at(start, origin, np.asarray(table.start, dtype=float))
            np.fmin.at(answered, origin, np.asarray(table.marked, dtype=float))
        return start, answered

    def available_minutes(self, start: float, end: float) -> list[float]:
        return [on_duty_minutes(s, start, end) for s in self.schedules]

    def station_available_minutes(self, start: float, end: float) -> float:
        return on_duty_minutes(self.station_schedule, start, end)
