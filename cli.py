"""The ``jiedao`` command line: parse the options, call one library function, render its result.

This module and :mod:`jiedao.export` are the only ones that touch files or the terminal. Each
command checks its options (choices are Enums the parser checks, output targets are checked
before any work), calls one function of :mod:`jiedao.planning` or :mod:`jiedao.sim`, and hands the
result to :mod:`jiedao.export` to print or write. User errors end in exit code 2 with one line on
stderr; anything else is a bug and prints its traceback (exit code 1).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

INTERRUPTED = (
    "interrupted: no output was written (files are written whole, at the end, or not at all)"
)

# Only light modules are imported here, so that the command starts at once and a Ctrl-C while it
# starts also ends in one line and exit code 130 (the engines are imported by each command).
try:
    import typer
    from typer.core import TyperGroup

    try:  # typer >= 0.20 carries its own copy of click
        from typer._click import exceptions as click_errors
    except ImportError:  # pragma: no cover - older typer on click
        from click import exceptions as click_errors  # type: ignore[no-redef]

    from jiedao.export.files import (
        OutputError,
        WrittenThenInterrupted,
        atomic_write_text,
        check_file,
        check_folder,
        checkpoint,
        dumps_json,
    )
except KeyboardInterrupt:  # pragma: no cover - a Ctrl-C in the first tenth of a second
    sys.stderr.write(INTERRUPTED + "\n")
    raise SystemExit(130) from None

if TYPE_CHECKING:
    from jiedao.scenarios.model import Scenario
    from jiedao.sim.run import Horizon


# --- errors and interrupts: one line each ---------------------------------------------------------


def _interrupted(message: str) -> None:
    """The interrupt's one line (after a newline that ends a progress bar's line on a terminal)."""
    lead = "\n" if sys.stderr.isatty() else ""
    typer.echo(f"{lead}{message}", err=True)


def _written_then_interrupted(err: WrittenThenInterrupted) -> str:
    folders = sorted({str(p.parent) for p in err.paths})
    return (
        f"interrupted: the {len(err.paths)} output files were all written to "
        f"{', '.join(folders)} before it stopped"
    )


_PLAIN = (  # typer's parser messages, as the rest of jiedao words them
    ("Value error, ", ""),
    ("Input should be less than or equal to ", "must be <= "),
    ("Input should be greater than or equal to ", "must be >= "),
    ("Input should be less than ", "must be < "),
    ("Input should be greater than ", "must be > "),
    (
        "Input should be a valid integer, unable to parse string as an integer",
        "must be a whole number",
    ),
    ("Input should be a valid number, unable to parse string as a number", "must be a number"),
)


def usage_line(err: Exception) -> str:
    """A parser's usage error as one line: ``error: jiedao plan: --fairness: must be <= 1 ...``."""
    ctx = getattr(err, "ctx", None)
    words = ctx.command_path.split()[1:] if ctx is not None else []
    path = " ".join(["jiedao", *words])  # the command's name, however it was started
    format_message = getattr(err, "format_message", None)
    text = " ".join((format_message() if format_message else str(err)).split())
    for old, new in _PLAIN:
        text = text.replace(old, new)
    if text.startswith("Invalid value for "):
        name, _, rest = text.removeprefix("Invalid value for ").partition(": ")
        text = f"{name.replace(chr(39), '')}: {rest}"
    text = text.rstrip(".")
    text = text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
    return f"error: {path}: {text} (see '{path} --help')"


REPORT_BESIDE = ""  # ``--report`` alone: report.html beside --out


def report_flag(args: list[str]) -> list[str]:
    """``--report`` takes a value only when it ends in ``.html`` (``--report r.html``) or is
    joined (``--report=PATH``); alone it means report.html in --out."""
    out = []
    for i, arg in enumerate(args):
        if arg == "--":
            out += args[i:]
            break
        following = args[i + 1] if i + 1 < len(args) else None
        if arg == "--report" and (following is None or not following.lower().endswith(".html")):
            out.append(f"--report={REPORT_BESIDE}")
        else:
            out.append(arg)
    return out


