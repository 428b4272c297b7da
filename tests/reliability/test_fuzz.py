"""Bad input at scale (issue 7): broken scenario files and ``--set`` overrides, generated.

Each example mutates the valid Liaoyuan scenario so that it is surely invalid (a wrong type, a
missing or unknown key, a negative, zero, NaN, infinite or enormous number, an empty table or list,
a duplicate id, shares that do not sum to 1, closing before opening, a target above 100%, a bad
date or slug, broken TOML syntax, bytes that are not UTF-8), or builds a ``--set`` that is. Every
one must be refused with a :class:`ScenarioError` naming the field (or, for TOML syntax, the line),
which the CLI turns into exit code 2 and one line on stderr, never a traceback or exit code 1.
Most examples go through the loader (fast); a sample goes through ``jiedao scenario validate`` and
``jiedao simulate --set`` with Typer's runner.

The examples are derandomised (same examples on every run) and counted: the last test checks that
at least 1,000 ran.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import ROOT
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.scenarios import ScenarioError, load
from jiedao.scenarios.overrides import toml_value

BASE_TEXT = (ROOT / "scenarios" / "liaoyuan.toml").read_text(encoding="utf-8")
BASE: dict[str, Any] = tomllib.loads(BASE_TEXT)
WORK = Path(tempfile.mkdtemp(prefix="jiedao-fuzz-"))
COUNTS: Counter[str] = Counter()
runner = CliRunner()

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- writing TOML ---------------------------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def to_toml(data: dict[str, Any]) -> str:
    """TOML text for ``data``: tables as ``[headers]``, distributions and categories inline."""
    lines: list[str] = []

    def table(node: dict[str, Any], path: list[str]) -> None:
        def inline(v: Any) -> bool:
            return not isinstance(v, dict) or not v or "dist" in v or "service_min" in v

        leaves = [(k, v) for k, v in node.items() if inline(v)]
        subs = [(k, v) for k, v in node.items() if not inline(v)]
        if path and (leaves or not subs):
            lines.append("[" + ".".join(_key(p) for p in path) + "]")
        lines.extend(f"{_key(k)} = {toml_value(v)}" for k, v in leaves)
        for k, v in subs:
            table(v, path + [k])

    table(data, [])
    return "\n".join(lines) + "\n"


def test_the_writer_round_trips_the_base() -> None:
    assert tomllib.loads(to_toml(BASE)) == BASE


# --- the base's fields ----------------------------------------------------------------------------

Path_ = tuple[Any, ...]


def _walk(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))


NODES = list(_walk(BASE))[1:]
ID_LEVELS = {"districts", "streets", "communities", "categories", "departments"}
SHARE_GROUPS = [
    p for p, v in NODES if isinstance(v, dict) and p[-1] in ("categories", "routing", "departments")
]
NUMBERS = [(p, v) for p, v in NODES if isinstance(v, int | float) and not isinstance(v, bool)]
STRINGS = [(p, v) for p, v in NODES if isinstance(v, str)]
DATES = [(p, v) for p, v in NODES if isinstance(v, dt.date)]
LISTS = [(p, v) for p, v in NODES if isinstance(v, list)]
TABLES = [
    p
    for p, v in NODES
    if isinstance(v, dict) and p[-1] not in ID_LEVELS | {"routing", "fund_standard_yuan"}
]
ID_TABLES = [p for p, v in NODES if isinstance(v, dict) and p[-1] in ID_LEVELS and len(v) > 0]


def _last_key(path: Path_) -> str:
    keys = [p for p in path if isinstance(p, str)]
    return keys[-1]


# Fields where 0 is invalid (> 0, >= 1), or whose shares then no longer sum to 1.
ZERO_INVALID = {
    "mean", "cv", "days", "case_days", "replications", "return_after_days", "grids",
    "max_wait_min", "mean_wait_min", "urgent_response_h", "ordinary_close_days", "close_days",
    "cases_per_officer", "hour_price_yuan", "hours_per_post_year", "households_per_grid",
    "post_cost_yuan", "event_time_share", "persons_per_household", "max_replications",
    "pay_factor", "travel_reference_households_per_grid",
}  # fmt: skip
INT_KEYS = {
    "windows", "enforcement_officers", "households", "residents", "grids", "posts",
    "party_building_posts", "posts_pool", "posts_recruited", "posts_converted",
    "party_posts_serve", "station_posts", "return_after_days", "days", "warmup_days",
    "case_days", "case_warmup_days", "replications", "seed", "max_replications",
}  # fmt: skip


def _zero_invalid(path: Path_, value: float) -> bool:
    if value == 0:
        return False
    if _last_key(path) in ZERO_INVALID or (path[0] == "targets" and path[-1] == "share"):
        return True
    # a share of a matter category, a routing or a department: the rest no longer sum to 1
    return path[-1] == "share" or path[:-1] in SHARE_GROUPS


ZERO_FIELDS = [(p, v) for p, v in NUMBERS if _zero_invalid(p, v)]
# Fields with an upper bound (counts <= 10 million, money <= 1e13, rates, factors, shares...).
UNBOUNDED = {
    "mean", "max_wait_min", "mean_wait_min", "urgent_response_h", "ordinary_close_days",
    "close_days", "cases_per_officer", "households_per_grid",
}  # fmt: skip
BOUNDED_FIELDS = [(p, v) for p, v in NUMBERS if _last_key(p) not in UNBOUNDED]
# Required keys (wildcards over ids) and, where a missing one is reported elsewhere, the field.
REQUIRED = {
    "name": "name",
    "demand": "demand",
    "demand.window": "window",
    "demand.grid": "grid",
    "demand.enforcement": "enforcement",
    "districts": "districts",
    "demand.window.rate_per_1000_households_per_day": "rate_per_1000_households_per_day",
    "demand.window.categories": "categories",
    "demand.window.categories.*.share": "share",
    "demand.window.categories.*.service_min": "service_min",
    "demand.window.categories.*.service_min.dist": "service_min",
    "demand.window.categories.*.service_min.mean": "mean",
    "demand.grid.events_per_grid_per_month": "events_per_grid_per_month",
    "demand.grid.events_per_1000_residents_per_month": "events_per_1000_residents_per_month",
    "duties.household_types.*.household_share": "household_share",
    "demand.grid.travel_min": "travel_min",
    "demand.grid.handling_min": "handling_min",
    "demand.grid.station_handling_min": "station_handling_min",
    "demand.grid.routing": "routing",
    "demand.enforcement.direct_cases_per_street_per_month": "direct_cases_per_street_per_month",
    "demand.enforcement.duration_days": "duration_days",
    "districts.*.streets": "streets",
    "districts.*.streets.*.communities": "communities",
    "districts.*.streets.*.communities.*.households": "households",
    "defaults.street.windows": "windows",
    "defaults.street.enforcement_officers": "enforcement_officers",
    "defaults.community.households_per_grid": "grids",
}


def _expand(pattern: str) -> list[Path_]:
    found: list[Path_] = [()]
    for part in pattern.split("."):
        nxt = []
        for path in found:
            node = _get(BASE, path)
            keys = list(node) if part == "*" else [part]
            nxt.extend(path + (k,) for k in keys if isinstance(node, dict) and k in node)
        found = nxt
    return found


def _get(data: Any, path: Path_) -> Any:
    for step in path:
        data = data[step]
    return data


MISSING = [(path, field) for pattern, field in REQUIRED.items() for path in _expand(pattern)]
EMPTY = (
    [(p, {}) for p in SHARE_GROUPS]
    + [(p, {}) for p in ID_TABLES]
    + [
        (("calendar", "working_days"), []),
        (("demand", "window", "hour_profile"), []),
        (("demand", "window", "weekday_profile"), []),
        (("demand", "grid", "hour_profile"), []),
        (("demand", "window", "patience_min"), {}),
        (("demand", "grid", "travel_min"), {}),
        (("demand", "enforcement", "duration_days"), {}),
        (("demand", "window"), {}),
        (("demand",), {}),
        (("demand", "grid", "handling_min"), {"dist": "empirical", "values": []}),
    ]
)


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


# --- cases ----------------------------------------------------------------------------------------


@dataclass
class Case:
    kind: str
    text: str | bytes
    fields: list[str] = field(default_factory=list)  # a reported path must relate to one of these
    line: int | None = None  # syntax errors: the line the message must name

    def check(self, err: ScenarioError) -> None:
        check_error(self, err.path, err.line, str(err))


def check_error(case: Case, path: str, line: int | None, message: str) -> None:
    context = f"{case.kind}: {message!r}"
    if case.line is not None:
        assert line == case.line, context
        return
    assert path, context
    parts = path.split(".")
    ok = any(
        parts[: len(f.split("."))] == f.split(".")  # the field itself or inside it
        or f.split(".")[: len(parts)] == parts  # the table holding it
        or parts[-1] == f.split(".")[-1]  # where a cascaded default lands
        for f in case.fields
    )
    assert ok, context


def _mutated(path: Path_, value: Any, kind: str, fields: list[str] | None = None) -> Case:
    data = copy.deepcopy(BASE)
    _get(data, path[:-1])[path[-1]] = value
    return Case(kind, to_toml(data), fields or [dotted(path)])


NOT_A_NUMBER = ["abc", "", True, [1, 2], {"a": 1}, dt.date(2026, 1, 1)]
NOT_A_STRING = [12, 1.5, False, ["x"], {"a": "b"}, dt.date(2026, 1, 1)]
NEGATIVE = [-1, -0.5, -1e-9, -(10**9), -1e300]
NON_FINITE = [math.nan, math.inf, -math.inf]
ENORMOUS = [10**20, 10**30, 2**70, 1e20, 1e300, 1.7e308]
BAD_TIMES = ["08:00", "08:30", "07:00", "25:00", "8:30", "noon", "24:30", "17:60", ""]
BAD_SLUGS = ["Longshan", "a b", "龙山", "-x", "_x", "x.y", "", "c/01", "C01", "x!"]
BAD_DATES = ["2026-02-30", "yesterday", 20260302, "2026/03/02", True]


@st.composite
def broken_files(draw: st.DrawFn) -> Case:
    kind = draw(
        st.sampled_from(
            [
                "wrong type", "wrong type", "missing key", "unknown key", "negative", "zero",
                "nan or inf", "empty", "duplicate id", "shares", "hours", "target above 100%",
                "enormous", "bad date", "bad slug", "syntax", "not utf-8", "table as value",
            ]
        )
    )  # fmt: skip
    if kind == "wrong type":
        path, value = draw(st.sampled_from(NUMBERS + STRINGS + DATES + LISTS))
        if isinstance(value, str):
            bad = draw(st.sampled_from(NOT_A_STRING))
        elif isinstance(value, list):
            bad = draw(st.sampled_from([5, "x", {"a": 1}, True]))
        elif isinstance(value, dt.date):
            bad = draw(st.sampled_from(BAD_DATES))
        else:
            bad = draw(st.sampled_from(NOT_A_NUMBER))
            if _last_key(path) in INT_KEYS:  # a whole number is expected
                bad = draw(st.sampled_from([*NOT_A_NUMBER, value + 0.5]))
        return _mutated(path, bad, kind)
    if kind == "table as value":
        path = draw(st.sampled_from(TABLES + ID_TABLES))
        return _mutated(path, draw(st.sampled_from([5, "x", [1], True])), kind)
    if kind == "missing key":
        path, reported = draw(st.sampled_from(MISSING))
        data = copy.deepcopy(BASE)
        del _get(data, path[:-1])[path[-1]]
        return Case(kind, to_toml(data), [dotted(path), reported])
    if kind == "unknown key":
        path = draw(st.sampled_from(TABLES + [()]))
        node = _get(BASE, path)
        name = draw(st.sampled_from(["bogus", "windws", "housholds", "Name", "rate", "x_y"]))
        if name in node:
            name += "_x"
        data = copy.deepcopy(BASE)
        _get(data, path)[name] = draw(st.sampled_from([1, "x", 2.5, True, [1]]))
        return Case(kind, to_toml(data), [dotted(path + (name,))])
    if kind == "negative":
        path, _ = draw(st.sampled_from(NUMBERS))
        return _mutated(path, draw(st.sampled_from(NEGATIVE)), kind)
    if kind == "zero":
        path, value = draw(st.sampled_from(ZERO_FIELDS))
        return _mutated(path, 0 if isinstance(value, int) else 0.0, kind)
    if kind == "nan or inf":
        path, _ = draw(st.sampled_from(NUMBERS))
        return _mutated(path, draw(st.sampled_from(NON_FINITE)), kind)
    if kind == "enormous":
        path, _ = draw(st.sampled_from(BOUNDED_FIELDS))
        return _mutated(path, draw(st.sampled_from(ENORMOUS)), kind)
    if kind == "empty":
        path, empty = draw(st.sampled_from(EMPTY))
        return _mutated(path, copy.deepcopy(empty), kind)
    if kind == "shares":
        group = draw(st.sampled_from(SHARE_GROUPS))
        data = copy.deepcopy(BASE)
        node = _get(data, group)
        key = draw(st.sampled_from(sorted(node)))
        delta = draw(st.sampled_from([0.05, -0.05, 0.001, 0.3]))
        if isinstance(node[key], dict):
            share = node[key]["share"]
            node[key]["share"] = share + delta if 0 <= share + delta <= 1 else share - delta
        else:
            share = node[key]
            node[key] = share + delta if 0 <= share + delta <= 1 else share - delta
        return Case(kind, to_toml(data), [dotted(group)])
    if kind == "hours":
        which = draw(st.sampled_from(["close", "open", "lunch", "shift"]))
        data = copy.deepcopy(BASE)
        if which == "lunch":
            data["calendar"]["lunch"] = draw(
                st.sampled_from(
                    [["13:30", "12:00"], ["07:00", "08:00"], ["12:00"], ["16:00", "18:00"]]
                )
            )
        elif which == "shift":
            shift = {
                "start": "12:00",
                "end": draw(st.sampled_from(["10:00", "12:00"])),
                "windows": 2,
            }
            data["defaults"]["street"]["window_shifts"] = [shift]
            return Case(kind, to_toml(data), ["defaults.street.window_shifts"])
        else:
            data["calendar"][which] = draw(
                st.sampled_from(BAD_TIMES if which == "close" else ["17:00", "18:00", "9", "x"])
            )
        return Case(kind, to_toml(data), ["calendar"])
    if kind == "target above 100%":
        shares = [(p, v) for p, v in NUMBERS if _last_key(p).endswith("share")]
        path, _ = draw(st.sampled_from(shares))
        return _mutated(path, draw(st.sampled_from([1.0001, 1.5, 100, 90.0])), kind)
    if kind == "bad date":
        path, _ = draw(st.sampled_from(DATES))
        return _mutated(path, draw(st.sampled_from(BAD_DATES)), kind)
    if kind == "bad slug":
        table = draw(st.sampled_from(ID_TABLES))
        data = copy.deepcopy(BASE)
        node = _get(data, table)
        old = draw(st.sampled_from(sorted(node)))
        slug = draw(st.sampled_from(BAD_SLUGS))
        renamed = {(slug if k == old else k): v for k, v in node.items()}
        _get(data, table[:-1])[table[-1]] = renamed
        return Case(kind, to_toml(data), [dotted(table + (slug,)), dotted(table)])
    if kind == "duplicate id":
        return _duplicate(draw)
    if kind == "syntax":
        return _syntax(draw)
    # not UTF-8: a Latin-1 or stray byte somewhere in the file
    lines = BASE_TEXT.encode("utf-8").split(b"\n")
    at = draw(st.integers(0, len(lines) - 1))
    lines[at] = lines[at] + draw(st.sampled_from([b"\xff", b"\xe9", b"\x80\x80", b"\xc3"]))
    return Case(kind, b"\n".join(lines), line=at + 1)


_STATEMENT = re.compile(r"^\s*(\[[^\]]+\]|[A-Za-z0-9_.\"-]+\s*=)")


def _duplicate(draw: st.DrawFn) -> Case:
    """A key or table given twice (TOML refuses it): the duplicate's line is named."""
    lines = BASE_TEXT.splitlines()
    candidates = [i for i, line in enumerate(lines) if _STATEMENT.match(line)]
    at = draw(st.sampled_from(candidates))
    copy_of = lines[at]
    if draw(st.booleans()) and not copy_of.lstrip().startswith("["):
        value = draw(st.sampled_from(["1", '"x"', "{ households = 5 }"]))
        copy_of = copy_of.split("=", 1)[0] + "= " + value
    mutated = lines[: at + 1] + [copy_of] + lines[at + 1 :]
    return Case("duplicate id", "\n".join(mutated) + "\n", line=at + 2)


