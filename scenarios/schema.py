"""The scenario file format, as pydantic models.

A scenario file is TOML. Its tables map one to one onto the models below; every model forbids
unknown keys so that a typo is an error, not a silently ignored setting. Sites (districts, streets,
communities) are TOML tables keyed by their id slug, so a field path in an error message or in a
``--set`` override is the same dotted path a planner sees in the file:
``districts.longshan.streets.dongji.communities.c02.households``.

Site attributes that usually repeat (community type, posts, households per grid, street windows and
officers) may be given once in a ``defaults`` table at the city, district or street level; the most
specific value wins (community > street > district > city). :mod:`scenarios.loader` resolves the
cascade into the frozen :mod:`scenarios.model` tree the engines use.

Units are in the field names: ``_min`` minutes, ``_h`` hours, ``_days`` days, ``_yuan`` yuan.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

# Counts larger than this are surely a mistake (a whole country has ~110,000 communities and
# ~500 million households); bounding them keeps every run bounded in time and memory.
MAX_COUNT = 10_000_000


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value}")
    return value


Finite = Annotated[float, AfterValidator(_finite)]
Positive = Annotated[float, Field(gt=0), AfterValidator(_finite)]
NonNegative = Annotated[float, Field(ge=0), AfterValidator(_finite)]
Share = Annotated[float, Field(ge=0, le=1), AfterValidator(_finite)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
PositiveCount = Annotated[int, Field(ge=1, le=MAX_COUNT)]
Money = Annotated[float, Field(ge=0, le=1e13), AfterValidator(_finite)]

# Upper bounds on rates, factors and shapes: far above any real city, and low enough that a run's
# size stays bounded by its horizon and its sites (a rate of 1e30 visits would ask for more
# residents than memory holds; a cv of 1e300 overflows the lognormal's sigma).
MAX_VISIT_RATE = 1_000.0  # visits per 1,000 households per working day: one per household
MAX_GRID_EVENTS = 10_000.0  # events per grid per month
MAX_DIRECT_CASES = 100_000.0  # enforcement cases per street per month
MAX_FACTOR = 100.0  # demand_factor
MAX_CV = 100.0
MAX_WEIGHT = 1e6  # hour and weekday profile weights (relative, so any scale below this)
Factor = Annotated[float, Field(ge=0, le=MAX_FACTOR), AfterValidator(_finite)]
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT), AfterValidator(_finite)]
Cv = Annotated[float, Field(gt=0, le=MAX_CV), AfterValidator(_finite)]
TargetShare = Annotated[float, Field(gt=0, le=1), AfterValidator(_finite)]


TravelMin = Annotated[float, Field(ge=0, le=1440), AfterValidator(_finite)]
Km = Annotated[float, Field(ge=0, le=1000), AfterValidator(_finite)]
Area = Annotated[float, Field(gt=0, le=1e6), AfterValidator(_finite)]
KEY = re.compile(r"^[a-z0-9][a-z0-9_/-]*$")


def _key(value: str) -> str:
    if not KEY.match(value) or len(value) > 200:
        raise ValueError(
            f"key {value!r} must be lowercase ASCII (a-z, 0-9, '-', '_', '/'), like a site id"
        )
    return value


StableKey = Annotated[str, AfterValidator(_key)]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CommunityType = Literal["urban", "town"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def minutes_of_day(text: str) -> int:
    """``"08:30"`` -> 510. ``"24:00"`` is allowed as the end of a day."""
    match = HHMM.match(text)
    if not match:
        raise ValueError(f'must be a time "HH:MM", got {text!r}')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes != 0:
        raise ValueError(f'must be a time "HH:MM" no later than "24:00", got {text!r}')
    return hours * 60 + minutes


ClockTime = Annotated[str, AfterValidator(lambda v: (minutes_of_day(v), v)[1])]


# --- distributions -------------------------------------------------------------------------------


class Exponential(Strict):
    dist: Literal["exponential"]
    mean: Positive


class Lognormal(Strict):
    """Lognormal by its mean and coefficient of variation (sd / mean), as planners state it."""

    dist: Literal["lognormal"]
    mean: Positive
    cv: Cv


class Gamma(Strict):
    dist: Literal["gamma"]
    mean: Positive
    cv: Cv


class Deterministic(Strict):
    dist: Literal["deterministic"]
    value: NonNegative


class Empirical(Strict):
    """Resampled with replacement from observed values."""

    dist: Literal["empirical"]
    values: list[NonNegative] = Field(min_length=1, max_length=1_000_000)

    @field_validator("values")
    @classmethod
    def _some_positive(cls, values: list[float]) -> list[float]:
        if not any(v > 0 for v in values):
            raise ValueError("must hold at least one value above 0")
        return values


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Deterministic | Empirical, Field(discriminator="dist")
]


def dist_mean(d: Exponential | Lognormal | Gamma | Deterministic | Empirical) -> float:
    if isinstance(d, Deterministic):
        return d.value
    if isinstance(d, Empirical):
        return sum(d.values) / len(d.values)
    return d.mean


# --- calendar ------------------------------------------------------------------------------------


class Calendar(Strict):
    """When sites are open. Windows, grid workers and the enforcement team share it."""

    start_date: dt.date = dt.date(2026, 1, 5)
    open: ClockTime = "08:30"
    close: ClockTime = "17:00"
    lunch: Annotated[list[ClockTime], Field(max_length=2)] = Field(
        default_factory=lambda: ["12:00", "13:30"],
        description='["HH:MM", "HH:MM"], or [] for no lunch break',
    )
    working_days: list[Weekday] = Field(
        default_factory=lambda: list[Weekday](["mon", "tue", "wed", "thu", "fri"]), min_length=1
    )
    holidays: list[dt.date] = Field(default_factory=list)

    @field_validator("lunch")
    @classmethod
    def _lunch_pair(cls, lunch: list[str]) -> list[str]:
        if len(lunch) == 1:
            raise ValueError('must be ["HH:MM", "HH:MM"], or [] for no lunch break')
        return lunch

    @field_validator("working_days")
    @classmethod
    def _unique_days(cls, days: list[str]) -> list[str]:
        if len(set(days)) != len(days):
            raise ValueError(f"must not repeat a day, got {days}")
        return days

    @model_validator(mode="after")
    def _hours_in_order(self) -> Calendar:
        opening, closing = minutes_of_day(self.open), minutes_of_day(self.close)
        if closing <= opening:
            raise ValueError(
                f"close ({self.close}) must be after open ({self.open})"
            )
        if self.lunch:
            start, end = minutes_of_day(self.lunch[0]), minutes_of_day(self.lunch[1])
            if not opening < start < end < closing:
                raise ValueError(
                    f"lunch {list(self.lunch)} must lie strictly inside opening hours "
                    f"{self.open}-{self.close}"
                )
        return self


# --- demand --------------------------------------------------------------------------------------


HourProfile = Annotated[list[Weight], Field(min_length=24, max_length=24)]
WeekProfile = Annotated[list[Weight], Field(min_length=7, max_length=7)]


def _check_profile(values: list[float] | None) -> list[float] | None:
    if values is not None and not any(v > 0 for v in values):
        raise ValueError("must have at least one weight above 0")
    return values


# Where a resident takes a window matter, and where it is completed: the community service station
# (on the resident's behalf, 代办), the street's convenience-service centre, the district hall.
Level = Literal["community", "street", "district"]
LEVELS = ("community", "street", "district")


class MatterCategory(Strict):
    """A kind of window matter (事项): its share of matters, service time, and where it is done."""

    name: str = ""
    name_zh: str = ""
    share: Share
    service_min: Distribution
    online_share: Share = 0.0  # done online: no trip and no queue
    taken_at: Level = "street"  # where residents take it first
    done_at: Level | None = None  # where it is completed (default: where it is taken)
    # residents who need a second trip: to done_at when it is above taken_at, else back to the
    # same place (a missing document)
    second_trip_share: Share = 0.0

    @model_validator(mode="after")
    def _done_not_below_taken(self) -> MatterCategory:
        if self.done_at is not None and LEVELS.index(self.done_at) < LEVELS.index(self.taken_at):
            raise ValueError(
                f"done_at ({self.done_at!r}) must not be below taken_at ({self.taken_at!r}): "
                "a matter is completed where it is taken or higher up"
            )
        return self

    @property
    def completed_at(self) -> str:
        return self.done_at if self.done_at is not None else self.taken_at


class WindowDemand(Strict):
    """Residents who come to a street's convenience-service centre (便民服务窗口)."""

    rate_per_1000_households_per_day: Annotated[
        float, Field(ge=0, le=MAX_VISIT_RATE), AfterValidator(_finite)
    ]
    hour_profile: HourProfile | None = None
    weekday_profile: WeekProfile | None = None
    categories: dict[str, MatterCategory] = Field(min_length=1)
    patience_min: Distribution | None = None
    return_share: Share = 0.0
    return_after_days: PositiveCount = 1
    at_closing: Literal["overtime", "return"] = "overtime"
    # working days from a matter's first trip to its second one (second_trip_share)
    second_trip_after_days: Annotated[int, Field(ge=1, le=365)] = 1

    _hp = field_validator("hour_profile")(lambda cls, v: _check_profile(v))
    _wp = field_validator("weekday_profile")(lambda cls, v: _check_profile(v))

    @field_validator("categories")
    @classmethod
    def _shares(cls, categories: dict[str, MatterCategory]) -> dict[str, MatterCategory]:
        _check_shares({k: c.share for k, c in categories.items()})
        return categories


