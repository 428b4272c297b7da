"""The plain-Python recursion for a FCFS multi-server queue: the cheapest model one could write.

A timing baseline for :mod:`benchmarks.bench_references` (the tests keep their own oracle in
``tests/support/analytic.py``; benchmarks never import the tests). Customer n starts at
``max(arrival, earliest free server)``; with patience, a customer whose start would come strictly
after ``arrival + patience`` leaves at that moment and takes no server.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np


def fcfs_waits(
    arrivals: Sequence[float],
    services: Sequence[float],
    servers: int,
    patience: Sequence[float] | None = None,
) -> np.ndarray:
    """Each customer's wait (time to service, or to leaving for those who run out of patience)."""
    free = [-math.inf] * servers
    waits = np.empty(len(arrivals))
    for i, (a, s) in enumerate(zip(arrivals, services, strict=True)):
        start = max(a, free[0])
        if patience is not None and start > a + patience[i]:
            waits[i] = patience[i]
            continue
        heapq.heapreplace(free, start + s)
        waits[i] = start - a
    return waits
