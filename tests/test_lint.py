"""ruff and mypy stay clean: their versions are pinned in the ``test`` extra; the suite runs them.

mypy checks the package as ``jiedao``: the repository root *is* the package (setuptools maps
``jiedao`` to it), so a folder holding a ``jiedao`` link to the root stands in for site-packages.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from support.paths import ROOT

PACKAGES = (
    "jiedao.scenarios",
    "jiedao.sim",
    "jiedao.optimize",
    "jiedao.planning",
    "jiedao.export",
)


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    path = str(found) if found.exists() else shutil.which(name)
    assert path, f"{name} is not installed: pip install '.[test]' pins it"
    return path


def test_ruff_finds_nothing() -> None:
    done = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", str(ROOT)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing() -> None:
    # a stable folder beside the environment, so mypy's incremental cache serves the next run
    # (it re-checks every module whose source changed; a fresh environment runs it cold)
    home = Path(sys.prefix) / "jiedao-mypy"
    home.mkdir(exist_ok=True)
    link = home / "jiedao"
    if not (link.is_symlink() and link.resolve() == ROOT.resolve()):
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(ROOT, target_is_directory=True)
    tmp_path = home
    modules = ["-m", "jiedao", "-m", "jiedao.cli"]
    for package in PACKAGES:
        modules += ["-p", package]
    done = subprocess.run(
        [
            _tool("mypy"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *modules,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"MYPYPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
