"""Where tasks run: in this process, in a local process pool, or on a Dask cluster.

A task is one street for one replication (:class:`sim.run.Task`): it carries parameters and seeds,
never a SimPy environment (they do not pickle), and builds its model where it runs. It also
summarises its street where it runs: what comes back is a :class:`sim.run.StreetSummary` (the
street's figures and mergeable pools, :mod:`sim.pooled`), not every resident's record. Its random
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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from jiedao.scenarios.model import Scenario

Progress = Callable[[int], None] | None
# called once the workers are being started, before any result is in (the CLI's "starting"
# checkpoint: a test interrupts a run exactly there)
OnStart = Callable[[], None] | None
BACKENDS = ("serial", "process", "dask")

_WORKER_SCENARIO: Scenario | None = None


def run_chunk(scenario: Scenario, chunk: Sequence[Any]) -> list[Any]:
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
    # Ctrl-C reaches the whole process group: the owner reports it (exit code 130) and stops its
    # workers (SIGTERM, which ends a process without a traceback); a worker ignores it, so that it
    # never prints a KeyboardInterrupt traceback of its own, at start-up or at work
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _hold_ctrl_c(False)  # held by the owner while it forked this worker


def _hold_ctrl_c(hold: bool) -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK if hold else signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """A Ctrl-C during this block is raised when it ends, not inside it. Blocking the signal is
    not enough: it blocks it in this thread only, and the kernel then hands it to another one
    (a progress bar's, the pool's manager), whose handler still interrupts this thread at once.
    Python runs signal handlers in the main thread, so a handler that only takes note works
    whatever thread the signal reached."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: noted.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted:
        raise KeyboardInterrupt


@contextmanager
def _ctrl_c_ignored_by_children() -> Iterator[None]:
    """Processes started (fork and exec) in this block ignore Ctrl-C from their first instruction:
    an ignored signal stays ignored across ``exec``, and Python then installs no handler of its
    own. The fork server and the resource tracker are started so: a Ctrl-C during their imports
    (a second or two) would otherwise print their traceback. This process holds Ctrl-C meanwhile
    (:func:`_hold_ctrl_c`, the caller's), so a Ctrl-C that arrives here is kept, not lost: Linux
    queues a blocked signal even while it is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change a handler; children then behave as before
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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


def _run_in_worker(chunk: Sequence[Any]) -> list[Any]:
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
    ) -> list[Any]:
        out = []
        for task in work:
            out.append(task(scenario))
            if progress is not None:
                progress(1)
        return out


class ProcessPool:
    """A local pool of worker processes (default: one per core).

    Interrupted (Ctrl-C, or any error here), the pool is stopped at once: queued tasks are
    cancelled and the workers ended with SIGTERM, instead of waiting for the tasks under way.
    Workers ignore Ctrl-C themselves from the moment they exist, so none prints a traceback.
    """

    name = "process"

    def __init__(
        self, workers: int | None = None, chunks_per_worker: int = 4, on_start: OnStart = None
    ) -> None:
        self.workers = workers or available_cores()
        self.chunks_per_worker = chunks_per_worker
        self.on_start = on_start

    def __call__(
        self, scenario: Scenario, work: Sequence[Any], progress: Progress = None
    ) -> list[Any]:
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
        out: list[Any] = []
        pool: ProcessPoolExecutor | None = None
        # Ctrl-C waits while workers start (they are forked or requested during the submits), so
        # that every worker started is known to the pool, and stopped with it; a forked worker
        # never meets it before its own handler is set (held in this thread, deferred in all)
        _hold_ctrl_c(True)
        try:
            with _ctrl_c_deferred():
                if method == "forkserver":
                    from multiprocessing import forkserver

                    context.set_forkserver_preload(["jiedao.sim.model", "jiedao.sim.run"])
                    with _ctrl_c_ignored_by_children():
                        forkserver.ensure_running()
                pool = ProcessPoolExecutor(
                    max_workers=min(self.workers, len(parts)),
                    mp_context=context,
                    initializer=_init_worker,
                    initargs=(scenario, os.getpid()),
                )
                with _ctrl_c_ignored_by_children() if method == "spawn" else _nothing():
                    pending = {pool.submit(_run_in_worker, part): len(part) for part in parts}
                _hold_ctrl_c(False)
            if self.on_start is not None:
                self.on_start()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    out.extend(future.result())
                    if progress is not None:
                        progress(pending[future])
                    del pending[future]
        except BaseException:
            _hold_ctrl_c(False)
            if pool is not None:
                _stop(pool)
            raise
        pool.shutdown()
        return out


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool now: cancel what is queued and end the workers (SIGTERM: no traceback).

    A worker ended while it sends a result leaves half a message in the result pipe, and the
    pool's manager thread would wait for the rest for ever (and the interpreter for it, at exit).
    Once the workers are gone, this process's own end of that pipe is closed too, so the manager
    reads the end of the pipe, takes the pool for broken and ends. Tasks still queued for the
    workers are not flushed at exit either (``cancel_join_thread``)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:
        call_queue.cancel_join_thread()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join()
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()


class Dask:
    """A Dask distributed cluster at ``scheduler`` (``tcp://host:8786``), or a given Client."""

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        client: Any = None,
        chunks_per_worker: int = 4,
        on_start: OnStart = None,
    ) -> None:
        self.scheduler = scheduler
        self.client = client
        self.chunks_per_worker = chunks_per_worker
        self.on_start = on_start

    def __call__(
        self, scenario: Scenario, work: Sequence[Any], progress: Progress = None
    ) -> list[Any]:
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
            if self.on_start is not None:
                self.on_start()
            out: list[Any] = []
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


def make_backend(
    name: str,
    workers: int | None = None,
    scheduler: str | None = None,
    on_start: OnStart = None,
) -> Any:
    """``serial``, ``process`` or ``dask``; ``on_start()`` is called each time workers start."""
    if name == "serial":
        return Serial()
    if name == "process":
        return ProcessPool(workers, on_start=on_start)
    if name == "dask":
        if not scheduler:
            raise ValueError(
                "the dask backend needs a scheduler address (e.g. tcp://10.0.0.5:8786)"
            )
        return Dask(scheduler, on_start=on_start)
    raise ValueError(f"unknown backend {name!r}: expected one of {', '.join(BACKENDS)}")
