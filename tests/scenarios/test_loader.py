"""Scenario files: the shipped scenarios, the defaults cascade, and every class of bad input.

Error messages are compared exactly: they are what a planner reads, and docs/scenario.md quotes
them. Each case writes a small scenario (``BASE``, below, with one change) to a temporary file.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from support.paths import ROOT

from jiedao.scenarios import BUILTIN, Scenario, ScenarioError, load
from jiedao.scenarios.loader import builtin_path

MINIMAL = ROOT / "docs" / "examples" / "minimal.toml"

# Line numbers matter: error messages quote them.
BASE = """\
name = "tiny"

[demand.window]
rate_per_1000_households_per_day = 10
categories.all = { share = 1.0, service_min = { dist = "exponential", mean = 8 } }

[demand.grid]
events_per_grid_per_month = 15
travel_min = { dist = "deterministic", value = 10 }
handling_min = { dist = "gamma", mean = 60, cv = 0.5 }
station_handling_min = { dist = "empirical", values = [20, 30, 45] }
routing = { grid = 0.6, community = 0.3, street = 0.05, enforcement = 0.05 }

[demand.enforcement]
direct_cases_per_street_per_month = 10
duration_days = { dist = "lognormal", mean = 10, cv = 0.8 }

[budget]
posts_pool = 8
posts_recruited = 8
posts_converted = 0

[calendar]
open = "08:30"
close = "17:00"

[defaults.community]
households_per_grid = 300
posts = 4

[defaults.street]
windows = 2
enforcement_officers = 4

