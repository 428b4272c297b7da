"""Read a scenario: TOML text -> ``--set`` overrides -> schema validation -> resolved tree.

Everything a planner can get wrong ends here in one :class:`ScenarioError` naming the file, the
dotted field path and what was expected, with the TOML line where it can be found. Scenario files
and ``--set`` values are data only: they are parsed by :mod:`tomllib`, never evaluated or imported.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from jiedao.scenarios import schema
from jiedao.scenarios.errors import ScenarioError
from jiedao.scenarios.model import Community, District, Origin, Scenario, Street
from jiedao.scenarios.overrides import (
    MAX_DEPTH,
    Override,
    apply_overrides,
    as_overrides,
    blames,
    check_depth,
    did_you_mean,
    parse_variant,
    toml_value,
    written_value,
)

BUILTIN = ("liaoyuan", "liaoyuan-before")
DEFAULT = "liaoyuan"
MAX_FILE_BYTES = 50 * 1024 * 1024


# --- locating and reading -------------------------------------------------------------------------


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("jiedao.scenarios").joinpath(f"{name}.toml")))


def resolve_ref(ref: str | Path | None) -> tuple[Path, str]:
    """A path, or the name of a built-in scenario; ``None`` is the default (``liaoyuan``)."""
    text = str(ref) if ref is not None else DEFAULT
    path = Path(text)
    if path.is_file():
        return path, path.name
    if text in BUILTIN:
        return builtin_path(text), f"{text}.toml"
    if path.exists():
        raise ScenarioError(text, "", "is not a file")
    raise ScenarioError(
        text, "", f"no such file, and not a built-in scenario ({', '.join(BUILTIN)})"
    )


def read_toml(path: Path, label: str) -> tuple[dict[str, Any], str]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(label, "", f"file is {size} bytes, more than {MAX_FILE_BYTES}")
        raw = path.read_bytes()
    except OSError as err:
        raise ScenarioError(label, "", f"cannot read: {err.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        where = raw.count(b"\n", 0, err.start) + 1
        raise ScenarioError(label, "", f"not UTF-8 text (byte {err.start})", where) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        lines = text.splitlines()
        at_end = line is None and message.endswith(" (at end of document)")
        if at_end:  # a file cut short (an unclosed array, table or string): blame its last line
            message = message.removesuffix(" (at end of document)")
            line = max(1, len(lines))
        # "Cannot declare ('a', 'b') twice" -> "Cannot declare [a.b] twice"
        message = re.sub(
            r"\(((?:'[^']*',?\s*)+)\)",
            lambda m: "[" + ".".join(re.findall(r"'([^']*)'", m.group(1))) + "]",
            message,
        )
        key = _KEY.match(lines[line - 1]) if line is not None and line <= len(lines) else None
        if message.startswith("Cannot overwrite a value") and key:
            message += f": {key.group(1).strip()} is given twice"
        elif at_end:
            message += " at the end of the file"
        elif line is not None and line <= len(lines):
            message += _non_ascii_hint(lines[line - 1])
        raise ScenarioError(label, "", f"invalid TOML: {message}", line) from None
    except RecursionError:
        raise ScenarioError(
            label, "", f"invalid TOML: tables or lists nested more than {MAX_DEPTH} deep"
        ) from None
    check_depth(data, label)
    return data, text


def _allowed_keys(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys a table at ``loc`` accepts, for "did you mean"."""
    annotation: Any = model
    for step in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(step) or next(
                (f for f in annotation.model_fields.values() if f.alias == step), None
            )
            if info is None:
                return []
            annotation = info.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) is list and isinstance(step, int):
            annotation = typing.get_args(annotation)[0]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f.alias or name for name, f in annotation.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _clean_loc(loc: Sequence[Any], data: Any) -> list[str]:
    """Drop pydantic's union tags (``lognormal``) and function names from an error location."""
    out: list[str] = []
    node = data
    for step in loc:
        if isinstance(node, dict) and step not in node and node.get("dist") == step:
            continue
        if isinstance(step, str) and ("[" in step or step.startswith("function-")):
            continue
        out.append(str(step))
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            node = None
    return out


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) < 60 else repr(value[:57] + "...")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return str(value).lower() if isinstance(value, bool) else repr(value)


