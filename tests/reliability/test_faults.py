"""Nothing lost, same bytes (issue 7): real child processes interrupted and killed.

- ``jiedao sweep`` stopped by SIGINT and by SIGKILL mid-run resumes with every point of the full
  factorial recorded exactly once, each with the result an uninterrupted sweep gives.
- A child killed while :func:`export.files.atomic_write_bytes` writes 200 MB leaves the old file
  (or the whole new one), never a partial one; the only leftover is a hidden ``.NAME.*.tmp``.
- ``jiedao plan --out DIR`` killed mid-run leaves no partial file in DIR, and the same command
  then finishes.

The interrupts arrive at named phases (:func:`jiedao.export.files.checkpoint`): the child says
when it gets there and waits for the signal, so no test depends on how fast the machine is. The
only clock is a guard that fails a test, instead of hanging it, if a child never gets there.
- The same seed gives the same bytes from ``--backend serial``, ``process`` and ``dask`` (a local
  cluster of 2 worker processes) for ``simulate --json`` and ``plan --out``, except ``runtime_s``.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.paths import ROOT

from jiedao.cli import INTERRUPTED
from jiedao.export.files import CHECKPOINT, CHECKPOINT_AT
from jiedao.scenarios.overrides import parse_vary, point_id, points

JIEDAO = str(Path(sys.executable).with_name("jiedao"))
TIMEOUT = 600  # a guard against a hang, far beyond any run here: no assertion depends on it
TMP_NAME = re.compile(r"^\.(?P<name>.+)\.[^.]+\.tmp$")  # export.files' temporary names

SMALL = """\
name = "small"

[calendar]
start_date = 2026-03-02

[demand.window]
rate_per_1000_households_per_day = 20
[demand.window.categories]
all = { share = 1.0, service_min = { dist = "lognormal", mean = 10, cv = 0.5 } }

[demand.grid]
events_per_grid_per_month = 30
travel_min = { dist = "deterministic", value = 5 }
handling_min = { dist = "exponential", mean = 60 }
station_handling_min = { dist = "deterministic", value = 30 }
routing = { grid = 0.7, community = 0.2, enforcement = 0.1 }

[demand.enforcement]
direct_cases_per_street_per_month = 10
duration_days = { dist = "deterministic", value = 5 }

[budget]
posts_pool = 16

[defaults.street]
windows = 1
enforcement_officers = 1

[defaults.community]
posts = 4
grids = 1

[districts.d.streets.s.communities]
c1 = { households = 1000 }
c2 = { households = 800 }

[districts.d.streets.t.communities]
c1 = { households = 1200 }
c2 = { households = 600, type = "town" }
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def stopped_at(
    phase: str, command: list[str], folder: Path, **popen: object
) -> subprocess.Popen[str]:
    """Start ``command`` and return once it has reached ``phase`` and waits there for a signal."""
    fifo = folder / f"checkpoint-{phase.replace('#', '-')}-{len(list(folder.iterdir()))}"
    os.mkfifo(fifo)
    env = {**os.environ, CHECKPOINT: str(fifo), CHECKPOINT_AT: phase}
    child = subprocess.Popen(command, env=env, text=True, **popen)  # type: ignore[call-overload]
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.05)
            data = os.read(fd, 64) if ready else b""
            if data:
                assert data.decode().strip() == phase.partition("#")[0]
                return child
            if child.poll() is not None:
                raise AssertionError(f"{command[1]} ended ({child.returncode}) before {phase}")
            if time.monotonic() > deadline:
                child.kill()
                raise AssertionError(f"{command[1]} never reached {phase}")
            if not ready:
                continue
            time.sleep(0.01)  # no writer yet: the FIFO reads as empty
    finally:
        os.close(fd)


