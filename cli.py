"""The ``jiedao`` command line: parse arguments, call the engines, print or write what they return.

This is the only module (with :mod:`export`) that touches files or the terminal. User errors end in
exit code 2 with one line on stderr; anything else is a bug and prints its traceback (exit code 1).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from jiedao.export.files import atomic_write_text, dumps_json
from jiedao.export.table import format_table
from jiedao.scenarios import ScenarioError, load
from jiedao.scenarios.summary import summarise
from jiedao.sim.backends import make_backend
from jiedao.sim.run import STREAMS, Horizon, Results
from jiedao.sim.run import run as simulate_run

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
        help="Override a field: PATH=VALUE, e.g. districts.*.streets.*.windows=4 (repeatable).",
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
LangOption = Annotated[str, typer.Option("--lang", help="Labels and headers: zh or en.")]
BackendOption = Annotated[
    str,
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


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn bad input into one line on stderr and exit code 2."""
    try:
        yield
    except ScenarioError as err:
        raise fail(str(err)) from None


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise fail(f"--lang: expected zh or en, got {lang!r}")


def choose_backend(name: str, workers: int | None, scheduler: str | None) -> Any:
    try:
        return make_backend(name, workers, scheduler)
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
            typer.echo(f"error: {err}", err=True)
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
    with user_errors():
        scenario = load(file, set_ or [])
    summary = summarise(scenario)
    if json_out is not None:
        emit_json(summary, json_out)
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


def render_summary(summary: dict[str, Any]) -> str:
    totals = summary["totals"]
    budget = summary["budget"]
    targets = summary["targets"]
    lines = [
        f"Scenario {summary['scenario']} {summary['name_zh']} ({summary['source']})",
        f"  {totals['districts']} districts, {totals['streets']} streets (街道), "
        f"{totals['communities']} communities (社区), {totals['households']:,} households, "
        f"{totals['grids']} grids (网格)",
        f"  staff: {totals['windows']} window clerks (便民服务窗口), "
        f"{totals['enforcement_officers']} enforcement officers (综合执法), "
        f"{totals['posts']} social-worker posts (社工岗)",
        f"  budget: posts pool {budget['posts_pool']} x ¥{budget['post_cost_yuan']:,.0f}/year = "
        f"¥{budget['posts_cost_yuan']:,.0f}; community funds ¥{totals['funds_yuan']:,.0f}/year"
        + (
            f" (pool ¥{budget['fund_pool_yuan']:,.0f})"
            if budget["fund_pool_yuan"] is not None
            else ""
        ),
        f"  targets: window {targets['window']['share']:.0%} wait <= "
        f"{targets['window']['max_wait_min']:g} min; urgent grid events answered <= "
        f"{targets['grid']['urgent_response_h']:g} h, {targets['grid']['share']:.0%} closed <= "
        f"{targets['grid']['ordinary_close_days']:g} {targets['grid']['days']} days; enforcement "
        f"{targets['enforcement']['share']:.0%} closed <= {targets['enforcement']['close_days']:g} "
        f"{targets['enforcement']['days']} days",
        "",
    ]
    rows = [
        [
            s["site"],
            s["name_zh"] or s["name"],
            s["communities"],
            s["households"],
            s["grids"],
            s["windows"],
            s["enforcement_officers"],
            s["posts"],
            s["funds_yuan"],
        ]
        for s in summary["streets"]
    ]
    headers = [
        "street",
        "name",
        "communities",
        "households",
        "grids",
        "windows",
        "officers",
        "posts",
        "funds (yuan)",
    ]
    lines.append(format_table(headers, rows))
    return "\n".join(lines)


# --- simulate -------------------------------------------------------------------------------------

STREAM_LABEL = {
    "window": "window 便民服务窗口",
    "grid": "grid 网格",
    "enforcement": "enforcement 综合执法",
}
WAIT_UNIT = {"window": "min", "grid": "min", "enforcement": "days"}


INTERRUPTED = (
    "interrupted: no output was written (files are written whole, at the end, or not at all)"
)


