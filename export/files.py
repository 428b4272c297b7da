"""Atomic writes: a file appears whole under its name or not at all.

Each write goes to a temporary file in the same folder, is flushed and fsynced, then renamed over
the destination (``os.replace`` is atomic on POSIX and Windows), so an interrupted run never leaves
a half-written output behind.
"""

from __future__ import annotations

import json
import os
import signal
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
PHASES = ("simulating", "writing", "renaming", "recorded")
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


def atomic_write_bytes(path: Path, data: bytes) -> None:
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


def atomic_write_many(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write several files as nearly together as a file system allows: every temporary file is
    written and fsynced first, then all are renamed into place one after another. An interruption
    before the renames leaves none of the new files; one during them, whole files only."""
    staged: list[tuple[str, Path]] = []
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
                checkpoint("renaming")
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


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
