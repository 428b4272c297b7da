"""The ``jiedao`` command line: parse arguments, call the engines, print or write what they return.

This is the only module (with :mod:`export`) that touches files or the terminal. User errors end in
exit code 2 with one line on stderr; anything else is a bug and prints its traceback (exit code 1).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer

from export.files import atomic_write_text, dumps_json
from export.table import format_table
from scenarios import ScenarioError, load
from scenarios.summary import summarise

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
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in names.")],
    set_: SetOption = None,
) -> None:
    """Check scenario files; print one line per file.

    Example: jiedao scenario validate liaoyuan my-city.toml
    """
    bad = 0
    for ref in files:
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

    Example: jiedao scenario show liaoyuan --set budget.posts_pool=500
    """
    with user_errors():
        scenario = load(file, set_ or [])
    summary = summarise(scenario)
    if json_out is not None:
        emit_json(summary, json_out)
        if json_out == "-":
            return
    typer.echo(render_summary(summary))


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
    headers = ["street", "name", "communities", "households", "grids", "windows", "officers",
               "posts", "funds (yuan)"]
    lines.append(format_table(headers, rows))
    return "\n".join(lines)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