MAX_RESIDENT_EVENTS = 10_000.0  # events per 1,000 residents per month: ten per resident
MAX_DUTY_MIN = 1_440.0  # minutes of a duty: at most a day
MAX_VISITS = 366.0  # visits per household per year: at most daily


class GridDemand(Strict):
    """Events in a community's grids (网格事件), reported by residents or found on patrol.

    The rate is stated per 1,000 residents a month (``events_per_1000_residents_per_month``) or,
    as an alternative, per grid a month (``events_per_grid_per_month``, which wins when given, so
    that ``--set`` on it works on any file). At least one is required.
    """

    events_per_1000_residents_per_month: (
        Annotated[float, Field(ge=0, le=MAX_RESIDENT_EVENTS), AfterValidator(_finite)] | None
    ) = None
    events_per_grid_per_month: (
        Annotated[float, Field(ge=0, le=MAX_GRID_EVENTS), AfterValidator(_finite)] | None
    ) = None
    hour_profile: HourProfile | None = None
    weekday_profile: WeekProfile | None = None
    urgent_share: Share = 0.1
    patrol_share: Share = 0.5
    # handling of an event found on patrol (short: fixed on the spot); default handling_min
    patrol_handling_min: Distribution | None = None
    # a share override: event capacity = grid staff-equivalents x this share, duties ignored
    event_time_share: Annotated[float, Field(gt=0, le=1), AfterValidator(_finite)] | None = None
    travel_min: Distribution
    # travel scales with sqrt(households per grid / this): smaller grids, shorter trips
    travel_reference_households_per_grid: (
        Annotated[float, Field(ge=1, le=MAX_COUNT), AfterValidator(_finite)] | None
    ) = None
    handling_min: Distribution
    station_handling_min: Distribution
    # who answers an urgent event while the team is off duty (lunch, nights, weekends)
    urgent_after_hours: Literal["on_call", "next_opening"] = "on_call"
    routing: dict[Literal["grid", "community", "street", "enforcement"], Share]
    departments: dict[str, Share] = Field(
        default_factory=lambda: {"all": 1.0},
        description="event shares by department, used when grids are departmental",
    )

    _hp = field_validator("hour_profile")(lambda cls, v: _check_profile(v))
    _wp = field_validator("weekday_profile")(lambda cls, v: _check_profile(v))

    @field_validator("routing", "departments")
    @classmethod
    def _shares(cls, shares: dict[str, float]) -> dict[str, float]:
        _check_shares(dict(shares))
        return shares

    @model_validator(mode="after")
    def _one_rate(self) -> GridDemand:
        if self.events_per_1000_residents_per_month is None and (
            self.events_per_grid_per_month is None
        ):
            raise ValueError(
                "give events_per_1000_residents_per_month (or events_per_grid_per_month)"
            )
        return self