def _syntax(draw: st.DrawFn) -> Case:
    lines = BASE_TEXT.splitlines()
    how = draw(st.sampled_from(["garbage", "unclosed header", "no value", "unterminated", "cut"]))
    if how == "garbage":
        at = draw(st.integers(0, len(lines)))
        junk = draw(
            st.sampled_from(
                ["this is not toml", "= 5", "[[", "]", "x = = 1", "x = 1 2", "x = [1,,2]",
                 'x = "a" "b"', "x = {a = 1", "x = 0x", "x = 1e", "x = 2026-13-45",
                 "x = tru", "x.=1", "\"unclosed = 1"]
            )
        )  # fmt: skip
        return Case("syntax", "\n".join(lines[:at] + [junk] + lines[at:]) + "\n", line=at + 1)
    if how == "unclosed header":
        candidates = [i for i, line in enumerate(lines) if line.startswith("[")]
        at = draw(st.sampled_from(candidates))
        lines[at] = lines[at].replace("]", "", 1)
        return Case("syntax", "\n".join(lines) + "\n", line=at + 1)
    if how == "no value":
        candidates = [i for i, line in enumerate(lines) if _STATEMENT.match(line) and "=" in line]
        at = draw(st.sampled_from([i for i in candidates if not lines[i].startswith("[")]))
        lines[at] = lines[at].split("=", 1)[0] + "="
        return Case("syntax", "\n".join(lines) + "\n", line=at + 1)
    if how == "unterminated":
        candidates = [i for i, line in enumerate(lines) if re.match(r'^\w+ = "[^"]*"', line)]
        at = draw(st.sampled_from(candidates))
        lines[at] = re.sub(r'^(\w+ = "[^"]*)"', r"\1", lines[at])
        return Case("syntax", "\n".join(lines) + "\n", line=at + 1)
    # cut inside a line with an inline table or array: the file ends in the middle of it
    candidates = [
        i
        for i, line in enumerate(lines)
        if _STATEMENT.match(line) and not line.startswith("[") and re.search(r"=\s*[\[{]", line)
    ]
    at = draw(st.sampled_from(candidates))
    cut = lines[at][: lines[at].index("=") + draw(st.integers(2, 8))]
    return Case("syntax", "\n".join(lines[:at] + [cut]), line=at + 1)