[districts.east.streets.riverside]
[districts.east.streets.riverside.communities]
c01 = { households = 1200 }
c02 = { households = 900, posts = 4 }
"""


def write(tmp_path: Path, text: str, name: str = "city.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def error_of(tmp_path: Path, text: str, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ScenarioError) as info:
        load(write(tmp_path, text), list(overrides))
    return str(info.value)


# --- the shipped scenarios ------------------------------------------------------------------------


def test_base_is_valid(tmp_path: Path) -> None:
    scenario = load(write(tmp_path, BASE))
    assert [c.id for c in scenario.communities()] == ["east/riverside/c01", "east/riverside/c02"]


@pytest.mark.parametrize("ref", [*BUILTIN, str(MINIMAL)])
def test_every_shipped_scenario_loads(ref: str) -> None:
    scenario = load(ref)
    assert scenario.households > 0
    for community in scenario.communities():
        assert community.posts >= community.party_building_posts
        assert community.grids >= 1


def test_builtins_ship_inside_the_package() -> None:
    for name in BUILTIN:
        assert builtin_path(name).is_file()
    assert load().name == "liaoyuan"  # no argument: the default scenario


def test_liaoyuan_totals() -> None:
    s = load("liaoyuan")
    assert s.source == "liaoyuan.toml"
    assert [d.id for d in s.districts] == ["longshan", "xian", "dongfeng"]
    assert [len(d.streets) for d in s.districts] == [8, 6, 3]
    assert len(list(s.streets())) == 17
    assert len(list(s.communities())) == 35
    assert s.households == 226_070
    # urban residents / 2.3, as the file's header derives them
    assert [d.households for d in s.districts] == [124_710, 52_375, 48_985]
    posts = sum(c.posts for c in s.communities())
    assert posts == s.budget.posts_pool == 440
    assert s.budget.posts_recruited == 56 and s.budget.posts_converted == 384
    assert all(c.party_building_posts == 2 for c in s.communities())
    funds = sum(c.funds_yuan for c in s.communities())
    assert funds == s.budget.fund_pool_yuan == 27 * 200_000 + 8 * 100_000
    assert sum(st.windows for st in s.streets()) == 73
    assert sum(st.enforcement_officers for st in s.streets()) == 170
    assert sum(c.grids for c in s.communities()) == 256
    assert (s.policy.window_mode, s.policy.grid_mode, s.policy.enforcement_mode) == (
        "pooled",
        "merged",
        "pooled",
    )


def test_liaoyuan_before_matches_after_where_the_reform_only_reorganised() -> None:
    before, after = load("liaoyuan-before"), load("liaoyuan")
    centres = ["longshan/centre", "xian/centre", "dongfeng/centre"]
    assert [st.id for st in before.streets()] == centres
    assert [sum(len(st.communities) for st in d.streets) for d in before.districts] == [9, 4, 4]
    assert [d.households for d in before.districts] == [d.households for d in after.districts]

    def total(s: Scenario, field: str) -> float:
        return sum(getattr(c, field) for c in s.communities())

    for field in ("households", "grids", "posts", "party_building_posts", "funds_yuan"):
        assert total(before, field) == total(after, field), field
    for field in ("windows", "enforcement_officers"):
        assert sum(getattr(st, field) for st in before.streets()) == sum(
            getattr(st, field) for st in after.streets()
        ), field
    assert [c.type for c in before.communities()] == ["urban"] * 13 + ["town"] * 4
    assert (before.policy.window_mode, before.policy.grid_mode, before.policy.enforcement_mode) == (
        "specialised",
        "departmental",
        "departmental",
    )
    categories = set(before.demand.window.categories)
    for street in before.streets():
        assert street.specialised_windows is not None
        assert set(street.specialised_windows) == categories
        assert sum(street.specialised_windows.values()) == street.windows
    assert all(st.demand_factor == 1 for st in before.streets())
    # the same matters; only where they are taken differs (the reform's devolved lists)
    assert [st.hall for st in before.streets()] == [True, True, True]
    assert {c.taken_at for c in before.demand.window.categories.values()} == {"district"}
    assert {k: c.taken_at for k, c in after.demand.window.categories.items()} == {
        "social_security": "street", "civil_affairs": "street", "certificates": "community",
        "consultation": "street",
    }
    same_places = {
        k: c.model_copy(update={"taken_at": "street"})
        for k, c in before.demand.window.categories.items()
    }
    after_places = {
        k: c.model_copy(update={"taken_at": "street"})
        for k, c in after.demand.window.categories.items()
    }
    assert same_places == after_places
    assert before.demand.window.model_copy(update={"categories": {}}) == (
        after.demand.window.model_copy(update={"categories": {}})
    )
    # the same residents: every merged community is made of the reform's communities
    parts = {key: n for c in before.communities() for key, n in c.parts}
    assert parts == {c.id: c.households for c in after.communities()}
    assert before.access == after.access
    # the same clerks per district: the halls have what their streets have after the reform
    for d_before, d_after in zip(before.districts, after.districts, strict=True):
        clerks = [sum(st.windows for st in d.streets) for d in (d_before, d_after)]
        assert clerks[0] == clerks[1]
    assert before.demand.grid == after.demand.grid
    # the same direct enforcement cases city-wide, over 3 centres instead of 17 streets
    direct_before = before.demand.enforcement.direct_cases_per_street_per_month
    direct_after = after.demand.enforcement.direct_cases_per_street_per_month
    assert direct_before * 3 == direct_after * 17
    assert (
        before.demand.enforcement.model_copy(
            update={"direct_cases_per_street_per_month": direct_after}
        )
        == after.demand.enforcement
    )
    assert before.calendar == after.calendar
    assert before.targets == after.targets
    assert before.budget == after.budget
    assert before.simulation == after.simulation


def test_minimal_example_resolves_as_documented() -> None:
    s = load(MINIMAL)
    assert [c.id for c in s.communities()] == [
        "north/riverside/c01",
        "north/riverside/c02",
        "north/hillside/c01",
    ]
    assert s.households == 12_900
    assert [c.grids for c in s.communities()] == [9, 7, 12]
    assert [st.windows for st in s.streets()] == [4, 3]
    assert [c.type for c in s.communities()] == ["urban", "urban", "town"]
    assert sum(c.posts for c in s.communities()) == s.budget.posts_pool == 30
    assert sum(c.funds_yuan for c in s.communities()) == 500_000


def test_minimal_example_is_quoted_whole_in_the_docs() -> None:
    doc = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    assert f"```toml\n{MINIMAL.read_text(encoding='utf-8')}```" in doc


def test_staff_equivalents() -> None:
    s = load("liaoyuan")
    c01 = next(s.communities())  # longshan/dongji/c01: 14 posts, urban
    assert (c01.id, c01.posts, c01.funds_yuan) == ("longshan/dongji/c01", 14, 200_000)
    assert s.purchased_hours(c01) == pytest.approx(200_000 * 0.3 / 60)
    assert s.service_capacity_posts(c01) == 12
    assert s.staff_equivalents(c01) == pytest.approx(12 + 1000 / 1750)
    serving = load("liaoyuan", ["policy.party_posts_serve=1"])
    assert serving.service_capacity_posts(next(serving.communities())) == 13


# --- the defaults cascade -------------------------------------------------------------------------

CASCADE = edit(
    """[districts.east.streets.riverside]
