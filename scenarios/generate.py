"""Synthetic cities: a valid scenario of N communities, for scale tests and as a planner's start.

``generate(communities, seed)`` returns the TOML text of a city whose sites have plausible spreads
and whose demand, calendar, targets and budget rules are those of the built-in Liaoyuan scenario
(``scenarios/liaoyuan.toml``; keep the two in step). Everything about the sites is drawn, and
marked ``[generated]`` in the file:

* **Communities** have households lognormal with median 5,500 (urban) or 3,500 (town) and
  sigma 0.45, truncated to 1,000-15,000; a community demand factor lognormal around 1 (sigma
  0.15, written only when it differs from 1.00); posts in proportion to households as in Liaoyuan
  (440 posts for 226,070 households, about one per 514), at least 4 so that a community has its 2
  party-building posts, a station post and a grid worker. Grids follow from
  ``households_per_grid`` in the defaults.
* **Streets** have 2-4 communities (1 in one street of ten, as in Liaoyuan's smaller streets);
  window clerks one per 3,200 households (at least 2), enforcement officers 6 + one per 4,000
  households, and a street demand factor around 1 (windows and direct cases).
* **Districts** group 10-15 streets; about one in four is a county-seat district whose
  communities are town communities (a district ``defaults.community.type``).
* **Budget**: the post pool is the sum of the communities' posts and the fund pool the sum of their
  funding standards, so the file's current allocation is exactly feasible.

The text is short: site attributes that repeat live in ``defaults`` tables, each street is a table
with its communities as inline tables, and a value equal to its default is left out. The same
``(communities, seed)`` always gives the same text: draws use :class:`random.Random`'s
``random()``, whose sequence Python keeps stable across versions, mapped through exact inverse
CDFs. :func:`load_text` validates a text with :mod:`scenarios.loader` (``tomllib`` then the schema).
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass
from statistics import NormalDist

from jiedao.scenarios.loader import validate_data
from jiedao.scenarios.model import Scenario

MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 1_000, 15_000
MEDIAN_HOUSEHOLDS = {"urban": 5_500.0, "town": 3_500.0}
HOUSEHOLD_SIGMA = 0.45
DEMAND_SIGMA = 0.15
HOUSEHOLDS_PER_POST = 226_070 / 440  # Liaoyuan after the reform
MIN_POSTS = 4
HOUSEHOLDS_PER_WINDOW = 3_200.0
DEFAULT_WINDOWS = 3
DEFAULT_OFFICERS = 8
TOWN_DISTRICT_SHARE = 0.25
FUND_STANDARD = {"urban": 200_000, "town": 100_000}
# communities per street: 1 to 4
STREET_SIZES = ((1, 0.10), (2, 0.35), (3, 0.35), (4, 0.20))
MAX_COMMUNITIES = 1_000_000

_NORMAL = NormalDist()


@dataclass
class _Community:
    key: str
    households: int
    posts: int
    demand: float


@dataclass
class _Street:
    key: str
    communities: list[_Community]
    demand: float

    @property
    def households(self) -> int:
        return sum(c.households for c in self.communities)


@dataclass
class _District:
    key: str
    kind: str
    streets: list[_Street]


class _Draws:
    """Deterministic draws from ``random.Random(seed).random()`` only."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uniform(self) -> float:
        return self.rng.random()

    def lognormal(
        self, median: float, sigma: float, low: float = 0.0, high: float = math.inf
    ) -> float:
        """Lognormal, truncated to ``[low, high]`` by inversion (no spike at the bounds)."""
        a = _NORMAL.cdf(math.log(low / median) / sigma) if low > 0 else 0.0
        b = _NORMAL.cdf(math.log(high / median) / sigma) if high < math.inf else 1.0
        u = a + (b - a) * self.rng.random()
        u = min(max(u, 1e-12), 1.0 - 1e-12)
        return min(max(median * math.exp(sigma * _NORMAL.inv_cdf(u)), low), high)

    def integer(self, low: int, high: int) -> int:
        """Uniform on ``low..high`` inclusive."""
        return low + min(int(self.rng.random() * (high - low + 1)), high - low)

    def choice(self, weighted: tuple[tuple[int, float], ...]) -> int:
        u = self.rng.random() * sum(w for _, w in weighted)
        for value, weight in weighted:
            if u < weight:
                return value
            u -= weight
        return weighted[-1][0]