def _write(case: Case, name: str) -> Path:
    path = WORK / name
    if isinstance(case.text, bytes):
        path.write_bytes(case.text)
    else:
        path.write_text(case.text, encoding="utf-8")
    return path


@pytest.mark.slow
@settings(FUZZ, max_examples=750)
@given(case=broken_files())
def test_broken_files_are_refused_by_the_loader(case: Case) -> None:
    COUNTS["file, loader"] += 1
    COUNTS[case.kind] += 1
    path = _write(case, "broken.toml")
    with pytest.raises(ScenarioError) as raised:
        load(path)
    assert raised.value.source == "broken.toml"
    case.check(raised.value)


# --- --set overrides ------------------------------------------------------------------------------

SET_KINDS = [
    "wrong type", "negative", "nan or inf", "enormous", "zero", "unknown key", "unknown id",
    "star misplaced", "malformed", "inside a value", "wildcard", "deep", "empty table",
]  # fmt: skip


@st.composite
def broken_sets(draw: st.DrawFn) -> tuple[str, Case]:
    kind = draw(st.sampled_from(SET_KINDS))
    if kind in ("wrong type", "negative", "nan or inf", "enormous", "zero"):
        pool = {"zero": ZERO_FIELDS, "enormous": BOUNDED_FIELDS}.get(kind, NUMBERS)
        path, value = draw(st.sampled_from(pool))
        if kind == "wrong type":
            text = draw(
                st.sampled_from(['"abc"', "true", "[1, 2]", "{a = 1}", "2026-01-01", "x y"])
            )
            if _last_key(path) in INT_KEYS:
                text = draw(st.sampled_from([text, f"{value}.5"]))
        else:
            text = draw(
                st.sampled_from(
                    {
                        "negative": ["-1", "-0.5", "-1e-9", "-1000000000"],
                        "nan or inf": ["nan", "inf", "-inf", "+inf", "+nan", "1e400"],
                        "enormous": ["100000000000000000000", "1e300", "1e20", "2e308"],
                        "zero": ["0.0" if isinstance(value, float) else "0"],
                    }[kind]
                )
            )
        override = f"{dotted(path)}={text}"
        return override, Case(kind, "", [dotted(path)])
    if kind == "wildcard":
        field_, text = draw(
            st.sampled_from(
                [
                    ("streets.*.windows", "-1"),
                    ("streets.*.enforcement_officers", "nan"),
                    ("streets.*.communities.*.households", "-5"),
                    ("streets.*.communities.*.posts", '"many"'),
                    ("streets.*.communities.*.grids", "0"),
                    ("streets.*.demand_factor", "1e9"),
                ]
            )
        )
        override = f"districts.*.{field_}={text}"
        return override, Case(kind, "", [override.split("=")[0]])
    if kind == "unknown key":
        table = draw(st.sampled_from(TABLES + [()]))
        name = draw(st.sampled_from(["bogus", "windws", "housholds", "rate", "Name"]))
        if name in _get(BASE, table):
            name += "_x"
        path = dotted(table + (name,))
        return f"{path}={draw(st.sampled_from(['1', 'x', '2.5']))}", Case(kind, "", [path])
    if kind == "unknown id":
        table = draw(st.sampled_from(ID_TABLES))
        missing = draw(st.sampled_from(["nowhere", "c99", "dongj", "x"]))
        path = dotted(table + (missing,))
        tail = draw(st.sampled_from(["", ".windows", ".households", ".share"]))
        return f"{path}{tail}=1", Case(kind, "", [path, dotted(table)])
    if kind == "star misplaced":
        override = draw(
            st.sampled_from(
                [
                    "demand.*.rate_per_1000_households_per_day=1",
                    "*.name=x",
                    "budget.*=1",
                    "demand.window.categories.*.share=0.5",
                    "districts.longshan.*.dongji.windows=1",
                ]
            )
        )
        return override, Case(kind, "", [override.split("=")[0].split("*")[0].rstrip(".") or "*"])
    if kind == "malformed":
        override = draw(
            st.sampled_from(["windows", "=4", "a..b=1", ".x=1", "x.=1", " =1", "districts.=3"])
        )
        return override, Case(kind, "", [])
    if kind == "inside a value":
        path, _ = draw(st.sampled_from(NUMBERS + STRINGS))
        path = tuple(p for p in path if not isinstance(p, int))
        return f"{dotted(path)}.x=1", Case(kind, "", [dotted(path)])
    if kind == "deep":
        depth = draw(st.sampled_from([40, 1000, 5000]))
        return "name=" + "[" * depth + "]" * depth, Case(kind, "", ["name"])
    path, empty = draw(st.sampled_from(EMPTY))
    return f"{dotted(path)}={toml_value(empty)}", Case(kind, "", [dotted(path)])