_TYPE_WORDS = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "date_type": "a date like 2026-01-05",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "list_type": "a list",
    "tuple_type": "a list",
}


def _bound(limit: Any) -> str:
    """A bound as the planner would write it: ``0``, not ``0.0``."""
    if isinstance(limit, float) and math.isfinite(limit) and limit == int(limit):
        return str(int(limit))
    return str(limit)


def _items(count: Any) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _message(err: dict[str, Any], allowed: list[str]) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = f", got {_show(value)}"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}{got}"
    if isinstance(value, float) and not math.isfinite(value):
        # nan fails every comparison, so a bound check would report a misleading "must be >= 0".
        return f"must be a finite number{got}"
    if kind == "greater_than":
        return f"must be > {_bound(ctx['gt'])}{got}"
    if kind == "greater_than_equal":
        return f"must be >= {_bound(ctx['ge'])}{got}"
    if kind == "less_than":
        return f"must be < {_bound(ctx['lt'])}{got}"
    if kind == "less_than_equal":
        text = f"must be <= {_bound(ctx['le'])}{got}"
        if ctx["le"] == 1 and isinstance(value, int | float) and 1 < value <= 100:
            text += f": a share is a fraction of 1, so write {value / 100:g} for {value:g}%"
        return text
    if kind == "missing":
        return "required, but not given"
    if kind == "extra_forbidden":
        return "unknown key" + did_you_mean(str(err["loc"][-1]), allowed)
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}{got}"
    if kind == "too_short":
        return f"must have at least {_items(ctx['min_length'])}, got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"must have at most {_items(ctx['max_length'])}, got {ctx.get('actual_length')}"
    if kind == "union_tag_invalid":
        return f"dist must be one of {ctx.get('expected_tags')}, got {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return "must name its distribution: dist = \"exponential\" | \"lognormal\" | ..."
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "finite_number":
        return f"must be a finite number{got}"
    text = err["msg"]
    return text[:1].lower() + text[1:] + got


def _validation_error(
    err: ValidationError,
    data: dict[str, Any],
    label: str,
    text: str | None,
    overrides: Sequence[Override],
) -> ScenarioError:
    errors = err.errors(include_url=False)
    # A misspelt key also makes its field "missing": report the typo, which is the cause.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _clean_loc(first["loc"], data)
    allowed = (
        _allowed_keys(schema.ScenarioFile, loc[:-1]) if first["type"] == "extra_forbidden" else []
    )
    message = _message(dict(first), allowed)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    path = ".".join(loc)
    return _error_at(label, path, message, text, overrides)


def _error_at(
    label: str, path: str, message: str, text: str | None, overrides: Sequence[Override]
) -> ScenarioError:
    # Blame the override that wrote the field, else one that wrote inside the table at fault
    # (an unknown key it added, or a table-wide check such as posts_pool it broke).
    for inside in (False, True):
        for item in reversed(overrides):  # the last one to write a field set its value
            if blames(item.path, path, inside):
                return ScenarioError(item.label, path, message, kind="override")
    return ScenarioError(label, path, message, find_line(text, path) if text else None)


# --- TOML line lookup -----------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\".' ]+?)\s*=")