class EnforcementDemand(Strict):
    """Cases of the street's comprehensive enforcement team (综合执法)."""

    direct_cases_per_street_per_month: Annotated[
        float, Field(ge=0, le=MAX_DIRECT_CASES), AfterValidator(_finite)
    ]
    duration_days: Distribution
    cases_per_officer: Positive = 3.0
    departments: dict[str, Share] = Field(default_factory=lambda: {"all": 1.0})

    @field_validator("departments")
    @classmethod
    def _shares(cls, shares: dict[str, float]) -> dict[str, float]:
        _check_shares(shares)
        return shares


def _check_shares(shares: dict[str, float]) -> None:
    """Raised from field validators, so the error's path names the table holding the shares."""
    if not shares:
        raise ValueError("must not be empty")
    for key in shares:
        if not SLUG.match(key):
            raise ValueError(f"id {key!r} must be a lowercase slug like 'c01'")
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"shares must sum to 1, got {total:g}")


class Demand(Strict):
    window: WindowDemand
    grid: GridDemand
    enforcement: EnforcementDemand


# --- targets -------------------------------------------------------------------------------------


class WindowTarget(Strict):
    max_wait_min: Positive = 30.0
    share: TargetShare = 0.9
    mean_wait_min: Positive | None = 15.0


class GridTarget(Strict):
    """Urgent events answered (a worker on site) within ``urgent_response_h`` hours on the calendar
    clock; ordinary events closed within ``ordinary_close_days`` (working or calendar days). Each
    class has its own target share (default ``share``); a community meets its grid targets only
    when it meets both."""

    urgent_response_h: Positive = 2.0
    ordinary_close_days: Positive = 3.0
    days: Literal["working", "calendar"] = "working"
    share: TargetShare = 0.9
    urgent_share: TargetShare | None = None
    ordinary_share: TargetShare | None = None

    @property
    def urgent_target(self) -> float:
        return self.share if self.urgent_share is None else self.urgent_share

    @property
    def ordinary_target(self) -> float:
        return self.share if self.ordinary_share is None else self.ordinary_share