class Group(TyperGroup):
    """The command groups: a usage error is one line (``error: ...``, exit code 2), not a boxed
    panel; a Ctrl-C at any moment is one line and exit code 130, never a traceback."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            _interrupted(INTERRUPTED)
            raise typer.Exit(code=130) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except WrittenThenInterrupted as err:
            _interrupted(_written_then_interrupted(err))
            raise typer.Exit(code=130) from None
        except KeyboardInterrupt:
            _interrupted(INTERRUPTED)
            raise typer.Exit(code=130) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        args = report_flag(list(sys.argv[1:] if args is None else args))
        try:
            code = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except click_errors.NoArgsIsHelpError:
            code = 2  # the help is already on stdout: typer's formatter prints it as it is made
        except click_errors.UsageError as err:
            typer.echo(usage_line(err), err=True)
            code = 2
        except click_errors.ClickException as err:
            typer.echo(f"error: {' '.join(err.format_message().split())}", err=True)
            code = err.exit_code
        except (typer.Abort, KeyboardInterrupt):
            _interrupted(INTERRUPTED)
            code = 130
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=Group,
    help="jiedao (街道): plan staffing and funds for street-management reform.\n\n"
    "Simulates residents through service windows, grids and enforcement teams, and allocates "
    "social-worker posts (社工岗) and service funds across communities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
scenario_app = typer.Typer(
    cls=Group, help="Check, inspect and generate scenario files.", no_args_is_help=True
)
app.add_typer(scenario_app, name="scenario")


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class Backend(StrEnum):
    serial = "serial"
    process = "process"
    dask = "dask"


class Level(StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"


class ModeChoice(StrEnum):
    """``jiedao.optimize.model.Mode``'s values (the optimiser is imported only when it runs)."""

    shortfall = "shortfall"
    cost = "cost"


class FitChoice(StrEnum):
    """``jiedao.optimize.model.Shape``'s values."""

    measured = "measured"
    concave = "concave"


# --- options, declared once -----------------------------------------------------------------------

ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="A scenario file, or a built-in scenario name (liaoyuan, liaoyuan-before).",
        show_default=True,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a field: PATH=VALUE, PATH+=N, PATH-=N or PATH*=X, e.g. "
        "districts.*.streets.*.windows+=1 (repeatable).",
    ),
]
SeedOption = Annotated[
    int | None,
    typer.Option(min=0, help="Root seed: same seed, same numbers (default: the scenario's)."),
]
DaysOption = Annotated[
    int | None,
    typer.Option(
        min=1, max=3660, help="Days of window demand simulated (default: the scenario's)."
    ),
]
WarmupOption = Annotated[
    int | None, typer.Option(min=0, help="Window warm-up days, simulated and discarded.")
]
CaseDaysOption = Annotated[
    int | None,
    typer.Option(
        min=1, max=3660, help="Days of grid events and enforcement cases simulated (case days)."
    ),
]
CaseWarmupOption = Annotated[
    int | None, typer.Option(min=0, help="Grid and enforcement warm-up days, discarded.")
]
LangOption = Annotated[
    Lang,
    typer.Option(
        "--lang",
        help="Language of what a person reads: terminal tables, chart labels and the XLSX header "
        "row (zh or en). CSV headers and JSON stay English.",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]
BackendOption = Annotated[
    Backend,
    typer.Option("--backend", help="Where replications run: serial, process (all cores) or dask."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Processes for --backend process (default: all cores)."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786."),
]
JsonOption = Annotated[
    str | None,
    typer.Option("--json", help="Write machine-readable JSON to PATH, or to stdout with '-'."),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace existing files in --out.")]
ModeOption = Annotated[
    ModeChoice,
    typer.Option(
        "--mode",
        help="shortfall: least weighted shortfall within the pools; "
        "cost: meet every target at least cost.",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Folder for allocation.csv, allocation.xlsx, "
        "curves.csv, windows.csv and plan.json (created if missing).",
    ),
]
ReportOption = Annotated[
    str | None,
    typer.Option(
        "--report",
        help="Also write one self-contained HTML report (in --lang) a planner can mail or print: "
        "alone, report.html in --out (or here); --report PATH.html writes there.",
    ),
]
SolverOption = Annotated[str, typer.Option(help="PuLP solver: HiGHS (default) or CBC.")]
FitOption = Annotated[
    FitChoice,
    typer.Option(
        "--fit",
        help="measured: allocate on the measured points made monotone without lifting any "
        "(exact); concave: on the concave fit (it says how far it lifts points).",
    ),
]
KeepTodayOption = Annotated[
    bool,
    typer.Option(
        "--keep-today/--no-keep-today",
        help="No community gets fewer posts than it has today (default: cuts allowed, named).",
    ),
]
ReserveOption = Annotated[
    int,
    typer.Option(
        "--reserve", min=0, max=1_000_000, help="Posts kept back from the pool (default 0)."
    ),
]
RepairOption = Annotated[
    int,
    typer.Option(
        "--repair-rounds",
        min=0,
        max=8,
        help="Rounds of repair after the check: communities below target measured again "
        "around their allocation and the plan re-solved (0: none).",
    ),
]
FundFloorOption = Annotated[
    float,
    typer.Option(
        "--fund-floor-share",
        min=0.0,
        max=1.0,
        help="Each community's fund floor as a share of its standard funds (default 1); below 1 "
        "the rest of the fund pool can move between communities.",
    ),
]
FairnessOption = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        help="No community below this share of its target (0-1, e.g. 0.8); default: no floor.",
    ),
]


