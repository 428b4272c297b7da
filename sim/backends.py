"""Where tasks run: in this process, in a local process pool, or on a Dask cluster.

A task is one street for one replication (:class:`sim.run.Task`): it carries parameters and seeds,
never a SimPy environment (they do not pickle), and builds its model where it runs. Its random
streams come from the root seed, the replication and the site names, so the records, and every
number derived from them, are the same whichever backend runs it and in whatever order.

Tasks travel in chunks (several street-replications per message): one tiny task per replication
would spend most of the time on scheduling and serialisation, on a cluster especially. The scenario
is sent once per worker (process pool initialiser, or ``Client.scatter`` on Dask), not per task.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from jiedao.scenarios.model import Scenario
from jiedao.sim.model import StreetRecord

Progress = Callable[[int], None] | None
BACKENDS = ("serial", "process", "dask")

_WORKER_SCENARIO: Scenario | None = None


def run_chunk(scenario: Scenario, chunk: Sequence[Any]) -> list[StreetRecord]:
    return [task(scenario) for task in chunk]


def chunks(work: Sequence[Any], parts: int) -> list[list[Any]]:
    """Split into about ``parts`` chunks of consecutive tasks (at least one task each)."""
    size = max(1, math.ceil(len(work) / max(1, parts)))
    return [list(work[i : i + size]) for i in range(0, len(work), size)]


def _init_worker(scenario: Scenario, owner: int | None = None) -> None:
    global _WORKER_SCENARIO
    _WORKER_SCENARIO = scenario
    if owner is not None:
        _end_with(owner)
        # Ctrl-C reaches the whole process group: the owner reports it (exit code 130), and a
        # worker leaves quietly instead of printing a KeyboardInterrupt traceback of its own
        signal.signal(signal.SIGINT, lambda *_: os._exit(1))
    _hold_ctrl_c(False)  # held by the owner while it forked this worker


def _hold_ctrl_c(hold: bool) -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK if hold else signal.SIG_UNBLOCK, {signal.SIGINT})


def _end_with(owner: int) -> None:
    """End this worker once the process that made the pool is gone. An owner killed outright
    (SIGKILL, the OOM killer) cannot shut its pool down, and its workers would otherwise wait for
    work forever. Forked workers watch their parent; others (forkserver) the owner's pid."""
    forked = os.getppid() == owner

    def gone() -> bool:
        if forked:
            return os.getppid() != owner
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def watch() -> None:
        while not gone():
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="jiedao-owner-watch", daemon=True).start()


def _run_in_worker(chunk: Sequence[Any]) -> list[StreetRecord]:
    assert _WORKER_SCENARIO is not None
    return run_chunk(_WORKER_SCENARIO, chunk)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Serial:
    name = "serial"

    def __call__(
        self, scenario: Scenario, work: Sequence[Any], progress: Progress = None
    ) -> list[StreetRecord]:
        out = []
        for task in work:
            out.append(task(scenario))
            if progress is not None:
                progress(1)
        return out


class ProcessPool:
    """A local pool of worker processes (default: one per core)."""

    name = "process"

    def __init__(self, workers: int | None = None, chunks_per_worker: int = 4) -> None:
        self.workers = workers or available_cores()
        self.chunks_per_worker = chunks_per_worker

    def __call__(
        self, scenario: Scenario, work: Sequence[Any], progress: Progress = None
    ) -> list[StreetRecord]:
        if self.workers <= 1 or len(work) <= 1:
            return Serial()(scenario, work, progress)
        parts = chunks(work, self.workers * self.chunks_per_worker)
        # fork when this process runs no other thread (workers start at once, with every module
        # already imported); otherwise a forked child could inherit a lock held by another
        # thread, so workers fork from a clean forkserver; spawn where neither exists
        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods and threading.active_count() == 1:
            method = "fork"
        else:
            method = "forkserver" if "forkserver" in methods else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["jiedao.sim.model", "jiedao.sim.run"])
        out: list[StreetRecord] = []
        # Ctrl-C is held while workers start (they are forked during the submits), so it is
        # neither lost in Python's fork hooks nor met by a worker before its handler is set
        _hold_ctrl_c(True)
        try:
            pool = ProcessPoolExecutor(
                max_workers=min(self.workers, len(parts)),
                mp_context=context,
                initializer=_init_worker,
                initargs=(scenario, os.getpid()),
            )
            pending = {pool.submit(_run_in_worker, part): len(part) for part in parts}
        finally:
            _hold_ctrl_c(False)
        with pool:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    out.extend(future.result())
                    if progress is not None:
                        progress(pending[future])
                    del pending[future]
        return out


class Dask:
    """A Dask distributed cluster at ``scheduler`` (``tcp://host:8786``), or a given Client."""

    name = "dask"

    def __init__(
        self, scheduler: str | None = None, client: Any = None, chunks_per_worker: int = 4
    ) -> None:
        self.scheduler = scheduler
        self.client = client
        self.chunks_per_worker = chunks_per_worker

    def __call__(
        self, scenario: Scenario, work: Sequence[Any], progress: Progress = None
    ) -> list[StreetRecord]:
        try:
            from distributed import Client, as_completed
        except ImportError as err:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the dask backend needs the optional extra: pip install 'jiedao[dask]'"
            ) from err
        client = self.client or Client(self.scheduler, set_as_default=False)
        try:
            workers = max(1, sum(client.nthreads().values()))
            parts = chunks(work, workers * self.chunks_per_worker)
            shared = client.scatter(scenario, broadcast=True)
            futures = client.map(run_chunk, [shared] * len(parts), parts, pure=False)
            sizes = {f.key: len(p) for f, p in zip(futures, parts, strict=True)}
            out: list[StreetRecord] = []
            # the client's own loop: a client made here is not the default one (set_as_default
            # is off), and as_completed would otherwise look for a default and find none
            for future in as_completed(futures, loop=client.loop):
                out.extend(future.result())
                if progress is not None:
                    progress(sizes[future.key])
            return out
        finally:
            if self.client is None:
                client.close()


def make_backend(name: str, workers: int | None = None, scheduler: str | None = None) -> Any:
    if name == "serial":
        return Serial()
    if name == "process":
        return ProcessPool(workers)
    if name == "dask":
        if not scheduler:
            raise ValueError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return Dask(scheduler)
    raise ValueError(f"unknown backend {name!r}: expected one of {', '.join(BACKENDS)}")
