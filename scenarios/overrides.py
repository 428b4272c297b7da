"""Overrides of a scenario's fields: the ``PATH=VALUE`` and ``PATH=SPEC`` grammar, applied.

An **override** sets one field path of the scenario file (the dotted path as written in the TOML,
sites addressed by id: ``districts.longshan.streets.dongji.windows``) to a value written as TOML
(``4``, ``0.35``, ``"return"``, ``[1, 2]``); ``*`` stands for every district, street or community at
its level (``districts.*.streets.*.windows``). Relative forms change a number from its current,
resolved value (what the site has after the defaults cascade): ``PATH+=N``, ``PATH-=N`` and
``PATH*=X``; on a whole-number field ``*=`` rounds half up. ``PATH=+1`` is refused with a hint,
never read as 1.

A **vary** is ``PATH=SPEC`` for a sweep: SPEC is a list ``a,b,c`` of TOML values or an inclusive
whole-number range ``a..b`` / ``a..b:step``; :func:`points` is the full factorial, the first vary
changing slowest.

Errors are :class:`ScenarioError` naming the override as written (``kind="override"`` or
``"vary"``): the command line says which option it came from, this module names no option.
Values are data only: parsed by :mod:`tomllib`, never evaluated.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jiedao.scenarios.errors import ScenarioError

SITE_LEVELS = ("districts", "streets", "communities")
SITE_NOUN = {"districts": "district", "streets": "street", "communities": "community"}
MAX_DEPTH = 32  # tables and lists nested deeper than any scenario needs (tomllib recurses)
MAX_POINTS = 1_000_000
OPERATORS = ("+=", "-=", "*=", "=")
_RANGE = re.compile(r"^\s*([+-]?\d+)\s*\.\.\s*([+-]?\d+)\s*(?::\s*([+-]?\d+)\s*)?$")

Point = dict[str, Any]


@dataclass(frozen=True)
class Override:
    """``path op value``; ``text`` is how the planner wrote it (used to name it in errors)."""

    path: str
    value: Any
    op: str = "="
    text: str = ""

    @property
    def label(self) -> str:
        return self.text or f"{self.path}{self.op}{toml_value(self.value)}"

    @property
    def relative(self) -> bool:
        return self.op != "="


@dataclass(frozen=True)
class Vary:
    """A swept field: its path and levels, in the order given."""

    path: str
    values: tuple[Any, ...]
    text: str = ""


def _error(text: str, path: str, message: str, kind: str = "override") -> ScenarioError:
    return ScenarioError(text, path, message, kind=kind)


# --- values --------------------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A value is a TOML value; a bare word that is not one is taken as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:  # [[[[...]]]] deeper than tomllib can parse: not a value we take
        raise ValueError(f"tables or lists nested more than {MAX_DEPTH} deep") from None


def toml_value(value: Any) -> str:
    """A value as TOML text, so that ``parse_value(toml_value(v)) == v``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {value!r} as a TOML value")


def check_depth(value: Any, label: str, path: str = "", kind: str = "file") -> None:
    """Refuse values nested deeper than :data:`MAX_DEPTH` (iteratively: no recursion to blow)."""
    stack: list[tuple[Any, int, str]] = [(value, 0, path)]
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(
                label, where, f"tables or lists nested more than {MAX_DEPTH} deep", kind=kind
            )
        if isinstance(node, dict):
            stack.extend(
                (v, depth + 1, f"{where}.{k}" if where else str(k)) for k, v in node.items()
            )
        elif isinstance(node, list):
            stack.extend((v, depth + 1, where) for v in node)


def _check_path(path: str, text: str, kind: str) -> None:
    if not path or any(not s for s in path.split(".")):
        raise _error(text, path, "empty segment in the field path", kind)


# --- overrides -----------------------------------------------------------------------------------


def parse_override(text: str) -> Override:
    """``PATH=VALUE``, ``PATH+=N``, ``PATH-=N`` or ``PATH*=X`` -> :class:`Override`."""
    if "=" not in text:
        raise _error(text, "", "expected PATH=VALUE, e.g. districts.*.streets.*.windows=4")
    head, _, value_text = text.partition("=")
    op = "="
    if head.endswith(("+", "-", "*")):
        op, head = head[-1] + "=", head[:-1]
    path = head.strip()
    _check_path(path, text, "override")
    value_text = value_text.strip()
    if op == "=" and re.match(r"^\+\s*\d", value_text):
        raise _error(
            text,
            path,
            f"{value_text!r} would set the value to {value_text.lstrip('+ ')}; to add to the "
            f"current value write {path}+={value_text.lstrip('+ ')}",
        )
    try:
        value = parse_value(value_text)
    except ValueError as err:
        raise _error(text, path, str(err)) from None
    check_depth(value, text, path, kind="override")
    if op != "=" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _error(text, path, f"{op} needs a number, got {value_text!r}")
    if op != "=" and not math.isfinite(value):
        raise _error(text, path, f"{op} needs a finite number, got {value_text}")
    return Override(path, value, op, text)