def _plan(communities: int, draws: _Draws) -> list[_District]:
    """Districts of streets of communities, N communities in all."""
    sizes: list[int] = []
    left = communities
    while left > 0:
        size = min(draws.choice(STREET_SIZES), left)
        sizes.append(size)
        left -= size
    # about 12.5 streets a district, each district weighted 10-15, split by largest remainder
    count = max(1, round(len(sizes) / 12.5))
    weights = [draws.integer(10, 15) for _ in range(count)]
    raw = [len(sizes) * w / sum(weights) for w in weights]
    district_sizes = [math.floor(x) for x in raw]
    by_remainder = sorted(range(count), key=lambda i: (district_sizes[i] - raw[i], i))
    for i in by_remainder[: len(sizes) - sum(district_sizes)]:
        district_sizes[i] += 1

    d_width = len(str(len(district_sizes)))
    s_width = len(str(len(sizes)))
    districts: list[_District] = []
    street_number = 0
    for d_index, d_size in enumerate(district_sizes):
        kind = "town" if draws.uniform() < TOWN_DISTRICT_SHARE else "urban"
        streets = []
        for _ in range(d_size):
            size = sizes[street_number]
            street_number += 1
            members = []
            for c_index in range(size):
                households = round(draws.lognormal(
                    MEDIAN_HOUSEHOLDS[kind], HOUSEHOLD_SIGMA, MIN_HOUSEHOLDS, MAX_HOUSEHOLDS
                ))
                posts = max(MIN_POSTS, round(households / HOUSEHOLDS_PER_POST))
                demand = round(draws.lognormal(1.0, DEMAND_SIGMA), 2)
                members.append(_Community(f"c{c_index + 1}", households, posts, demand))
            demand = round(draws.lognormal(1.0, DEMAND_SIGMA), 2)
            streets.append(_Street(f"s{street_number:0{s_width}d}", members, demand))
        districts.append(_District(f"d{d_index + 1:0{d_width}d}", kind, streets))
    return districts


def _windows(households: int) -> int:
    return max(2, round(households / HOUSEHOLDS_PER_WINDOW))


def _officers(households: int) -> int:
    return 6 + round(households / 4_000)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _community_line(c: _Community) -> str:
    fields = [f"households = {c.households}", f"posts = {c.posts}"]
    if c.demand != 1.0:
        fields.append(f"demand_factor = {c.demand:.2f}")
    return f"communities.{c.key} = {{ {', '.join(fields)} }}"


def generate(communities: int, seed: int) -> str:
    """The TOML text of a synthetic city of ``communities`` communities, drawn from ``seed``."""
    if not 1 <= communities <= MAX_COMMUNITIES:
        raise ValueError(
            f"communities must be between 1 and {MAX_COMMUNITIES:,}, got {communities}"
        )
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    districts = _plan(communities, _Draws(seed))
    streets = [s for d in districts for s in d.streets]
    sites = [(d, c) for d in districts for s in d.streets for c in s.communities]
    households = sum(c.households for _, c in sites)
    posts = sum(c.posts for _, c in sites)
    funds = sum(FUND_STANDARD[d.kind] for d, _ in sites)
    towns = sum(1 for d, _ in sites if d.kind == "town")

    out = [
        f"# A synthetic city generated by `jiedao scenario generate --communities {communities} "
        f"--seed {seed}`.",
        f"# {_count(len(districts), 'district')}, {_count(len(streets), 'street')}, "
        f"{_count(communities, 'community', 'communities')} ({communities - towns:,} urban, "
        f"{towns:,} town), {households:,} households, {posts:,} posts.",
        "# Sites are drawn [generated] (see scenarios/generate.py for the spreads); demand,",
        "# calendar, targets and budget rules are those of liaoyuan.toml [assumption, as there].",
        "",
        'schema = "jiedao.scenario/1"',
        f'name = "synthetic-{communities}-{seed}"',
        f'name_zh = "合成城市（{communities}个社区）"',
        f'description = "Synthetic city of {communities} communities (seed {seed}) for scale '
        'tests and as a planning start"',
        _COMMON,
        "[budget]",
        f"posts_pool = {posts}   # the communities' posts [generated]",
        "post_cost_yuan = 50000",
        "fund_standard_yuan = { urban = 200000, town = 100000 }",
        f"fund_pool_yuan = {funds}   # the communities' funding standards [generated]",
        "purchase_share = 0.3",
        "hour_price_yuan = 60",
        "hours_per_post_year = 1750",
        "",
        "[defaults.community]",
        'type = "urban"',
        "households_per_grid = 940",
        "persons_per_household = 2.3",
        "party_building_posts = 2",
        "",
        "[defaults.street]",
        f"windows = {DEFAULT_WINDOWS}",
        f"enforcement_officers = {DEFAULT_OFFICERS}",
    ]
    for d in districts:
        out += ["", f"[districts.{d.key}]", f'name = "District {d.key[1:].lstrip("0") or "0"}"']
        if d.kind == "town":
            out.append('defaults.community.type = "town"   # a county seat [generated]')
        for s in d.streets:
            out += ["", f"[districts.{d.key}.streets.{s.key}]"]
            windows, officers = _windows(s.households), _officers(s.households)
            if windows != DEFAULT_WINDOWS:
                out.append(f"windows = {windows}")
            if officers != DEFAULT_OFFICERS:
                out.append(f"enforcement_officers = {officers}")
            if s.demand != 1.0:
                out.append(f"demand_factor = {s.demand:.2f}")
            out += [_community_line(c) for c in s.communities]
    return "\n".join(out) + "\n"


