"""Sweep a scenario over a full factorial of ``--vary`` levels, recording each point durably.

``--vary PATH=SPEC`` (../shared/INTERFACES.md): PATH is a ``--set`` field path (``*`` allowed);
SPEC is a list ``a,b,c`` of TOML values or an inclusive integer range ``a..b`` / ``a..b:step``.
:func:`points` is the full factorial, the first ``--vary`` changing slowest.

The recorder (:func:`run_sweep`) keeps two files in the output folder:

- ``sweep.json`` (written atomically before any point runs): the arguments, i.e. the scenario
  reference and the SHA-256 of its file, the base ``--set`` overrides, the ``--vary`` levels and
  the caller's run settings (replications, seed, horizons...). A later run into the same folder
  with other arguments is refused unless ``force=True``, which discards the old points.
- ``points.jsonl``: one JSON line per finished point, appended, flushed and fsynced as soon as the
  point finishes: ``{"id", "index", "label", "point", "runtime_s", "result"}``. On a re-run, the
  points already there are skipped; a partial last line left by a crash is cut off and its point
  run again. Nothing is lost or duplicated, and an interrupted sweep (Ctrl-C) resumes.

The simulation itself is injected (``run_point(scenario, point) -> dict``), so this module only
loads scenarios and records results.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
import re
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jiedao.export.files import atomic_write_text, dumps_json
from jiedao.scenarios.errors import ScenarioError
from jiedao.scenarios.loader import (
    apply_overrides,
    parse_value,
    read_toml,
    resolve_ref,
    validate_data,
)
from jiedao.scenarios.model import Scenario

SCHEMA = "jiedao.sweep/1"
MANIFEST = "sweep.json"
POINTS = "points.jsonl"
LOCK = ".sweep.lock"
# What a re-run must repeat. The scenario is matched by its contents, not by how it was named.
ARGUMENTS = ("schema", "scenario_sha256", "base_overrides", "vary", "settings", "points")
MAX_POINTS = 1_000_000

Vary = tuple[str, list[Any]]
Point = dict[str, Any]

_RANGE = re.compile(r"^\s*([+-]?\d+)\s*\.\.\s*([+-]?\d+)\s*(?::\s*([+-]?\d+)\s*)?$")


class SweepError(ScenarioError):
    """Bad sweep input or a folder holding another sweep (a user error: exit code 2)."""


# --- grammar --------------------------------------------------------------------------------------


def parse_vary(text: str) -> Vary:
    """``PATH=SPEC`` -> ``(path, [values])``. Raises :class:`SweepError` naming the flag."""
    label = f"--vary {text}"
    if "=" not in text:
        raise SweepError(label, "", "expected PATH=SPEC, e.g. districts.*.streets.*.windows=2..6")
    path, _, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not path or any(not s for s in path.split(".")):
        raise SweepError(label, path, "empty segment in the field path")
    if not spec:
        raise SweepError(label, path, "no levels given: write a,b,c or a..b or a..b:step")
    if ".." in spec and not spec.startswith(('"', "'", "[")):
        values = _parse_range(spec, label, path)
    else:
        values = _parse_list(spec, label, path)
    seen: dict[str, Any] = {}
    for value in values:
        key = toml_value(value)
        if key in seen:
            raise SweepError(label, path, f"level {key} is listed twice")
        seen[key] = value
    return path, values


def _parse_range(spec: str, label: str, path: str) -> list[int]:
    match = _RANGE.match(spec)
    if not match:
        raise SweepError(
            label,
            path,
            f"bad range {spec!r}: ranges are whole numbers a..b or a..b:step, "
            "e.g. 2..6 or 2..10:2 (list other levels: 0.5,1,1.5)",
        )
    first, last = int(match.group(1)), int(match.group(2))
    step = int(match.group(3)) if match.group(3) is not None else 1
    if step <= 0:
        raise SweepError(label, path, f"range step must be a positive whole number, got {step}")
    if first > last:
        raise SweepError(
            label, path, f"range {first}..{last} is empty: write the smaller end first"
        )
    count = (last - first) // step + 1
    if count > MAX_POINTS:
        raise SweepError(label, path, f"range has {count} levels, more than {MAX_POINTS}")
    return list(range(first, last + 1, step))


def _parse_list(spec: str, label: str, path: str) -> list[Any]:
    # The whole list as a TOML array first, so quoted strings and arrays may hold commas.
    try:
        values = tomllib.loads(f"v = [{spec}]")["v"]
    except tomllib.TOMLDecodeError:
        parts = [p.strip() for p in spec.split(",")]
        if any(not p for p in parts):
            raise SweepError(
                label, path, f"empty level in {spec!r}: write levels as a,b,c"
            ) from None
        values = [parse_value(p) for p in parts]
    if not values:
        raise SweepError(label, path, "no levels given: write a,b,c or a..b or a..b:step")
    for value in values:
        if isinstance(value, float) and not math.isfinite(value):
            raise SweepError(label, path, f"level {value} is not a finite number")
    return list(values)


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


# --- points ---------------------------------------------------------------------------------------


def points(varies: Sequence[Vary]) -> list[Point]:
    """The full factorial, in a stable order: the first vary changes slowest."""
    paths = [path for path, _ in varies]
    for path in paths:
        if paths.count(path) > 1:
            raise SweepError(f"--vary {path}=...", path, "is varied twice; give it once")
    total = math.prod(len(values) for _, values in varies)
    if total > MAX_POINTS:
        raise SweepError(
            "--vary", "", f"the factorial has {total:,} points, more than {MAX_POINTS:,}"
        )
    return [
        dict(zip(paths, combo, strict=True))
        for combo in itertools.product(*(values for _, values in varies))
    ]


def point_overrides(point: Point) -> list[str]:
    """The point as ``--set`` strings ``path=value``."""
    return [f"{path}={toml_value(value)}" for path, value in point.items()]


def point_id(point: Point) -> str:
    """A stable 12-hex-digit id: SHA-256 of the sorted assignments (order of --vary irrelevant)."""
    text = "\n".join(sorted(point_overrides(point)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def point_label(point: Point) -> str:
    """A human label: ``path=value, path=value`` (``base`` for the empty point)."""
    return ", ".join(point_overrides(point)) or "base"


# --- the recorder ---------------------------------------------------------------------------------


def run_sweep(
    scenario_ref: str | Path | None,
    base_overrides: Sequence[str],
    varies: Sequence[Vary],
    out_dir: Path,
    run_point: Callable[[Scenario, Point], dict[str, Any]],
    progress: Callable[[int], None] | None = None,
    settings: dict[str, Any] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Run every point not yet recorded in ``out_dir``; return a summary of the whole sweep.

    ``settings``: JSON-ready run options (replications, seed, days...) that make a point's result
    what it is; they are part of the arguments a re-run must repeat. ``progress(n)`` is called with
    the number of points already recorded (once, if any) and then with 1 after each new point, so
    a bar over ``len(points(varies))`` ends full. ``KeyboardInterrupt`` (or any error) in a point
    leaves every finished point recorded and propagates.
    """
    out_dir = Path(out_dir)
    path, label = resolve_ref(scenario_ref)
    data, text = read_toml(path, label)
    base_overrides = list(base_overrides)
    apply_overrides(data, base_overrides)
    all_points = points(varies)
    manifest = {
        "schema": SCHEMA,
        "scenario": str(scenario_ref) if scenario_ref is not None else None,
        "scenario_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "base_overrides": base_overrides,
        "vary": [{"path": p, "values": list(values)} for p, values in varies],
        "settings": settings or {},
        "points": len(all_points),
    }
    manifest = json.loads(_dumps_line(manifest))  # JSON-normalised, to compare with the file's
    _check_levels(data, label, text, base_overrides, varies)

    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        done = _prepare(out_dir, manifest, force)
        ids = {point_id(p) for p in all_points}
        done = {k: v for k, v in done.items() if k in ids}
        if done and progress is not None:
            progress(len(done))
        ran = 0
        points_file = out_dir / POINTS
        for index, point in enumerate(all_points):
            pid = point_id(point)
            if pid in done:
                continue
            overrides = point_overrides(point)
            scenario = _load_point(data, label, text, base_overrides, overrides)
            began = time.perf_counter()
            result = run_point(scenario, point)
            record = {
                "id": pid,
                "index": index,
                "label": point_label(point),
                "point": point,
                "runtime_s": round(time.perf_counter() - began, 3),
                "result": result,
            }
            _append_line(points_file, _dumps_line(record))
            done[pid] = json.loads(_dumps_line(record))
            ran += 1
            if progress is not None:
                progress(1)

    ordered = [done[point_id(p)] for p in all_points if point_id(p) in done]
    return {
        "schema": SCHEMA,
        "out": str(out_dir),
        "total": len(all_points),
        "skipped": len(ordered) - ran,
        "ran": ran,
        "arguments": manifest,
        "points": ordered,
    }