@dataclass(frozen=True)
class Run:
    """The options every long command shares."""

    quiet: bool = False
    backend: Backend = Backend.process
    workers: int | None = None
    scheduler: str | None = None
    json_out: str | None = None

    @property
    def silent(self) -> bool:
        """No progress: asked for, or stdout carries the JSON."""
        return self.quiet or self.json_out == "-"

    def executor(self) -> Any:
        from jiedao.sim.backends import make_backend

        if self.backend is Backend.dask and not self.scheduler:
            raise fail("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        try:
            return make_backend(
                self.backend.value, self.workers, self.scheduler, on_start=_starting
            )
        except ValueError as err:
            raise fail(str(err)) from None


def _starting() -> None:
    checkpoint("starting")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jiedao {metadata.version('jiedao')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """jiedao (街道): plan staffing and funds for street-management reform."""


# --- errors, output, progress ---------------------------------------------------------------------

FLAG = {"override": "--set ", "vary": "--vary ", "variant": "--variant ", "out": "--out "}


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn bad input into one line on stderr and exit code 2."""
    from jiedao.optimize.model import InfeasibleError
    from jiedao.scenarios import ScenarioError

    try:
        yield
    except ScenarioError as err:
        raise fail(FLAG.get(err.kind, "") + str(err)) from None
    except InfeasibleError as err:
        raise fail(str(err)) from None


def horizon_of(
    scenario: Scenario,
    days: int | None,
    warmup: int | None,
    case_days: int | None,
    case_warmup: int | None,
) -> Horizon:
    from jiedao.sim.run import Horizon

    try:
        return Horizon.of(scenario, days, warmup, case_days, case_warmup)
    except ValueError as err:
        raise fail(str(err)) from None


def emit_json(document: dict[str, Any], target: str) -> None:
    text = dumps_json(document)
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(Path(target), text)
        typer.echo(f"wrote {target}", err=True)


def check_json(target: str | None) -> None:
    """A ``--json PATH`` must be writable (checked before any work); ``-`` is stdout."""
    if target is None or target == "-":
        return
    try:
        check_file(Path(target))
    except OutputError as err:
        raise fail(f"--json {target}: {err}") from None


def check_out(out: Path | None, force: bool, names: tuple[str, ...] = ()) -> None:
    """An ``--out`` folder must be writable (or creatable), and existing outputs are replaced
    only with --force; checked before any work."""
    if out is None:
        return
    try:
        check_folder(out)
    except OutputError as err:
        raise fail(f"--out {out}: {err}") from None
    clash = [n for n in names if (out / n).exists()] if out.exists() else []
    if clash and not force:
        raise fail(f"--out {out}: {', '.join(clash)} already there; use --force to replace")


def check_report(report: str | None, out: Path | None, force: bool) -> Path | None:
    """Where ``--report`` writes, checked before any work like ``--out``."""
    from jiedao.export.report import report_path

    path = report_path(report, out)
    if path is None:
        return None
    if path.suffix.lower() not in (".html", ".htm"):
        raise fail(f"--report {path}: must end in .html")
    try:
        check_file(path)
    except OutputError as err:
        raise fail(f"--report {path}: {err}") from None
    if path.exists() and not force:
        raise fail(f"--report {path}: already there; use --force to replace")
    return path


def today() -> str:
    """The day a report is made (UTC, ISO), printed in it."""
    import datetime

    return datetime.datetime.now(datetime.UTC).date().isoformat()


# progress on stderr that is not a terminal (a log file, CI): one plain line this often at most
PLAIN_EVERY_S = 5.0


@contextlib.contextmanager
def progress_bar(
    total: int | Sequence[tuple[int, str]],
    label: str,
    quiet: bool,
    interrupted: str | Callable[[], str] = INTERRUPTED,
) -> Iterator[Any]:
    """Progress on stderr (never stdout, which may carry JSON); silent with --quiet.

    ``total`` is a count of steps, or stages ``[(count, unit), ...]`` whose unit the bar names
    (``"curve runs (streets x levels x replications)"``). On a terminal it is a bar; elsewhere a
    plain line at most every :data:`PLAIN_EVERY_S` seconds. Ctrl-C during the work ends with
    ``interrupted`` on stderr and exit code 130. The first step done is the ``simulating``
    checkpoint (:func:`jiedao.export.files.checkpoint`).
    """
    stages = [(total, "steps")] if isinstance(total, int) else [(n, u) for n, u in total if n]
    try:
        with _bar(stages, label, quiet) as bar:
            started = False

            def advance(n: int) -> None:
                nonlocal started
                if not started:
                    started = True
                    checkpoint("simulating")
                if bar is not None:
                    bar(n)

            yield advance
    except WrittenThenInterrupted as err:
        _interrupted(_written_then_interrupted(err))
        raise typer.Exit(code=130) from None
    except KeyboardInterrupt:
        _interrupted(interrupted() if callable(interrupted) else interrupted)
        raise typer.Exit(code=130) from None


class _Stages:
    """Steps done so far, and where they stand in the current stage: ``"120 of 340 check runs
    (streets x replications)"``; the percentage is of all stages."""

    def __init__(self, stages: Sequence[tuple[int, str]]) -> None:
        self.stages = list(stages)
        self.total = sum(n for n, _ in stages)
        self.done = 0

    def text(self) -> str:
        before = 0
        for count, unit in self.stages:
            if self.done < before + count or (count, unit) == self.stages[-1]:
                return f"{min(self.done - before, count):,} of {count:,} {unit}"
            before += count
        return ""

    def line(self, label: str, elapsed: float) -> str:
        share = self.done / self.total if self.total else 1.0
        return f"{label}: {self.text()} done ({share:.0%}), {elapsed:,.0f} s"


@contextlib.contextmanager
def _bar(stages: Sequence[tuple[int, str]], label: str, quiet: bool) -> Iterator[Any]:
    counter = _Stages(stages)
    if quiet or counter.total <= 1:
        yield None
        return
    if not sys.stderr.isatty():
        began = last = time.monotonic()

        def plain(n: int) -> None:
            nonlocal last
            counter.done += n
            now = time.monotonic()
            if now - last >= PLAIN_EVERY_S:
                last = now
                typer.echo(counter.line(label, now - began), err=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    # redrawn at each step, not by a refresh thread: the process stays single-threaded, so its
    # process pool forks its workers (no fork server) and holds Ctrl-C while they start
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TextColumn("{task.fields[text]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task(label, total=counter.total, text=counter.text())
        bar.refresh()

        def advance(n: int) -> None:
            counter.done += n
            bar.update(task, advance=n, text=counter.text(), refresh=True)

        yield advance


def load_scenario(ref: str, sets: list[str] | None) -> Scenario:
    """Load (a bad file ends here in one line, exit code 2), say what relative overrides made of
    each field, and warn about implausible figures."""
    from jiedao.export.text import render_changes
    from jiedao.scenarios import load

    with user_errors():
        scenario = load(ref, sets or [])
    for line in render_changes(scenario):  # what relative overrides made of each field
        typer.echo(line, err=True)
    warn_implausible(scenario)
    return scenario


def warn_implausible(scenario: Scenario) -> None:
    from jiedao.scenarios.plausibility import plausibility_warnings

    for warning in plausibility_warnings(scenario):
        typer.echo(f"warning: {warning}", err=True)


SIMULATE_UNIT = "streets x replications"
CURVE_UNIT = "curve runs (streets x levels x replications)"
CHECK_UNIT = "check runs (streets x replications)"


# --- scenario -------------------------------------------------------------------------------------


@scenario_app.command("validate")
def scenario_validate(
    files: Annotated[
        list[str] | None,
        typer.Argument(help="Scenario files or built-in names (default: liaoyuan)."),
    ] = None,
    set_: SetOption = None,
) -> None:
    """Check scenario files; print one line per file (and a warning per implausible figure).

    Example: jiedao scenario validate liaoyuan my-city.toml
    """
    from jiedao.export.format import plural
    from jiedao.scenarios import ScenarioError, load

    bad = 0
    for ref in files or ["liaoyuan"]:
        try:
            scenario = load(ref, set_ or [])
        except ScenarioError as err:
            typer.echo(f"error: {FLAG.get(err.kind, '')}{err}", err=True)
            bad += 1
            continue
        typer.echo(
            f"ok {scenario.source}: {plural(len(scenario.districts), 'district', 'districts')}, "
            f"{plural(sum(1 for _ in scenario.streets()), 'street', 'streets')}, "
            f"{plural(sum(1 for _ in scenario.communities()), 'community', 'communities')}, "
            f"{scenario.households:,} households"
        )
        warn_implausible(scenario)
    if bad:
        raise typer.Exit(code=2)


@scenario_app.command("show")
def scenario_show(
    file: ScenarioArg = "liaoyuan",
    set_: SetOption = None,
    json_out: JsonOption = None,
    lang: LangOption = Lang.zh,
) -> None:
    """Summarise a scenario: streets, communities, households, staff, targets, budget.

    Example: jiedao scenario show liaoyuan --set budget.post_cost_yuan=60000
    """
    from jiedao.export.documents import scenario_document
    from jiedao.export.text import render_summary
    from jiedao.scenarios.summary import summarise

    check_json(json_out)
    summary = summarise(load_scenario(file, set_))
    if json_out is not None:
        emit_json(scenario_document(summary), json_out)
        if json_out == "-":
            return
    typer.echo(render_summary(summary, lang.value))


@scenario_app.command("generate")
def scenario_generate(
    communities: Annotated[
        int, typer.Option("--communities", "-n", min=1, max=200_000, help="How many communities.")
    ] = 300,
    seed: Annotated[int, typer.Option(min=0, help="Seed: same seed, same city.")] = 1,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the TOML here (default: stdout).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
) -> None:
    """Write a synthetic city of N communities: for scale tests, or to start a real city from.

    Example: jiedao scenario generate --communities 5000 --seed 7 --out province.toml
    """
    if out is not None:
        try:
            check_file(out)
        except OutputError as err:
            raise fail(f"--out {out}: {err}") from None
        if out.exists() and not force:
            raise fail(f"--out {out}: already exists; use --force to replace")
    from jiedao.scenarios.generate import generate

    text = generate(communities, seed)
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(out, text)
        typer.echo(f"wrote {out}: {communities:,} communities", err=True)


# --- simulate -------------------------------------------------------------------------------------


@app.command()
def simulate(
    file: ScenarioArg = "liaoyuan",
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            "-r",
            min=1,
            max=10_000,
            help="Independent replications (default: the scenario's).",
        ),
    ] = None,
    seed: SeedOption = None,
    days: DaysOption = None,
    warmup: WarmupOption = None,
    case_days: CaseDaysOption = None,
    case_warmup: CaseWarmupOption = None,
    set_: SetOption = None,
    json_out: JsonOption = None,
    worst: Annotated[int, typer.Option(min=0, help="How many worst sites to list.")] = 10,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for simulate.json and the waiting-time chart (PNG, SVG)."
        ),
    ] = None,
    force: ForceOption = False,
    lang: LangOption = Lang.zh,
    report_file: ReportOption = None,
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Simulate the scenario's days of window visits and its case days of grid events and
    enforcement cases (simulation.days and simulation.case_days: 28 and 112 for Liaoyuan).

    Prints the city summary, then the sites furthest from their targets. Figures are for the
    simulated days (nothing is annualised): each is the mean over replications with its 95%
    half-width (±), shares with their 95% range.

    Example: jiedao simulate liaoyuan -r 10 --set 'districts.*.streets.*.windows=4' --json out.json
    """
    options = Run(quiet, backend, workers, scheduler, json_out)
    check_json(json_out)
    from jiedao.export.runs import SIMULATE_FILES

    check_out(out, force, SIMULATE_FILES)
    report_to = check_report(report_file, out, force)
    from jiedao.export.documents import simulate_document
    from jiedao.export.runs import write_simulate
    from jiedao.export.text import render_simulation
    from jiedao.sim.run import run

    scenario = load_scenario(file, set_)
    horizon = horizon_of(scenario, days, warmup, case_days, case_warmup)
    reps = replications or scenario.simulation.replications
    streets = sum(1 for _ in scenario.streets())
    executor = options.executor()
    with progress_bar([(reps * streets, SIMULATE_UNIT)], "simulating", options.silent) as advance:
        results = run(
            scenario,
            replications=reps,
            seed=seed,
            horizon=horizon,
            progress=advance,
            executor=executor,
            keep_records=out is not None or report_to is not None,
        )
    if out is not None:
        write_simulate(results, out, lang.value)
        typer.echo(f"wrote {out}/simulate.json, waits.png, waits.svg", err=True)
    if report_to is not None:
        from jiedao.export.runs import write_simulate_report

        write_simulate_report(results, report_to, lang.value, date=today())
        typer.echo(f"wrote {report_to}", err=True)
    for warning in results.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if json_out is not None:
        emit_json(simulate_document(results), json_out)
        if json_out == "-":
            return
    typer.echo(render_simulation(results, worst, lang.value))


# --- plan and allocate ----------------------------------------------------------------------------


def _plan(
    file: str,
    sets: list[str] | None,
    options: Run,
    out: Path | None,
    force: bool,
    curves_file: Path | None,
    lang: str,
    report: str | None = None,
    **settings: Any,
) -> None:
    """Make the plan (curves simulated unless given), then write and print it."""
    check_json(options.json_out)
    from jiedao.export.plan import FILES
    from jiedao.export.report import CHART_FILES

    check_out(out, force, FILES + CHART_FILES)
    report_to = check_report(report, out, force)
    from jiedao.export.documents import plan_document
    from jiedao.export.plan import CurvesFileError, read_curves, write_plan
    from jiedao.export.text import render_plan
    from jiedao.optimize.model import Mode
    from jiedao.optimize.solve import available_solvers, solver_name
    from jiedao.planning.plan import make_plan

    try:
        solver = solver_name(settings.pop("solver"))
    except ValueError as err:
        raise fail(f"--solver: {err}") from None
    if solver not in available_solvers():
        raise fail(
            f"--solver: {solver} is not installed here (available: "
            f"{', '.join(available_solvers())})"
        )
    settings["mode"] = Mode(settings["mode"].value)
    scenario = load_scenario(file, sets)
    curves = None
    if curves_file is not None:
        try:
            curves = read_curves(curves_file, {c.id for c in scenario.communities()})
        except (CurvesFileError, ValueError) as err:
            raise fail(f"--curves {err}") from None
    executor = options.executor()
    streets = sum(1 for _ in scenario.streets())
    stages = [] if curves is not None else [(streets * 10 * settings["replications"], CURVE_UNIT)]
    stages.append((streets * settings["check_replications"], CHECK_UNIT))
    with progress_bar(stages, "planning", options.silent) as advance, user_errors():
        plan = make_plan(
            scenario,
            curves=curves,
            solver=solver,
            executor=executor,
            progress=advance,
            on_phase=checkpoint,
            **settings,
        )
    if not plan.result.success:
        raise fail(f"no allocation: {plan.result.message}")
    summary = None
    if out is not None or report_to is not None:
        from jiedao.export.summary import plan_summary

        summary = plan_summary(plan)  # built once: the charts and the report read it
    if out is not None:
        from jiedao.export.report import write_plan_charts

        written = write_plan(plan, out, lang)
        assert summary is not None
        written += write_plan_charts(summary, out, lang)
        typer.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
    if report_to is not None:
        from jiedao.export.report import write_plan_report

        assert summary is not None
        write_plan_report(summary, report_to, lang, date=today())
        typer.echo(f"wrote {report_to}", err=True)
    if options.json_out is not None:
        emit_json(plan_document(plan), options.json_out)
        if options.json_out == "-":
            return
    typer.echo(render_plan(plan, lang))


@app.command()
def plan(
    file: ScenarioArg = "liaoyuan",
    mode: ModeOption = ModeChoice.shortfall,
    curves: Annotated[
        Path | None,
        typer.Option(
            "--curves", help="Use these response curves (CSV) instead of simulating them."
        ),
    ] = None,
    replications: Annotated[
        int,
        typer.Option("--replications", "-r", min=1, max=1000, help="Replications per curve point."),
    ] = 3,
    check_replications: Annotated[
        int,
        typer.Option(min=0, max=1000, help="Replications of the check (fresh seeds); 0 skips it."),
    ] = 5,
    seed: SeedOption = None,
    solver: SolverOption = "HiGHS",
    fairness: FairnessOption = None,
    fit: FitOption = FitChoice.measured,
    keep_today: KeepTodayOption = False,
    reserve: ReserveOption = 0,
    repair_rounds: RepairOption = 3,
    fund_floor_share: FundFloorOption = 1.0,
    set_: SetOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    report: ReportOption = None,
    lang: LangOption = Lang.zh,
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """The main job: measure response curves, allocate posts and funds, check by simulation.

    Prints the allocation table (社工岗 posts and service funds per community, today and in
    the plan), what one more post and ¥10,000 would buy, whether each pool limits the plan, and
    per community whether the re-simulated plan meets its target (with its 95% range).

    Example: jiedao plan liaoyuan --mode cost --out plan-2027
    """
    _plan(
        file,
        set_,
        Run(quiet, backend, workers, scheduler, json_out),
        out,
        force,
        curves,
        lang.value,
        report,
        mode=mode,
        replications=replications,
        check_replications=check_replications,
        seed=seed,
        solver=solver,
        fairness=fairness,
        fit=fit.value,
        keep_today=keep_today,
        reserve=reserve,
        repair_rounds=repair_rounds,
        fund_floor_share=fund_floor_share,
    )


@app.command()
def allocate(
    file: ScenarioArg = "liaoyuan",
    curves: Annotated[
        Path,
        typer.Option(
            "--curves",
            help="Response curves CSV: community_id, stream, staff, service_level, "
            "service_level_ci95.",
        ),
    ] = ...,  # type: ignore[assignment]
    mode: ModeOption = ModeChoice.shortfall,
    solver: SolverOption = "HiGHS",
    fairness: FairnessOption = None,
    fit: FitOption = FitChoice.measured,
    keep_today: KeepTodayOption = False,
    reserve: ReserveOption = 0,
    set_: SetOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    report: ReportOption = None,
    lang: LangOption = Lang.zh,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress on stderr (allocate has none).")
    ] = False,
) -> None:
    """Allocate posts and funds from response curves a planner brings (no simulation).

    Example: jiedao allocate liaoyuan --curves curves.csv --out alloc
    """
    _plan(
        file,
        set_,
        Run(quiet, Backend.serial, None, None, json_out),
        out,
        force,
        curves,
        lang.value,
        report,
        mode=mode,
        replications=1,
        check_replications=0,
        seed=None,
        solver=solver,
        fairness=fairness,
        fit=fit.value,
        keep_today=keep_today,
        reserve=reserve,
    )


# --- compare --------------------------------------------------------------------------------------


@app.command()
def compare(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Two or more scenarios (files or built-in names); the first is the baseline."
        ),
    ] = None,
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            help="NAME:PATH=VALUE: a variant of the (single) scenario, repeatable; "
            "several PATH=VALUE for one NAME are separated by ';'.",
        ),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            "-r",
            min=2,
            max=10_000,
            help="Paired replications (default: the first scenario's).",
        ),
    ] = None,
    seed: SeedOption = None,
    days: DaysOption = None,
    warmup: WarmupOption = None,
    case_days: CaseDaysOption = None,
    case_warmup: CaseWarmupOption = None,
    level: Annotated[
        Level, typer.Option(help="Table level: city, district, street or community.")
    ] = Level.city,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for compare.json and the before/after chart (PNG, SVG)."
        ),
    ] = None,
    force: ForceOption = False,
    lang: LangOption = Lang.zh,
    set_: SetOption = None,
    json_out: JsonOption = None,
    report_file: ReportOption = None,
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Compare scenarios with paired replications (common random numbers).

    Per metric and site: each scenario's value, the difference from the first with its 95% CI,
    and whether it is significant. Before and after the Liaoyuan reform:

    Example: jiedao compare liaoyuan-before liaoyuan
    Example: jiedao compare liaoyuan --variant "4 windows:districts.*.streets.*.windows=4"
    """
    options = Run(quiet, backend, workers, scheduler, json_out)
    check_json(json_out)
    from jiedao.export.runs import COMPARE_FILES

    check_out(out, force, COMPARE_FILES)
    report_to = check_report(report_file, out, force)
    from jiedao.export.documents import compare_document
    from jiedao.export.runs import write_compare
    from jiedao.export.text import render_changes, render_compare
    from jiedao.planning.compare import compare_scenarios
    from jiedao.scenarios.loader import with_variant

    refs = list(files or [])
    names: list[str]
    if variant:
        if len(refs) > 1:
            raise fail("--variant compares variants of one scenario: give one file")
        reference = refs[0] if refs else "liaoyuan"
        base = load_scenario(reference, set_)
        names, scenarios = [reference], [base]
        for item in variant:
            with user_errors():
                name, variant_scenario = with_variant(base, item)
                scenarios.append(variant_scenario)
            for line in render_changes(scenarios[-1], f"--variant {name}:"):
                typer.echo(line, err=True)
            names.append(name)
    else:
        if len(refs) < 2:
            raise fail("compare needs two or more scenarios, or one with --variant")
        names = refs
        scenarios = [load_scenario(ref, set_) for ref in refs]
    if len(set(names)) != len(names):
        raise fail(f"scenario names repeat: {', '.join(names)}; use --variant names")
    first = scenarios[0]
    reps = replications or first.simulation.replications
    if reps < 2:
        raise fail("compare needs at least 2 replications for confidence intervals")
    root = seed if seed is not None else first.simulation.seed
    horizon = horizon_of(first, days, warmup, case_days, case_warmup)
    executor = options.executor()
    total = sum(reps * sum(1 for _ in s.streets()) for s in scenarios)
    with progress_bar([(total, SIMULATE_UNIT)], "simulating", options.silent) as advance:
        try:
            comparison = compare_scenarios(scenarios, names, reps, root, horizon, executor, advance)
        except ValueError as err:
            raise fail(str(err)) from None
    if out is not None:
        write_compare(comparison, out, lang.value)
        typer.echo(f"wrote {out}/compare.json, before_after.png, before_after.svg", err=True)
    if report_to is not None:
        from jiedao.export.runs import write_compare_report

        write_compare_report(comparison, report_to, lang.value, date=today())
        typer.echo(f"wrote {report_to}", err=True)
    if json_out is not None:
        emit_json(compare_document(comparison), json_out)
        if json_out == "-":
            return
    typer.echo(render_compare(comparison, level.value, lang.value))


# --- sweep ----------------------------------------------------------------------------------------


@app.command()
def sweep(
    file: ScenarioArg = "liaoyuan",
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="PATH=SPEC with SPEC a,b,c or a..b or a..b:step (repeatable; full factorial).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for points.jsonl and sweep.json (a re-run resumes there), and the "
            "results table (results.csv, results.xlsx) and charts (sweep-*.png, .svg).",
        ),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-r", min=1, help="Replications per point (default: the scenario's)."
        ),
    ] = None,
    seed: SeedOption = None,
    days: DaysOption = None,
    warmup: WarmupOption = None,
    case_days: CaseDaysOption = None,
    case_warmup: CaseWarmupOption = None,
    set_: SetOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Discard points recorded in --out by a sweep with other arguments."
        ),
    ] = False,
    json_out: JsonOption = None,
    lang: LangOption = Lang.zh,
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Simulate every combination of --vary levels; each finished point is recorded at once.

    An interrupted sweep (Ctrl-C, a crash) resumes when run again with the same arguments into
    the same folder: points already recorded are skipped, none is lost or repeated. When every
    point is in, the results table and a chart per varied field are written.

    Example: jiedao sweep liaoyuan --vary 'districts.*.streets.*.windows=2..6' --out sweep-windows
    """
    options = Run(quiet, backend, workers, scheduler, json_out)
    if not vary:
        raise fail("sweep needs at least one --vary PATH=SPEC")
    if out is None:
        raise fail("sweep needs --out DIR to record its points")
    check_json(json_out)
    check_out(out, True)
    from jiedao.export.sweep import read_points, sweep_into
    from jiedao.export.text import render_sweep
    from jiedao.scenarios import parse_vary
    from jiedao.scenarios.overrides import points

    with user_errors():
        varies = [parse_vary(v) for v in vary]
    base = load_scenario(file, set_)
    with user_errors():
        total = len(points(varies))
    horizon_of(base, days, warmup, case_days, case_warmup)
    settings = {
        "replications": replications,
        "seed": seed,
        "days": days,
        "warmup": warmup,
        "case_days": case_days,
        "case_warmup": case_warmup,
    }
    executor = options.executor()

    def kept() -> str:
        done = len(read_points(out))
        if done == total:
            return (
                f"interrupted: all {total} points are recorded in {out}; run the same command "
                "again to write the results table and charts"
            )
        return (
            f"interrupted: {done} of {total} points are recorded in "
            f"{out}; run the same command again to finish the rest"
        )

    with (
        user_errors(),
        progress_bar([(total, "points")], "sweeping", options.silent, kept) as advance,
    ):
        summary = sweep_into(
            out,
            file,
            base,
            varies,
            settings,
            force=force,
            executor=executor,
            progress=advance,
            lang=lang.value,
        )
    if json_out is not None:
        emit_json(summary.document(), json_out)
        if json_out == "-":
            return
    typer.echo(render_sweep(summary, lang.value))


# --- sensitivity ----------------------------------------------------------------------------------

SENSITIVITY_UNITS = {
    "planning": CURVE_UNIT,
    "one at a time": "parameters (each lowered and raised)",
    "demand draws": "demand draws",
}


@app.command()
def sensitivity(
    file: ScenarioArg = "liaoyuan",
    plan_dir: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Use the plan in this folder (written by jiedao plan --out) instead of "
            "making one.",
        ),
    ] = None,
    change: Annotated[
        float, typer.Option(min=0.01, max=0.9, help="One-at-a-time change, as a share.")
    ] = 0.2,
    draws: Annotated[
        int, typer.Option(min=0, max=10_000, help="Monte Carlo draws of demand; 0 skips.")
    ] = 16,
    spread: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Demand drawn within +-spread.")
    ] = 0.2,
    replications: Annotated[
        int,
        typer.Option("--replications", "-r", min=1, max=100, help="Replications per curve point."),
    ] = 2,
    seed: SeedOption = None,
    lang: LangOption = Lang.zh,
    set_: SetOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for sensitivity.json, the CSV tables and the tornado and frontier "
            "charts (created if missing).",
        ),
    ] = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    report_file: ReportOption = None,
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Sensitivity before budgeting: what moves the plan, what each budget buys, how sure it is.

    One-at-a-time +-change on every demand rate, service time, patience, post cost and budget
    figure (ranked, tornado chart); the budget frontier for posts and funds with shadow prices;
    and the probability each community meets its target when demand is uncertain.

    Example: jiedao sensitivity liaoyuan --change 0.2 --out sens
    """
    options = Run(quiet, backend, workers, scheduler, json_out)
    check_json(json_out)
    from jiedao.export import sensitivity as files

    check_out(out, force, files.FILES)
    report_to = check_report(report_file, out, force)
    from jiedao.export.documents import sensitivity_document
    from jiedao.export.plan import CurvesFileError, read_plan
    from jiedao.export.runs import write_sensitivity
    from jiedao.export.text import render_sensitivity
    from jiedao.planning.whatif import sensitivity as analyse

    scenario = load_scenario(file, set_)
    executor = options.executor()
    given = None
    if plan_dir is not None:
        try:
            given = read_plan(plan_dir, {c.id for c in scenario.communities()})
        except (OSError, KeyError, ValueError, CurvesFileError) as err:
            raise fail(f"--plan {plan_dir}: {err}") from None

    def phase(label: str, total: int) -> Any:
        return progress_bar([(total, SENSITIVITY_UNITS.get(label, label))], label, options.silent)

    with user_errors():
        report = analyse(
            scenario,
            given=given,
            change=change,
            draws=draws,
            spread=spread,
            replications=replications,
            seed=seed,
            executor=executor,
            phase=phase,
        )
    if out is not None:
        written = write_sensitivity(report, out, lang.value)
        typer.echo(f"wrote {len(written)} files to {out}", err=True)
    if report_to is not None:
        from jiedao.export.report import write_sensitivity_report
        from jiedao.export.summary import sensitivity_summary

        write_sensitivity_report(
            sensitivity_summary(report, seed), report_to, lang.value, date=today()
        )
        typer.echo(f"wrote {report_to}", err=True)
    if json_out is not None:
        emit_json(sensitivity_document(report), json_out)
        if json_out == "-":
            return
    typer.echo(render_sensitivity(report, lang.value))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
