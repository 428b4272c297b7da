"""Errors first, one line (issue 14): output targets checked before any work, usage errors from
the parser in one line, help on every option, and the README showing every command.

"No work ran" is asserted, not timed: every entry point that simulates, plans or generates is
replaced by a spy that records its call, and the spies must stay silent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from support.paths import ROOT
from typer.testing import CliRunner

from jiedao.cli import app

runner = CliRunner()


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace every library entry point that does work; returns the names of those called."""
    from jiedao.export import sweep as export_sweep
    from jiedao.planning import compare, plan, sweep, whatif
    from jiedao.scenarios import generate
    from jiedao.sim import backends, run

    called: list[str] = []

    def spy(name: str):
        def record(*args, **kwargs):
            called.append(name)
            raise AssertionError(f"{name} ran before the output target was checked")

        return record

    for owner, name in [
        (run, "run"),
        (run, "simulate_street"),
        (backends.Serial, "__call__"),
        (backends.ProcessPool, "__call__"),
        (backends.Dask, "__call__"),
        (plan, "make_plan"),
        (compare, "compare_scenarios"),
        (whatif, "sensitivity"),
        (sweep, "run_sweep"),
        (export_sweep, "sweep_into"),
        (generate, "generate"),
    ]:
        monkeypatch.setattr(owner, name, spy(f"{getattr(owner, '__name__', owner)}.{name}"))
    return called


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "some.toml"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


FAST = ["-q", "--backend", "serial"]
COMMANDS = {
    "plan": ["plan", *FAST],
    "simulate": ["simulate", *FAST],
    "compare": ["compare", "liaoyuan-before", "liaoyuan", *FAST],
    "sensitivity": ["sensitivity", *FAST],
    "sweep": ["sweep", "--vary", "districts.*.streets.*.windows=2,3", *FAST],
    "allocate": ["allocate", "--curves", "curves.csv", "-q"],
}


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("option", ["--out", "--json"])
def test_an_unwritable_target_fails_in_one_line_before_any_work(
    spies: list[str], a_file: Path, tmp_path: Path, command: str, option: str
) -> None:
    forms = [
        str(a_file / ("plan" if option == "--out" else "x.json")),  # inside a file
        "/proc/nope" if option == "--out" else "/proc/nope/x.json",  # nothing can be made there
    ]
    if option == "--out":
        forms.append(str(a_file))  # a file where a folder is wanted
    else:
        forms.append(str(tmp_path))  # a folder where a file is wanted
    if Path("/proc/1").is_dir():
        forms.append("/proc/1" if option == "--out" else "/proc/1/x.json")  # exists, not writable
    for target in forms:
        if target.startswith("/proc") and not Path("/proc").is_dir():
            continue
        args = [*COMMANDS[command], option, target]
        if command == "sweep" and option == "--json":
            args += ["--out", str(tmp_path / "sweep")]
        line = _one_error_line(runner.invoke(app, args))
        assert f"{option} {target}:" in line, line
    assert spies == []


def test_dask_without_a_scheduler_fails_in_one_line_before_any_work(
    spies: list[str], tmp_path: Path
) -> None:
    sweep = ["sweep", "-q", "--vary", "seed=1,2", "--out", str(tmp_path / "s")]
    for args in (["simulate", "-q"], ["plan", "-q"], sweep):
        line = _one_error_line(runner.invoke(app, [*args, "--backend", "dask"]))
        assert "--backend dask needs --scheduler" in line, line
    assert spies == []


def test_scenario_generate_and_show_check_their_targets_first(
    spies: list[str], a_file: Path
) -> None:
    for args in (
        ["scenario", "generate", "-n", "5", "--out", "/proc/x.toml"],
        ["scenario", "generate", "-n", "5", "--out", str(a_file / "x.toml")],
        ["scenario", "show", "liaoyuan", "--json", str(a_file / "x.json")],
    ):
        line = _one_error_line(runner.invoke(app, args))
        assert "--out" in line or "--json" in line
    assert spies == []


