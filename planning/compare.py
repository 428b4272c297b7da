"""Compare scenarios run with common random numbers: differences with honest 95% intervals.

:func:`compare_scenarios` simulates each scenario with the same seed, replication count and
horizons, and :func:`compare` sets the runs side by side. Replication ``r`` of every run sees the
same residents wherever the random streams feeding a figure have the same names in both runs:
window residents are drawn per community under its stable key (its id, ``key`` or the keys of the
communities it ``merged_from``), grid events per community id, enforcement cases per street id
(:mod:`jiedao.sim.streams`). Where a site's streams agree in both runs (:func:`stream_keys`), the
difference is *paired*: the mean of the per-replication differences with a Student-t 95% half-width
of those differences, so the noise both runs share cancels. Where they do not (``liaoyuan-before``'s
grid events come from its merged communities, ``liaoyuan``'s from the reform's), the runs are
*independent*, and the difference gets Welch's unpaired interval; the comparison says which
(:attr:`Difference.paired`).

Sites are compared where their ids match in every run: city and districts always; streets and
communities only where the scenarios share them (``liaoyuan-before`` has one ``centre`` street per
district, ``liaoyuan`` has the reform's streets, so those two compare at city and district level).
The sites left out are listed in :attr:`Comparison.not_compared`; :meth:`Comparison.level_shown`
falls back to the finest common level coarser than the one asked for.

Beside the queue figures: the resident's whole cost (:mod:`jiedao.sim.costs`) per site, and where
its verdict flips (:class:`BreakEven`): how many minutes longer each way every trip of a scenario
could be before its whole cost equals the baseline's.

Pure: no I/O. The ``jiedao.compare/1`` document is :func:`jiedao.export.documents.compare_document`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from jiedao.scenarios.model import Scenario
from jiedao.sim.access import centre_keys
from jiedao.sim.run import LEVELS, Horizon, Results, run, summarise


@dataclass(frozen=True)
class Estimate:
    """Mean over replications with its 95% half-width (``None`` where undefined)."""

    mean: float | None
    ci95: float | None


@dataclass(frozen=True)
class Difference:
    """``after - before``: paired replication by replication where the runs share their random
    streams, else Welch's interval for independent runs."""

    mean: float | None
    ci95: float | None
    significant: bool | None  # the interval excludes 0; None with fewer than two pairs
    n: int  # pairs used (replications of the shorter run when independent)
    paired: bool = True
    # for a paired difference: Welch's half-width from the same runs, as if they were independent
    # (what the pairing gains: the noise both runs share cancels only where they are coupled)
    independent_ci95: float | None = None


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
class BreakEven:
    """Where the verdict on whole cost flips, for one site and one scenario against the baseline.

    ``margin_min`` is how many minutes longer each way every trip of ``scenario`` could be before
    its whole cost per matter equals the baseline's (negative: how much shorter they would have to
    be): the whole-cost difference (baseline minus scenario) over twice the scenario's trips per
    matter, with the difference's interval scaled alike. ``travel_saving_min`` is how much shorter
    a trip is now (baseline's one-way minutes per trip minus the scenario's); at
    ``break_even_saving_min`` = saving - margin the two would cost the same. ``effects`` splits the
    whole-cost difference into travel (access), wait (the queues: pooling) and service minutes per
    matter; ``dominant`` names the largest of them.
    """

    site: str
    scenario: str
    whole_cost: Difference
    trips_per_matter: float | None
    margin_min: float | None
    margin_ci95: float | None
    travel_saving_min: float | None
    break_even_saving_min: float | None
    effects: dict[str, float | None]
    dominant: str | None
    verdict: str  # "lower", "higher" or "no significant difference" (the scenario's whole cost)