def as_overrides(items: Iterable[str | Override]) -> list[Override]:
    return [item if isinstance(item, Override) else parse_override(item) for item in items]


Resolver = Callable[[dict[str, Any], Sequence[str]], Any]


def apply_overrides(
    data: dict[str, Any],
    overrides: Sequence[str | Override],
    resolve: Callable[[dict[str, Any]], Resolver] | None = None,
) -> list[tuple[str, Any, Any]]:
    """Apply overrides to the file's data in order; return ``(path, old, new)`` per field set.

    Relative overrides need each field's current, resolved value (after the defaults cascade):
    ``resolve(data)`` validates the data as it stands and returns a function giving the value at a
    concrete path. Without ``resolve`` only the values written in the data are seen.
    """
    changes: list[tuple[str, Any, Any]] = []
    for item in as_overrides(overrides):
        segments = item.path.split(".")
        targets = _expand(data, segments, item.label)
        if not targets:
            raise _error(item.label, item.path, "'*' matched nothing")
        current: Resolver | None = None
        if item.relative:
            current = resolve(data) if resolve is not None else written_value
        for concrete in targets:
            old = written_value(data, concrete)
            if item.relative:
                assert current is not None
                base = current(data, concrete)
                new = _relative(base, item, ".".join(concrete))
                old = base
            else:
                new = item.value
            _set(data, concrete, new)
            changes.append((".".join(concrete), old, new))
    return changes


def _relative(base: Any, item: Override, where: str) -> Any:
    if base is None:
        raise _error(item.label, where, f"has no value to change with {item.op}: set it with =")
    if isinstance(base, bool) or not isinstance(base, int | float):
        raise _error(item.label, where, f"{item.op} changes numbers; this field holds {base!r}")
    if item.op == "+=":
        value = base + item.value
    elif item.op == "-=":
        value = base - item.value
    else:
        value = base * item.value
        if isinstance(base, int):
            return int(math.floor(value + 0.5))  # a count: round half up
    if isinstance(base, int) and isinstance(item.value, int):
        return int(value)
    return float(value)


def written_value(data: dict[str, Any], segments: Sequence[str]) -> Any:
    """The value written at a concrete path of the file's data, or ``None``."""
    node: Any = data
    for segment in segments:
        if not isinstance(node, dict) or segment not in node:
            return None
        node = node[segment]
    return node


def _set(data: dict[str, Any], segments: Sequence[str], value: Any) -> None:
    node = data
    for segment in segments[:-1]:
        node = node.setdefault(segment, {})
    node[segments[-1]] = value


def _expand(
    node: Any, segments: list[str], label: str, done: list[str] | None = None
) -> list[list[str]]:
    """The concrete paths a pattern stands for (``*`` expanded over site ids)."""
    done = done or []
    head, rest = segments[0], segments[1:]
    where = ".".join(done + [head])
    if not isinstance(node, dict):
        raise _error(label, ".".join(done), "is not a table, cannot set fields inside it")
    parent = done[-1] if done else None
    if head == "*" and parent not in SITE_LEVELS:
        raise _error(label, where, "'*' may only stand for a district, street or community id")
    if parent in SITE_LEVELS and head != "*" and head not in node:
        hint = did_you_mean(head, node)
        raise _error(label, where, f"no {SITE_NOUN[parent]} with id {head!r}{hint}")
    keys = list(node) if head == "*" else [head]
    if not rest:
        return [done + [key] for key in keys]
    out: list[list[str]] = []
    for key in keys:
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        out.extend(_expand(child, rest, label, done + [key]))
    return out


