"""The ``--out`` folders of simulate, compare and sensitivity: their documents and charts.

Each ``write_*`` renders every file first and then writes each atomically
(:mod:`jiedao.export.files`); the figures are built from the same frozen results as the tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jiedao.export.documents import compare_document, sensitivity_document, simulate_document
from jiedao.export.files import atomic_write_text, dumps_json
from jiedao.planning.compare import Comparison
from jiedao.planning.whatif import SensitivityReport
from jiedao.sim.run import Results, times_against_targets

SIMULATE_FILES = ("simulate.json", "waits.png", "waits.svg")
COMPARE_FILES = ("compare.json", "before_after.png", "before_after.svg")


# --- simulate -------------------------------------------------------------------------------------


def waits_chart(results: Results, lang: str) -> Any:
    """The waiting-time chart: a panel per stream against its own target, in its unit."""
    from jiedao.export.charts import wait_distribution

    times = times_against_targets(results)
    waits = {stream: values for stream, (values, _, _) in times.items()}
    targets = {stream: target for stream, (_, target, _) in times.items()}
    units = {stream: unit for stream, (_, _, unit) in times.items()}
    from jiedao.export.summary import STREAM_SHARES

    shares = {}
    for stream in times:
        site, metric = STREAM_SHARES[stream]
        if metric in results.values.get(("city", site), {}):
            shares[stream] = results.metric("city", site, metric)[0]
    return wait_distribution(waits, targets, lang, units=units, shares=shares)


def write_simulate_report(results: Results, path: Path, lang: str, *, date: str) -> Path:
    """The simulation's report (:func:`export.report.simulate_report`), its chart inline."""
    from jiedao.export.charts import render
    from jiedao.export.report import simulate_report
    from jiedao.export.summary import simulate_summary

    svg = render(waits_chart(results, lang), "svg").decode("utf-8")
    summary = simulate_summary(results, times_against_targets(results))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, simulate_report(summary, svg, lang, date=date))
    return path


def write_simulate(results: Results, out: Path, lang: str) -> list[Path]:
    from jiedao.export.charts import save_figure

    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "simulate.json", dumps_json(simulate_document(results)))
    written = [out / "simulate.json"]
    written += save_figure(waits_chart(results, lang), out / "waits")
    return written


# --- compare --------------------------------------------------------------------------------------


def before_after_rows(comparison: Comparison, lang: str) -> list[Any]:
    """City figures of every variant for the compare chart: ``(label, [(mean, ci95) per
    variant], is_share)``, the variants in ``comparison.names`` order (the baseline first)."""
    from jiedao.export.labels import label_or

    wanted = [
        ("window", "wait_mean_min"),
        ("window", "target_share"),
        ("grid", "wait_mean_min"),
        ("grid", "target_share"),
        ("enforcement", "target_share"),
    ]
    rows = []
    for site in comparison.at_level("city"):
        for stream, metric in wanted:
            if site.stream == stream and metric in site.metrics:
                values = site.metrics[metric].values
                name = f"{label_or(stream, lang)}: {label_or(metric, lang)}"
                rows.append(
                    (
                        name,
                        [
                            (_rounded(values[n].mean), _rounded(values[n].ci95))
                            for n in comparison.names
                        ],
                        metric.endswith("share"),
                    )
                )
    return rows


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def write_compare(comparison: Comparison, out: Path, lang: str) -> list[Path]:
    from jiedao.export.charts import save_figure, variants_chart

    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "compare.json", dumps_json(compare_document(comparison)))
    figure = variants_chart(before_after_rows(comparison, lang), comparison.names, lang)
    return [out / "compare.json", *save_figure(figure, out / "before_after")]


def write_compare_report(comparison: Comparison, path: Path, lang: str, *, date: str) -> Path:
    """The comparison's report (:func:`export.report.compare_report`), its chart inline."""
    from jiedao.export.charts import render, variants_chart
    from jiedao.export.report import compare_report
    from jiedao.export.summary import compare_summary

    figure = variants_chart(before_after_rows(comparison, lang), comparison.names, lang)
    svg = render(figure, "svg").decode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, compare_report(compare_summary(comparison), svg, lang, date=date))
    return path


# --- sensitivity ----------------------------------------------------------------------------------


def sensitivity_charts(report: SensitivityReport, lang: str) -> list[tuple[str, Any]]:
    from jiedao.export import charts
    from jiedao.export.labels import label, parameter_label

    base = report.base.posts_required or 0
    categories = {
        key: (c.name_zh or c.name or key) if lang == "zh" else (c.name or key)
        for key, c in report.scenario.demand.window.categories.items()
    }
    tornado_rows = [
        (
            parameter_label(row.path, lang, categories),
            (row.low.posts_required or 0) - base,
            (row.high.posts_required or 0) - base,
        )
        for row in report.rows
    ]
    frontier = [
        (p.pool, p.service_level, p.shadow_price)
        for p in report.frontier_posts
        if p.service_level is not None
    ]
    return [
        ("tornado", charts.tornado(tornado_rows, label("sensitivity", lang), lang)),
        ("frontier", charts.budget_frontier(frontier, label("posts", lang), lang)),
    ]


def write_sensitivity(report: SensitivityReport, out: Path, lang: str) -> list[Path]:
    from jiedao.export import sensitivity

    return sensitivity.write(sensitivity_document(report), out, sensitivity_charts(report, lang))