@contextlib.contextmanager
def progress_bar(
    total: int, label: str, quiet: bool, interrupted: str = INTERRUPTED
) -> Iterator[Any]:
    """A progress bar on stderr (never stdout, which may carry JSON); silent with --quiet.

    Ctrl-C during the work ends with ``interrupted`` on stderr and exit code 130.
    """
    try:
        with _bar(total, label, quiet) as advance:
            yield advance
    except KeyboardInterrupt:
        typer.echo(f"\n{interrupted}", err=True)
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
    lang: LangOption = "zh",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    backend: BackendOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Simulate a year's demand (or any horizon) through windows, grids and enforcement teams.

    Prints the city summary, then the sites furthest from their targets; every figure is the mean
    over replications with its 95% confidence half-width (±).

    Example: jiedao simulate liaoyuan -r 10 --set 'districts.*.streets.*.windows=4' --json out.json
    """
    with user_errors():
        scenario = load(file, set_ or [])
    try:
        horizon = Horizon.of(scenario, days, warmup, case_days, case_warmup)
    except ValueError as err:
        raise fail(str(err)) from None
    reps = replications or scenario.simulation.replications
    streets = sum(1 for _ in scenario.streets())
    executor = choose_backend(backend, workers, scheduler)
    _check_lang(lang)
    _check_out(out, force, ("simulate.json", "waits.png", "waits.svg"))
    with progress_bar(reps * streets, "simulating", quiet or json_out == "-") as advance:
        results = simulate_run(
            scenario,
            replications=reps,
            seed=seed,
            horizon=horizon,
            progress=advance,
            executor=executor,
            keep_records=out is not None,
        )
    if out is not None:
        from jiedao.export.charts import save_figure, wait_distribution

        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "simulate.json", dumps_json(results.to_json()))
        waits, targets = results_waits(results)
        save_figure(wait_distribution(waits, targets, lang), out / "waits")
        typer.echo(f"wrote {out}/simulate.json, waits.png, waits.svg", err=True)
    for warning in results.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if json_out is not None:
        emit_json(results.to_json(), json_out)
        if json_out == "-":
            return
    typer.echo(render_simulation(results, worst))


def results_waits(results: Results) -> tuple[dict[str, Any], dict[str, float | None]]:
    """Every resident's wait in minutes per stream (served ones), and the stream's wait target."""
    records = results.records or []
    h = results.horizon
    waits: dict[str, list[Any]] = {"window": [], "grid": [], "enforcement": []}
    for record in records:
        for station in record.windows:
            keep = ~np.isnan(station.start) & (station.arrival >= h.warmup_days * 1440.0)
            waits["window"].append((station.start - station.arrival)[keep])
        for grid in record.grids:
            for team in grid.teams:
                keep = ~np.isnan(team.start) & (team.arrival >= h.case_warmup_days * 1440.0)
                waits["grid"].append((team.start - team.arrival)[keep])
        for team in record.enforcement:
            keep = ~np.isnan(team.start) & (team.arrival >= h.case_warmup_days * 1440.0)
            waits["enforcement"].append((team.start - team.arrival)[keep])
    targets = results.scenario.targets
    return (
        {k: np.concatenate(v) if v else np.empty(0) for k, v in waits.items()},
        {
            "window": targets.window.max_wait_min,
            "grid": targets.grid.urgent_response_h * 60.0,
            "enforcement": None,
        },
    )


def _pm(results: Results, site: str, stream: str, name: str, fmt: str = "{:.1f}") -> str:
    mean, half = results.metric(site, stream, name)
    if mean != mean:
        return "n/a"
    text = fmt.format(mean)
    return text if half != half else f"{text} ± {fmt.format(half)}"


def render_simulation(results: Results, worst: int = 10) -> str:
    h = results.horizon
    lines = [
        f"Scenario {results.scenario.name}: {results.replications} replications, seed "
        f"{results.seed}; windows {h.days} days (warm-up {h.warmup_days}), grids and enforcement "
        f"{h.case_days} days (warm-up {h.case_warmup_days}); {results.residents:,} residents "
        f"simulated in {results.runtime_s:.1f} s",
        "",
    ]
    rows = []
    for stream in STREAMS:
        if ("city", stream) not in results.values:
            continue
        unit = WAIT_UNIT[stream]
        rows.append(
            [
                STREAM_LABEL[stream],
                _pm(results, "city", stream, "arrivals", "{:,.0f}"),
                _pm(results, "city", stream, f"wait_mean_{unit}", "{:.2f}") + f" {unit}",
                _pm(results, "city", stream, f"wait_p90_{unit}", "{:.2f}") + f" {unit}",
                _pm(results, "city", stream, "target_share", "{:.1%}"),
                _pm(results, "city", stream, "utilisation", "{:.1%}"),
                _pm(results, "city", stream, "abandoned", "{:,.0f}"),
            ]
        )
    lines.append(
        format_table(
            [
                "city: stream",
                "arrivals",
                "wait mean",
                "wait p90",
                "target met",
                "utilisation",
                "abandoned",
            ],
            rows,
        )
    )
    ranked = []
    for (site, stream), metrics in results.values.items():
        if results.levels[site] in ("street", "community"):
            share = (
                float(np.nanmean(metrics["target_share"]))
                if np.any(~np.isnan(metrics["target_share"]))
                else float("nan")
            )
            if share == share:
                ranked.append((share, site, stream))
    ranked.sort()
    if worst and ranked:
        rows = []
        for _, site, stream in ranked[:worst]:
            unit = WAIT_UNIT[stream]
            rows.append(
                [
                    site,
                    results.levels[site],
                    stream,
                    _pm(results, site, stream, "target_share", "{:.1%}"),
                    _pm(results, site, stream, f"wait_mean_{unit}", "{:.2f}") + f" {unit}",
                    _pm(results, site, stream, "utilisation", "{:.1%}"),
                ]
            )
        lines += [
            "",
            format_table(
                ["worst sites", "level", "stream", "target met", "wait mean", "utilisation"], rows
            ),
        ]
    return "\n".join(lines)


# --- plan and allocate -------------------------------------------------------------------------

ModeOption = Annotated[
    str,
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
ForceOption = Annotated[bool, typer.Option("--force", help="Replace existing files in --out.")]


def _check_out(out: Path | None, force: bool, names: tuple[str, ...] | None = None) -> None:
    """Refuse to replace existing outputs without --force (checked before any work)."""
    from jiedao.export.plan import FILES

    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out}: exists and is not a folder")
    clash = [n for n in (names or FILES) if (out / n).exists()] if out.exists() else []
    if clash and not force:
        raise fail(f"--out {out}: {', '.join(clash)} already there; use --force to replace")


def _run_plan(
    file: str,
    set_: list[str] | None,
    mode: str,
    curves_file: Path | None,
    replications: int,
    check_replications: int,
    seed: int | None,
    solver: str,
    fairness: float | None,
    out: Path | None,
    force: bool,
    json_out: str | None,
    quiet: bool,
    backend: str,
    workers: int | None,
    scheduler: str | None,
) -> None:
    from jiedao.export.plan import CurvesFileError, plan_document, read_curves, write_plan
    from jiedao.optimize.model import InfeasibleError, Mode
    from jiedao.optimize.plan import make_plan
    from jiedao.optimize.solve import available_solvers, solver_name

    if mode not in ("shortfall", "cost"):
        raise fail(f"--mode: expected shortfall or cost, got {mode!r}")
    try:
        solver = solver_name(solver)
    except ValueError as err:
        raise fail(f"--solver: {err}") from None
    if solver not in available_solvers():
        raise fail(
            f"--solver: {solver} is not installed here (available: "
            f"{', '.join(available_solvers())})"
        )
    with user_errors():
        scenario = load(file, set_ or [])
    _check_out(out, force)
    curves = None
    if curves_file is not None:
        try:
            curves = read_curves(curves_file, {c.id for c in scenario.communities()})
        except (CurvesFileError, ValueError) as err:
            raise fail(f"--curves {err}") from None
    executor = choose_backend(backend, workers, scheduler)
    streets = sum(1 for _ in scenario.streets())
    total = 0 if curves is not None else streets * 10 * replications
    total += streets * check_replications
    with progress_bar(total, "planning", quiet or json_out == "-") as advance:
        try:
            plan = make_plan(
                scenario,
                mode=Mode(mode),
                replications=replications,
                check_replications=check_replications,
                seed=seed,
                curves=curves,
                solver=solver,
                fairness=fairness,
                executor=executor,
                progress=advance,
            )
        except InfeasibleError as err:
            raise fail(str(err)) from None
    if not plan.result.success:
        raise fail(f"no allocation: {plan.result.message}")
    if out is not None:
        written = write_plan(plan, out)
        typer.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
    if json_out is not None:
        emit_json(plan_document(plan), json_out)
        if json_out == "-":
            return
    typer.echo(render_plan(plan))


@app.command()
def plan(
    file: ScenarioArg = "liaoyuan",
    mode: ModeOption = "shortfall",
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
    seed: Annotated[
        int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")
    ] = None,
    solver: Annotated[str, typer.Option(help="PuLP solver: HiGHS (default) or CBC.")] = "HiGHS",
    fairness: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="No community below this share of its target."),
    ] = None,
    set_: SetOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    backend: BackendOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """The main job: measure response curves, allocate posts and funds, check by simulation.

    Prints the allocation table (社工岗 posts and service funds per community), the marginal
    value of one more post and of ¥10,000, the binding constraints, and per community whether the
    re-simulated plan meets its target (± 95% half-width).

    Example: jiedao plan liaoyuan --mode cost --out plan-2027
    """
    _run_plan(
        file,
        set_,
        mode,
        curves,
        replications,
        check_replications,
        seed,
        solver,
        fairness,
        out,
        force,
        json_out,
        quiet,
        backend,
        workers,
        scheduler,
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
    mode: ModeOption = "shortfall",
    solver: Annotated[str, typer.Option(help="PuLP solver: HiGHS (default) or CBC.")] = "HiGHS",
    fairness: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    set_: SetOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Allocate posts and funds from response curves a planner brings (no simulation).

    Example: jiedao allocate liaoyuan --curves curves.csv --out alloc
    """
    _run_plan(
        file,
        set_,
        mode,
        curves,
        1,
        0,
        None,
        solver,
        fairness,
        out,
        force,
        json_out,
        quiet,
        "serial",
        None,
        None,
    )