def load_text(text: str, label: str = "generated.toml") -> Scenario:
    """Validate a scenario text with :mod:`scenarios.loader`, as ``jiedao`` would load the file."""
    return validate_data(tomllib.loads(text), label, text)


_COMMON = """
[calendar]
start_date = 2026-03-02
open = "08:30"
close = "17:00"
lunch = ["12:00", "13:30"]
working_days = ["mon", "tue", "wed", "thu", "fri"]
holidays = [2026-04-06, 2026-05-01, 2026-05-04, 2026-05-05, 2026-06-19, 2026-10-01, 2026-10-02, \
2026-10-05, 2026-10-06, 2026-10-07]

[policy]
window_mode = "pooled"
grid_mode = "merged"
enforcement_mode = "pooled"
party_posts_serve = 0
station_posts = 1

[simulation]
days = 28
warmup_days = 0
case_days = 112
case_warmup_days = 28
replications = 5
seed = 11
max_replications = 20

[demand.window]
rate_per_1000_households_per_day = 9.0
hour_profile = [0, 0, 0, 0, 0, 0, 0, 0, 1.2, 1.6, 1.5, 1.0, 0, 0.8, 1.0, 0.9, 0.6, 0, 0, 0, 0, 0, \
0, 0]
weekday_profile = [1.3, 1.05, 0.95, 0.9, 0.8, 0, 0]
patience_min = { dist = "lognormal", mean = 60, cv = 0.5 }
return_share = 0.5
return_after_days = 1
at_closing = "overtime"
second_trip_after_days = 1

[demand.window.categories]
social_security = { name = "Social security", name_zh = "社保医保", share = 0.35, \
service_min = { dist = "lognormal", mean = 9, cv = 0.6 }, online_share = 0.3, taken_at = "street", \
second_trip_share = 0.12 }
civil_affairs = { name = "Civil affairs", name_zh = "民政救助", share = 0.20, \
service_min = { dist = "lognormal", mean = 12, cv = 0.7 }, online_share = 0.1, \
taken_at = "street", second_trip_share = 0.12 }
certificates = { name = "Certificates", name_zh = "证明开具", share = 0.30, \
service_min = { dist = "lognormal", mean = 5, cv = 0.5 }, online_share = 0.2, \
taken_at = "community", second_trip_share = 0.12 }
consultation = { name = "Consultation", name_zh = "政策咨询", share = 0.15, \
service_min = { dist = "lognormal", mean = 4, cv = 0.8 }, online_share = 0.4, taken_at = "street", \
second_trip_share = 0.0 }

[demand.grid]
events_per_1000_residents_per_month = 30
hour_profile = [0, 0, 0, 0, 0, 0, 0, 0, 1.0, 1.4, 1.3, 1.0, 0, 0.8, 1.0, 1.0, 0.8, 0, 0, 0, 0, 0, \
0, 0]
weekday_profile = [1.2, 1.0, 1.0, 1.0, 0.9, 0, 0]
urgent_share = 0.1
patrol_share = 0.7
patrol_handling_min = { dist = "lognormal", mean = 10, cv = 1.0 }
travel_min = { dist = "lognormal", mean = 15, cv = 0.5 }
travel_reference_households_per_grid = 940
handling_min = { dist = "lognormal", mean = 60, cv = 1.0 }
station_handling_min = { dist = "lognormal", mean = 45, cv = 0.8 }
urgent_after_hours = "on_call"
routing = { grid = 0.75, community = 0.10, street = 0.13, enforcement = 0.02 }
departments = { civil = 0.30, safety = 0.25, urban = 0.30, health = 0.15 }

[demand.enforcement]
direct_cases_per_street_per_month = 15
duration_days = { dist = "lognormal", mean = 12, cv = 0.8 }
cases_per_officer = 3
departments = { urban = 0.45, housing = 0.30, sanitation = 0.25 }

[targets.window]
max_wait_min = 30
share = 0.90
mean_wait_min = 15

[targets.grid]
urgent_response_h = 2
ordinary_close_days = 3
days = "working"
share = 0.90

[targets.enforcement]
close_days = 30
days = "working"
share = 0.70

[duties]
visit_min = 20
visits_per_household_year = 2
patrol_min_per_grid_day = 60
meetings_h_per_worker_week = 4

[duties.household_types.vulnerable]
name = "Vulnerable households"
name_zh = "重点关爱户"
household_share = 0.10
visits_per_year = 12
event_factor = 1.5

[overtime]
grid_h_per_worker_day = 0.5
grid_paid = false
window_h_per_clerk_day = 0.5
window_paid = false
pay_factor = 1.5
"""