@dataclass(frozen=True)
class Comparison:
    names: tuple[str, ...]  # the first is the baseline
    runs: tuple[Results, ...]
    sites: tuple[ComparedSite, ...]
    not_compared: dict[str, list[str]]
    costs: tuple[ComparedSite, ...] = ()  # the resident's whole cost per site (stream "window")
    break_even: tuple[BreakEven, ...] = ()

    @property
    def baseline(self) -> str:
        return self.names[0]

    def at_level(self, level: str | None) -> list[ComparedSite]:
        return [s for s in self.sites if level is None or s.level == level]

    def costs_at_level(self, level: str | None) -> list[ComparedSite]:
        return [s for s in self.costs if level is None or s.level == level]

    def level_shown(self, level: str) -> tuple[str, str | None]:
        """The level to show for ``level``: itself when the runs share sites there, else the
        finest coarser level they share, with a one-line note saying so."""
        if self.at_level(level) or self.costs_at_level(level):
            return level, None
        order = list(LEVELS)  # city, district, street, community
        for coarser in reversed(order[: order.index(level)]):
            if self.at_level(coarser):
                plural = {"street": "streets", "community": "communities", "district": "districts"}
                return coarser, (
                    f"no common {plural.get(level, level)}: "
                    f"{', '.join(self.names)} share no {level} ids; comparing at {coarser} level"
                )
        return "city", f"no common {level} sites; comparing at city level"


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


# relative size of a difference of constant figures that is float rounding, not a difference (sums
# added in another order: a district's total staff, say, pooled street by street)
ROUNDING = 1e-9


def welch_difference(before: np.ndarray, after: np.ndarray) -> Difference:
    """``after - before`` for independent runs: difference of means, Welch's 95% half-width
    (Satterthwaite's degrees of freedom); NaN replications are left out of each run."""
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    n = int(min(a.size, b.size))
    if a.size == 0 or b.size == 0:
        return Difference(None, None, None, 0, paired=False)
    mean = float(b.mean() - a.mean())
    if a.size < 2 or b.size < 2:
        return Difference(_finite(mean), None, None, n, paired=False)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:  # constant in both runs: a difference only if above the sums' rounding
        scale = max(float(np.abs(a).max()), float(np.abs(b).max()))
        return Difference(_finite(mean), 0.0, bool(abs(mean) > ROUNDING * scale), n, paired=False)
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(special.stdtrit(df, 0.975) * math.sqrt(se2))
    significant = bool(abs(mean) > half) if math.isfinite(half) else None
    return Difference(_finite(mean), _finite(half), significant, n, paired=False)


def stream_keys(scenario: Scenario) -> dict[tuple[str, str], frozenset[str]]:
    """The names of the random streams behind each (site, stream) figure; two runs are paired at
    a site where these agree. Window queues: the residents' keys of every community whose
    residents come to the site's centres (a hall's come from its whole district); whole cost
    (stream ``"cost"``): the keys of the site's own communities; grids: community ids;
    enforcement: street ids and the community ids whose escalations feed them."""
    out: dict[tuple[str, str], set[str]] = {}

    def add(site: str, stream: str, keys: set[str] | frozenset[str]) -> None:
        out.setdefault((site, stream), set()).update(keys)

    for district in scenario.districts:
        for street in district.streets:
            window = set(centre_keys(scenario, street))
            own = {k for c in street.communities for k in c.keys}
            grid = {f"grid:{c.id}" for c in street.communities}
            cases = {f"enforcement:{street.id}"} | grid
            for site in (street.id, district.id, "city"):
                add(site, "window", window)
                add(site, "cost", own)
                add(site, "grid", grid)
                add(site, "enforcement", cases)
            for c in street.communities:
                add(c.id, "cost", set(c.keys))
                add(c.id, "grid", {f"grid:{c.id}"})
    return {key: frozenset(value) for key, value in out.items()}


def _difference(before: np.ndarray, after: np.ndarray, paired: bool) -> Difference:
    welch = welch_difference(before, after)
    if not paired:
        return welch
    return dataclasses.replace(paired_difference(before, after), independent_ci95=welch.ci95)