class EnforcementTarget(Strict):
    close_days: Positive = 30.0
    days: Literal["working", "calendar"] = "working"
    share: TargetShare = 0.7


class Targets(Strict):
    window: WindowTarget = WindowTarget()
    grid: GridTarget = GridTarget()
    enforcement: EnforcementTarget = EnforcementTarget()


# --- duties and overtime --------------------------------------------------------------------------

DutyMinutes = Annotated[float, Field(ge=0, le=MAX_DUTY_MIN), AfterValidator(_finite)]
Visits = Annotated[float, Field(ge=0, le=MAX_VISITS), AfterValidator(_finite)]


class HouseholdType(Strict):
    """Households that need more of a grid worker than an ordinary one (vulnerable, elderly living
    alone, welfare): their city-wide share of households (a community may give its own), their
    visits a year (instead of the ordinary ``visits_per_household_year``), and their grid events
    relative to an ordinary household (a demand driver)."""

    name: str = ""
    name_zh: str = ""
    household_share: Share
    visits_per_year: Visits = 0.0
    event_factor: Factor = 1.0


class Duties(Strict):
    """The work that takes a grid worker's on-duty time besides events, written so that it grows
    with the community: household visits per household a year (by household type), patrol per grid
    a day, meetings and data work per worker a week. Subtracted from the grid team's on-duty hours
    before events are served (docs/simulation.md)."""

    visit_min: DutyMinutes = 0.0
    visits_per_household_year: Visits = 0.0
    household_types: dict[str, HouseholdType] = Field(default_factory=dict)
    patrol_min_per_grid_day: DutyMinutes = 0.0
    meetings_h_per_worker_week: Annotated[float, Field(ge=0, le=168), AfterValidator(_finite)] = 0.0

    @field_validator("household_types")
    @classmethod
    def _types(cls, types: dict[str, HouseholdType]) -> dict[str, HouseholdType]:
        for key in types:
            if not SLUG.match(key):
                raise ValueError(f"id {key!r} must be a lowercase slug like 'vulnerable'")
        total = sum(t.household_share for t in types.values())
        if total > 1.0 + 1e-6:
            raise ValueError(f"household shares must sum to at most 1, got {total:g}")
        return types


OvertimeHours = Annotated[float, Field(ge=0, le=12), AfterValidator(_finite)]


