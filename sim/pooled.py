"""Mergeable summaries: what a worker sends back for a street instead of every resident's record.

A district's or the city's figures pool the residents of several streets (a district's wait p90 is
the p90 of all its residents' waits). Each street's worker reduces its records to a :class:`Pool`:
counts and sums (busy minutes, queue minutes, met and missed, ...) and, for each set of values a
percentile is taken of, a :class:`Sample`: its count, its sum and a fixed-bin :class:`Histogram`.
The parent adds the pools of a site's streets in the scenario's street order, so the figures are
the same on every backend and in whatever order the workers finished.

**Bins.** Fixed, the same for every street and replication (so histograms merge exactly, by adding
integer counts): width ``w`` on ``[0, T)`` and geometric above ``T = w / RELATIVE`` (each bin 1%
wider than the one before), with ``w`` = 0.1 min for figures in minutes and 0.01 day for figures
in days, and a bin of its own for values of exactly zero. Every bin also keeps the least and the
greatest value it holds (exact under merging).

**Percentiles** from a histogram follow numpy's default (linear interpolation between order
statistics): an order statistic is estimated inside its bin, between that bin's least and greatest
value, so the estimate and the exact value lie in the same bin. The error is therefore at most the
bin's width: **at most 0.1 min (0.01 day) below 10 min (1 day), and at most 1% of the value
above**, and nil where a bin holds one distinct value (exact zeros: a resident served at once). A
street's own percentiles (and its communities') are exact: its worker has the values themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

RELATIVE = 0.01  # geometric bins: each 1% wider than the last above T
WIDTH = {"min": 0.1, "days": 0.01, "h": 0.1 / 60.0}
_LOG_STEP = math.log1p(RELATIVE)


def bin_index(values: np.ndarray, width: float) -> np.ndarray:
    """The fixed bin of each value: ``floor(v / w)`` below ``T = w / RELATIVE``, geometric above."""
    v = np.asarray(values, dtype=float)
    top = width / RELATIVE
    linear = round(top / width)
    index = np.floor(v / width)
    index[v < 0] -= 1
    index[v == 0] = -1  # exact zeros (a resident served at once) are a bin of their own
    high = v >= top
    if high.any():
        index[high] = linear + np.floor(np.log(v[high] / top) / _LOG_STEP)
    return index.astype(np.int64)


def bin_width(index: np.ndarray, width: float) -> np.ndarray:
    """The width of each bin (for the error bound)."""
    top = width / RELATIVE
    linear = round(top / width)
    index = np.asarray(index)
    geometric = top * np.power(1.0 + RELATIVE, np.maximum(index - linear, 0)) * RELATIVE
    return np.where(index == -1, 0.0, np.where(index < linear, width, geometric))


@dataclass(frozen=True)
class Histogram:
    """Occupied bins only, in increasing order: index, count, least and greatest value."""

    width: float
    index: np.ndarray
    count: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, width: float) -> Histogram:
        values = np.asarray(values, dtype=float)
        idx = bin_index(values, width)
        return cls._grouped(width, idx, np.ones(len(idx), np.int64), values, values)

    @classmethod
    def _grouped(
        cls, width: float, idx: np.ndarray, count: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> Histogram:
        if len(idx) == 0:
            empty = np.empty(0)
            return cls(width, empty.astype(np.int64), empty.astype(np.int64), empty, empty)
        order = np.argsort(idx, kind="stable")
        idx, count, lo, hi = idx[order], count[order], lo[order], hi[order]
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
        return cls(
            width,
            idx[starts],
            np.add.reduceat(count, starts),
            np.minimum.reduceat(lo, starts),
            np.maximum.reduceat(hi, starts),
        )

    @classmethod
    def merge(cls, parts: Sequence[Histogram], width: float) -> Histogram:
        """Exact: counts add, least and greatest values take the min and max (any order)."""
        if not parts:
            return cls.of(np.empty(0), width)
        return cls._grouped(
            width,
            np.concatenate([p.index for p in parts]),
            np.concatenate([p.count for p in parts]),
            np.concatenate([p.lo for p in parts]),
            np.concatenate([p.hi for p in parts]),
        )

    @property
    def n(self) -> int:
        return int(self.count.sum())

    def order_statistic(self, ranks: np.ndarray) -> np.ndarray:
        """Estimates of the values of rank ``ranks`` (0-based, in sorted order): spread evenly
        between the bin's least and greatest value (exact at a bin's first and last rank)."""
        cum = np.cumsum(self.count)
        b = np.searchsorted(cum, ranks, side="right")
        within = ranks - (cum[b] - self.count[b])
        c = self.count[b]
        span = self.hi[b] - self.lo[b]
        step = np.where(c > 1, within / np.maximum(c - 1, 1), 0.0)
        return np.asarray(self.lo[b] + span * step, dtype=float)

    def percentiles(self, qs: Sequence[float]) -> list[float]:
        """numpy's linear-interpolation percentiles (``qs`` in 0-100) from the bins."""
        n = self.n
        out = []
        for q in qs:
            h = (n - 1) * q / 100.0
            k = math.floor(h)
            x = self.order_statistic(np.array([k, min(k + 1, n - 1)]))
            out.append(float(x[0] + (h - k) * (x[1] - x[0])))
        return out