def compare(
    results: Sequence[Results],
    names: Sequence[str],
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Each run's value and each difference from the first, per shared site, stream and metric,
    paired where the runs share the site's random streams (:func:`stream_keys`), else Welch.

    ``metrics`` limits the metrics reported (default: every metric the runs share); the whole
    cost and its break-even are reported whatever ``metrics`` says.
    """
    check_compatible(results, names)
    base = results[0]
    wanted = set(metrics) if metrics is not None else None
    keys = [stream_keys(r.scenario) for r in results]

    def pairs(site: str, stream: str) -> list[bool]:
        mine = keys[0].get((site, stream))
        return [bool(mine) and k.get((site, stream)) == mine for k in keys[1:]]

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
            compared[metric] = _compared_metric(names, arrays, pairs(site, stream))
        sites.append(ComparedSite(site, base.levels[site], stream, compared))
    costs = _compare_costs(results, names, pairs)
    return Comparison(
        tuple(names),
        tuple(results),
        tuple(sites),
        not_compared,
        costs,
        tuple(b for c in costs for b in _break_even(c, names)),
    )


def _compared_metric(
    names: Sequence[str], arrays: Sequence[np.ndarray], paired: Sequence[bool]
) -> ComparedMetric:
    """Each run's estimate of one figure and each later run's difference from the first."""
    values = {}
    for name, array in zip(names, arrays, strict=True):
        mean, half = summarise(array)
        values[name] = Estimate(_finite(mean), _finite(half))
    differences = {
        name: _difference(arrays[0], array, pair)
        for name, array, pair in zip(names[1:], arrays[1:], paired, strict=True)
    }
    return ComparedMetric(values, differences)


def _compare_costs(
    results: Sequence[Results], names: Sequence[str], pairs: Any
) -> tuple[ComparedSite, ...]:
    base = results[0]
    out = []
    for site, metrics in base.costs.items():
        if not all(site in r.costs for r in results[1:]):
            continue
        compared: dict[str, ComparedMetric] = {}
        for metric in metrics:
            arrays = [r.costs[site][metric] for r in results]
            compared[metric] = _compared_metric(names, arrays, pairs(site, "cost"))
        out.append(ComparedSite(site, base.levels.get(site, "city"), "window", compared))
    return tuple(out)


def _break_even(site: ComparedSite, names: Sequence[str]) -> list[BreakEven]:
    m = site.metrics
    out: list[BreakEven] = []
    if "whole_cost_min" not in m:
        return out
    baseline = names[0]
    for name in names[1:]:
        cost = m["whole_cost_min"].differences[name]
        trips = m["trips_per_matter"].values[name].mean
        margin: float | None = None
        margin_ci: float | None = None
        if cost.mean is not None and trips:
            margin = -cost.mean / (2.0 * trips)
            margin_ci = None if cost.ci95 is None else cost.ci95 / (2.0 * trips)
        per_trip = m["travel_per_trip_min"].values
        base_trip, this_trip = per_trip[baseline].mean, per_trip[name].mean
        saving = None if base_trip is None or this_trip is None else base_trip - this_trip
        effects = {
            part: m[f"{part}_min"].differences[name].mean for part in ("travel", "wait", "service")
        }
        known = {k: v for k, v in effects.items() if v is not None}
        dominant = max(known, key=lambda k: abs(known[k])) if known else None
        if cost.significant and cost.mean is not None:
            verdict = "lower" if cost.mean < 0 else "higher"
        else:
            verdict = "no significant difference"
        out.append(
            BreakEven(
                site=site.site,
                scenario=name,
                whole_cost=cost,
                trips_per_matter=trips,
                margin_min=_finite(margin),
                margin_ci95=_finite(margin_ci),
                travel_saving_min=_finite(saving),
                break_even_saving_min=(
                    _finite(saving - margin) if saving is not None and margin is not None else None
                ),
                effects=effects,
                dominant=dominant,
                verdict=verdict,
            )
        )
    return out


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