RunOptions = dict[str, Any]


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
        int | None, typer.Option("--replications", "-r", min=2, max=10_000)
    ] = None,
    seed: SeedOption = None,
    days: DaysOption = None,
    warmup: WarmupOption = None,
    case_days: CaseDaysOption = None,
    case_warmup: CaseWarmupOption = None,
    level: Annotated[
        str, typer.Option(help="Table level: city, district, street, community.")
    ] = "city",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for compare.json and the before/after chart (PNG, SVG)."
        ),
    ] = None,
    force: ForceOption = False,
    lang: LangOption = "zh",
    set_: SetOption = None,
    json_out: JsonOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    backend: BackendOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Compare scenarios with paired replications (common random numbers).

    Per metric and site: each scenario's value, the difference from the first with its 95% CI,
    and whether it is significant. Before and after the Liaoyuan reform:

    Example: jiedao compare liaoyuan-before liaoyuan
    Example: jiedao compare liaoyuan --variant "4 windows:districts.*.streets.*.windows=4"
    """
    from jiedao.sim.compare import compare as compare_runs
    from jiedao.sim.compare import compare_table_rows

    refs = list(files or [])
    runs: list[tuple[str, str, list[str]]] = []  # (name, ref, overrides)
    if variant:
        if len(refs) > 1:
            raise fail("--variant compares variants of one scenario: give one file")
        base = refs[0] if refs else "liaoyuan"
        runs.append((base, base, list(set_ or [])))
        for item in variant:
            name, sep, sets = item.partition(":")
            if not sep or not name.strip() or "=" not in sets:
                raise fail(f"--variant {item}: expected NAME:PATH=VALUE[;PATH=VALUE...]")
            runs.append(
                (
                    name.strip(),
                    base,
                    [*(set_ or []), *[s.strip() for s in sets.split(";") if s.strip()]],
                )
            )
    else:
        if len(refs) < 2:
            raise fail("compare needs two or more scenarios, or one with --variant")
        runs = [(ref, ref, list(set_ or [])) for ref in refs]
    names = [name for name, _, _ in runs]
    if len(set(names)) != len(names):
        raise fail(f"scenario names repeat: {', '.join(names)}; use --variant names")
    with user_errors():
        scenarios = [load(ref, sets) for _, ref, sets in runs]
    first = scenarios[0]
    reps = replications or first.simulation.replications
    root = seed if seed is not None else first.simulation.seed
    try:
        horizon = Horizon.of(first, days, warmup, case_days, case_warmup)
    except ValueError as err:
        raise fail(str(err)) from None
    if reps < 2:
        raise fail("compare needs at least 2 replications for confidence intervals")
    _check_lang(lang)
    _check_out(out, force, ("compare.json", "before_after.png", "before_after.svg"))
    executor = choose_backend(backend, workers, scheduler)
    total = sum(reps * sum(1 for _ in s.streets()) for s in scenarios)
    results = []
    with progress_bar(total, "simulating", quiet or json_out == "-") as advance:
        for scenario in scenarios:
            results.append(
                simulate_run(
                    scenario,
                    replications=reps,
                    seed=root,
                    horizon=horizon,
                    progress=advance,
                    executor=executor,
                )
            )
    try:
        document = compare_runs(results, names)
    except ValueError as err:
        raise fail(str(err)) from None
    if out is not None:
        from jiedao.export.charts import before_after, save_figure

        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "compare.json", dumps_json(document))
        figure = before_after(before_after_rows(document, names, lang), lang)
        save_figure(figure, out / "before_after")
        typer.echo(f"wrote {out}/compare.json, before_after.png, before_after.svg", err=True)
    if json_out is not None:
        emit_json(document, json_out)
        if json_out == "-":
            return
    if level not in ("city", "district", "street", "community"):
        raise fail(f"--level: expected city, district, street or community, got {level!r}")
    headers, rows = compare_table_rows(document, level=level)
    typer.echo(
        f"Paired comparison ({reps} replications, seed {root}); differences are each "
        f"scenario minus {names[0]}, with 95% CIs; * = significant"
    )
    typer.echo(format_table(headers, rows))


def before_after_rows(document: dict[str, Any], names: list[str], lang: str) -> list[Any]:
    """City figures of the first two scenarios for the before/after chart."""
    from jiedao.export.labels import label_or

    wanted = [
        ("window", "wait_mean_min"),
        ("window", "target_share"),
        ("grid", "wait_mean_min"),
        ("grid", "target_share"),
        ("enforcement", "target_share"),
    ]
    rows = []
    for entry in document["results"]:
        if entry["level"] != "city":
            continue
        for stream, metric in wanted:
            if entry["stream"] == stream and metric in entry["metrics"]:
                values = entry["metrics"][metric]["scenarios"]
                a, b = values[names[0]], values[names[1]]
                name = f"{label_or(stream, lang)}: {label_or(metric, lang)}"
                rows.append((name, a["mean"] or 0.0, a["ci95"], b["mean"] or 0.0, b["ci95"]))
    return rows


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
    replications: Annotated[int | None, typer.Option("--replications", "-r", min=1)] = None,
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    backend: BackendOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Simulate every combination of --vary levels; each finished point is recorded at once.

    An interrupted sweep (Ctrl-C, a crash) resumes when run again with the same arguments into
    the same folder: points already recorded are skipped, none is lost or repeated.

    Example: jiedao sweep liaoyuan --vary 'districts.*.streets.*.windows=2..6' --out sweep-windows
    """
    from jiedao.sim.sweep import parse_vary, points, read_points, run_sweep

    if not vary:
        raise fail("sweep needs at least one --vary PATH=SPEC")
    if out is None:
        raise fail("sweep needs --out DIR to record its points")
    with user_errors():
        varies = [parse_vary(v) for v in vary]
        base = load(file, set_ or [])
    try:
        Horizon.of(base, days, warmup, case_days, case_warmup)
    except ValueError as err:
        raise fail(str(err)) from None
    settings = {
        "replications": replications,
        "seed": seed,
        "days": days,
        "warmup": warmup,
        "case_days": case_days,
        "case_warmup": case_warmup,
    }
    executor = choose_backend(backend, workers, scheduler)

    def run_point(scenario: Any, point: dict[str, Any]) -> dict[str, Any]:
        results = simulate_run(
            scenario,
            replications=replications,
            seed=seed,
            days=days,
            warmup_days=warmup,
            case_days=case_days,
            case_warmup_days=case_warmup,
            executor=executor,
        )
        document = results.to_json()
        city = [r for r in document["results"] if r["level"] in ("city", "district")]
        return {
            "runtime_s": document["runtime_s"],
            "residents": document["residents_simulated"],
            "warnings": document["warnings"],
            "results": city,
        }

    total = len(points(varies))

    class Kept(str):  # the message is made when Ctrl-C comes, with the points kept by then
        def __str__(self) -> str:
            return (
                f"interrupted: {len(read_points(out))} of {total} points are recorded in "
                f"{out}; run the same command again to finish the rest"
            )

    with (
        user_errors(),
        progress_bar(total, "sweeping", quiet or json_out == "-", interrupted=Kept()) as advance,
    ):
        summary = run_sweep(
            file,
            list(set_ or []),
            varies,
            out,
            run_point,
            progress=advance,
            settings=settings,
            force=force,
        )
    if json_out is not None:
        emit_json(summary, json_out)
        if json_out == "-":
            return
    typer.echo(
        f"sweep: {summary['total']} points, {summary['ran']} run now, "
        f"{summary['skipped']} already recorded, in {out}/points.jsonl"
    )


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
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=100)] = 2,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    lang: Annotated[str, typer.Option(help="Chart and header language: zh or en.")] = "zh",
    set_: SetOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    backend: BackendOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Sensitivity before budgeting: what moves the plan, what each budget buys, how sure it is.

    One-at-a-time +-change on every demand rate, service time, patience, post cost and budget
    figure (ranked, tornado chart); the budget frontier for posts and funds with shadow prices;
    and the probability each community meets its target when demand is uncertain.

    Example: jiedao sensitivity liaoyuan --change 0.2 --out sens
    """
    import time as _time

    from jiedao.export import sensitivity as report
    from jiedao.export.plan import CurvesFileError, read_curves
    from jiedao.optimize.model import InfeasibleError, problem_from_scenario
    from jiedao.optimize.plan import make_plan
    from jiedao.optimize.whatif import budget_frontier, demand_uncertainty, one_at_a_time

    _check_lang(lang)
    began = _time.perf_counter()
    with user_errors():
        scenario = load(file, set_ or [])
    _check_out(out, force, report.FILES)
    executor = choose_backend(backend, workers, scheduler)
    communities = {c.id: c for c in scenario.communities()}
    quiet = quiet or json_out == "-"
    try:
        if plan_dir is not None:
            try:
                fitted = read_curves(plan_dir / "curves.csv", set(communities))
                allocation = json.loads((plan_dir / "plan.json").read_text("utf-8"))["allocation"]
            except (OSError, KeyError, ValueError, CurvesFileError) as err:
                raise fail(f"--plan {plan_dir}: {err}") from None
            fitted = {
                k: c if c.is_monotone() and c.is_concave() else c.concave()
                for k, c in fitted.items()
            }
            problem = problem_from_scenario(scenario, fitted, target=scenario.targets.grid.share)
            spy = problem.staff_per_yuan
            nonserving = {c.id: c.nonserving_posts for c in problem.communities}
            staff = {
                row["community_id"]: row["posts_proposed"]
                - nonserving[row["community_id"]]
                + row["funds_proposed_yuan"] * spy
                for row in allocation
            }
            targets = {row["community_id"]: row["target"] for row in allocation}
        else:
            with progress_bar(
                sum(1 for _ in scenario.streets()) * 10 * replications, "planning", quiet
            ) as advance:
                made = make_plan(
                    scenario,
                    replications=replications,
                    check_replications=0,
                    seed=seed,
                    executor=executor,
                    progress=advance,
                    with_sensitivity=False,
                )
            fitted = made.fitted
            staff = {a.community_id: a.staff_equivalents for a in made.result.allocation or ()}
            targets = {a.community_id: a.target for a in made.result.allocation or ()}
        from jiedao.optimize.whatif import parameters

        with progress_bar(len(parameters(scenario)), "one at a time", quiet) as advance:
            base, rows = one_at_a_time(
                file,
                set_ or [],
                change,
                replications=replications,
                seed=seed,
                executor=executor,
                progress=advance,
            )
        posts = budget_frontier(scenario, fitted, "posts")
        funds = budget_frontier(scenario, fitted, "funds")
        with progress_bar(draws, "demand draws", quiet) as advance:
            uncertainty = (
                demand_uncertainty(
                    file,
                    set_ or [],
                    staff,
                    targets,
                    draws=draws,
                    spread=spread,
                    seed=seed if seed is not None else scenario.simulation.seed,
                    executor=executor,
                    progress=advance,
                )
                if draws
                else []
            )
    except InfeasibleError as err:
        raise fail(str(err)) from None
    doc = report.document(
        scenario.name,
        change,
        base,
        rows,
        posts,
        funds,
        uncertainty,
        spread,
        _time.perf_counter() - began,
    )
    if out is not None:
        written = report.write(doc, out, sensitivity_charts(doc, lang))
        typer.echo(f"wrote {len(written)} files to {out}", err=True)
    if json_out is not None:
        emit_json(doc, json_out)
        if json_out == "-":
            return
    typer.echo(render_sensitivity(doc))


def sensitivity_charts(doc: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    try:
        from jiedao.export import charts
    except ImportError:  # pragma: no cover - charts are core, but never lose the tables
        return []
    base = doc["base"]["posts_required"] or 0
    tornado_rows = [
        (
            row["label"],
            (row["posts_required_low"] or 0) - base,
            (row["posts_required_high"] or 0) - base,
        )
        for row in doc["one_at_a_time"]
    ]
    frontier = [
        (p["pool"], p["service_level"], p["shadow_price"])
        for p in doc["frontier_posts"]
        if p["service_level"] is not None
    ]
    from jiedao.export.labels import label

    return [
        ("tornado", charts.tornado(tornado_rows, label("sensitivity", lang), lang)),
        ("frontier", charts.budget_frontier(frontier, label("posts", lang), lang)),
    ]


def render_sensitivity(doc: dict[str, Any]) -> str:
    base = doc["base"]
    lines = [
        f"Sensitivity of {doc['scenario']}: +-{doc['change']:.0%} one at a time; base plan "
        f"needs {base['posts_required']} posts (cost ¥{(base['cost_yuan'] or 0):,.0f}/year), "
        f"weighted shortfall {base['shortfall']}",
        "",
    ]

    def show(value: Any) -> str:
        return "infeasible" if value is None else f"{value:,.4g}"

    rows = [
        [
            r["rank"],
            r["label"],
            show(r["posts_required_low"]),
            show(r["posts_required_high"]),
            show(r["shortfall_low"]),
            show(r["shortfall_high"]),
        ]
        for r in doc["one_at_a_time"]
    ]
    lines.append(
        format_table(
            [
                "rank",
                "parameter",
                "posts needed (-)",
                "posts needed (+)",
                "shortfall (-)",
                "shortfall (+)",
            ],
            rows,
        )
    )
    lines += [
        "",
        format_table(
            ["posts pool", "service level", "shortfall", "shadow price per post"],
            [
                [p["pool"], show(p["service_level"]), show(p["shortfall"]), show(p["shadow_price"])]
                for p in doc["frontier_posts"]
            ],
        ),
    ]
    if doc["demand_uncertainty"]:
        risky = sorted(doc["demand_uncertainty"], key=lambda u: u["probability_target_met"])[:10]
        lines += [
            "",
            f"demand +-{doc['demand_spread']:.0%}: probability of meeting the target "
            "(least sure first)",
            format_table(
                ["community", "P(target met)", "95% interval"],
                [
                    [
                        u["community_id"],
                        f"{u['probability_target_met']:.0%}",
                        f"{u['ci95_low']:.0%}-{u['ci95_high']:.0%}",
                    ]
                    for u in risky
                ],
            ),
        ]
    return "\n".join(lines)


def render_plan(plan: Any) -> str:
    from jiedao.export.plan import allocation_rows, window_rows

    r, s = plan.result, plan.sensitivity
    lines = [
        f"Plan for {plan.scenario.name} ({plan.mode.value} mode, curves {plan.curve_source}): "
        f"{r.message}; {plan.runtime_s:.1f} s",
        f"  posts {r.posts_total} (pool {plan.scenario.budget.posts_pool}), funds "
        f"¥{r.funds_total_yuan:,.0f}, cost ¥{r.cost_yuan:,.0f}/year"
        + (f"; weighted shortfall {r.objective:.4g}" if plan.mode.value == "shortfall" else ""),
    ]
    if s is not None:
        unit = "shortfall reduced" if plan.mode.value == "shortfall" else "yuan saved"
        lines.append(
            f"  one more post: {s.marginal_post if s.marginal_post is not None else 'n/a'} "
            f"{unit}; ¥10,000 more funds: "
            f"{s.marginal_funds if s.marginal_funds is not None else 'n/a'} {unit}"
        )
        for price in s.shadow_prices.values():
            low = "-inf" if price.lower is None else f"{price.lower:,.6g}"
            high = "inf" if price.upper is None else f"{price.upper:,.6g}"
            lines.append(
                f"  shadow price {price.constraint}: {price.value:.4g} per {price.unit}, "
                f"holds for right-hand side {low} .. {high}"
            )
    binding = [b for b in (r.binding or ()) if ":" not in b]
    per_site = [b for b in (r.binding or ()) if ":" in b]
    lines.append(
        f"  binding: {', '.join(binding) or 'no pool'}"
        + (f"; {len(per_site)} community floors/caps" if per_site else "")
    )
    if plan.checks:
        met = sum(c.target_met for c in plan.checks.values())
        agree = sum(c.agrees for c in plan.checks.values())
        lines.append(
            f"  check ({plan.check_replications} replications, fresh seeds): "
            f"{met}/{len(plan.checks)} communities meet their target; "
            f"{agree}/{len(plan.checks)} agree with their curve within the CIs"
        )
    if plan.clerks is not None:
        c = plan.clerks
        rows_w = window_rows(plan)
        more = sum(1 for r in rows_w if (r["clerks_proposed"] or 0) > r["clerks_current"])
        fewer = sum(1 for r in rows_w if (r["clerks_proposed"] or 0) < r["clerks_current"])
        met = sum(ch.target_met for ch in c.checks.values())
        lines.append(
            f"  window clerks (一窗通办): {c.result.posts_total} of {c.pool} needed; more at "
            f"{more} streets, fewer at {fewer}; check: {met}/{len(c.checks)} streets meet the "
            "window target (windows.csv)"
        )
    rows = [
        [
            row["community_id"],
            row["community"],
            row["households"],
            row["posts_current"],
            row["posts_proposed"],
            row["funds_proposed_yuan"],
            "n/a"
            if row["service_level"] is None
            else (
                f"{row['service_level']:.1%}"
                + (
                    f" ± {row['service_level_ci95']:.1%}"
                    if row["service_level_ci95"] is not None
                    else ""
                )
            ),
            f"{row['target']:.0%}",
            "yes" if row["target_met"] else "NO",
        ]
        for row in allocation_rows(plan)
    ]
    lines += [
        "",
        format_table(
            [
                "community",
                "name",
                "households",
                "posts now",
                "posts plan",
                "funds plan (yuan)",
                "service level",
                "target",
                "met",
            ],
            rows,
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
