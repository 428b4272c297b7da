"""Compare scenarios run with common random numbers: paired differences with 95% intervals.

:func:`compare_scenarios` simulates each scenario with the same seed, replication count and
horizons, and :func:`compare` pairs the runs. Replication ``r`` of every run then sees the same
residents wherever the scenarios agree (streams are keyed by site id and purpose,
:mod:`jiedao.sim.streams`), so the difference between two scenarios is estimated replication by
replication: the mean of the per-replication differences with a Student-t 95% half-width of those
differences. Noise common to both runs cancels, and the interval is narrower than one built from the
two runs' own intervals.

Sites are compared where their ids match in every run: city and districts always; streets and
communities only where the scenarios share them (``liaoyuan-before`` has one ``centre`` street per
district, ``liaoyuan`` has the reform's streets, so those two compare at city and district level).
The sites left out are listed in :attr:`Comparison.not_compared`.

Pure: no I/O. The ``jiedao.compare/1`` document is :func:`jiedao.export.documents.compare_document`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from jiedao.scenarios.model import Scenario
from jiedao.sim.run import Horizon, Results, run, summarise


@dataclass(frozen=True)
class Estimate:
    """Mean over replications with its 95% half-width (``None`` where undefined)."""

    mean: float | None
    ci95: float | None


@dataclass(frozen=True)
class Difference:
    """``after - before`` replication by replication."""

    mean: float | None
    ci95: float | None
    significant: bool | None  # the interval excludes 0; None with fewer than two pairs
    n: int  # pairs used


@dataclass(frozen=True)
class ComparedMetric:
    values: dict[str, Estimate]  # per scenario name
    differences: dict[str, Difference]  # per scenario name after the first


@dataclass(frozen=True)
class ComparedSite:
    site: str
    level: str
    stream: str
    metrics: dict[str, ComparedMetric]


@dataclass(frozen=True)
class Comparison:
    names: tuple[str, ...]  # the first is the baseline
    runs: tuple[Results, ...]
    sites: tuple[ComparedSite, ...]
    not_compared: dict[str, list[str]]

    @property
    def baseline(self) -> str:
        return self.names[0]

    def at_level(self, level: str | None) -> list[ComparedSite]:
        return [s for s in self.sites if level is None or s.level == level]


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


def paired_difference(before: np.ndarray, after: np.ndarray) -> Difference:
    """``after - before`` replication by replication: mean, 95% half-width, significance.

    Replications where either value is undefined (NaN) are left out; ``n`` counts the pairs used.
    """
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values differ in length: {a.shape} vs {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    d = b[keep] - a[keep]
    n = int(d.size)
    if n == 0:
        return Difference(None, None, None, 0)
    mean = float(d.mean())
    if n < 2:
        return Difference(_finite(mean), None, None, n)
    half = float(special.stdtrit(n - 1, 0.975) * d.std(ddof=1) / math.sqrt(n))
    significant = bool(abs(mean) > half) if math.isfinite(half) else None
    return Difference(_finite(mean), _finite(half), significant, n)


def compare(
    results: Sequence[Results],
    names: Sequence[str],
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Each run's value and each difference from the first, per shared site, stream and metric.

    ``metrics`` limits the metrics reported (default: every metric the runs share).
    """
    check_compatible(results, names)
    base = results[0]
    wanted = set(metrics) if metrics is not None else None

    shared = [key for key in base.values if all(key in r.values for r in results[1:])]
    shared_sites = {site for site, _ in shared}
    not_compared = {
        name: sorted({site for site, _ in r.values} - shared_sites)
        for name, r in zip(names, results, strict=True)
    }
    sites = []
    for site, stream in shared:
        key = (site, stream)
        common = [m for m in base.values[key] if all(m in r.values[key] for r in results[1:])]
        compared: dict[str, ComparedMetric] = {}
        for metric in common:
            if wanted is not None and metric not in wanted:
                continue
            arrays = [r.values[key][metric] for r in results]
            values = {}
            for name, array in zip(names, arrays, strict=True):
                mean, half = summarise(array)
                values[name] = Estimate(_finite(mean), _finite(half))
            differences = {
                name: paired_difference(arrays[0], array)
                for name, array in zip(names[1:], arrays[1:], strict=True)
            }
            compared[metric] = ComparedMetric(values, differences)
        sites.append(ComparedSite(site, base.levels[site], stream, compared))
    return Comparison(tuple(names), tuple(results), tuple(sites), not_compared)


def compare_scenarios(
    scenarios: Sequence[Scenario],
    names: Sequence[str],
    replications: int,
    seed: int,
    horizon: Horizon,
    executor: Any = None,
    progress: Any = None,
) -> Comparison:
    """Simulate every scenario with the same seed, replications and horizons; pair the runs."""
    results = [
        run(
            scenario,
            replications=replications,
            seed=seed,
            horizon=horizon,
            progress=progress,
            executor=executor,
        )
        for scenario in scenarios
    ]
    return compare(results, names)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