def lines_in(path: Path) -> int:
    """Complete lines (a partial last line, cut by a kill, does not count)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def visible(folder: Path) -> list[str]:
    return (
        sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        if (folder.exists())
        else []
    )


def strip_runtime(text: str) -> str:
    return re.sub(r'"runtime_s": ?[-0-9.eE+]+', '"runtime_s": 0', text)


# --- sweep: SIGINT and SIGKILL, then resume -------------------------------------------------------

VARY = [
    "districts.*.streets.*.windows=2..5",
    "demand.window.rate_per_1000_households_per_day=6,7.5,9",
]
SWEEP_OPTIONS = ["-r", "1", "--days", "5", "--case-days", "2", "--case-warmup", "0", "-q",
                 "--backend", "serial", "--lang", "en"]  # fmt: skip


def sweep_command(out: Path) -> list[str]:
    varies = [arg for v in VARY for arg in ("--vary", v)]
    return [JIEDAO, "sweep", "liaoyuan", *varies, "--out", str(out), *SWEEP_OPTIONS]


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "points.jsonl").read_text("utf-8").splitlines()]


@pytest.mark.slow
def test_an_interrupted_and_a_killed_sweep_resume_with_no_point_lost_or_repeated(
    tmp_path: Path,
) -> None:
    out, jsonl = tmp_path / "sweep", tmp_path / "sweep" / "points.jsonl"
    expected = {point_id(p) for p in points([parse_vary(v) for v in VARY])}
    assert len(expected) == 12

    # Ctrl-C after the second point: exit 130, and it says what it kept
    child = stopped_at("recorded#2", sweep_command(out), tmp_path, stderr=subprocess.PIPE, cwd=ROOT)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=TIMEOUT)
    kept = lines_in(jsonl)
    assert child.returncode == 130, stderr
    assert kept == 2
    assert f"interrupted: {kept} of 12 points are recorded in {out}" in stderr
    assert "Traceback" not in stderr

    # SIGKILL two points later: no message, no cleanup
    child = stopped_at(
        "recorded#2", sweep_command(out), tmp_path, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    child.kill()
    child.wait(timeout=TIMEOUT)
    assert child.returncode == -signal.SIGKILL
    killed_at = lines_in(jsonl)
    assert killed_at == kept + 2

    # the same command finishes the rest
    done = subprocess.run(sweep_command(out), capture_output=True, text=True, timeout=TIMEOUT,
                          cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"sweep: 12 points, {12 - killed_at} run now, {killed_at} already recorded"
    )
    ids = [r["id"] for r in records(out)]
    assert len(ids) == len(set(ids)) == 12 and set(ids) == expected
    assert sorted(r["index"] for r in records(out)) == list(range(12))

    # and each point holds what an uninterrupted sweep records for it
    whole = tmp_path / "whole"
    done = subprocess.run(sweep_command(whole), capture_output=True, text=True, timeout=TIMEOUT,
                          cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr

    def results(folder: Path) -> dict[str, str]:
        return {r["id"]: strip_runtime(json.dumps(r["result"])) for r in records(folder)}

    assert results(out) == results(whole)


# --- atomic writes --------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from jiedao.export.files import atomic_write_bytes
    data = b"n" * (200 * 1024 * 1024)
    while True:
        atomic_write_bytes(Path(sys.argv[1]), data)
    """
)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_a_writer_killed_mid_write_leaves_the_old_file_or_the_whole_new_one(
    tmp_path: Path, how: signal.Signals
) -> None:
    target = tmp_path / "allocation.csv"
    target.write_bytes(b"old content\n")
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT,
                             stderr=subprocess.DEVNULL)  # fmt: skip

    def writing() -> bool:  # a temporary file part-written: the write is under way
        return any(p.name.endswith(".tmp") and p.stat().st_size > 0 for p in tmp_path.iterdir())

    try:
        wait_for(writing, "the temporary file")
        child.send_signal(how)
        child.wait(timeout=TIMEOUT)
    finally:
        child.kill()
    content = target.read_bytes()
    assert content == b"old content\n" or (
        len(content) == 200 * 1024 * 1024 and content.count(b"n") == len(content)
    )
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "allocation.csv"]
    if how == signal.SIGINT:  # Python unwinds and removes its temporary file
        assert leftovers == []
    else:  # a SIGKILL leaves it, hidden and never under an output's name
        assert all(TMP_NAME.match(n) and TMP_NAME.match(n)["name"] == target.name
                   for n in leftovers), leftovers  # fmt: skip


