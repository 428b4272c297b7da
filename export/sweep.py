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

When every point is recorded, what a person reads is written from those records, all files staged
and renamed together (:func:`write_results`): ``results.csv`` and ``results.xlsx``, one row per
point with the varied values and the city's key figures with their 95% intervals
(:data:`FIGURES`), and ``sweep-K.png`` / ``.svg``, the K-th varied field against those figures.
No lock file is left: the lock is taken on the folder itself.

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
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from jiedao.export.documents import simulate_document
from jiedao.export.files import atomic_write_many, atomic_write_text, checkpoint, dumps_json
from jiedao.planning.sweep import SweepPoint
from jiedao.scenarios import ScenarioError, Vary
from jiedao.scenarios.model import Scenario
from jiedao.scenarios.overrides import points

SCHEMA = "jiedao.sweep/1"


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep run leaves: how many points in all, run now and found recorded, the records
    in point order, and the results files written (none until every point is recorded)."""

    out: str
    total: int
    ran: int
    skipped: int
    arguments: dict[str, Any]
    points: tuple[dict[str, Any], ...]
    tables: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return len(self.points) == self.total

    def document(self) -> dict[str, Any]:
        """The ``jiedao.sweep/1`` document (``--json``)."""
        doc: dict[str, Any] = {
            "schema": SCHEMA,
            "out": self.out,
            "total": self.total,
            "skipped": self.skipped,
            "ran": self.ran,
            "arguments": self.arguments,
            "points": list(self.points),
        }
        if self.tables:
            doc["tables"] = list(self.tables)
        return doc


MANIFEST = "sweep.json"
POINTS = "points.jsonl"
# What a re-run must repeat. The scenario is matched by its contents, not by how it was named.
ARGUMENTS = ("schema", "scenario_sha256", "base_overrides", "vary", "settings", "points")
RESULTS = ("results.csv", "results.xlsx")
# the key figures of the results table: per stream, its share within target (with the 95%
# interval kept inside 0-1), its mean wait (in the stream's unit) and its utilisation
STREAM_UNITS = (("window", "min"), ("grid", "min"), ("enforcement", "days"))


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

    def summary(self, varies: Sequence[Vary]) -> SweepSummary:
        from jiedao.scenarios.overrides import point_id

        all_points = points(varies)
        ordered = [self.done[point_id(p)] for p in all_points if point_id(p) in self.done]
        return SweepSummary(
            out=str(self.out_dir),
            total=len(all_points),
            ran=self.ran,
            skipped=len(ordered) - self.ran,
            arguments=self.arguments,
            points=tuple(ordered),
        )


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
    lang: str = "zh",
) -> SweepSummary:
    """Run the sweep's points not yet recorded in ``out``, recording each as it finishes, then
    write the results table and charts (:func:`write_results`, labels in ``lang``).

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
        summary = recorder.summary(varies)
        if summary.complete:
            tables = write_results(out, list(summary.points), varies, lang)
            summary = replace(summary, tables=tuple(tables))
        return summary


# --- the results a person reads -------------------------------------------------------------------


def figure_columns() -> tuple[str, ...]:
    """The key figures' columns, per stream: share within target with its interval, mean wait
    with its half-width, utilisation with its half-width."""
    out: list[str] = []
    for stream, unit in STREAM_UNITS:
        share = f"{stream}_target_share"
        wait = f"{stream}_wait_mean_{unit}"
        use = f"{stream}_utilisation"
        out += [share, f"{share}_low", f"{share}_high", wait, f"{wait}_ci95", use, f"{use}_ci95"]
    return tuple(out)


FIGURES = figure_columns()


def results_columns(varies: Sequence[Vary]) -> tuple[str, ...]:
    return ("index", "id", "label", *(v.path for v in varies), *FIGURES)


def _city(record: dict[str, Any], stream: str) -> dict[str, Any]:
    for entry in record["result"]["results"]:
        if entry["level"] == "city" and entry["stream"] == stream:
            return dict(entry["metrics"])
    return {}


def _estimate(metrics: dict[str, Any], name: str) -> tuple[float | None, float | None]:
    item = metrics.get(name) or {}
    mean, half = item.get("mean"), item.get("ci95")
    return (
        None if mean is None else float(mean),
        None if half is None else float(half),
    )