class Overtime(Strict):
    """How long a worker may work past closing, per worker per day, and whether it is paid.

    Grid workers and community stations: a job in hand at closing runs on up to
    ``grid_h_per_worker_day`` and pauses then (nothing new starts after closing). Window clerks:
    no clerk starts a resident who would not be done by closing plus ``window_h_per_clerk_day``;
    residents still queued then are sent home (they come back as with ``at_closing = "return"``).
    ``window_h_per_clerk_day`` omitted: the evening queue is served whatever it takes (unbounded).
    Paid overtime costs ``pay_factor`` x a post's hourly cost (``post_cost_yuan /
    hours_per_post_year``)."""

    grid_h_per_worker_day: OvertimeHours = 0.0
    grid_paid: bool = False
    window_h_per_clerk_day: OvertimeHours | None = None
    window_paid: bool = False
    pay_factor: Annotated[float, Field(ge=1, le=10), AfterValidator(_finite)] = 1.5


# --- budget and policy ---------------------------------------------------------------------------


class Budget(Strict):
    posts_pool: Count = 440
    posts_recruited: Count | None = None  # with posts_converted, must add up to the pool
    posts_converted: Count | None = None
    post_cost_yuan: Annotated[float, Field(gt=0, le=1e13), AfterValidator(_finite)] = 50_000.0
    fund_standard_yuan: dict[CommunityType, Money] = Field(
        default_factory=lambda: dict[CommunityType, float]({"urban": 200_000.0, "town": 100_000.0})
    )
    fund_pool_yuan: Money | None = None
    purchase_share: Share = 0.3
    hour_price_yuan: Annotated[float, Field(ge=0.01, le=1e9), AfterValidator(_finite)] = 60.0
    # at most the hours of a leap year; at least one, so a yuan never buys a post
    hours_per_post_year: Annotated[float, Field(ge=1, le=8784), AfterValidator(_finite)] = 1750.0

    @model_validator(mode="after")
    def _pool_adds_up(self) -> Budget:
        if self.posts_recruited is not None and self.posts_converted is not None:
            total = self.posts_recruited + self.posts_converted
            if total != self.posts_pool:
                raise ValueError(
                    f"posts_pool ({self.posts_pool}) must equal posts_recruited + "
                    f"posts_converted ({self.posts_recruited} + {self.posts_converted} = {total})"
                )
        return self


class Policy(Strict):
    """The reform's switches: pooled or specialised stations."""

    window_mode: Literal["pooled", "specialised"] = "pooled"
    grid_mode: Literal["merged", "departmental"] = "merged"
    enforcement_mode: Literal["pooled", "departmental"] = "pooled"
    party_posts_serve: Count = 0
    station_posts: Count = 1


class Access(Strict):
    """How residents reach service points, for the travel times a community does not give, and
    what their time is worth (a social cost: never added to the budget's yuan)."""

    # derived areas: a community's area is households / this density unless it gives area_km2
    households_per_km2: Annotated[float, Field(ge=1, le=1e6), AfterValidator(_finite)] = 4000.0
    # network distance / straight-line distance
    detour_factor: Annotated[float, Field(ge=1, le=5), AfterValidator(_finite)] = 1.3
    walk_kmh: Annotated[float, Field(gt=0, le=30), AfterValidator(_finite)] = 4.0
    ride_kmh: Annotated[float, Field(gt=0, le=200), AfterValidator(_finite)] = 15.0
    ride_wait_min: Annotated[float, Field(ge=0, le=600), AfterValidator(_finite)] = 8.0
    value_of_time_yuan_per_h: Annotated[float, Field(ge=0, le=1e6), AfterValidator(_finite)] = (
        18.0
    )