STAGED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from jiedao.export.files import atomic_write_many
    folder = Path(sys.argv[1])
    renamed = []
    real_replace = os.replace
    def replace(src, dst):  # the process dies right after the first rename
        if renamed:
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)
        renamed.append(dst)
    os.replace = replace
    atomic_write_many([(folder / n, n.encode() * 100_000) for n in ("a.csv", "b.csv", "c.json")])
    """
)


def test_a_set_of_files_killed_between_renames_holds_only_whole_files(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_bytes(b"old b")
    done = subprocess.run([sys.executable, "-c", STAGED, str(tmp_path)], cwd=ROOT,
                          timeout=TIMEOUT)  # fmt: skip
    assert done.returncode == -signal.SIGKILL
    assert visible(tmp_path) == ["a.csv", "b.csv"]
    assert (tmp_path / "a.csv").read_bytes() == b"a.csv" * 100_000  # whole and new
    assert (tmp_path / "b.csv").read_bytes() == b"old b"  # whole and old
    hidden = sorted(TMP_NAME.match(p.name)["name"] for p in tmp_path.glob(".*"))
    assert hidden == ["b.csv", "c.json"]  # staged, never renamed


# --- plan --out killed ----------------------------------------------------------------------------

PLAN = ["-r", "1", "--check-replications", "1", "--backend", "serial", "-q"]
IN_POOL = ["-r", "1", "--check-replications", "1", "--backend", "process", "--workers", "2", "-q"]


def workers(pid: int) -> list[int]:
    """Live child processes of ``pid`` (its process pool exists only while it simulates)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError, ValueError):
            continue
        if int(ppid) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def running(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                out.append(pid)
        except (OSError, IndexError):
            pass
    return out


def plan_files(folder: Path) -> dict[str, bytes]:
    files = {name: (folder / name).read_bytes() for name in visible(folder)}
    if "plan.json" in files:
        files["plan.json"] = strip_runtime(files["plan.json"].decode("utf-8")).encode("utf-8")
    return files


@pytest.mark.slow
def test_a_plan_killed_mid_run_leaves_no_partial_file(small: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    done = subprocess.run([JIEDAO, "plan", str(small), *PLAN, "--out", str(reference)],
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    whole = plan_files(reference)
    assert {"allocation.csv", "allocation.xlsx", "curves.csv", "plan.json"} <= set(whole)

    moments = [  # (phase, options, the signal, new files it leaves)
        ("simulating", IN_POOL, signal.SIGINT, False),
        ("simulating", IN_POOL, signal.SIGKILL, False),
        ("writing", PLAN, signal.SIGKILL, False),  # every file staged, none renamed
        ("renaming", PLAN, signal.SIGKILL, True),  # the first renamed, the others not
    ]
    for k, (moment, options, how, some) in enumerate(moments):
        out = tmp_path / f"killed{k}"
        command = [JIEDAO, "plan", str(small), *options, "--out", str(out)]
        # its own process group, so that Ctrl-C reaches it and its workers as from a terminal
        child = stopped_at(moment, command, tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True)  # fmt: skip
        pid = child.pid
        pool = workers(pid)
        assert bool(pool) == (options is IN_POOL), (moment, pool)
        if how == signal.SIGINT:
            os.killpg(pid, signal.SIGINT)
        else:
            child.kill()
        _, stderr = child.communicate(timeout=TIMEOUT)
        if how == signal.SIGINT:
            assert child.returncode == 130, stderr
            assert stderr.strip() == INTERRUPTED  # no traceback from the workers either
            assert visible(out) == []
        # a pool whose owner was killed outright ends too, instead of waiting for work forever
        wait_for(lambda pool=pool: not running(pool), "the workers to end")
        assert bool(visible(out)) == some, (moment, visible(out))
        for name, data in plan_files(out).items():
            assert data == whole[name], f"{name} is not whole (killed {moment})"
        # the same command finishes (replacing whole files needs --force, as always)
        again = command + (["--force"] if visible(out) else [])
        done = subprocess.run(again, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert plan_files(out) == whole


# --- same seed, same bytes, on every backend ------------------------------------------------------


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def backends(scheduler: str) -> dict[str, list[str]]:
    return {
        "serial": ["--backend", "serial"],
        "process": ["--backend", "process", "--workers", "2"],
        "dask": ["--backend", "dask", "--scheduler", scheduler],
    }


@pytest.mark.slow  # tests/sim/test_backends.py checks the same in the default run, faster
def test_simulate_json_is_the_same_on_every_backend(scheduler: str) -> None:
    outputs = {}
    for name, args in backends(scheduler).items():
        done = subprocess.run(
            [JIEDAO, "simulate", "liaoyuan", "-r", "3", "--days", "3", "--case-days", "6",
             "--case-warmup", "1", "--seed", "5", "--json", "-", *args],
            capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 0, (name, done.stderr)
        outputs[name] = strip_runtime(done.stdout)
    assert outputs["serial"].count('"runtime_s"') == 1
    assert outputs["process"] == outputs["serial"]
    assert outputs["dask"] == outputs["serial"]


@pytest.mark.slow
def test_plan_files_are_the_same_on_every_backend(
    small: Path, scheduler: str, tmp_path: Path
) -> None:
    outputs = {}
    for name, args in backends(scheduler).items():
        out = tmp_path / name
        done = subprocess.run(
            [JIEDAO, "plan", str(small), "-r", "2", "--check-replications", "2", "--seed", "3",
             "-q", "--out", str(out), *args],
            capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 0, (name, done.stderr)
        outputs[name] = plan_files(out)
    assert set(outputs["serial"]) >= {"allocation.csv", "allocation.xlsx", "curves.csv",
                                      "plan.json"}  # fmt: skip
    for name in ("process", "dask"):
        for file, data in outputs["serial"].items():
            assert outputs[name][file] == data, f"{file} differs on {name}"


def test_no_stray_temporary_files_in_outputs(small: Path, tmp_path: Path) -> None:
    """A finished run leaves exactly its named files: temporary names are gone."""
    out = tmp_path / "plan"
    done = subprocess.run([JIEDAO, "plan", str(small), *PLAN, "--out", str(out)],
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(out)) == visible(out)


# --- an interrupt at each named phase: one line, exit code 130, nothing partial (issue 14) --------


def _nothing_partial(out: Path) -> None:
    """No new file in ``out``, not even a hidden temporary one."""
    assert not out.exists() or sorted(os.listdir(out)) == [], os.listdir(out)


def _interrupt(phase: str, command: list[str], folder: Path) -> tuple[int, str, list[int]]:
    child = stopped_at(phase, command, folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       cwd=ROOT, start_new_session=True)  # fmt: skip
    pool = workers(child.pid)
    os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, stderr = child.communicate(timeout=TIMEOUT)
    wait_for(lambda: not running(pool), "the workers to end")
    return child.returncode, stderr, pool


@pytest.mark.parametrize(
    ("phase", "options"),
    [("starting", IN_POOL), ("simulating", PLAN), ("solving", PLAN), ("writing", PLAN)],
)
def test_a_plan_interrupted_at_each_phase_says_one_line(
    small: Path, tmp_path: Path, phase: str, options: list[str]
) -> None:
    out = tmp_path / "out"
    code, stderr, pool = _interrupt(
        phase, [JIEDAO, "plan", str(small), *options, "--out", str(out)], tmp_path
    )
    assert code == 130, stderr
    assert stderr.strip() == INTERRUPTED  # one line: no traceback from the workers either
    assert bool(pool) == (phase == "starting")
    _nothing_partial(out)


SMALL_VARY = ["--vary", "demand.window.return_share=0.2,0.3,0.4,0.5"]
SMALL_SWEEP = ["-r", "1", "--days", "3", "--case-days", "2", "--case-warmup", "0", "-q",
               "--lang", "en"]  # fmt: skip


@pytest.mark.parametrize(
    ("phase", "backend", "kept"),
    [
        ("starting", ["--backend", "process", "--workers", "2"], 0),
        ("simulating", ["--backend", "process", "--workers", "2"], 1),  # after the first point
        ("recorded#3", ["--backend", "serial"], 3),
        pytest.param("writing", ["--backend", "serial"], 4, marks=pytest.mark.slow),
    ],
)
def test_a_sweep_interrupted_at_each_phase_says_one_line(
    small: Path, tmp_path: Path, phase: str, backend: list[str], kept: int
) -> None:
    out = tmp_path / "sweep"
    command = [JIEDAO, "sweep", str(small), *SMALL_VARY, "--out", str(out), *SMALL_SWEEP,
               *backend]  # fmt: skip
    code, stderr, _ = _interrupt(phase, command, tmp_path)
    assert code == 130, stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    if kept == 4:
        assert stderr.strip() == (
            f"interrupted: all 4 points are recorded in {out}; run the same command again to "
            "write the results table and charts"
        )
    else:
        assert stderr.strip().startswith(f"interrupted: {kept} of 4 points are recorded in {out}")
    # nothing partial: whole point lines, the manifest, and no results or temporary file
    assert lines_in(out / "points.jsonl") == kept
    assert sorted(os.listdir(out)) == sorted(["sweep.json"] + (["points.jsonl"] if kept else []))
    if phase == "writing":  # the same command writes the results from the points recorded
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert "0 run now, 4 already recorded" in done.stdout
        assert {"results.csv", "results.xlsx", "sweep-1.svg"} <= set(os.listdir(out))


POOL_BESIDE_A_THREAD = textwrap.dedent(
    """
    import sys, threading
    from jiedao.export.files import checkpoint
    from jiedao.scenarios import load
    from jiedao.sim.backends import ProcessPool
    from jiedao.sim.run import Horizon, tasks
    # a second thread: the pool's workers then come from a fork server, not a fork
    threading.Thread(target=threading.Event().wait, daemon=True).start()
    scenario = load(sys.argv[1])
    work = tasks(scenario, 4, 1, Horizon.of(scenario, 2, 0, 2, 0))
    try:
        ProcessPool(2, on_start=lambda: checkpoint("starting"))(scenario, work)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\\n")
        sys.exit(130)
    """
)


@pytest.mark.slow
def test_workers_from_a_fork_server_stay_quiet_when_interrupted_as_they_start(
    small: Path, tmp_path: Path
) -> None:
    code, stderr, pool = _interrupt(
        "starting", [sys.executable, "-c", POOL_BESIDE_A_THREAD, str(small)], tmp_path
    )
    assert code == 130, stderr
    assert stderr == "interrupted\n"  # no traceback from the fork server or a worker
    assert pool  # the fork server (and the resource tracker) were running


def test_ctrl_c_while_the_files_are_renamed_finishes_the_set_first(
    small: Path, tmp_path: Path
) -> None:
    """The renames take microseconds: a Ctrl-C among them waits for the last, so the folder holds
    the whole new set (a kill, not a Ctrl-C, is what can leave a mixed set: see above)."""
    out = tmp_path / "out"
    code, stderr, _ = _interrupt(
        "renaming", [JIEDAO, "plan", str(small), *PLAN, "--out", str(out)], tmp_path
    )
    assert code == 130, stderr
    assert stderr.strip() == (
        f"interrupted: the 5 output files were all written to {out} before it stopped"
    )
    assert visible(out) == sorted(
        ["allocation.csv", "allocation.xlsx", "curves.csv", "plan.json", "windows.csv"]
    )
    assert sorted(os.listdir(out)) == visible(out)  # no temporary file either