def read_points(out_dir: Path) -> list[dict[str, Any]]:
    """The complete records in ``out_dir/points.jsonl`` (a partial last line is ignored)."""
    records, _ = _read_records(Path(out_dir) / POINTS)
    return records


# --- internals ------------------------------------------------------------------------------------


def _load_point(
    data: dict[str, Any],
    label: str,
    text: str,
    base: Sequence[str],
    overrides: Sequence[str],
) -> Scenario:
    point_data = copy.deepcopy(data)
    try:
        apply_overrides(point_data, overrides)
        return validate_data(point_data, label, text, [*base, *overrides])
    except ScenarioError as err:
        # blame the --vary that wrote the field, not the --set we made of it
        for item in overrides:
            if err.source == f"--set {item}":
                raise SweepError(f"--vary {item}", err.path, err.message) from None
        raise


def _check_levels(
    data: dict[str, Any], label: str, text: str, base: Sequence[str], varies: Sequence[Vary]
) -> None:
    """Load each level of each vary on its own, so a bad level fails before anything runs."""
    _load_point(data, label, text, base, [])
    for path, values in varies:
        for value in values:
            _load_point(data, label, text, base, point_overrides({path: value}))


def _prepare(out_dir: Path, manifest: dict[str, Any], force: bool) -> dict[str, dict[str, Any]]:
    """Check or write the manifest; return the points already recorded, by id."""
    manifest_path, points_path = out_dir / MANIFEST, out_dir / POINTS
    old: Any = None
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = "unreadable"
    elif points_path.exists() and points_path.stat().st_size > 0:
        old = "missing"
    if old is not None and not _same_arguments(old, manifest):
        if not force:
            raise SweepError(
                f"--out {out_dir}",
                "",
                _mismatch(old, manifest)
                + "; use another folder, or --force to discard its points and start again",
            )
        atomic_write_text(points_path, "")
        old = None
    if old is None:
        atomic_write_text(manifest_path, dumps_json(manifest))
    try:
        records, good = _read_records(points_path)
    except SweepError:
        if not force:
            raise
        atomic_write_text(points_path, "")
        records, good = [], 0
    if points_path.exists() and good < points_path.stat().st_size:
        with open(points_path, "r+b") as handle:  # cut a partial last line left by a crash
            handle.truncate(good)
            handle.flush()
            os.fsync(handle.fileno())
    done: dict[str, dict[str, Any]] = {}
    for record in records:
        done.setdefault(record["id"], record)
    return done


