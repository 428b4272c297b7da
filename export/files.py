"""Atomic writes: a file appears whole under its name or not at all; output targets checked first.

Each write goes to a temporary file in the same folder, is flushed and fsynced, then renamed over
the destination (``os.replace`` is atomic on POSIX and Windows), so an interrupted run never leaves
a half-written output behind. :func:`check_folder` and :func:`check_file` try an ``--out`` or
``--json`` target before any work (a probe file or folder is made there and removed), so that a
target that cannot be written fails in one line at once, not after the run.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Named phases a test can stop a run at, to interrupt it exactly there (no timing involved):
# with JIEDAO_CHECKPOINT naming a FIFO and JIEDAO_CHECKPOINT_AT a phase ("writing", or
# "recorded#2" for its second occurrence), the run writes the phase's name into the FIFO when it
# gets there and then waits for a signal. Unset, a checkpoint costs one dictionary lookup.
CHECKPOINT = "JIEDAO_CHECKPOINT"
CHECKPOINT_AT = "JIEDAO_CHECKPOINT_AT"
PHASES = ("starting", "simulating", "solving", "writing", "renaming", "recorded")
# starting: a process pool's workers are being started; simulating: the first replications are
# in; solving: the plan's allocation is about to be solved; writing: every output file is staged
# under a temporary name, none renamed yet; renaming: the first is renamed; recorded: a sweep
# point is on disk
_reached: Counter[str] = Counter()


def checkpoint(phase: str) -> None:
    """The run has reached ``phase`` (one of :data:`PHASES`); see :data:`CHECKPOINT`."""
    fifo = os.environ.get(CHECKPOINT)
    if not fifo:
        return
    _reached[phase] += 1
    name, _, count = os.environ.get(CHECKPOINT_AT, "").partition("#")
    if name != phase or _reached[phase] != int(count or 1):
        return
    with open(fifo, "w", encoding="utf-8") as handle:  # blocks until the test reads it
        handle.write(f"{phase}\n")
    signal.pause()


def _special(path: Path) -> bool:
    """A device or a pipe (``/dev/null``, ``/dev/stdout``, a FIFO): written to, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    if _special(path):  # renaming a file over /dev/null would replace the device itself
        with open(path, "wb") as handle:
            handle.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class WrittenThenInterrupted(KeyboardInterrupt):
    """Ctrl-C arrived while staged files were being renamed into place: the renames (a few
    system calls) were finished first, so the new set is whole; ``paths`` were written."""

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__(f"interrupted after writing {len(paths)} files")
        self.paths = list(paths)


def atomic_write_many(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write several files as nearly together as a file system allows: every temporary file is
    written and fsynced first, then all are renamed into place one after another. An interruption
    before the renames leaves none of the new files. A Ctrl-C during them waits for the last
    rename and is then raised as :class:`WrittenThenInterrupted` (all new files are in place); only
    a kill (SIGKILL, power loss) can leave some new and some old files, each whole."""
    staged: list[tuple[str, Path]] = []
    interrupted = False
    try:
        for path, data in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        checkpoint("writing")
        while staged:
            tmp, path = staged[0]
            os.replace(tmp, path)
            staged.pop(0)
            if staged:
                try:
                    checkpoint("renaming")
                except KeyboardInterrupt:
                    interrupted = True  # finish the set first: the renames take microseconds
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    if interrupted:
        raise WrittenThenInterrupted([path for path, _ in files])


class OutputError(ValueError):
    """An output target that cannot be written (the message says why)."""


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def _inside_a_file(path: Path) -> OutputError | None:
    base = _nearest_existing(path)
    if not base.is_dir():
        return OutputError(f"{base} is a file, so nothing can be written inside it")
    return None


def _probe(folder: Path, make_folder: bool) -> None:
    """Make (and remove) a hidden file, or a folder, in ``folder``: the only sure test that
    the run's outputs can be written there (permissions, read-only or virtual file systems)."""
    try:
        if make_folder:
            os.rmdir(tempfile.mkdtemp(prefix=".jiedao-check-", dir=folder))
        else:
            fd, tmp = tempfile.mkstemp(prefix=".jiedao-check-", dir=folder)
            os.close(fd)
            os.unlink(tmp)
    except OSError as err:
        what = "create a folder" if make_folder else "write"
        raise OutputError(f"cannot {what} in {folder}: {err.strerror or err}") from None


def check_folder(path: Path) -> None:
    """Raise :class:`OutputError` unless ``path`` is a folder files can be written in, or can be
    made one (its missing parents too). Nothing is left behind."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise OutputError("exists and is not a folder")
        _probe(path, make_folder=False)
        return
    error = _inside_a_file(path)
    if error is not None:
        raise error
    _probe(_nearest_existing(path), make_folder=True)


def check_file(path: Path) -> None:
    """Raise :class:`OutputError` unless a file can be written at ``path`` (its missing
    folders made). Nothing is left behind."""
    path = Path(path)
    if path.is_dir():
        raise OutputError("is a folder, not a file")
    if _special(path):
        if not os.access(path, os.W_OK):
            raise OutputError("cannot be written")
        return
    parent = path.parent
    if parent.is_dir():
        _probe(parent, make_folder=False)
        return
    error = _inside_a_file(parent)
    if error is not None:
        raise error
    _probe(_nearest_existing(parent), make_folder=True)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def dumps_json(document: Any) -> str:
    """Stable JSON: keys in insertion order, no NaN (as null), UTF-8 kept readable."""
    return json.dumps(_no_nan(document), ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value
