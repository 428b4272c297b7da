"""Same seed, same numbers on every backend: serial, local process pool, Dask cluster."""

from __future__ import annotations

import json

import pytest

from jiedao.export.documents import simulate_document
from jiedao.scenarios import load
from jiedao.sim.backends import Dask, ProcessPool, Serial, chunks
from jiedao.sim.run import run

SHORT = {"replications": 3, "seed": 17, "days": 5, "case_days": 20, "case_warmup_days": 5}


def _json(executor) -> str:
    document = simulate_document(run(load("liaoyuan"), executor=executor, **SHORT))
    document.pop("runtime_s")
    return json.dumps(document, sort_keys=True)


@pytest.fixture(scope="module")
def serial_json() -> str:
    return _json(Serial())


def test_chunks_cover_every_task_once():
    work = list(range(103))
    parts = chunks(work, 8)
    assert [x for p in parts for x in p] == work
    assert len(parts) <= 8 and all(parts)


@pytest.mark.parametrize("chunks_per_worker", [4, pytest.param(1, marks=pytest.mark.slow)])
def test_process_pool_equals_serial(serial_json, chunks_per_worker):
    """Workers summarise their streets (sim.pooled); districts and the city merge the pools in
    street order, whatever the chunks and the order they finish in."""
    assert _json(ProcessPool(workers=2, chunks_per_worker=chunks_per_worker)) == serial_json


@pytest.mark.slow
def test_dask_local_cluster_equals_serial(serial_json):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert _json(Dask(client=client)) == serial_json