def did_you_mean(word: str, options: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def blames(pattern: str, path: str, inside: bool = False) -> bool:
    """Does ``pattern`` (with ``*``) cover ``path``? With ``inside``, does it lie within it?"""
    pat, parts = pattern.split("."), path.split(".")
    if inside:
        pat, parts = parts, pat
        if not path:
            return False
    return len(pat) <= len(parts) and all(
        "*" in (p, q) or p == q for p, q in zip(pat, parts, strict=False)
    )


# --- varies and points ---------------------------------------------------------------------------


def parse_vary(text: str) -> Vary:
    """``PATH=SPEC`` -> :class:`Vary`. SPEC: ``a,b,c``, ``a..b`` or ``a..b:step``."""
    if "=" not in text:
        raise _error(
            text, "", "expected PATH=SPEC, e.g. districts.*.streets.*.windows=2..6", "vary"
        )
    path, _, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    _check_path(path, text, "vary")
    if not spec:
        raise _error(text, path, "no levels given: write a,b,c or a..b or a..b:step", "vary")
    if ".." in spec and not spec.startswith(('"', "'", "[")):
        values: list[Any] = _parse_range(spec, text, path)
    else:
        values = _parse_list(spec, text, path)
    seen: set[str] = set()
    for value in values:
        key = toml_value(value)
        if key in seen:
            raise _error(text, path, f"level {key} is listed twice", "vary")
        seen.add(key)
    return Vary(path, tuple(values), text)


def _parse_range(spec: str, text: str, path: str) -> list[int]:
    match = _RANGE.match(spec)
    if not match:
        raise _error(
            text,
            path,
            f"bad range {spec!r}: ranges are whole numbers a..b or a..b:step, "
            "e.g. 2..6 or 2..10:2 (list other levels: 0.5,1,1.5)",
            "vary",
        )
    first, last = int(match.group(1)), int(match.group(2))
    step = int(match.group(3)) if match.group(3) is not None else 1
    if step <= 0:
        raise _error(text, path, f"range step must be a positive whole number, got {step}", "vary")
    if first > last:
        raise _error(
            text, path, f"range {first}..{last} is empty: write the smaller end first", "vary"
        )
    count = (last - first) // step + 1
    if count > MAX_POINTS:
        raise _error(text, path, f"range has {count} levels, more than {MAX_POINTS}", "vary")
    return list(range(first, last + 1, step))


def _parse_list(spec: str, text: str, path: str) -> list[Any]:
    # The whole list as a TOML array first, so quoted strings and arrays may hold commas.
    try:
        values = tomllib.loads(f"v = [{spec}]")["v"]
    except tomllib.TOMLDecodeError:
        parts = [p.strip() for p in spec.split(",")]
        if any(not p for p in parts):
            raise _error(
                text, path, f"empty level in {spec!r}: write levels as a,b,c", "vary"
            ) from None
        values = [parse_value(p) for p in parts]
    if not values:
        raise _error(text, path, "no levels given: write a,b,c or a..b or a..b:step", "vary")
    for value in values:
        if isinstance(value, float) and not math.isfinite(value):
            raise _error(text, path, f"level {value} is not a finite number", "vary")
    return list(values)


def points(varies: Sequence[Vary]) -> list[Point]:
    """The full factorial, in a stable order: the first vary changes slowest."""
    paths = [v.path for v in varies]
    for vary in varies:
        if paths.count(vary.path) > 1:
            raise _error(vary.text or vary.path, vary.path, "is varied twice; give it once", "vary")
    total = math.prod(len(v.values) for v in varies)
    if total > MAX_POINTS:
        raise _error(
            "", "", f"the factorial has {total:,} points, more than {MAX_POINTS:,}", "vary"
        )
    return [
        dict(zip(paths, combo, strict=True))
        for combo in itertools.product(*(v.values for v in varies))
    ]


def point_overrides(point: Point) -> list[Override]:
    """The point as overrides ``path=value``."""
    return [
        Override(path, value, "=", f"{path}={toml_value(value)}") for path, value in point.items()
    ]


def point_id(point: Point) -> str:
    """A stable 12-hex-digit id: SHA-256 of the sorted assignments (order of varies irrelevant)."""
    text = "\n".join(sorted(o.label for o in point_overrides(point)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def point_label(point: Point) -> str:
    """A human label: ``path=value, path=value`` (``base`` for the empty point)."""
    return ", ".join(o.label for o in point_overrides(point)) or "base"


def parse_variant(text: str) -> tuple[str, list[Override]]:
    """``NAME:PATH=VALUE[;PATH=VALUE...]`` -> the variant's name and its overrides."""
    name, sep, sets = text.partition(":")
    if not sep or not name.strip() or "=" not in sets:
        raise ScenarioError(text, "", "expected NAME:PATH=VALUE[;PATH=VALUE...]", kind="variant")
    overrides = []
    for item in sets.split(";"):
        if not item.strip():
            continue
        try:
            overrides.append(parse_override(item.strip()))
        except ScenarioError as err:  # name the option it came from: --variant NAME:...
            raise ScenarioError(
                f"{name.strip()}:{err.source}", err.path, err.message, kind="variant"
            ) from None
    return name.strip(), overrides
