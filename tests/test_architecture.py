"""The house rules, checked by reading the code: layers, one namespace, where I/O happens.

- Layers: ``cli -> export -> planning -> {sim, optimize} -> scenarios``; ``sim`` and ``optimize``
  never import each other. Every module's imports are parsed (``ast``), including the ones inside
  functions, so a late import cannot climb a layer unseen.
- One namespace: every import of the project's own modules says ``jiedao.``; the repository root
  holds no module but ``__init__.py`` and ``cli.py`` (every root ``*.py`` is part of the package);
  the installed distribution puts nothing but ``jiedao`` into site-packages, and the installed
  command runs from a folder that is not the repository.
- Files and the terminal are touched only by ``cli.py``, ``export/`` and the scenario loader.
- The repository stands alone: nothing links to ``../shared``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from support.paths import ROOT

PACKAGES = ("scenarios", "sim", "optimize", "planning", "export")
# what each layer may import (besides itself)
ALLOWED = {
    "scenarios": set(),
    "sim": {"scenarios"},
    "optimize": {"scenarios"},
    "planning": {"sim", "optimize", "scenarios"},
    "export": {"planning", "sim", "optimize", "scenarios"},
    "cli": {"export", "planning", "sim", "optimize", "scenarios"},
    "": set(),  # the package's own __init__
}
# modules allowed to read or write files, or to print
IO_MODULES = {"cli.py", "scenarios/loader.py"}
IO_PACKAGES = {"export"}
# file descriptor 1 is pointed at a temporary file while a solver runs, so that HiGHS's and CBC's
# banners (printed from C) never reach the terminal: the opposite of output
IO_EXCEPTIONS = {"optimize/solve.py"}
IO_CALLS = {"print", "open", "input"}
IO_METHODS = {"write_text", "write_bytes", "read_text", "read_bytes", "open", "mkdir", "unlink"}


def package_modules() -> list[Path]:
    files = [ROOT / "__init__.py", ROOT / "cli.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def layer_of(path: Path) -> str:
    relative = path.relative_to(ROOT)
    if relative.parts[0] in PACKAGES:
        return relative.parts[0]
    return "cli" if relative.name == "cli.py" else ""


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                out.append((node.lineno, "." * node.level + (node.module or "")))
            elif node.module:
                out.append((node.lineno, node.module))
    return out


def test_the_root_holds_only_the_package_init_and_the_cli() -> None:
    assert sorted(p.name for p in ROOT.glob("*.py")) == ["__init__.py", "cli.py"]
    assert not (ROOT / "conftest.py").exists()


def test_every_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for path in package_modules():
        layer = layer_of(path)
        for line, name in imported(ast.parse(path.read_text(encoding="utf-8"))):
            parts = name.split(".")
            if parts[0] != "jiedao" or len(parts) < 2:
                continue
            target = parts[1]
            if target == layer or target not in ALLOWED:
                continue
            if target not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {name}")
    assert not wrong, "\n".join(wrong)


def test_own_modules_are_imported_with_the_jiedao_prefix() -> None:
    own = {*PACKAGES, "cli"}
    files = package_modules()
    files += sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "benchmarks").rglob("*.py"))
    wrong = []
    for path in files:
        for line, name in imported(ast.parse(path.read_text(encoding="utf-8"))):
            first = name.split(".")[0]
            if name.startswith(".") or first in own or first == "tests":
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not wrong, "\n".join(wrong)


def test_benchmarks_do_not_import_the_tests() -> None:
    for path in sorted((ROOT / "benchmarks").rglob("*.py")):
        for _, name in imported(ast.parse(path.read_text(encoding="utf-8"))):
            assert name.split(".")[0] not in ("tests", "support"), (path, name)


def test_only_the_cli_export_and_loader_touch_files_or_the_terminal() -> None:
    wrong = []
    for path in package_modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative in IO_MODULES | IO_EXCEPTIONS or relative.split("/")[0] in IO_PACKAGES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in IO_CALLS:
                    wrong.append(f"{relative}:{node.lineno}: {func.id}()")
                elif isinstance(func, ast.Attribute) and func.attr in IO_METHODS:
                    wrong.append(f"{relative}:{node.lineno}: .{func.attr}()")
            elif isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr"):
                wrong.append(f"{relative}:{node.lineno}: .{node.attr}")
            elif isinstance(node, ast.alias) and node.name.split(".")[0] in ("typer", "rich"):
                wrong.append(f"{relative}: imports {node.name}")
    assert not wrong, "\n".join(wrong)


def test_nothing_links_to_the_shared_folder() -> None:
    texts = [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *package_modules()]
    texts += [*ROOT.glob("scenarios/*.toml"), ROOT / "pyproject.toml"]
    linked = [str(p.relative_to(ROOT)) for p in texts if "../shared" in p.read_text("utf-8")]
    assert not linked, linked


def test_only_jiedao_lands_in_site_packages() -> None:
    files = metadata.files("jiedao")
    assert files, "jiedao is not installed"
    # an editable install adds its finder (and the finder's bytecode) instead of jiedao/
    editable = {
        f.parts[0]
        for f in files
        if "__editable__" in f.name and "jiedao" in f.name and f.parts[0] != ".."
    }
    tops = {f.parts[0] for f in files if f.parts[0] != ".."} - editable
    assert tops <= {"jiedao", f"jiedao-{metadata.version('jiedao')}.dist-info"}, tops
    scripts = {f.name for f in files if f.parts[0] == ".."}
    assert scripts <= {"jiedao"}, scripts


def _installed_command() -> str:
    command = Path(sys.executable).with_name("jiedao")
    if not command.exists():
        pytest.skip("the jiedao command is not installed beside this interpreter")
    return str(command)


def test_the_installed_command_runs_outside_the_repository(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [_installed_command(), "scenario", "validate", "liaoyuan"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok liaoyuan.toml: 3 districts, 17 streets")
    probe = (
        "import importlib.util, jiedao, jiedao.sim.run; "
        "print(importlib.util.find_spec('sim') is None, jiedao.__name__, jiedao.sim.run.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "jiedao", "jiedao.sim.run"]
