"""Sensitivity results as JSON, CSV tables and charts (``jiedao sensitivity``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jiedao.export.files import atomic_write_bytes, atomic_write_text, dumps_json
from jiedao.export.plan import csv_bytes
from jiedao.planning.whatif import FrontierPoint, OatRow, Outcome, Uncertainty

OAT_COLUMNS = (
    "rank",
    "parameter",
    "label",
    "base",
    "low_value",
    "high_value",
    "shortfall_base",
    "shortfall_low",
    "shortfall_high",
    "posts_required_base",
    "posts_required_low",
    "posts_required_high",
    "cost_yuan_low",
    "cost_yuan_high",
)
FRONTIER_COLUMNS = (
    "pool",
    "shortfall",
    "service_level",
    "shadow_price",
    "posts_total",
    "funds_total_yuan",
)
UNCERTAINTY_COLUMNS = ("community_id", "probability_target_met", "ci95_low", "ci95_high", "draws")
FILES = (
    "sensitivity.json",
    "one_at_a_time.csv",
    "frontier_posts.csv",
    "frontier_funds.csv",
    "demand_uncertainty.csv",
)


def oat_rows(base: Outcome, rows: list[OatRow], change: float) -> list[dict[str, Any]]:
    return [
        {
            "rank": rank,
            "parameter": r.path,
            "label": r.label,
            "base": r.base,
            "low_value": r.base * (1 - change),
            "high_value": r.base * (1 + change),
            "shortfall_base": base.shortfall,
            "shortfall_low": r.low.shortfall,
            "shortfall_high": r.high.shortfall,
            "posts_required_base": base.posts_required,
            "posts_required_low": r.low.posts_required,
            "posts_required_high": r.high.posts_required,
            "cost_yuan_low": r.low.cost_yuan,
            "cost_yuan_high": r.high.cost_yuan,
        }
        for rank, r in enumerate(rows, start=1)
    ]


def frontier_rows(points: list[FrontierPoint]) -> list[dict[str, Any]]:
    return [dict(p.__dict__) for p in points]


def uncertainty_rows(items: list[Uncertainty]) -> list[dict[str, Any]]:
    return [
        {
            "community_id": u.community_id,
            "probability_target_met": u.probability,
            "ci95_low": u.low,
            "ci95_high": u.high,
            "draws": u.draws,
        }
        for u in items
    ]


def write(
    doc: dict[str, Any], out: Path, charts: list[tuple[str, Any]] | None = None
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    atomic_write_text(out / "sensitivity.json", dumps_json(doc))
    written.append(out / "sensitivity.json")
    for name, columns, key in (
        ("one_at_a_time.csv", OAT_COLUMNS, "one_at_a_time"),
        ("frontier_posts.csv", FRONTIER_COLUMNS, "frontier_posts"),
        ("frontier_funds.csv", FRONTIER_COLUMNS, "frontier_funds"),
        ("demand_uncertainty.csv", UNCERTAINTY_COLUMNS, "demand_uncertainty"),
    ):
        atomic_write_bytes(out / name, csv_bytes(columns, doc[key]))
        written.append(out / name)
    for stem, figure in charts or []:
        from jiedao.export.charts import save_figure

        written.extend(Path(p) for p in save_figure(figure, out / stem))
    return written