def test_usage_errors_are_one_line() -> None:
    cases = {
        ("simulate", "-r", "0"): "--replications / -r: must be >= 1",
        ("plan", "--fairness", "90"): "--fairness: must be <= 1",
        ("simulate", "--bogus"): "no such option: --bogus",
        ("plan", "--mode", "bogus"): "'bogus' is not one of 'shortfall', 'cost'",
        ("simulate", "--backend", "gpu"): "'gpu' is not one of 'serial', 'process', 'dask'",
        ("compare", "--level", "planet"): "--level",
        ("allocate",): "missing option '--curves'",
        ("simulate", "--days", "x"): "--days: must be a whole number",
        ("scenario", "bogus"): "no such command 'bogus'",
        ("simulate", "a.toml", "b.toml"): "unexpected extra argument",
    }
    for args, expected in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        line = result.stderr.strip()
        assert line.startswith("error: jiedao"), line
        assert expected in line, (args, line)
        assert "--help" in line  # where to look
        assert not re.search(r"[╭╰│─]", line)


def _commands(group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (typer's own copy of click's)
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _click_group():
    return typer.main.get_command(app)


def test_every_option_and_argument_has_help_text() -> None:
    missing = []
    commands = list(_commands(_click_group()))
    assert len(commands) == 9
    for path, command in commands:
        assert (command.help or "").strip(), path
        for param in command.params:
            text = getattr(param, "help", None)
            if param.name == "help":
                continue
            if not (text or "").strip():
                missing.append(f"jiedao {' '.join(path)} {param.name}")
    assert not missing, missing


def test_the_readme_shows_every_command() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    use = readme.split("## Use", 1)[1]
    for path, _ in _commands(_click_group()):
        assert f"jiedao {' '.join(path)} " in use, path


def test_the_simulate_help_says_what_it_runs() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    text = " ".join(result.stdout.split())
    assert "a year's demand" not in text
    assert "simulation.days" in text and "simulation.case_days" in text


def test_progress_off_a_terminal_is_a_plain_line_naming_its_unit(monkeypatch, tmp_path) -> None:
    import jiedao.cli as cli

    monkeypatch.setattr(cli, "PLAIN_EVERY_S", 0.0)  # every step prints: no clock involved
    result = runner.invoke(
        app,
        ["simulate", "-r", "2", "--days", "2", "--case-days", "3", "--case-warmup", "0",
         "--backend", "serial", "--json", str(tmp_path / "s.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("simulating: ")]
    assert lines, result.stderr
    assert lines[-1].startswith("simulating: 34 of 34 streets x replications done (100%), ")
    assert re.fullmatch(r"simulating: [\d,]+ of 34 streets x replications done \(\d+%\), [\d,]+ s",
                        lines[0])  # fmt: skip


def test_json_into_a_pipe_writes_into_it_and_never_replaces_it(tmp_path) -> None:
    """``--json /dev/stdout`` or a FIFO is written to, not renamed over (a device would be lost)."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = runner.invoke(app, ["scenario", "show", "liaoyuan", "--json", str(fifo)])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith(b'{\n "schema": "jiedao.scenario.show/1"')


def test_the_mode_choices_are_the_optimisers_modes() -> None:
    from jiedao.cli import ModeChoice
    from jiedao.optimize.model import Mode

    assert [m.value for m in ModeChoice] == [m.value for m in Mode]


def test_a_progress_line_counts_within_its_stage_and_names_its_unit() -> None:
    from jiedao.cli import CHECK_UNIT, CURVE_UNIT, _Stages

    stages = _Stages([(100, CURVE_UNIT), (20, CHECK_UNIT)])
    stages.done = 50
    assert stages.line("planning", 3.2) == (
        "planning: 50 of 100 curve runs (streets x levels x replications) done (42%), 3 s"
    )
    stages.done = 110
    assert stages.line("planning", 61) == (
        "planning: 10 of 20 check runs (streets x replications) done (92%), 61 s"
    )
