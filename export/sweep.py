"""The durable record of a sweep: ``sweep.json`` and ``points.jsonl`` in the output folder.

:class:`SweepRecorder` keeps two files:

- ``sweep.json`` (written atomically before any point runs): the arguments, i.e. the scenario
  reference and the SHA-256 of its file, the base overrides, the varied levels and the run
  settings (replications, seed, horizons...). A later run into the same folder with other
  arguments is refused unless ``force=True``, which discards the old points.
- ``points.jsonl``: one JSON line per finished point, appended, flushed and fsynced as soon as the
  point finishes: ``{"id", "index", "label", "point", "runtime_s", "result"}``. On a re-run, the
  points already there are skipped; a partial last line left by a crash is cut off and its point
  run again. Nothing is lost or duplicated, and an interrupted sweep (Ctrl-C) resumes.

The points themselves are run by :func:`jiedao.planning.sweep.run_sweep`, which hands each one
to :meth:`SweepRecorder.record`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from jiedao.export.documents import simulate_document
from jiedao.export.files import atomic_write_text, checkpoint, dumps_json
from jiedao.planning.sweep import SweepPoint
from jiedao.scenarios import ScenarioError, Vary
from jiedao.scenarios.model import Scenario
from jiedao.scenarios.overrides import points

SCHEMA = "jiedao.sweep/1"
MANIFEST = "sweep.json"
POINTS = "points.jsonl"
# What a re-run must repeat. The scenario is matched by its contents, not by how it was named.
ARGUMENTS = ("schema", "scenario_sha256", "base_overrides", "vary", "settings", "points")


def manifest(
    reference: str | None,
    scenario: Scenario,
    varies: Sequence[Vary],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The arguments a re-run into the same folder must repeat (JSON-normalised)."""
    origin = scenario.origin
    text = origin.text if origin is not None and origin.text is not None else ""
    overrides = [o.label for o in origin.overrides] if origin is not None else []
    document = {
        "schema": SCHEMA,
        "scenario": reference,
        "scenario_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "base_overrides": overrides,
        "vary": [{"path": v.path, "values": list(v.values)} for v in varies],
        "settings": settings,
        "points": len(points(varies)),
    }
    return json.loads(_dumps_line(document))


def point_record(point: SweepPoint) -> dict[str, Any]:
    """A point's line: its city and district figures (``jiedao.simulate/1`` entries)."""
    document = simulate_document(point.results)
    return {
        "id": point.id,
        "index": point.index,
        "label": point.label,
        "point": point.point,
        "runtime_s": round(point.runtime_s, 3),
        "result": {
            "runtime_s": document["runtime_s"],
            "residents": document["residents_simulated"],
            "warnings": document["warnings"],
            "results": [r for r in document["results"] if r["level"] in ("city", "district")],
        },
    }


class SweepRecorder:
    """``with SweepRecorder(out, manifest) as recorder:`` run the points not in
    ``recorder.done``, passing each to ``recorder.record``; ``summary()`` after."""

    def __init__(self, out_dir: Path, arguments: dict[str, Any], force: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.arguments = arguments
        self.force = force
        self.done: dict[str, dict[str, Any]] = {}
        self.ran = 0
        self._lock: Any = None

    def __enter__(self) -> SweepRecorder:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _locked(self.out_dir)
        self._lock.__enter__()
        try:
            self.done = _prepare(self.out_dir, self.arguments, self.force)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._lock.__exit__(kind, error, trace)

    def record(self, point: SweepPoint) -> None:
        line = _dumps_line(point_record(point))
        _append_line(self.out_dir / POINTS, line)
        self.done[point.id] = json.loads(line)
        self.ran += 1
        checkpoint("recorded")

    def summary(self, varies: Sequence[Vary]) -> dict[str, Any]:
        from jiedao.scenarios.overrides import point_id

        all_points = points(varies)
        ordered = [self.done[point_id(p)] for p in all_points if point_id(p) in self.done]
        return {
            "schema": SCHEMA,
            "out": str(self.out_dir),
            "total": len(all_points),
            "skipped": len(ordered) - self.ran,
            "ran": self.ran,
            "arguments": self.arguments,
            "points": ordered,
        }


def sweep_into(
    out: Path,
    reference: str | None,
    base: Scenario,
    varies: Sequence[Vary],
    settings: dict[str, Any],
    *,
    force: bool = False,
    executor: Any = None,
    progress: Callable[[int], None] | None = None,
    simulate: Callable[[Scenario], Any] | None = None,
) -> dict[str, Any]:
    """Run the sweep's points not yet recorded in ``out``, recording each as it finishes.

    ``settings`` are the run options (``replications``, ``seed``, ``days``, ``warmup``,
    ``case_days``, ``case_warmup``; absent or ``None``: the scenario's); a re-run must repeat them.
    ``progress(n)`` hears of the points already recorded (once) and then of each new one.
    """
    from jiedao.planning.sweep import check_levels, run_sweep

    check_levels(base, varies)
    with SweepRecorder(out, manifest(reference, base, varies, settings), force) as recorder:
        if recorder.done and progress is not None:
            progress(len(recorder.done))
        run_sweep(
            base,
            varies,
            recorder.record,
            skip=set(recorder.done),
            replications=settings.get("replications"),
            seed=settings.get("seed"),
            days=settings.get("days"),
            warmup_days=settings.get("warmup"),
            case_days=settings.get("case_days"),
            case_warmup_days=settings.get("case_warmup"),
            executor=executor,
            progress=progress,
            simulate=simulate,
        )
        return recorder.summary(varies)


def read_points(out_dir: Path) -> list[dict[str, Any]]:
    """The complete records in ``out_dir/points.jsonl`` (a partial last line is ignored)."""
    records, _ = _read_records(Path(out_dir) / POINTS)
    return records


# --- internals ------------------------------------------------------------------------------------


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
            raise ScenarioError(
                str(out_dir),
                "",
                _mismatch(old, manifest)
                + "; use another folder, or --force to discard its points and start again",
                kind="out",
            )
        atomic_write_text(points_path, "")
        old = None
    if old is None:
        atomic_write_text(manifest_path, dumps_json(manifest))
    try:
        records, good = _read_records(points_path)
    except ScenarioError:
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
            raise ScenarioError(
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
    """One sweep at a time per folder (two writers would duplicate points). The lock is taken
    on the folder itself, so no lock file is left behind."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        yield
        return
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ScenarioError(
                str(out_dir), "", "another sweep is writing to this folder", kind="out"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