[districts.east.streets.riverside.communities]
c01 = { households = 1200 }
c02 = { households = 900, posts = 4 }
""",
    """[districts.east]
defaults.community = { posts = 6, type = "town" }
defaults.street = { windows = 3 }

[districts.east.streets.riverside]
defaults.community = { posts = 7 }
[districts.east.streets.riverside.communities]
own = { households = 1200, posts = 8 }
street = { households = 1200 }

[districts.east.streets.hillside]
windows = 5
[districts.east.streets.hillside.communities]
district = { households = 1200 }

[districts.west.streets.plain.communities]
city = { households = 1200, grids = 2, households_per_grid = 100 }
""",
)


def test_cascade_most_specific_wins(tmp_path: Path) -> None:
    s = load(write(tmp_path, CASCADE))
    posts = {c.id.rsplit("/", 1)[1]: c.posts for c in s.communities()}
    assert posts == {"own": 8, "street": 7, "district": 6, "city": 4}
    kinds = {c.id.rsplit("/", 1)[1]: c.type for c in s.communities()}
    assert kinds == {"own": "town", "street": "town", "district": "town", "city": "urban"}
    windows = {st.id: st.windows for st in s.streets()}
    assert windows == {"east/riverside": 3, "east/hillside": 5, "west/plain": 2}
    assert {st.enforcement_officers for st in s.streets()} == {4}


def test_grids_derived_from_households_per_grid(tmp_path: Path) -> None:
    s = load(write(tmp_path, CASCADE))
    grids = {c.id.rsplit("/", 1)[1]: c.grids for c in s.communities()}
    # ceil(1200 / 300) = 4; a given grids count beats households_per_grid
    assert grids == {"own": 4, "street": 4, "district": 4, "city": 2}
    s = load(write(tmp_path, CASCADE), ["defaults.community.households_per_grid=500"])
    assert next(s.communities()).grids == math.ceil(1200 / 500)


def test_funds_default_to_the_type_standard(tmp_path: Path) -> None:
    override = "districts.west.streets.plain.communities.city.funds_yuan=5"
    s = load(write(tmp_path, CASCADE), [override])
    funds = {c.id.rsplit("/", 1)[1]: c.funds_yuan for c in s.communities()}
    assert funds == {"own": 100_000, "street": 100_000, "district": 100_000, "city": 5}


def test_no_lunch_break(tmp_path: Path) -> None:
    s = load(write(tmp_path, BASE), ["calendar.lunch=[]"])
    assert not s.calendar.lunch


# --- bad input: one exact message per class -------------------------------------------------------

F = "city.toml"
RIVERSIDE = "districts.east.streets.riverside"


def test_invalid_toml_reports_its_line(tmp_path: Path) -> None:
    text = edit("posts_pool = 8", "posts_pool = = 8")
    assert error_of(tmp_path, text) == (f"{F}: invalid TOML: Invalid value (line 19)")
    text = edit('close = "17:00"', 'close = "17:00\n')
    assert error_of(tmp_path, text) == f"{F}: invalid TOML: Illegal character '\\n' (line 25)"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / F
    path.write_bytes(BASE.encode("utf-8") + b"# \xff\n")
    with pytest.raises(ScenarioError, match=re.escape(f"{F}: not UTF-8 text (byte")):
        load(path)


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    text = edit("events_per_grid_per_month", "events_per_grid_per_mnth")
    assert error_of(tmp_path, text) == (
        f"{F}: demand.grid.events_per_grid_per_mnth: unknown key "
        "(did you mean 'events_per_grid_per_month'?) (line 8)"
    )
    text = edit('name = "tiny"', 'name = "tiny"\ndescriptoin = "x"')
    assert error_of(tmp_path, text) == (
        f"{F}: descriptoin: unknown key (did you mean 'description'?) (line 2)"
    )
    text = edit("c01 = { households = 1200 }", "c01 = { househods = 1200 }")
    assert error_of(tmp_path, text).startswith(
        f"{F}: {RIVERSIDE}.communities.c01.househods: unknown key (did you mean 'households'?)"
    )


def test_street_has_no_street_defaults(tmp_path: Path) -> None:
    text = edit(
        "[districts.east.streets.riverside]\n",
        "[districts.east.streets.riverside]\ndefaults.street.windows = 3\n",
    )
    assert error_of(tmp_path, text) == (f"{F}: {RIVERSIDE}.defaults.street: unknown key (line 36)")


def test_wrong_type(tmp_path: Path) -> None:
    assert error_of(tmp_path, edit("posts_pool = 8", 'posts_pool = "8"')) == (
        f"{F}: budget.posts_pool: must be an integer, got '8' (line 19)"
    )
    assert error_of(tmp_path, edit("posts_pool = 8", "posts_pool = 8.0")) == (
        f"{F}: budget.posts_pool: must be an integer, got 8.0 (line 19)"
    )
    assert error_of(tmp_path, edit('open = "08:30"', 'open = "8:30"')) == (
        f"{F}: calendar.open: must be a time \"HH:MM\", got '8:30' (line 24)"
    )
    assert error_of(tmp_path, edit('"gamma"', '"gama"')) == (
        f"{F}: demand.grid.handling_min: dist must be one of 'exponential', 'lognormal', "
        "'gamma', 'deterministic', 'empirical', got 'gama' (line 10)"
    )


def test_negative_count(tmp_path: Path) -> None:
    text = edit("c01 = { households = 1200 }", "c01 = { households = -5 }")
    assert error_of(tmp_path, text) == (
        f"{F}: {RIVERSIDE}.communities.c01.households: must be >= 0, got -5 (line 37)"
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_nan_and_inf(tmp_path: Path, value: str) -> None:
    text = edit("households_per_day = 10", f"households_per_day = {value}")
    shown = value.lstrip("+")
    assert error_of(tmp_path, text) == (
        f"{F}: demand.window.rate_per_1000_households_per_day: must be a finite number, "
        f"got {shown} (line 4)"
    )


def test_nan_inside_a_distribution(tmp_path: Path) -> None:
    assert error_of(tmp_path, edit("value = 10", "value = nan")) == (
        f"{F}: demand.grid.travel_min.value: must be a finite number, got nan (line 9)"
    )


def test_shares_must_sum_to_one(tmp_path: Path) -> None:
    assert error_of(tmp_path, edit("street = 0.05,", "street = 0.1,")) == (
        f"{F}: demand.grid.routing: shares must sum to 1, got 1.05 (line 12)"
    )
    assert error_of(tmp_path, edit("share = 1.0", "share = 0.9")) == (
        f"{F}: demand.window.categories: shares must sum to 1, got 0.9 (line 5)"
    )


def test_share_above_one(tmp_path: Path) -> None:
    text = edit("posts_pool = 8", "posts_pool = 8\npurchase_share = 1.5")
    assert error_of(tmp_path, text) == (
        f"{F}: budget.purchase_share: must be <= 1, got 1.5: a share is a fraction of 1, so write "
        "0.015 for 1.5% (line 20)"
    )


def test_close_before_open(tmp_path: Path) -> None:
    text = edit('open = "08:30"\nclose = "17:00"', 'open = "17:00"\nclose = "08:30"')
    assert error_of(tmp_path, text) == (
        f"{F}: calendar: close (08:30) must be after open (17:00) (line 23)"
    )


def test_lunch_outside_opening_hours(tmp_path: Path) -> None:
    text = edit('close = "17:00"', 'close = "17:00"\nlunch = ["07:00", "08:00"]')
    assert error_of(tmp_path, text) == (
        f"{F}: calendar: lunch ['07:00', '08:00'] must lie strictly inside opening hours "
        "08:30-17:00 (line 23)"
    )


def test_unknown_category_in_specialised_windows(tmp_path: Path) -> None:
    text = edit(
        "[districts.east.streets.riverside]\n",
        "[districts.east.streets.riverside]\nspecialised_windows = { al = 2 }\n",
    )
    assert error_of(tmp_path, text) == (
        f"{F}: {RIVERSIDE}.specialised_windows.al: no matter category 'al' "
        "(did you mean 'all'?) (line 36)"
    )


def test_specialised_windows_need_one_per_category(tmp_path: Path) -> None:
    text = edit(
        "categories.all = { share = 1.0,",
        'categories.b = { share = 0.5, service_min = { dist = "exponential", mean = 8 } }\n'
        "categories.a = { share = 0.5,",
    )
    overrides = ("policy.window_mode=specialised", f"{RIVERSIDE}.windows=1")
    assert error_of(tmp_path, text, overrides) == (
        f"{RIVERSIDE}.windows=1: {RIVERSIDE}.windows: specialised windows need at least one "
        "per matter category (2), got 1; or give specialised_windows"
    )


def test_missing_required_field_after_the_cascade(tmp_path: Path) -> None:
    text = edit("c01 = { households = 1200 }", "c01 = { posts = 4 }")
    assert error_of(tmp_path, text) == (
        f"{F}: {RIVERSIDE}.communities.c01.households: required, but not given (line 37)"
    )
    text = edit("households_per_grid = 300\n", "")
    assert error_of(tmp_path, text) == (
        f"{F}: {RIVERSIDE}.communities.c01.grids: required: give grids, or households_per_grid "
        "in defaults (line 36)"
    )
    text = edit("windows = 2\n", "")
    assert error_of(tmp_path, text) == (
        f"{F}: {RIVERSIDE}.windows: required (set it here or in a defaults.street table) (line 34)"
    )
    assert error_of(tmp_path, edit('name = "tiny"\n', "")) == f"{F}: name: required, but not given"


def test_posts_below_party_building_posts(tmp_path: Path) -> None:
    text = edit("c02 = { households = 900, posts = 4 }", "c02 = { households = 900, posts = 1 }")
    assert error_of(tmp_path, text) == (
        f"{F}: {RIVERSIDE}.communities.c02.posts: must be >= party_building_posts (2), got 1 "
        "(line 38)"
    )


def test_bad_id_slug(tmp_path: Path) -> None:
    assert error_of(tmp_path, edit("c01 = {", "C-01 = {")) == (
        f"{F}: {RIVERSIDE}.communities.C-01: id 'C-01' must be a lowercase ASCII slug "
        "(a-z, 0-9, '-', '_'); did you mean 'c-01'? (line 37)"
    )
    text = BASE.replace("districts.east.", "districts.East.")
    assert error_of(tmp_path, text) == (
        f"{F}: districts.East: id 'East' must be a lowercase ASCII slug (a-z, 0-9, '-', '_'); "
        "did you mean 'east'? (line 35)"
    )


def test_posts_pool_must_equal_recruited_plus_converted(tmp_path: Path) -> None:
    assert error_of(tmp_path, edit("posts_recruited = 8", "posts_recruited = 7")) == (
        f"{F}: budget: posts_pool (8) must equal posts_recruited + posts_converted "
        "(7 + 0 = 7) (line 18)"
    )
    # an override that breaks the check is named
    assert error_of(tmp_path, BASE, ("budget.posts_pool=9",)) == (
        "budget.posts_pool=9: budget: posts_pool (9) must equal posts_recruited + "
        "posts_converted (8 + 0 = 8)"
    )
    # without the breakdown, the pool stands alone
    text = edit("posts_recruited = 8\nposts_converted = 0\n", "")
    assert load(write(tmp_path, text), ["budget.posts_pool=12"]).budget.posts_pool == 12


def test_line_of_a_field_inside_an_inline_table(tmp_path: Path) -> None:
    text = edit("c02 = { households = 900, posts = 4 }", "c02 = { households = 900, posts = -4 }")
    assert error_of(tmp_path, text) == (
        f"{F}: {RIVERSIDE}.communities.c02.posts: must be >= 0, got -4 (line 38)"
    )
    text = edit("mean = 10, cv = 0.8 }", "mean = 10, cv = -0.8 }")
    assert error_of(tmp_path, text) == (
        f"{F}: demand.enforcement.duration_days.cv: must be > 0, got -0.8 (line 16)"
    )


def test_warmup_shorter_than_the_run(tmp_path: Path) -> None:
    text = BASE + "\n[simulation]\ndays = 28\nwarmup_days = 28\n"
    assert error_of(tmp_path, text) == (
        f"{F}: simulation: warmup_days (28) must be less than days (28) (line 40)"
    )
    assert error_of(tmp_path, BASE, ("simulation.case_warmup_days=30",)) == (
        "simulation.case_warmup_days=30: simulation: case_warmup_days (30) must be less "
        "than case_days (28)"
    )


def test_profiles(tmp_path: Path) -> None:
    text = edit(
        "rate_per_1000_households_per_day = 10",
        "rate_per_1000_households_per_day = 10\nhour_profile = [1, 2]",
    )
    assert error_of(tmp_path, text) == (
        f"{F}: demand.window.hour_profile: must have at least 24 items, got 2 (line 5)"
    )
    text = edit(
        "events_per_grid_per_month = 15",
        "events_per_grid_per_month = 15\nweekday_profile = [0, 0, 0, 0, 0, 0, 0]",
    )
    assert error_of(tmp_path, text) == (
        f"{F}: demand.grid.weekday_profile: must have at least one weight above 0 (line 9)"
    )


def test_no_such_file(tmp_path: Path) -> None:
    with pytest.raises(
        ScenarioError,
        match=re.escape(
            "nope.toml: no such file, and not a built-in scenario (liaoyuan, liaoyuan-before)"
        ),
    ):
        load("nope.toml")
    with pytest.raises(ScenarioError, match=re.escape(f"{tmp_path}: is not a file")):
        load(tmp_path)


# --- overrides (--set) ---------------------------------------------------------------------------


def test_set_overrides_and_wildcards(tmp_path: Path) -> None:
    path = write(tmp_path, CASCADE)
    s = load(path, ["districts.*.streets.*.windows=9", "policy.window_mode=specialised"])
    assert {st.windows for st in s.streets()} == {9}
    assert s.policy.window_mode == "specialised"
    s = load(path, ["districts.east.streets.*.communities.*.posts=11"])
    assert [c.posts for c in s.communities()] == [11, 11, 11, 4]
    s = load(path, ["budget.purchase_share=0.5", "budget.purchase_share=0.25"])
    assert s.budget.purchase_share == 0.25  # a later override wins


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "budget.posts_pool",
            "budget.posts_pool: expected PATH=VALUE, e.g. districts.*.streets.*.windows=4",
        ),
        (
            f"{RIVERSIDE[:-1]}.windows=3",
            f"{RIVERSIDE[:-1]}.windows=3: {RIVERSIDE[:-1]}: no street with id 'riversid' "
            "(did you mean 'riverside'?)",
        ),
        (
            "districts.est.streets.riverside.windows=3",
            "districts.est.streets.riverside.windows=3: districts.est: no district with id "
            "'est' (did you mean 'east'?)",
        ),
        (
            f"{RIVERSIDE}.communities.c3.posts=3",
            f"{RIVERSIDE}.communities.c3.posts=3: {RIVERSIDE}.communities.c3: no community "
            "with id 'c3'",
        ),
        (
            "demand.*.rate_per_1000_households_per_day=3",
            "demand.*.rate_per_1000_households_per_day=3: demand.*: '*' may only stand for a "
            "district, street or community id",
        ),
        (
            "budget.posts_pool=abc",
            "budget.posts_pool=abc: budget.posts_pool: must be an integer, got 'abc'",
        ),
        (
            "districts.*.streets.*.windows=2.5",
            f"districts.*.streets.*.windows=2.5: {RIVERSIDE}.windows: must be an integer, got 2.5",
        ),
        (
            "districts.*.streets.*.windows=-1",
            f"districts.*.streets.*.windows=-1: {RIVERSIDE}.windows: must be >= 0, got -1",
        ),
        (
            "budget.posts_poool=3",
            "budget.posts_poool=3: budget.posts_poool: unknown key (did you mean 'posts_pool'?)",
        ),
        (
            "budget.posts_pool.x=4",
            "budget.posts_pool.x=4: budget.posts_pool: is not a table, cannot set fields inside it",
        ),
        (
            "budget..posts_pool=4",
            "budget..posts_pool=4: budget..posts_pool: empty segment in the field path",
        ),
        ("calendar.open=nan", "calendar.open=nan: calendar.open: must be a string, got nan"),
        (
            "demand.window.rate_per_1000_households_per_day=inf",
            "demand.window.rate_per_1000_households_per_day=inf: "
            "demand.window.rate_per_1000_households_per_day: must be a finite number, got inf",
        ),
    ],
)
def test_set_errors(tmp_path: Path, override: str, message: str) -> None:
    assert error_of(tmp_path, BASE, (override,)) == message


# --- matters by level, access, residents' keys ---------------------------------------------------


def test_merged_from_gives_the_residents_and_the_households(tmp_path: Path) -> None:
    text = edit(
        "c01 = { households = 1200 }",
        'c01 = { merged_from = { "old/a/c1" = 700, "old/a/c2" = 500 } }',
    )
    s = load(write(tmp_path, text))
    c01, c02 = list(s.communities())
    assert c01.households == 1200 and c01.parts == (("old/a/c1", 700), ("old/a/c2", 500))
    assert c01.keys == ("old/a/c1", "old/a/c2")
    assert c02.keys == ("east/riverside/c02",) and c02.parts == (("east/riverside/c02", 900),)
    keyed_text = edit("c02 = { households = 900,", 'c02 = { key = "x/y/z", households = 900,')
    keyed = load(write(tmp_path, keyed_text))
    assert list(keyed.communities())[1].keys == ("x/y/z",)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "c01 = { households = 1200 }",
            'c01 = { households = 1300, merged_from = { "o/a" = 700, "o/b" = 500 } }',
            "districts.east.streets.riverside.communities.c01.households: must equal the "
            "households of merged_from (1,200), got 1,300",
        ),
        (
            "c01 = { households = 1200 }",
            'c01 = { households = 1200, key = "east/riverside/c02" }',
            "districts.east.streets.riverside.communities.c02: residents key "
            "'east/riverside/c02' is already east/riverside/c01's",
        ),
        (
            "c01 = { households = 1200 }",
            'c01 = { key = "a", merged_from = { "b" = 1200 } }',
            "districts.east.streets.riverside.communities.c01: give key or merged_from, not both",
        ),
        (
            "c01 = { households = 1200 }",
            'c01 = { households = 1200, key = "Dongji 1" }',
            "key 'Dongji 1' must be lowercase ASCII",
        ),
        (
            'categories.all = { share = 1.0, service_min = { dist = "exponential", mean = 8 } }',
            'categories.all = { share = 1.0, service_min = { dist = "exponential", mean = 8 }, '
            'taken_at = "district" }',
            'demand.window.categories.all.taken_at: "district" needs a district hall, and '
            "district 'east' has none: mark the street entry standing for it hall = true",
        ),
        (
            'categories.all = { share = 1.0, service_min = { dist = "exponential", mean = 8 } }',
            'categories.all = { share = 1.0, service_min = { dist = "exponential", mean = 8 }, '
            'taken_at = "street", done_at = "community" }',
            "demand.window.categories.all: done_at ('community') must not be below taken_at "
            "('street')",
        ),
        (
            'categories.all = { share = 1.0, service_min = { dist = "exponential", mean = 8 } }',
            'categories.all = { share = 1.0, service_min = { dist = "exponential", mean = 8 }, '
            "online_share = 1.5 }",
            "demand.window.categories.all.online_share: must be <= 1, got 1.5",
        ),
        (
            "c01 = { households = 1200 }",
            "c01 = { households = 1200, street_travel_min = -3 }",
            "districts.east.streets.riverside.communities.c01.street_travel_min: must be >= 0",
        ),
    ],
)
def test_bad_levels_keys_and_access(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert message in error_of(tmp_path, edit(old, new))


def test_two_halls_in_a_district(tmp_path: Path) -> None:
    text = edit(
        "[districts.east.streets.riverside]\n", "[districts.east.streets.riverside]\nhall = true\n"
    )
    text += "\n[districts.east.streets.hill]\nhall = true\ncommunities.c01 = { households = 100 }\n"
    assert "districts.east.streets.hill.hall: district 'east' has a hall already " in error_of(
        tmp_path, text
    )


# --- grid demand from residents, duties and overtime (issue 11) ---------------------------------


def test_grid_rate_from_residents_or_per_grid(tmp_path: Path) -> None:
    from jiedao.sim.grids import events_per_day, events_per_month

    text = edit(
        "events_per_grid_per_month = 15",
        "events_per_1000_residents_per_month = 40",
    )
    text = edit("c02 = { households = 900, posts = 4 }",
                "c02 = { households = 900, posts = 4, residents = 3000 }", text)  # fmt: skip
    scenario = load(write(tmp_path, text))
    c01, c02 = scenario.communities()
    # residents = households x 2.3 where not given; 40 per 1,000 a month
    assert c01.population == pytest.approx(1200 * 2.3)
    assert events_per_month(scenario, c01) == pytest.approx(40 * 2.76)
    assert events_per_month(scenario, c02) == pytest.approx(40 * 3.0)
    assert events_per_day(scenario, c01) == pytest.approx(40 * 2.76 * 12 / (365.25 / 7 * 5))
    # the per-grid rate is an alternative; when given (e.g. with --set) it wins
    both = load(write(tmp_path, text), ["demand.grid.events_per_grid_per_month=15"])
    c01 = next(both.communities())
    assert events_per_month(both, c01) == pytest.approx(15 * c01.grids)
    # neither: refused, naming both
    text = edit("events_per_grid_per_month = 15\n", "")
    assert error_of(tmp_path, text) == (
        f"{F}: demand.grid: give events_per_1000_residents_per_month (or "
        "events_per_grid_per_month) (line 7)"
    )


def test_household_types_drive_visits_and_events(tmp_path: Path) -> None:
    from jiedao.sim.grids import household_event_factor, visit_minutes_per_day

    text = (
        BASE
        + """
