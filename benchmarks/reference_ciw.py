"""The same reference models in Ciw 3.x, a peer queueing-network library (benchmark-only).

Ciw builds a network from per-node distributions and a routing matrix and runs its own event loop;
it keeps a frozen data record per visit. It draws its random numbers from Python's global
``random`` module, so ``ciw.seed`` (a global reseed, which jiedao itself never does) is the only way
to make a run reproducible; it is called here and nowhere else. Runs stop once ``n_customers``
residents have left the network (``method="Finish"``), and results are the waits of those that
left, in order of their id (arrival order). Install with ``pip install 'jiedao[bench]'``.
"""

from __future__ import annotations

import time

import ciw
import numpy as np


def _waits_by_customer(records: list, n_stations: int) -> np.ndarray:
    """(residents, stations) array of waits for residents with a service record at every node."""
    by_id: dict[int, list[float]] = {}
    for record in records:
        row = by_id.setdefault(record.id_number, [np.nan] * n_stations)
        row[record.node - 1] = record.waiting_time
    rows = [by_id[i] for i in sorted(by_id)]
    waits = np.asarray(rows, dtype=float).reshape(len(rows), n_stations)
    return waits[~np.isnan(waits).any(axis=1)]


def run_mmc_ciw(
    lam: float, mu: float, c: int, n_customers: int, seed: int
) -> tuple[np.ndarray, float]:
    """Bare M/M/c in Ciw: returns (waits of residents that finished, elapsed wall seconds)."""
    started = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[c],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(n_customers, method="Finish")
    records = simulation.get_all_records(only=["service"])
    waits = _waits_by_customer(records, 1)[:, 0]
    return waits, time.perf_counter() - started


def run_mmc_reneging_ciw(
    lam: float, mu: float, theta: float, c: int, n_customers: int, seed: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """M/M/c+M in Ciw: returns (waits, abandoned mask, elapsed seconds), by customer id."""
    started = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        reneging_time_distributions=[ciw.dists.Exponential(rate=theta)],
        number_of_servers=[c],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(n_customers, method="Finish")
    records = sorted(
        simulation.get_all_records(only=["service", "renege"]), key=lambda r: r.id_number
    )
    waits = np.array([r.waiting_time for r in records], dtype=float)
    abandoned = np.array([r.record_type == "renege" for r in records])
    return waits, abandoned, time.perf_counter() - started


def run_tandem_ciw(
    lam: float, mu: float, c: int, n_customers: int, seed: int, n_stations: int = 3
) -> tuple[np.ndarray, float]:
    """Stations in series in Ciw: returns (waits (residents, stations), elapsed seconds)."""
    started = time.perf_counter()
    routing = [[1.0 if j == i + 1 else 0.0 for j in range(n_stations)] for i in range(n_stations)]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)] + [None] * (n_stations - 1),
        service_distributions=[ciw.dists.Exponential(rate=mu) for _ in range(n_stations)],
        number_of_servers=[c] * n_stations,
        routing=routing,
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(n_customers, method="Finish")
    waits = _waits_by_customer(simulation.get_all_records(only=["service"]), n_stations)
    return waits, time.perf_counter() - started