def _split_key(key: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', key)
    return [a or b or c for a, b, c in parts]


def find_line(text: str, path: str) -> int | None:
    """The line where ``path`` (or its nearest enclosing key or table) is written, if any."""
    target = path.split(".")
    best: tuple[int, int] | None = None  # (matched segments, line)
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            full = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            full = table + _split_key(key.group(1))
            # inline tables: c01 = { households = -5 }
            rest = line[key.end():]
            for inner in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", rest):
                candidate = full + [inner.group(1)]
                if candidate == target[: len(candidate)]:
                    full = candidate
                    break
        if full[: len(target)] == target[: len(full)]:
            # a line inside the target's table (``[districts.x.streets.y]`` for ``districts.x``)
            # locates it too when the table itself has no header of its own
            matched = min(len(full), len(target))
            if best is None or matched > best[0]:
                best = (matched, number)
    return best[1] if best and best[0] >= 1 else None


# --- resolution of defaults -----------------------------------------------------------------------


def _cascade(field_name: str, *levels: BaseModel | None) -> Any:
    for level in levels:
        if level is not None:
            value = getattr(level, field_name, None)
            if value is not None:
                return value
    return None


def resolve(
    spec: schema.ScenarioFile,
    label: str,
    text: str | None = None,
    overrides: Sequence[Override] = (),
) -> Scenario:
    def fail(path: str, message: str) -> ScenarioError:
        return _error_at(label, path, message, text, overrides)

    categories = set(spec.demand.window.categories)
    districts = []
    for d_id, d in spec.districts.items():
        d_path = f"districts.{d_id}"
        _check_slug(d_id, d_path, fail)
        streets = []
        for s_id, s in d.streets.items():
            s_path = f"{d_path}.streets.{s_id}"
            _check_slug(s_id, s_path, fail)
            street_levels = (s, d.defaults.street, spec.defaults.street)
            communities = []
            for c_id, c in s.communities.items():
                c_path = f"{s_path}.communities.{c_id}"
                _check_slug(c_id, c_path, fail)
                levels = (c, s.defaults.community, d.defaults.community, spec.defaults.community)
                site_id = f"{d_id}/{s_id}/{c_id}"
                communities.append(_community(spec, site_id, c_path, c, levels, fail))
            windows = _cascade("windows", *street_levels)
            officers = _cascade("enforcement_officers", *street_levels)
            if windows is None:
                raise fail(
                    f"{s_path}.windows", "required (set it here or in a defaults.street table)"
                )
            if officers is None:
                raise fail(
                    f"{s_path}.enforcement_officers",
                    "required (set it here or in a defaults.street table)",
                )
            shifts = tuple(_cascade("window_shifts", *street_levels) or ())
            _check_shifts(shifts, windows, spec.calendar, f"{s_path}.window_shifts", fail)
            special = _cascade("specialised_windows", *street_levels)
            if special is not None:
                unknown = sorted(set(special) - categories)
                if unknown:
                    raise fail(
                        f"{s_path}.specialised_windows.{unknown[0]}",
                        f"no matter category {unknown[0]!r}{did_you_mean(unknown[0], categories)}",
                    )
            streets.append(
                Street(
                    id=f"{d_id}/{s_id}",
                    path=s_path,
                    name=s.name or s_id,
                    name_zh=s.name_zh,
                    windows=windows,
                    window_shifts=shifts,
                    specialised_windows=dict(special) if special is not None else None,
                    enforcement_officers=officers,
                    demand_factor=_or(_cascade("demand_factor", *street_levels), 1.0),
                    communities=tuple(communities),
                    hall=s.hall,
                )
            )
        halls = [st for st in streets if st.hall]
        if len(halls) > 1:
            raise fail(
                f"{halls[1].path}.hall",
                f"district {d_id!r} has a hall already ({halls[0].id}); "
                "mark one street hall = true",
            )
        districts.append(
            District(
                id=d_id, path=d_path, name=d.name or d_id, name_zh=d.name_zh, streets=tuple(streets)
            )
        )
    districts = _with_access(spec, districts, fail)
    _check_keys(districts, fail)
    _check_levels(spec, districts, fail)
    return Scenario(
        name=spec.name,
        name_zh=spec.name_zh,
        description=spec.description,
        source=label,
        calendar=spec.calendar,
        demand=spec.demand,
        targets=spec.targets,
        budget=spec.budget,
        policy=spec.policy,
        simulation=spec.simulation,
        districts=tuple(districts),
        access=spec.access,
        duties=spec.duties,
        overtime=spec.overtime,
    )


# --- access, stable keys, matters by level --------------------------------------------------------

TRAVEL = ("station", "street", "district")


def travel_minutes(access: schema.Access, km: float) -> float:
    """One-way minutes for ``km`` of network distance: walking, or riding after a wait, whichever
    is quicker."""
    walk = km / access.walk_kmh * 60.0
    ride = access.ride_wait_min + km / access.ride_kmh * 60.0
    return min(walk, ride)


def mean_distance_km(access: schema.Access, area_km2: float) -> float:
    """Network distance from a point spread evenly over a disc of ``area_km2`` to its centre:
    two thirds of the radius, times the detour factor."""
    return 2.0 / 3.0 * math.sqrt(area_km2 / math.pi) * access.detour_factor


def _with_access(spec: schema.ScenarioFile, districts: list[District], fail: Any) -> list[District]:
    """Each community's one-way travel minutes to its station, street centre and district hall:
    given in minutes, converted from km, or derived from the areas (a community's, its street's,
    its district's; an area not given is households / ``access.households_per_km2``)."""
    access = spec.access
    own = {
        c.path: _community_spec(spec, c.path)
        for d in districts
        for s in d.streets
        for c in s.communities
    }
    out = []
    for district in districts:
        d_spec = spec.districts[district.id]
        c_area: dict[str, float] = {}
        s_area: dict[str, float] = {}
        for street in district.streets:
            for c in street.communities:
                given = own[c.path]["area_km2"]
                c_area[c.id] = (
                    given if given is not None else c.households / access.households_per_km2
                )
            s_given = d_spec.streets[street.id.rsplit("/", 1)[-1]].area_km2
            s_area[street.id] = (
                s_given if s_given is not None else sum(c_area[c.id] for c in street.communities)
            )
        d_area = d_spec.area_km2 if d_spec.area_km2 is not None else sum(s_area.values())
        streets = []
        for street in district.streets:
            communities = []
            for c in street.communities:
                fields = own[c.path]
                areas = {"station": c_area[c.id], "street": s_area[street.id], "district": d_area}
                minutes: dict[str, float] = {}
                basis = []
                for where in TRAVEL:
                    given_min = fields[f"{where}_travel_min"]
                    given_km = fields[f"{where}_km"]
                    if given_min is not None:
                        minutes[where], how = float(given_min), "given"
                    elif given_km is not None:
                        minutes[where], how = travel_minutes(access, given_km), "km"
                    else:
                        km = mean_distance_km(access, areas[where]) if areas[where] > 0 else 0.0
                        minutes[where], how = travel_minutes(access, km), "derived"
                    basis.append(how)
                communities.append(
                    dataclasses.replace(
                        c,
                        station_travel_min=minutes["station"],
                        street_travel_min=minutes["street"],
                        district_travel_min=minutes["district"],
                        travel_basis=(basis[0], basis[1], basis[2]),
                    )
                )
            streets.append(dataclasses.replace(street, communities=tuple(communities)))
        out.append(dataclasses.replace(district, streets=tuple(streets)))
    return out


def _community_spec(spec: schema.ScenarioFile, path: str) -> dict[str, Any]:
    """A community's access fields, cascaded through the defaults like its other fields."""
    _, d_id, _, s_id, _, c_id = path.split(".")
    d = spec.districts[d_id]
    s = d.streets[s_id]
    levels = (
        s.communities[c_id],
        s.defaults.community,
        d.defaults.community,
        spec.defaults.community,
    )
    names = [f"{w}_travel_min" for w in TRAVEL] + [f"{w}_km" for w in TRAVEL] + ["area_km2"]
    return {name: _cascade(name, *levels) for name in names}


def _check_keys(districts: list[District], fail: Any) -> None:
    """Every stable key names one community's residents: none may be claimed twice."""
    seen: dict[str, str] = {}
    for district in districts:
        for street in district.streets:
            for c in street.communities:
                for key in c.keys:
                    if key in seen:
                        raise fail(
                            c.path,
                            f"residents key {key!r} is already {seen[key]}'s: each key may name "
                            "one community (or one part of a merged one)",
                        )
                    seen[key] = c.id


def _check_levels(spec: schema.ScenarioFile, districts: list[District], fail: Any) -> None:
    """A matter taken at or sent up to the district needs a district hall in every district."""
    for key, category in spec.demand.window.categories.items():
        for field_name, level in (
            ("taken_at", category.taken_at),
            ("done_at", category.completed_at),
        ):
            if level != "district":
                continue
            for district in districts:
                if district.hall is None:
                    raise fail(
                        f"demand.window.categories.{key}.{field_name}",
                        f'"district" needs a district hall, and district {district.id!r} has '
                        "none: mark the street entry standing for it hall = true",
                    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _check_slug(key: str, path: str, fail: Any) -> None:
    if not schema.SLUG.match(key):
        hint = ""
        if not key.isascii():
            hint = f"; use an ASCII id and give the Chinese name as name_zh = {key!r}"
        elif schema.SLUG.match(key.lower()):
            hint = f"; did you mean {key.lower()!r}?"
        raise fail(path, f"id {key!r} must be a lowercase ASCII slug (a-z, 0-9, '-', '_')" + hint)


_NAME_HINT = (
    ": ids are ASCII slugs (a-z, 0-9, '-', '_'), so write an ASCII id and give the Chinese name "
    'as name_zh, e.g. {example} with name_zh = "{name}"'
)
_HEADER_RAW = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")


def _non_ascii_hint(text: str) -> str:
    """A hint for a key TOML refused because it is not ASCII (``[districts.hexi.streets.山下]``,
    ``山下 = { households = 800 }``): ids are ASCII, names go in ``name_zh``."""
    header = _HEADER_RAW.match(text)
    keys = header.group(1) if header else text.split("=", 1)[0]
    segments = [part.strip() for part in keys.split(".")]
    bad = next((part for part in segments if part and not part.isascii()), None)
    if bad is None:
        return ""
    name = bad.strip("\"'")
    if header:
        example = "[" + ".".join([*segments[: segments.index(bad)], "ID"]) + "]"
    else:
        example = "ID = { ... }"
    return _NAME_HINT.format(example=example, name=name)


def _check_shifts(shifts: Sequence[schema.Shift], windows: int, calendar: schema.Calendar,
                  path: str, fail: Any) -> None:
    opening, closing = schema.minutes_of_day(calendar.open), schema.minutes_of_day(calendar.close)
    spans = sorted((schema.minutes_of_day(s.start), schema.minutes_of_day(s.end), i)
                   for i, s in enumerate(shifts))
    for (start, end, i), nxt in zip(spans, spans[1:] + [None], strict=False):
        if start < opening or end > closing:
            raise fail(f"{path}.{i}", f"shift must lie within opening hours "
                       f"{calendar.open}-{calendar.close}")
        if nxt is not None and nxt[0] < end:
            raise fail(f"{path}.{nxt[2]}", "shifts must not overlap")


def _community(
    spec: schema.ScenarioFile, site_id: str, path: str, own: schema.Community,
    levels: tuple[BaseModel | None, ...], fail: Any,
) -> Community:
    households = _cascade("households", *levels)
    parts: tuple[tuple[str, int], ...] = ((own.key or site_id, 0),)
    if own.merged_from is not None:
        parts = tuple(own.merged_from.items())
        total = sum(n for _, n in parts)
        if households is None:
            households = total
        elif households != total:
            raise fail(
                f"{path}.households",
                f"must equal the households of merged_from ({total:,}), got {households:,}",
            )
    if households is None:
        raise fail(f"{path}.households", "required, but not given")
    if own.merged_from is None:
        parts = ((parts[0][0], households),)
    kind = _cascade("type", *levels) or "urban"
    # the most specific level that says anything about grids decides: a count, or a size
    sizing = next(
        (
            lv
            for lv in levels
            if lv is not None
            and (
                getattr(lv, "grids", None) is not None
                or getattr(lv, "households_per_grid", None) is not None
            )
        ),
        None,
    )
    grids = getattr(sizing, "grids", None) if sizing is not None else None
    if grids is None:
        per_grid = getattr(sizing, "households_per_grid", None) if sizing is not None else None
        if per_grid is None:
            raise fail(f"{path}.grids", "required: give grids, or households_per_grid in defaults")
        grids = max(1, math.ceil(households / per_grid))
    posts = _cascade("posts", *levels)
    if posts is None:
        raise fail(f"{path}.posts", "required (set it here or in a defaults.community table)")
    party = _or(_cascade("party_building_posts", *levels), 2)
    if party > posts:
        raise fail(f"{path}.posts", f"must be >= party_building_posts ({party}), got {posts}")
    funds = _cascade("funds_yuan", *levels)
    if funds is None:
        funds = {str(k): v for k, v in spec.budget.fund_standard_yuan.items()}.get(kind, 0.0)
    shares = _household_shares(spec, path, levels, fail)
    return Community(
        id=site_id,
        path=path,
        name=own.name or site_id.rsplit("/", 1)[-1],
        name_zh=own.name_zh,
        type=kind,
        households=households,
        residents=_cascade("residents", *levels),
        grids=grids,
        posts=posts,
        party_building_posts=party,
        funds_yuan=float(funds),
        demand_factor=float(_or(_cascade("demand_factor", *levels), 1.0)),
        parts=parts,
        persons_per_household=float(_or(_cascade("persons_per_household", *levels), 2.3)),
        household_shares=shares,
    )


def _household_shares(
    spec: schema.ScenarioFile, path: str, levels: tuple[BaseModel | None, ...], fail: Any
) -> dict[str, float]:
    """The community's share of households of each household type: the city's, unless the
    community (or a defaults table) gives its own."""
    types = spec.duties.household_types
    shares = {k: t.household_share for k, t in types.items()}
    own = _cascade("household_shares", *levels)
    if own is None:
        return shares
    for key in own:
        if key not in types:
            raise fail(
                f"{path}.household_shares.{key}",
                f"no household type {key!r} in duties.household_types" + did_you_mean(key, types),
            )
    shares.update(own)
    if sum(shares.values()) > 1.0 + 1e-6:
        raise fail(
            f"{path}.household_shares",
            f"household shares must sum to at most 1, got {sum(shares.values()):g}",
        )
    return shares


# --- entry point ----------------------------------------------------------------------------------


def validate_data(
    data: dict[str, Any],
    label: str,
    text: str | None = None,
    overrides: Sequence[str | Override] = (),
    changes: Sequence[tuple[str, Any, Any, str]] = (),
) -> Scenario:
    """Validate the file's data (with ``overrides`` already applied: they are named in errors)
    and resolve it. The scenario keeps the data, so that variants are made in memory
    (:func:`with_overrides`) without reading the file again."""
    applied = as_overrides(overrides)
    try:
        spec = schema.ScenarioFile.model_validate(data)
    except ValidationError as err:
        raise _validation_error(err, data, label, text, applied) from None
    scenario = resolve(spec, label, text, applied)
    _check_policy(scenario, label, text, applied)
    object.__setattr__(scenario, "origin", Origin(data, text, tuple(applied), tuple(changes)))
    return scenario


def _check_policy(
    scenario: Scenario, label: str, text: str | None, overrides: Sequence[Override]
) -> None:
    n_categories = len(scenario.demand.window.categories)
    for street in scenario.streets():
        special = street.specialised_windows
        if scenario.policy.window_mode == "specialised" and special is not None:
            if sum(special.values()) != street.windows:
                raise _error_at(
                    label, f"{street.path}.specialised_windows",
                    f"clerks add up to {sum(special.values())}, but windows is {street.windows}",
                    text, overrides,
                )
    if scenario.policy.window_mode == "specialised":
        for street in scenario.streets():
            if street.specialised_windows is None and 0 < street.windows < n_categories:
                raise _error_at(
                    label, f"{street.path}.windows",
                    f"specialised windows need at least one per matter category "
                    f"({n_categories}), got {street.windows}; or give specialised_windows",
                    text, overrides,
                )


def load(ref: str | Path | None = None, overrides: Sequence[str | Override] = ()) -> Scenario:
    """Load, override, validate and resolve a scenario. Raises :class:`ScenarioError`."""
    path, label = resolve_ref(ref)
    data, text = read_toml(path, label)
    return load_data(data, label, text, overrides)


def load_data(
    data: dict[str, Any],
    label: str,
    text: str | None = None,
    overrides: Sequence[str | Override] = (),
) -> Scenario:
    """A scenario from data already read (``text`` for line numbers), overrides applied."""
    applied = as_overrides(overrides)
    changes = _apply_each(data, applied, _resolver(label, text))
    return validate_data(data, label, text, applied, changes)


def with_overrides(
    scenario: Scenario, overrides: Sequence[str | Override] | Mapping[str, Any]
) -> Scenario:
    """A variant of a loaded scenario: its data with more overrides, validated again.

    ``overrides`` are ``PATH=VALUE`` texts, :class:`Override` objects or a ``{path: value}``
    mapping. Errors are those the same overrides would give on the file. The file is not read
    again: the scenario carries its data (:class:`Origin`).
    """
    origin = scenario.origin
    if origin is None or origin.data is None:
        raise ValueError(f"{scenario.source}: the scenario carries no data to derive variants from")
    if isinstance(overrides, Mapping):
        items: list[Override] = [
            Override(path, value, "=", f"{path}={toml_value(value)}")
            for path, value in overrides.items()
        ]
    else:
        items = as_overrides(overrides)
    if not items:
        return scenario
    data = copy.deepcopy(origin.data)
    changes = _apply_each(data, items, _resolver(scenario.source, origin.text, origin.overrides))

    return validate_data(data, scenario.source, origin.text, [*origin.overrides, *items], changes)


def with_variant(scenario: Scenario, text: str) -> tuple[str, Scenario]:
    """``NAME:PATH=VALUE[;...]`` -> the variant's name and the scenario with its overrides;
    errors name the variant (``kind="variant"``), whichever override in it is to blame."""
    name, overrides = parse_variant(text)
    try:
        return name, with_overrides(scenario, overrides)
    except ScenarioError as err:
        if err.kind != "override":
            raise
        raise ScenarioError(
            f"{name}:{err.source}", err.path, err.message, err.line, kind="variant"
        ) from None


def _apply_each(
    data: dict[str, Any], overrides: Sequence[Override], resolver: Any
) -> list[tuple[str, Any, Any, str]]:
    """Apply overrides in order; each change with the override that made it."""
    out = []
    for item in overrides:
        for path, old, new in apply_overrides(data, [item], resolver):
            out.append((path, old, new, item.label))
    return out


def _resolver(
    label: str, text: str | None, earlier: Sequence[Override] = ()
) -> Callable[[dict[str, Any]], Callable[[dict[str, Any], Sequence[str]], Any]]:
    """For relative overrides: each field's current value, read off the data resolved as it
    stands (so a street's windows come from the defaults where the street does not say)."""

    def resolve_now(data: dict[str, Any]) -> Callable[[dict[str, Any], Sequence[str]], Any]:
        scenario = validate_data(copy.deepcopy(data), label, text, earlier)
        return lambda written, segments: current_value(scenario, written, segments)

    return resolve_now


def current_value(scenario: Scenario, data: dict[str, Any], segments: Sequence[str]) -> Any:
    """The resolved value at a concrete field path, or the value written there. A field of a
    ``defaults`` table resolves as the cascade does: the value the nearest defaults table at or
    above that site writes (``districts.xian.defaults.street.windows`` is the city's
    ``defaults.street.windows`` where Xi'an does not say)."""
    if "defaults" in segments:
        return _as_field(_default_value(data, segments), segments)
    node: Any = scenario
    rest = list(segments)
    if rest and rest[0] == "districts":
        node = None
        for level, children in (("districts", "districts"), ("streets", "streets"),
                                ("communities", "communities")):
            if len(rest) < 2 or rest[0] != level:
                break
            parent = scenario if level == "districts" else node
            found = next(
                (s for s in getattr(parent, children) if s.id.rsplit("/", 1)[-1] == rest[1]),
                None,
            )
            if found is None:
                break
            node, rest = found, rest[2:]
    for segment in rest:
        if node is None:
            break
        if isinstance(node, Mapping):
            node = node.get(segment)
        else:
            node = getattr(node, segment, None)
    if node is None or isinstance(node, BaseModel | Mapping):
        return _as_field(written_value(data, segments), segments)
    return node


def _as_field(value: Any, segments: Sequence[str]) -> Any:
    """A written whole number in a field of numbers (``street_travel_min = 15``) is that number
    as a float, so that ``*=`` rounds only counts."""
    if isinstance(value, int) and not isinstance(value, bool):
        annotation = _unwrap(_annotation_at(schema.ScenarioFile, segments))
        if annotation is float:
            return float(value)
    return value


def _annotation_at(model: type[BaseModel], loc: Sequence[Any]) -> Any:
    annotation: Any = model
    for step in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(step) or next(
                (f for f in annotation.model_fields.values() if f.alias == step), None
            )
            if info is None:
                return None
            annotation = info.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return None
    return annotation


def _default_value(data: dict[str, Any], segments: Sequence[str]) -> Any:
    at = list(segments).index("defaults")
    site, field_path = list(segments[:at]), list(segments[at:])
    while True:
        value = written_value(data, site + field_path)
        if value is not None or not site:
            return value
        site = site[:-2]  # the enclosing site: a street's district, a district's city