def _same_arguments(old: Any, new: dict[str, Any]) -> bool:
    return isinstance(old, dict) and all(old.get(k) == new.get(k) for k in ARGUMENTS)


def _mismatch(old: Any, new: dict[str, Any]) -> str:
    if old == "unreadable":
        return f"holds an unreadable {MANIFEST}"
    if old == "missing":
        return f"holds {POINTS} but no {MANIFEST}, so its points cannot be matched to this sweep"
    if not isinstance(old, dict) or old.get("schema") != SCHEMA:
        return f"holds a {MANIFEST} that is not a jiedao sweep"
    names = {
        "scenario": "the scenario",
        "scenario_sha256": "the scenario file's contents",
        "base_overrides": "the --set overrides",
        "vary": "the --vary levels",
        "settings": "the run options",
    }
    differ = [words for key, words in names.items() if old.get(key) != new.get(key)]
    what = ", ".join(differ) if differ else "its arguments"
    return f"holds a sweep with other arguments ({what} differ)"


def _read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Complete records, and the byte length they span (a partial or torn last line excluded)."""
    if not path.exists():
        return [], 0
    raw = path.read_bytes()
    records: list[dict[str, Any]] = []
    good = 0
    lines = raw.split(b"\n")
    for number, line in enumerate(lines[:-1], start=1):  # the last piece has no newline yet
        try:
            record = json.loads(line.decode("utf-8"))
            if not isinstance(record, dict) or "id" not in record:
                raise ValueError("not a point record")
        except ValueError:
            if number == len(lines) - 1 and not lines[-1]:
                break  # the last line itself is torn: ignore and rewrite it
            raise SweepError(
                str(path),
                "",
                f"line {number} is not a point record; the file was edited or "
                "damaged (move it away, or use --force to start again)",
            ) from None
        records.append(record)
        good += len(line) + 1
    return records, good


def _dumps_line(document: Any) -> str:
    return json.dumps(_plain(document), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """JSON-ready: NaN and infinities as null, numpy scalars and arrays as Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str):
        return _plain(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"point result holds {type(value).__name__} {value!r}, not JSON-ready")


def _append_line(path: Path, line: str) -> None:
    """Append one complete line, then flush and fsync: the point survives a crash from now on."""
    created = not path.exists()
    with open(path, "ab") as handle:
        handle.write((line + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    if created:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """One sweep at a time per folder (two writers would duplicate points)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        yield
        return
    with open(out_dir / LOCK, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SweepError(
                f"--out {out_dir}", "", "another sweep is writing to this folder"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