@dataclass(frozen=True)
class Sample:
    """Values a mean and percentiles are taken of: exact values where they are, or a histogram."""

    n: int
    total: float
    unit: str
    values: np.ndarray | None = None
    hist: Histogram | None = None

    @classmethod
    def of(cls, values: np.ndarray, unit: str) -> Sample:
        values = np.asarray(values, dtype=float)
        return cls(len(values), float(values.sum()) if len(values) else 0.0, unit, values)

    def shipped(self) -> Sample:
        """Without the values: a histogram in their place (what travels to the parent)."""
        if self.hist is not None or self.values is None:
            return self
        hist = Histogram.of(self.values, WIDTH[self.unit])
        return Sample(self.n, self.total, self.unit, None, hist)

    def mean(self) -> float:
        # values.mean() is values.sum() / n in numpy: the same number either way
        return self.total / self.n if self.n else float("nan")

    def percentiles(self, qs: Sequence[float]) -> list[float]:
        if self.n == 0:
            return [float("nan")] * len(qs)
        if self.values is not None:
            return [float(x) for x in np.percentile(self.values, list(qs))]
        assert self.hist is not None
        return self.hist.percentiles(qs)

    @staticmethod
    def merge(parts: Sequence[Sample], unit: str, exact: bool = False) -> Sample:
        """Counts and sums added in the order given; histograms merged (``exact``: the values
        concatenated instead, when every part still has them, for tests)."""
        n = sum(p.n for p in parts)
        total = 0.0
        for p in parts:
            total += p.total
        if exact and all(p.values is not None for p in parts):
            kept = [p.values for p in parts if p.values is not None]
            values = np.concatenate(kept) if kept else np.empty(0)
            return Sample(n, total, unit, values)
        hists = [p.shipped().hist for p in parts]
        return Sample(
            n, total, unit, None, Histogram.merge([h for h in hists if h is not None], WIDTH[unit])
        )


@dataclass(frozen=True)
class Pool:
    """One stream's mergeable summary at one site and replication."""

    sums: dict[str, float] = field(default_factory=dict)
    samples: dict[str, Sample] = field(default_factory=dict)

    def shipped(self) -> Pool:
        return Pool(self.sums, {k: s.shipped() for k, s in self.samples.items()})

    @staticmethod
    def merge(parts: Sequence[Pool], exact: bool = False) -> Pool:
        """The pool of several sites (added in the order given: the scenario's street order)."""
        if not parts:
            return Pool()
        sums: dict[str, float] = {}
        for p in parts:
            for k, v in p.sums.items():
                sums[k] = sums.get(k, 0.0) + v
        samples = {
            k: Sample.merge([p.samples[k] for p in parts], s.unit, exact)
            for k, s in parts[0].samples.items()
        }
        return Pool(sums, samples)
