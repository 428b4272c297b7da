"""Compare scenarios run with common random numbers: paired differences with 95% intervals.

``compare(results, names) -> dict`` (schema ``jiedao.compare/1``) takes runs made with the same
seed, replication count and horizons. Replication ``r`` of every run then sees the same residents
wherever the scenarios agree (streams are keyed by site id and purpose, :mod:`sim.streams`), so the
difference between two scenarios is estimated replication by replication: the mean of the
per-replication differences with a Student-t 95% half-width of those differences. Noise common to
both runs cancels, and the interval is narrower than one built from the two runs' own intervals.

Sites are compared where their ids match in every run: city and districts always; streets and
communities only where the scenarios share them (``liaoyuan-before`` has one ``centre`` street per
district, ``liaoyuan`` has the reform's streets, so those two compare at city and district level).
The sites left out are listed under ``not_compared``.

Pure: no I/O. :func:`compare_table_rows` gives headers and rows for
:func:`export.table.format_table`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from jiedao.sim.run import LEVELS, Results, summarise

SCHEMA = "jiedao.compare/1"

DEFAULT_TABLE_METRICS = (
    "target_share",
    "wait_mean_min",
    "wait_mean_days",
    "wait_p90_min",
    "wait_p90_days",
    "utilisation",
)


def check_compatible(results: Sequence[Results], names: Sequence[str]) -> None:
    """Raise ``ValueError`` unless the runs can be paired replication by replication."""
    if len(results) < 2:
        raise ValueError(f"compare needs at least two runs, got {len(results)}")
    if len(names) != len(results):
        raise ValueError(f"compare got {len(results)} runs but {len(names)} names")
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"every compared scenario needs a non-empty name, got {name!r}")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"two compared scenarios are both named {name!r}; names must differ")
        seen.add(name)
    base, base_name = results[0], names[0]
    for other, name in zip(results[1:], names[1:], strict=True):
        for what, a, b in (
            ("seed", base.seed, other.seed),
            ("replications", base.replications, other.replications),
            ("days", base.horizon.days, other.horizon.days),
            ("warmup_days", base.horizon.warmup_days, other.horizon.warmup_days),
            ("case_days", base.horizon.case_days, other.horizon.case_days),
            ("case_warmup_days", base.horizon.case_warmup_days, other.horizon.case_warmup_days),
        ):
            if a != b:
                raise ValueError(
                    f"cannot pair the runs: {what} differs ({base_name}: {a}, {name}: {b}); "
                    "a paired comparison needs the same seed, replications and horizons"
                )


def paired_difference(before: np.ndarray, after: np.ndarray) -> dict[str, Any]:
    """``after - before`` replication by replication: mean, 95% half-width, significance.

    Replications where either value is undefined (NaN) are left out; ``n`` counts the pairs used.
    ``significant`` is whether the interval excludes 0, ``None`` with fewer than two pairs.
    """
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values differ in length: {a.shape} vs {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    d = b[keep] - a[keep]
    n = int(d.size)
    if n == 0:
        return {"mean": None, "ci95": None, "significant": None, "n": 0}
    mean = float(d.mean())
    if n < 2:
        return {"mean": _clean(mean), "ci95": None, "significant": None, "n": n}
    half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n))
    significant = bool(abs(mean) > half) if math.isfinite(half) else None
    return {"mean": _clean(mean), "ci95": _clean(half), "significant": significant, "n": n}


def compare(
    results: Sequence[Results],
    names: Sequence[str],
    metrics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The ``jiedao.compare/1`` document: each run's value and each difference from the first.

    ``metrics`` limits the metrics reported (default: every metric the runs share).
    """
    check_compatible(results, names)
    base = results[0]
    h = base.horizon
    wanted = set(metrics) if metrics is not None else None

    shared = [key for key in base.values if all(key in r.values for r in results[1:])]
    shared_sites = {site for site, _ in shared}
    not_compared = {
        name: sorted({site for site, _ in r.values} - shared_sites)
        for name, r in zip(names, results, strict=True)
    }

    entries = []
    for site, stream in shared:
        key = (site, stream)
        common = [m for m in base.values[key] if all(m in r.values[key] for r in results[1:])]
        doc: dict[str, Any] = {}
        for metric in common:
            if wanted is not None and metric not in wanted:
                continue
            arrays = [r.values[key][metric] for r in results]
            scenarios = {}
            for name, values in zip(names, arrays, strict=True):
                mean, half = summarise(values)
                scenarios[name] = {"mean": _clean(mean), "ci95": _clean(half)}
            differences = {
                name: paired_difference(arrays[0], values)
                for name, values in zip(names[1:], arrays[1:], strict=True)
            }
            doc[metric] = {"scenarios": scenarios, "differences": differences}
        entries.append({"site": site, "level": base.levels[site], "stream": stream, "metrics": doc})

    return {
        "schema": SCHEMA,
        "baseline": names[0],
        "scenarios": [
            {
                "name": name,
                "scenario": r.scenario.name,
                "source": r.scenario.source,
                "residents_simulated": r.residents,
                "runtime_s": round(r.runtime_s, 3),
                "warnings": list(r.warnings),
            }
            for name, r in zip(names, results, strict=True)
        ],
        "seed": base.seed,
        "replications": base.replications,
        "days": h.days,
        "warmup_days": h.warmup_days,
        "case_days": h.case_days,
        "case_warmup_days": h.case_warmup_days,
        "paired": True,
        "not_compared": not_compared,
        "results": entries,
    }


def compare_table_rows(
    document: dict[str, Any],
    metrics: Sequence[str] = DEFAULT_TABLE_METRICS,
    level: str | None = "city",
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a terminal table of a ``jiedao.compare/1`` document.

    One row per site, stream and metric (in ``metrics`` order, those present), for sites at
    ``level`` (``None``: every level). Columns: site, stream, metric, each scenario's
    ``mean ± ci95``, then per scenario after the first its difference from the first and whether
    it is significant (``yes``/``no``, ``n/a`` with one replication). Shares are shown in percent,
    their differences in percentage points.
    """
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    names = [s["name"] for s in document["scenarios"]]
    baseline, others = names[0], names[1:]
    headers = ["site", "stream", "metric", *names]
    for name in others:
        headers += [f"{name} - {baseline}", "significant"]
    rows: list[list[str]] = []
    for entry in document["results"]:
        if level is not None and entry["level"] != level:
            continue
        for metric in metrics:
            item = entry["metrics"].get(metric)
            if item is None:
                continue
            row = [entry["site"], entry["stream"], metric]
            for name in names:
                value = item["scenarios"][name]
                row.append(_format(metric, value["mean"], value["ci95"]))
            for name in others:
                diff = item["differences"][name]
                row.append(_format(metric, diff["mean"], diff["ci95"], signed=True))
                sig = diff["significant"]
                row.append("n/a" if sig is None else "yes" if sig else "no")
            rows.append(row)
    return headers, rows


def _is_share(metric: str) -> bool:
    return metric.endswith("share") or metric.endswith("utilisation")


def _format(metric: str, mean: float | None, half: float | None, signed: bool = False) -> str:
    if mean is None:
        return "n/a"
    sign = "+" if signed else ""
    if _is_share(metric):
        text = f"{mean * 100:{sign}.1f}" + (" pp" if signed else "%")
        if half is not None:
            text += f" ± {half * 100:.1f}"
        return text
    spec = ".2f" if metric.endswith(("_min", "_h", "_days")) else ",.1f"
    text = format(mean, sign + spec)
    if half is not None:
        text += f" ± {format(half, spec)}"
    return text


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)