[duties]
visit_min = 30
visits_per_household_year = 2
[duties.household_types.vulnerable]
household_share = 0.1
visits_per_year = 12
event_factor = 2.0
"""
    )
    shares = "c01 = { households = 1200, household_shares = { vulnerable = 0.3 } }"
    text = edit("c01 = { households = 1200 }", shares, text)
    scenario = load(write(tmp_path, text))
    c01, c02 = scenario.communities()
    assert c01.household_shares == {"vulnerable": 0.3}
    assert c02.household_shares == {"vulnerable": 0.1}
    days = 365.25 / 7 * 5
    assert visit_minutes_per_day(scenario, c01) == pytest.approx(
        30 * 1200 * (0.7 * 2 + 0.3 * 12) / days
    )
    # events relative to the city's mix: (1 + 0.3) / (1 + 0.1)
    assert household_event_factor(scenario, c01) == pytest.approx(1.3 / 1.1)
    assert household_event_factor(scenario, c02) == pytest.approx(1.0)
    bad = edit("vulnerable = 0.3 }", "vulnerabel = 0.3 }", text)
    assert error_of(tmp_path, bad).startswith(
        f"{F}: {RIVERSIDE}.communities.c01.household_shares.vulnerabel: no household type "
        "'vulnerabel' in duties.household_types (did you mean 'vulnerable'?)"
    )
    bad = edit("household_share = 0.1", "household_share = 0.7", text)
    bad = edit("vulnerable = 0.3 }", "vulnerable = 0.4 }", bad)
    assert "household shares must sum to at most 1" in error_of(
        tmp_path, bad + "[duties.household_types.elderly]\nhousehold_share = 0.5\n"
    )


def test_new_fields_have_bounds(tmp_path: Path) -> None:
    cases = {
        "duties.visit_min=-1": "duties.visit_min: must be >= 0, got -1",
        "duties.visit_min=2000": "duties.visit_min: must be <= 1440, got 2000",
        "duties.meetings_h_per_worker_week=200": "must be <= 168",
        "overtime.grid_h_per_worker_day=13": "overtime.grid_h_per_worker_day: must be <= 12",
        "overtime.pay_factor=0.5": "overtime.pay_factor: must be >= 1",
        "targets.grid.urgent_share=1.5": "targets.grid.urgent_share: must be <= 1",
        "defaults.community.persons_per_household=0.5": "must be >= 1",
        "demand.grid.urgent_after_hours=never": "must be one of 'on_call' or 'next_opening'",
        "simulation.max_replications=0": "simulation.max_replications: must be >= 1",
    }
    for override, message in cases.items():
        assert message in error_of(tmp_path, BASE, (override,)), override