class Shift(Strict):
    """From ``start`` to ``end`` each working day, ``windows`` clerks are on duty."""

    start: ClockTime
    end: ClockTime
    windows: Count

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if minutes_of_day(self.end) <= minutes_of_day(self.start):
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class SimulationDefaults(Strict):
    """Run defaults. Windows run ``days``; grids and enforcement, whose deadlines are days or weeks
    long, run ``case_days`` (default: ``days``) with their own warm-up."""

    days: Annotated[int, Field(ge=1, le=3660)] = 28
    warmup_days: Count = 0
    case_days: Annotated[int, Field(ge=1, le=3660)] | None = None
    case_warmup_days: Count | None = None
    replications: PositiveCount = 5
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 11
    # curves and the plan's check add replications where the 95% interval still holds the target,
    # up to this many per staffing level
    max_replications: Annotated[int, Field(ge=1, le=1000)] = 20

    @model_validator(mode="after")
    def _warmup_shorter(self) -> SimulationDefaults:
        case_days = self.case_days if self.case_days is not None else self.days
        case_warmup = self.case_warmup_days if self.case_warmup_days is not None else (
            self.warmup_days
        )
        if self.warmup_days >= self.days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be less than days ({self.days})"
            )
        if case_warmup >= case_days:
            raise ValueError(
                f"case_warmup_days ({case_warmup}) must be less than case_days ({case_days})"
            )
        return self


# --- sites ---------------------------------------------------------------------------------------


class CommunityFields(Strict):
    """Community attributes that may be set on the community or cascaded from defaults."""

    type: Literal["urban", "town"] | None = None
    households: Count | None = None
    residents: Count | None = None
    persons_per_household: Annotated[float, Field(ge=1, le=20), AfterValidator(_finite)] | None = (
        None
    )
    household_shares: dict[str, Share] | None = None
    grids: PositiveCount | None = None
    households_per_grid: Annotated[float, Field(ge=1), AfterValidator(_finite)] | None = None
    posts: Count | None = None
    party_building_posts: Count | None = None
    funds_yuan: Money | None = None
    demand_factor: Factor | None = None
    # access: one-way travel minutes from the community to its station, street centre and district
    # hall, or distances (km, converted by [access]); neither: derived from the areas
    station_travel_min: TravelMin | None = None
    street_travel_min: TravelMin | None = None
    district_travel_min: TravelMin | None = None
    station_km: Km | None = None
    street_km: Km | None = None
    district_km: Km | None = None
    area_km2: Area | None = None


class Community(CommunityFields):
    name: str = ""
    name_zh: str = ""
    # the name its window residents are drawn under (default: its site id), so that the same
    # residents arrive in two scenarios whose site ids differ
    key: StableKey | None = None
    # a community merging others: their keys and households (the residents of each part)
    merged_from: dict[StableKey, Count] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_identity(self) -> Community:
        if self.key is not None and self.merged_from is not None:
            raise ValueError("give key or merged_from, not both")
        return self


class StreetFields(Strict):
    windows: Count | None = None
    window_shifts: list[Shift] | None = None
    specialised_windows: dict[str, Count] | None = None
    enforcement_officers: Count | None = None
    demand_factor: Factor | None = None


class Defaults(Strict):
    community: CommunityFields = CommunityFields()
    street: StreetFields = StreetFields()


class StreetDefaults(Strict):
    """A street's own defaults can only be for its communities: its own fields are set directly."""

    community: CommunityFields = CommunityFields()


class Street(StreetFields):
    name: str = ""
    name_zh: str = ""
    # this street entry stands for its district's hall (区政务服务中心): its centre serves the
    # district's matters taken at (or sent up to) the district, and residents travel
    # district_travel_min to it
    hall: bool = False
    area_km2: Area | None = None
    defaults: StreetDefaults = StreetDefaults()
    communities: dict[str, Community] = Field(min_length=1)


class District(Strict):
    name: str = ""
    name_zh: str = ""
    area_km2: Area | None = None
    defaults: Defaults = Defaults()
    streets: dict[str, Street] = Field(min_length=1)


class ScenarioFile(Strict):
    schema_: Literal["jiedao.scenario/1"] = Field("jiedao.scenario/1", alias="schema")
    name: str
    name_zh: str = ""
    description: str = ""
    calendar: Calendar = Calendar()
    demand: Demand
    targets: Targets = Targets()
    budget: Budget = Budget()
    policy: Policy = Policy()
    simulation: SimulationDefaults = SimulationDefaults()
    duties: Duties = Duties()
    overtime: Overtime = Overtime()
    defaults: Defaults = Defaults()
    districts: dict[str, District] = Field(min_length=1)
    access: Access = Access()

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)