def _check_set(override: str, case: Case, err: ScenarioError) -> None:
    # the loader names the override as written (the command line adds "--set")
    assert (err.kind == "override" and err.source == override) or (
        err.source == "liaoyuan.toml"
    ), str(err)
    if case.kind == "malformed":  # no field to name: the message quotes the override itself
        assert err.source == override, str(err)
        return
    case.check(err)


@pytest.mark.slow
@settings(FUZZ, max_examples=400)
@given(item=broken_sets())
def test_broken_overrides_are_refused_by_the_loader(item: tuple[str, Case]) -> None:
    override, case = item
    COUNTS["--set, loader"] += 1
    COUNTS[f"--set {case.kind}"] += 1
    with pytest.raises(ScenarioError) as raised:
        load("liaoyuan", [override])
    _check_set(override, case, raised.value)


# --- through the command line ---------------------------------------------------------------------


def _exits_2_with(result: Any, err: ScenarioError) -> None:
    """Exit code 2, and stderr is the loader's message (checked above to name the field),
    with the option it came from where an override is to blame."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    flag = "--set " if err.kind == "override" else ""
    assert result.stderr == f"error: {flag}{err}\n"


@pytest.mark.slow
@settings(FUZZ, max_examples=130)
@given(case=broken_files())
def test_broken_files_exit_2_from_scenario_validate(case: Case) -> None:
    COUNTS["file, cli"] += 1
    path = _write(case, "cli-broken.toml")
    with pytest.raises(ScenarioError) as raised:
        load(path)
    case.check(raised.value)
    _exits_2_with(runner.invoke(app, ["scenario", "validate", str(path)]), raised.value)


TINY = ["--days", "1", "--case-days", "1", "--case-warmup", "0", "-r", "1", "--backend", "serial"]


@pytest.mark.slow
@settings(FUZZ, max_examples=90)
@given(item=broken_sets())
def test_broken_overrides_exit_2_from_simulate(item: tuple[str, Case]) -> None:
    override, case = item
    COUNTS["--set, cli"] += 1
    with pytest.raises(ScenarioError) as raised:
        load("liaoyuan", [override])
    _check_set(override, case, raised.value)
    result = runner.invoke(app, ["simulate", "liaoyuan", "--set", override, *TINY, "-q"])
    _exits_2_with(result, raised.value)


@pytest.mark.slow  # with the fuzz tests whose count it checks
def test_at_least_a_thousand_broken_inputs_were_tried() -> None:
    if not COUNTS:
        pytest.skip("run with the fuzz tests above (the count is theirs)")
    total = sum(COUNTS[k] for k in ("file, loader", "--set, loader", "file, cli", "--set, cli"))
    print(f"\n{total} broken inputs: {dict(sorted(COUNTS.items()))}")  # shown with -s
    assert total >= 1000, COUNTS
    assert COUNTS["file, cli"] + COUNTS["--set, cli"] >= 150, COUNTS
    kinds = {k for k in COUNTS if not k.startswith(("file,", "--set,"))}
    assert len(kinds) >= 25, sorted(kinds)  # every kind of breakage was drawn


# --- nothing runs that should not -----------------------------------------------------------------

SOURCES = [ROOT / "cli.py", *sorted(ROOT.glob("scenarios/*.py")), *sorted(ROOT.glob("sim/*.py")),
           *sorted(ROOT.glob("optimize/*.py")), *sorted(ROOT.glob("export/*.py"))]  # fmt: skip
FORBIDDEN_NAMES = {"eval", "exec", "compile", "__import__", "execfile", "input"}
FORBIDDEN_ATTRIBUTES = {
    ("pickle", "load"), ("pickle", "loads"), ("marshal", "load"), ("marshal", "loads"),
    ("importlib", "import_module"), ("os", "system"), ("os", "popen"), ("yaml", "load"),
    ("shelve", "open"), ("subprocess", "run"), ("subprocess", "Popen"), ("subprocess", "call"),
    ("subprocess", "check_output"), ("runpy", "run_path"), ("runpy", "run_module"),
}  # fmt: skip


def test_the_source_never_evaluates_unpickles_or_imports_what_it_is_given() -> None:
    """No eval/exec/pickle/import by name anywhere in the tool (parsed, so ``re.compile`` and
    comments do not count)."""
    import ast

    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
                found.append(f"{path.name}:{node.lineno} {func.id}()")
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and (func.value.id, func.attr) in FORBIDDEN_ATTRIBUTES
            ):
                found.append(f"{path.name}:{node.lineno} {func.value.id}.{func.attr}()")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                for name in names:
                    if name.split(".")[0] in ("pickle", "marshal", "shelve", "dill", "yaml"):
                        found.append(f"{path.name}:{node.lineno} import {name}")
    assert len(SOURCES) > 30
    assert found == []


def _small_text(**names: str) -> str:
    """A one-street scenario with demand, display names replaced by ``names``."""
    from jiedao.scenarios.textbook import base_data

    data = base_data()
    data["calendar"]["start_date"] = dt.date(2026, 3, 2)
    data["demand"]["window"]["rate_per_1000_households_per_day"] = 20.0
    data["demand"]["grid"]["events_per_grid_per_month"] = 20.0
    data["budget"] = {"posts_pool": 8}
    data["districts"]["d"]["streets"]["s"]["communities"]["c2"] = {"households": 600}
    data.update({k: v for k, v in names.items() if k in ("name", "name_zh", "description")})
    community = data["districts"]["d"]["streets"]["s"]["communities"]["c"]
    community.update({k[10:]: v for k, v in names.items() if k.startswith("community_")})
    category = data["demand"]["window"]["categories"]["all"]
    category.update({k[9:]: v for k, v in names.items() if k.startswith("category_")})
    return to_toml(data)


def _code(marker: Path) -> list[str]:
    """Strings that would create ``marker`` if anything evaluated or shelled them."""
    return [
        f"__import__('os').system('touch {marker}')",
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"; touch {marker}",
        f"{{{{ __import__('os').system('touch {marker}') }}}}",
        f"eval(\"__import__('os').system('touch {marker}')\")",
        f"!!python/object/apply:os.system ['touch {marker}']",
    ]


SIMULATE_TINY = [*TINY, "-q", "--json", "-"]


def test_scenario_values_that_look_like_code_are_kept_as_inert_strings(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for code in _code(marker):
        path = tmp_path / "code.toml"
        path.write_text(
            _small_text(name=code, name_zh=code, description=code, community_name=code,
                        community_name_zh=code, category_name=code),
            encoding="utf-8",
        )  # fmt: skip
        result = runner.invoke(app, ["simulate", str(path), *SIMULATE_TINY])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["scenario"] == code  # kept as it was written
        shown = runner.invoke(app, ["scenario", "show", str(path), "--json", "-"])
        document = json.loads(shown.stdout)
        assert document["name_zh"] == code
        assert {c["name"] for c in document["communities"]} >= {code}
        # where a number is expected, the same string is refused
        bad = _small_text(community_households=code)
        path.write_text(bad, encoding="utf-8")
        result = runner.invoke(app, ["scenario", "validate", str(path)])
        assert result.exit_code == 2
        assert result.stderr.startswith(
            "error: code.toml: districts.d.streets.s.communities.c.households: must be an integer"
        )
    assert not marker.exists()


@pytest.mark.slow
def test_set_values_that_look_like_code_are_kept_as_inert_strings(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for code in _code(marker):
        result = runner.invoke(app, ["simulate", "liaoyuan", "--set", f"name={code}",
                                     *SIMULATE_TINY])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["scenario"] == code.strip()
        result = runner.invoke(app, ["simulate", "liaoyuan", "--set",
                                     f"budget.posts_pool={code}", *SIMULATE_TINY])  # fmt: skip
        assert result.exit_code == 2
        assert "budget.posts_pool: must be an integer" in result.stderr
        assert "Traceback" not in result.output
    assert not marker.exists()


@pytest.mark.parametrize(
    "ref",
    ["os.path", "sim.run", "scenarios.loader", "cli", "sim/run.py", "cli.py", "/etc/passwd",
     "../../etc/passwd", "__init__", "liaoyuan.toml/../cli.py"],
)  # fmt: skip
def test_a_module_or_a_path_named_as_the_scenario_is_not_imported_or_run(ref: str) -> None:
    result = runner.invoke(app, ["scenario", "validate", ref])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    if Path(ref).is_file():  # read as TOML text, which a module or a passwd file is not
        assert "invalid TOML" in result.stderr or "unknown key" in result.stderr
    else:
        assert "no such file, and not a built-in scenario" in result.stderr


# --- output names are the tool's ------------------------------------------------------------------


def test_a_scenario_cannot_make_out_write_outside_its_folder(tmp_path: Path) -> None:
    escape = "../../escape/x"
    path = tmp_path / "in" / "s.toml"
    path.parent.mkdir()
    path.write_text(
        _small_text(name=escape, name_zh="/tmp/x", community_name="../../../y",
                    community_name_zh="=HYPERLINK(\"http://x\",\"y\")", category_name="a/b"),
        encoding="utf-8",
    )  # fmt: skip
    before = sorted(p for p in tmp_path.rglob("*"))
    runs = {
        "plan": (["plan", str(path), "-r", "1", "--check-replications", "1", "--backend",
                  "serial", "-q"], {"allocation.csv", "allocation.xlsx", "curves.csv",
                                    "plan.json", "windows.csv", "chart-posts.svg",
                                    "chart-service.svg", "chart-budget.svg"}),
        "simulate": (["simulate", str(path), *TINY, "-q"],
                     {"simulate.json", "waits.png", "waits.svg"}),
        "sweep": (["sweep", str(path), "--vary", "districts.d.streets.s.windows=1,2", *TINY,
                   "-q"], {"sweep.json", "points.jsonl", "results.csv", "results.xlsx",
                           "sweep-1.png", "sweep-1.svg"}),
    }  # fmt: skip
    for command, (args, expected) in runs.items():
        out = tmp_path / "out" / command
        result = runner.invoke(app, [*args, "--out", str(out)])
        assert result.exit_code == 0, (command, result.output)
        written = {p.name for p in out.iterdir()}
        assert written <= expected and len(written) >= 2, (command, written)
    after = sorted(p for p in tmp_path.rglob("*"))
    new = {p.relative_to(tmp_path).parts[:2] for p in after if p not in before}
    assert new == {("out",), ("out", "plan"), ("out", "simulate"), ("out", "sweep")}, new
    assert (
        not (tmp_path.parent / "escape").exists() and not (ROOT.parent.parent / "escape").exists()
    )
    # display names that look like formulas are text in the workbook, never formulas
    import zipfile

    with zipfile.ZipFile(tmp_path / "out" / "plan" / "allocation.xlsx") as book:
        sheets = [book.read(n).decode("utf-8") for n in book.namelist() if "worksheets/" in n]
    assert sheets and not any("<f>" in s for s in sheets)
    assert any('<t>=HYPERLINK("http://x","y")</t>' in s for s in sheets)
