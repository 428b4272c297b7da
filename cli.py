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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer

from jiedao.export.files import atomic_write_text, checkpoint, dumps_json
from jiedao.optimize.model import InfeasibleError, Mode
from jiedao.scenarios import ScenarioError, load, parse_vary
from jiedao.scenarios.model import Scenario
from jiedao.sim.backends import make_backend
from jiedao.sim.run import Horizon

app = typer.Typer(
    help="jiedao (街道): plan staffing and funds for street-management reform.\n\n"
    "Simulates residents through service windows, grids and enforcement teams, and allocates "
    "social-worker posts (社工岗) and service funds across communities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
scenario_app = typer.Typer(help="Check and inspect scenario files.", no_args_is_help=True)
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
SeedOption = Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")]
DaysOption = Annotated[
    int | None,
    typer.Option(min=1, max=3660, help="Window horizon in days (default: the scenario's)."),
]
WarmupOption = Annotated[int | None, typer.Option(min=0, help="Window warm-up days, discarded.")]
CaseDaysOption = Annotated[
    int | None, typer.Option(min=1, max=3660, help="Grid and enforcement horizon in days.")
]
CaseWarmupOption = Annotated[
    int | None, typer.Option(min=0, help="Grid and enforcement warm-up days, discarded.")
]
LangOption = Annotated[Lang, typer.Option("--lang", help="Labels and headers: zh or en.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
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
    Mode,
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
        "curves.csv and plan.json (created if missing).",
    ),
]
SolverOption = Annotated[str, typer.Option(help="PuLP solver: HiGHS (default) or CBC.")]


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
        try:
            return make_backend(self.backend.value, self.workers, self.scheduler)
        except ValueError as err:
            raise fail(str(err)) from None


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


def check_out(out: Path | None, force: bool, names: tuple[str, ...]) -> None:
    """Refuse to replace existing outputs without --force (checked before any work)."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out}: exists and is not a folder")
    clash = [n for n in names if (out / n).exists()] if out.exists() else []
    if clash and not force:
        raise fail(f"--out {out}: {', '.join(clash)} already there; use --force to replace")


INTERRUPTED = (
    "interrupted: no output was written (files are written whole, at the end, or not at all)"
)


@contextlib.contextmanager
def progress_bar(
    total: int, label: str, quiet: bool, interrupted: str | Callable[[], str] = INTERRUPTED
) -> Iterator[Any]:
    """A progress bar on stderr (never stdout, which may carry JSON); silent with --quiet.

    Ctrl-C during the work ends with ``interrupted`` on stderr and exit code 130. The first
    step done is the ``simulating`` checkpoint (:func:`jiedao.export.files.checkpoint`).
    """
    try:
        with _bar(total, label, quiet) as bar:
            started = False

            def advance(n: int) -> None:
                nonlocal started
                if not started:
                    started = True
                    checkpoint("simulating")
                if bar is not None:
                    bar(n)

            yield advance
    except KeyboardInterrupt:
        message = interrupted() if callable(interrupted) else interrupted
        typer.echo(f"\n{message}", err=True)
        raise typer.Exit(code=130) from None


@contextlib.contextmanager
def _bar(total: int, label: str, quiet: bool) -> Iterator[Any]:
    if quiet or total <= 1:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def load_scenario(ref: str, sets: list[str] | None) -> Scenario:
    from jiedao.export.text import render_changes

    with user_errors():
        scenario = load(ref, sets or [])
    for line in render_changes(scenario):  # what relative overrides made of each field
        typer.echo(line, err=True)
    return scenario


# --- scenario -------------------------------------------------------------------------------------


@scenario_app.command("validate")
def scenario_validate(
    files: Annotated[
        list[str] | None,
        typer.Argument(help="Scenario files or built-in names (default: liaoyuan)."),
    ] = None,
    set_: SetOption = None,
) -> None:
    """Check scenario files; print one line per file.

    Example: jiedao scenario validate liaoyuan my-city.toml
    """
    bad = 0
    for ref in files or ["liaoyuan"]:
        try:
            scenario = load(ref, set_ or [])
        except ScenarioError as err:
            typer.echo(f"error: {FLAG.get(err.kind, '')}{err}", err=True)
            bad += 1
            continue
        typer.echo(
            f"ok {scenario.source}: {len(scenario.districts)} districts, "
            f"{sum(1 for _ in scenario.streets())} streets, "
            f"{sum(1 for _ in scenario.communities())} communities, "
            f"{scenario.households:,} households"
        )
    if bad:
        raise typer.Exit(code=2)


@scenario_app.command("show")
def scenario_show(
    file: ScenarioArg = "liaoyuan",
    set_: SetOption = None,
    json_out: JsonOption = None,
) -> None:
    """Summarise a scenario: streets, communities, households, staff, targets, budget.

    Example: jiedao scenario show liaoyuan --set budget.post_cost_yuan=60000
    """
    from jiedao.export.documents import scenario_document
    from jiedao.export.text import render_summary
    from jiedao.scenarios.summary import summarise

    summary = summarise(load_scenario(file, set_))
    if json_out is not None:
        emit_json(scenario_document(summary), json_out)
        if json_out == "-":
            return
    typer.echo(render_summary(summary))


@scenario_app.command("generate")
def scenario_generate(
    communities: Annotated[
        int, typer.Option("--communities", "-n", min=1, max=200_000, help="How many communities.")
    ] = 300,
    seed: Annotated[int, typer.Option(min=0, help="Seed: same seed, same city.")] = 1,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the TOML here (default: stdout).")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Write a synthetic city of N communities: for scale tests, or to start a real city from.

    Example: jiedao scenario generate --communities 5000 --seed 7 --out province.toml
    """
    from jiedao.scenarios.generate import generate

    if out is not None and out.exists() and not force:
        raise fail(f"--out {out}: already exists; use --force to replace")
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
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Simulate a year's demand (or any horizon) through windows, grids and enforcement teams.

    Prints the city summary, then the sites furthest from their targets; every figure is the mean
    over replications with its 95% confidence half-width (±).

    Example: jiedao simulate liaoyuan -r 10 --set 'districts.*.streets.*.windows=4' --json out.json
    """
    from jiedao.export.documents import simulate_document
    from jiedao.export.runs import SIMULATE_FILES, write_simulate
    from jiedao.export.text import render_simulation
    from jiedao.sim.run import run

    options = Run(quiet, backend, workers, scheduler, json_out)
    scenario = load_scenario(file, set_)
    horizon = horizon_of(scenario, days, warmup, case_days, case_warmup)
    reps = replications or scenario.simulation.replications
    streets = sum(1 for _ in scenario.streets())
    executor = options.executor()
    check_out(out, force, SIMULATE_FILES)
    with progress_bar(reps * streets, "simulating", options.silent) as advance:
        results = run(
            scenario,
            replications=reps,
            seed=seed,
            horizon=horizon,
            progress=advance,
            executor=executor,
            keep_records=out is not None,
        )
    if out is not None:
        write_simulate(results, out, lang.value)
        typer.echo(f"wrote {out}/simulate.json, waits.png, waits.svg", err=True)
    for warning in results.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if json_out is not None:
        emit_json(simulate_document(results), json_out)
        if json_out == "-":
            return
    typer.echo(render_simulation(results, worst))


# --- plan and allocate ----------------------------------------------------------------------------


def _plan(
    scenario: Scenario,
    options: Run,
    out: Path | None,
    force: bool,
    curves_file: Path | None,
    **settings: Any,
) -> None:
    """Make the plan (curves simulated unless given), then write and print it."""
    from jiedao.export.documents import plan_document
    from jiedao.export.plan import FILES, CurvesFileError, read_curves, write_plan
    from jiedao.export.text import render_plan
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
    check_out(out, force, FILES)
    curves = None
    if curves_file is not None:
        try:
            curves = read_curves(curves_file, {c.id for c in scenario.communities()})
        except (CurvesFileError, ValueError) as err:
            raise fail(f"--curves {err}") from None
    executor = options.executor()
    streets = sum(1 for _ in scenario.streets())
    total = 0 if curves is not None else streets * 10 * settings["replications"]
    total += streets * settings["check_replications"]
    with progress_bar(total, "planning", options.silent) as advance, user_errors():
        plan = make_plan(
            scenario, curves=curves, solver=solver, executor=executor, progress=advance, **settings
        )
    if not plan.result.success:
        raise fail(f"no allocation: {plan.result.message}")
    if out is not None:
        written = write_plan(plan, out)
        typer.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
    if options.json_out is not None:
        emit_json(plan_document(plan), options.json_out)
        if options.json_out == "-":
            return
    typer.echo(render_plan(plan))


@app.command()
def plan(
    file: ScenarioArg = "liaoyuan",
    mode: ModeOption = Mode.SHORTFALL,
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
    fairness: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="No community below this share of its target."),
    ] = None,
    set_: SetOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """The main job: measure response curves, allocate posts and funds, check by simulation.

    Prints the allocation table (社工岗 posts and service funds per community), the marginal
    value of one more post and of ¥10,000, the binding constraints, and per community whether the
    re-simulated plan meets its target (± 95% half-width).

    Example: jiedao plan liaoyuan --mode cost --out plan-2027
    """
    _plan(
        load_scenario(file, set_),
        Run(quiet, backend, workers, scheduler, json_out),
        out,
        force,
        curves,
        mode=mode,
        replications=replications,
        check_replications=check_replications,
        seed=seed,
        solver=solver,
        fairness=fairness,
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
    mode: ModeOption = Mode.SHORTFALL,
    solver: SolverOption = "HiGHS",
    fairness: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="No community below this share of its target."),
    ] = None,
    set_: SetOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    quiet: QuietOption = False,
) -> None:
    """Allocate posts and funds from response curves a planner brings (no simulation).

    Example: jiedao allocate liaoyuan --curves curves.csv --out alloc
    """
    _plan(
        load_scenario(file, set_),
        Run(quiet, Backend.serial, None, None, json_out),
        out,
        force,
        curves,
        mode=mode,
        replications=1,
        check_replications=0,
        seed=None,
        solver=solver,
        fairness=fairness,
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
    level: Annotated[Level, typer.Option(help="Table level.")] = Level.city,
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
    from jiedao.export.documents import compare_document
    from jiedao.export.runs import COMPARE_FILES, write_compare
    from jiedao.export.text import render_changes, render_compare
    from jiedao.planning.compare import compare_scenarios
    from jiedao.scenarios.loader import with_variant

    options = Run(quiet, backend, workers, scheduler, json_out)
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
    check_out(out, force, COMPARE_FILES)
    executor = options.executor()
    total = sum(reps * sum(1 for _ in s.streets()) for s in scenarios)
    with progress_bar(total, "simulating", options.silent) as advance:
        try:
            comparison = compare_scenarios(scenarios, names, reps, root, horizon, executor, advance)
        except ValueError as err:
            raise fail(str(err)) from None
    if out is not None:
        write_compare(comparison, out, lang.value)
        typer.echo(f"wrote {out}/compare.json, before_after.png, before_after.svg", err=True)
    if json_out is not None:
        emit_json(compare_document(comparison), json_out)
        if json_out == "-":
            return
    typer.echo(render_compare(comparison, level.value))


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
            "--out", help="Folder for points.jsonl and sweep.json; a re-run resumes there."
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
    quiet: QuietOption = False,
    backend: BackendOption = Backend.process,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Simulate every combination of --vary levels; each finished point is recorded at once.

    An interrupted sweep (Ctrl-C, a crash) resumes when run again with the same arguments into
    the same folder: points already recorded are skipped, none is lost or repeated.

    Example: jiedao sweep liaoyuan --vary 'districts.*.streets.*.windows=2..6' --out sweep-windows
    """
    from jiedao.export.sweep import read_points, sweep_into
    from jiedao.export.text import render_sweep
    from jiedao.scenarios.overrides import points

    options = Run(quiet, backend, workers, scheduler, json_out)
    if not vary:
        raise fail("sweep needs at least one --vary PATH=SPEC")
    if out is None:
        raise fail("sweep needs --out DIR to record its points")
    with user_errors():
        varies = [parse_vary(v) for v in vary]
        base = load(file, set_ or [])
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
        return (
            f"interrupted: {len(read_points(out))} of {total} points are recorded in "
            f"{out}; run the same command again to finish the rest"
        )

    with user_errors(), progress_bar(total, "sweeping", options.silent, kept) as advance:
        summary = sweep_into(
            out, file, base, varies, settings, force=force, executor=executor, progress=advance
        )
    if json_out is not None:
        emit_json(summary, json_out)
        if json_out == "-":
            return
    typer.echo(render_sweep(summary))


# --- sensitivity ----------------------------------------------------------------------------------


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
    from jiedao.export import sensitivity as files
    from jiedao.export.documents import sensitivity_document
    from jiedao.export.plan import CurvesFileError, read_plan
    from jiedao.export.runs import write_sensitivity
    from jiedao.export.text import render_sensitivity
    from jiedao.planning.whatif import sensitivity as analyse

    options = Run(quiet, backend, workers, scheduler, json_out)
    scenario = load_scenario(file, set_)
    check_out(out, force, files.FILES)
    executor = options.executor()
    given = None
    if plan_dir is not None:
        try:
            given = read_plan(plan_dir, {c.id for c in scenario.communities()})
        except (OSError, KeyError, ValueError, CurvesFileError) as err:
            raise fail(f"--plan {plan_dir}: {err}") from None

    def phase(label: str, total: int) -> Any:
        return progress_bar(total, label, options.silent)

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
    if json_out is not None:
        emit_json(sensitivity_document(report), json_out)
        if json_out == "-":
            return
    typer.echo(render_sensitivity(report))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
