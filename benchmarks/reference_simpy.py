"""Hand-written SimPy reference models: the yardstick the jiedao engine is benchmarked against.

Each model is what an experienced SimPy user would write for one station, with nothing of jiedao in
it: a ``simpy.Resource`` for the clerks, one generator process for the arrival stream and one
process per resident. The engine must cost at most 1.25x the reference with the same features on
(issue 3), so these are kept lean but idiomatic: no monitoring beyond one wait per resident, random
numbers drawn up front from named ``numpy.random.Generator`` streams (one per random source, so two
models with the same seed see the same arrivals), and timing that covers building the environment
and running it (the vectorised draws are a few milliseconds and are included).

Models
    ``run_mmc``           bare M/M/c.
    ``run_mmc_reneging``  M/M/c+M: a waiting resident leaves when its exponential patience runs
                          out (``yield request | env.timeout(patience)``).
    ``run_tandem``        three M/M/c stations in series; every resident visits all three.
    ``simulate_fcfs``     the bare model driven by given inter-arrival and service times, for the
                          exact comparisons against the Kiefer-Wolfowitz recursion.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence

import numpy as np
import simpy


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one named random source (arrivals, service, patience...)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _customer(
    env: simpy.Environment,
    clerks: simpy.Resource,
    index: int,
    service: float,
    waits: list[float],
):
    arrived = env.now
    with clerks.request() as request:
        yield request
        waits[index] = env.now - arrived
        yield env.timeout(service)


def _source(
    env: simpy.Environment,
    clerks: simpy.Resource,
    gaps: Sequence[float],
    services: Sequence[float],
    waits: list[float],
):
    for index, gap in enumerate(gaps):
        yield env.timeout(gap)
        env.process(_customer(env, clerks, index, services[index], waits))


def simulate_fcfs(gaps: Sequence[float], services: Sequence[float], c: int) -> np.ndarray:
    """Waits of a FCFS c-server station fed inter-arrival ``gaps`` (first from time 0)."""
    env = simpy.Environment()
    clerks = simpy.Resource(env, capacity=c)
    waits = [0.0] * len(gaps)
    env.process(_source(env, clerks, list(gaps), list(services), waits))
    env.run()
    return np.asarray(waits)


def run_mmc(
    lam: float, mu: float, c: int, n_customers: int, seed: int
) -> tuple[np.ndarray, float]:
    """Bare M/M/c: returns (per-resident waits in arrival order, elapsed wall seconds)."""
    started = time.perf_counter()
    gaps = stream(seed, "arrivals").exponential(1.0 / lam, n_customers).tolist()
    services = stream(seed, "service").exponential(1.0 / mu, n_customers).tolist()
    waits = simulate_fcfs(gaps, services, c)
    return waits, time.perf_counter() - started


def _impatient_customer(
    env: simpy.Environment,
    clerks: simpy.Resource,
    index: int,
    service: float,
    patience: float,
    waits: list[float],
    abandoned: list[bool],
):
    arrived = env.now
    with clerks.request() as request:
        outcome = yield request | env.timeout(patience)
        waits[index] = env.now - arrived
        if request not in outcome:
            abandoned[index] = True
            return
        yield env.timeout(service)


def _impatient_source(
    env: simpy.Environment,
    clerks: simpy.Resource,
    gaps: Sequence[float],
    services: Sequence[float],
    patience: Sequence[float],
    waits: list[float],
    abandoned: list[bool],
):
    for index, gap in enumerate(gaps):
        yield env.timeout(gap)
        env.process(
            _impatient_customer(
                env, clerks, index, services[index], patience[index], waits, abandoned
            )
        )


def run_mmc_reneging(
    lam: float, mu: float, theta: float, c: int, n_customers: int, seed: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """M/M/c+M with patience rate ``theta``: returns (waits, abandoned mask, elapsed seconds).

    An abandoner's wait is its patience (the time it spent queueing).
    """
    started = time.perf_counter()
    gaps = stream(seed, "arrivals").exponential(1.0 / lam, n_customers).tolist()
    services = stream(seed, "service").exponential(1.0 / mu, n_customers).tolist()
    patience = stream(seed, "patience").exponential(1.0 / theta, n_customers).tolist()
    env = simpy.Environment()
    clerks = simpy.Resource(env, capacity=c)
    waits = [0.0] * n_customers
    abandoned = [False] * n_customers
    env.process(_impatient_source(env, clerks, gaps, services, patience, waits, abandoned))
    env.run()
    return np.asarray(waits), np.asarray(abandoned), time.perf_counter() - started


def _tandem_customer(
    env: simpy.Environment,
    stations: list[simpy.Resource],
    index: int,
    services: list[list[float]],
    waits: list[list[float]],
):
    for k, clerks in enumerate(stations):
        arrived = env.now
        with clerks.request() as request:
            yield request
            waits[k][index] = env.now - arrived
            yield env.timeout(services[k][index])


def _tandem_source(
    env: simpy.Environment,
    stations: list[simpy.Resource],
    gaps: Sequence[float],
    services: list[list[float]],
    waits: list[list[float]],
):
    for index, gap in enumerate(gaps):
        yield env.timeout(gap)
        env.process(_tandem_customer(env, stations, index, services, waits))


def run_tandem(
    lam: float, mu: float, c: int, n_customers: int, seed: int, n_stations: int = 3
) -> tuple[np.ndarray, float]:
    """Stations in series, each M/M/c with rate ``mu``: returns (waits (n, stations), seconds)."""
    started = time.perf_counter()
    gaps = stream(seed, "arrivals").exponential(1.0 / lam, n_customers).tolist()
    services = [
        stream(seed, f"service/{k}").exponential(1.0 / mu, n_customers).tolist()
        for k in range(n_stations)
    ]
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=c) for _ in range(n_stations)]
    waits = [[0.0] * n_customers for _ in range(n_stations)]
    env.process(_tandem_source(env, stations, gaps, services, waits))
    env.run()
    return np.asarray(waits).T, time.perf_counter() - started