def results_rows(records: Sequence[dict[str, Any]], varies: Sequence[Vary]) -> list[dict[str, Any]]:
    """One row per recorded point, in factorial order: its varied values and key figures."""
    rows = []
    for record in sorted(records, key=lambda r: r["index"]):
        row: dict[str, Any] = {
            "index": record["index"],
            "id": record["id"],
            "label": record["label"],
        }
        row.update({v.path: record["point"].get(v.path) for v in varies})
        for stream, unit in STREAM_UNITS:
            metrics = _city(record, stream)
            share, half = _estimate(metrics, "target_share")
            low = high = None
            if share is not None:
                h = half or 0.0
                low, high = max(0.0, share - h), min(1.0, share + h)
            wait, wait_half = _estimate(metrics, f"wait_mean_{unit}")
            use, use_half = _estimate(metrics, "utilisation")
            row.update(
                {
                    f"{stream}_target_share": share,
                    f"{stream}_target_share_low": _rounded(low),
                    f"{stream}_target_share_high": _rounded(high),
                    f"{stream}_wait_mean_{unit}": wait,
                    f"{stream}_wait_mean_{unit}_ci95": wait_half,
                    f"{stream}_utilisation": use,
                    f"{stream}_utilisation_ci95": use_half,
                }
            )
        rows.append(row)
    return rows


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _figure_label(column: str, lang: str) -> str:
    from jiedao.export.labels import label, label_or

    for stream, _ in STREAM_UNITS:
        if column.startswith(stream + "_"):
            rest = column[len(stream) + 1 :]
            suffix = ""
            for end, key in (("_low", "low95"), ("_high", "high95"), ("_ci95", "ci95")):
                if rest.endswith(end):
                    rest, suffix = rest[: -len(end)], " " + label(key, lang)
            return f"{label_or(stream, lang)} {label_or(rest, lang)}{suffix}"
    return label_or(column, lang)


def results_charts(
    rows: Sequence[dict[str, Any]], varies: Sequence[Vary], lang: str
) -> list[tuple[str, Any]]:
    """Per varied field, a chart of it against the share within target and the mean wait of
    each stream, a line per combination of the other fields' values."""
    from jiedao.export.charts import sweep_chart
    from jiedao.export.labels import parameter_label

    charts = []
    for k, vary in enumerate(varies, start=1):
        others = [v.path for v in varies if v.path != vary.path]
        panels = []
        for stream, unit in STREAM_UNITS:
            for column, share in (
                (f"{stream}_target_share", True),
                (f"{stream}_wait_mean_{unit}", False),
            ):
                if all(r[column] is None for r in rows):
                    continue
                groups: dict[str, list[tuple[Any, Any, Any, Any]]] = {}
                for r in rows:
                    name = ", ".join(f"{parameter_label(o, lang)}={r[o]}" for o in others) or "-"
                    if share:
                        low, high = r[f"{column}_low"], r[f"{column}_high"]
                    else:
                        half = r[f"{column}_ci95"] or 0.0
                        mean = r[column]
                        low = None if mean is None else max(0.0, mean - half)
                        high = None if mean is None else mean + half
                    groups.setdefault(name, []).append((r[vary.path], r[column], low, high))
                panels.append((_figure_label(column, lang), share, list(groups.items())))
        charts.append((f"sweep-{k}", sweep_chart(parameter_label(vary.path, lang), panels, lang)))
    return charts


def write_results(
    out: Path, records: Sequence[dict[str, Any]], varies: Sequence[Vary], lang: str = "zh"
) -> list[str]:
    """``results.csv``, ``results.xlsx`` and a chart per varied field, staged and renamed
    together; returns the names written."""
    from jiedao.export.charts import render
    from jiedao.export.labels import parameter_label
    from jiedao.export.plan import csv_bytes, xlsx_bytes

    columns = results_columns(varies)
    rows = results_rows(records, varies)
    varied = {v.path for v in varies}

    def header(column: str) -> str:
        return parameter_label(column, lang) if column in varied else _figure_label(column, lang)

    book = xlsx_bytes([("points", columns, (), rows)], lang=lang, summary=False, labels=header)
    files = [(RESULTS[0], csv_bytes(columns, rows)), (RESULTS[1], book)]
    for stem, figure in results_charts(rows, varies, lang):
        files += [(f"{stem}.png", render(figure, "png")), (f"{stem}.svg", render(figure, "svg"))]
    atomic_write_many([(Path(out) / name, data) for name, data in files])
    return [name for name, _ in files]


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
