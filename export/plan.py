"""A plan as tables and files: the allocation table, the curves, plan.json, CSV and XLSX.

Column layouts are those of docs/interfaces.md. CSV files are UTF-8 with a byte-order mark so
that spreadsheet programs show Chinese, numbers at a fixed precision (:func:`csv_bytes`). The XLSX
(:func:`xlsx_bytes`, written by :mod:`export.xlsx` in time linear in the rows) opens on a summary
sheet of totals; each table sheet stores numbers as numbers with a format per column, has a header
row in the reader's language above the column ids, today / plan / change columns, frozen headers
and an autofilter, and no totals row. Every file is written to a temporary name and renamed into
place (:mod:`export.files`); existing files are replaced only when asked.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from jiedao.export.files import atomic_write_many, dumps_json
from jiedao.export.format import csv_number
from jiedao.export.xlsx import MAX_ROWS as EXCEL_MAX_ROWS
from jiedao.planning.plan import Plan

if TYPE_CHECKING:
    from jiedao.planning.whatif import GivenPlan

ALLOCATION_COLUMNS = (
    "community_id",
    "community",
    "street",
    "district",
    "type",
    "households",
    "posts_current",
    "posts_proposed",
    "funds_standard_yuan",
    "funds_proposed_yuan",
    "purchased_hours",
    "service_level",
    "service_level_ci95",
    "target",
    "target_met",
    "marginal_value_per_post",
    # added by the grid-truth issue (docs/interfaces.md): the check's bound, urgent and ordinary
    # apart, whether the backlog grows, and the norms beside the plan
    "service_level_lower95",
    "urgent_level",
    "urgent_level_ci95",
    "urgent_target",
    "ordinary_level",
    "ordinary_level_ci95",
    "ordinary_target",
    "backlog_grows",
    "check_replications",
    "utilisation",
    "overtime_h_per_worker_week",
    "on_call_h_per_year",
    "posts_norm_jilin_low",
    "posts_norm_jilin_high",
    "workers_norm_national",
    # added by the allocation-truth issue: the change against today, a cut called a cut
    "posts_change",
    "cut",
)
ALLOCATION_ZH = (
    "社区编号",
    "社区",
    "街道",
    "区县",
    "类型",
    "户数",
    "现有社工岗",
    "建议社工岗",
    "标准经费(元)",
    "建议经费(元)",
    "购买服务小时",
    "服务达标率",
    "达标率95%置信半宽",
    "目标",
    "是否达标",
    "每增一岗边际值",
    "达标率95%下限",
    "紧急事件响应达标率",
    "紧急达标率95%置信半宽",
    "紧急事件目标",
    "一般事件办结达标率",
    "一般达标率95%置信半宽",
    "一般事件目标",
    "积压是否增长",
    "核验重复次数",
    "利用率",
    "每人每周加班小时",
    "每年值班小时",
    "吉林标准岗位下限",
    "吉林标准岗位上限",
    "全国标准社区工作者",
    "社工岗变化",
    "是否削减",
)
WINDOW_COLUMNS = (
    "street_id",
    "street",
    "district",
    "households",
    "clerks_current",
    "clerks_proposed",
    "planned_level",
    "service_level",
    "service_level_ci95",
    "target",
    "target_met",
    # added by the allocation-truth issue: the bound the check judges, and today's level by the
    # engine (shifts and return visits included), so that today and the plan compare
    "service_level_lower95",
    "service_level_today",
    "service_level_today_lower95",
    "not_below_today",
)
WINDOW_ZH = (
    "街道编号",
    "街道",
    "区县",
    "户数",
    "现有窗口人员",
    "建议窗口人员",
    "计划达标率",
    "服务达标率",
    "达标率95%置信半宽",
    "目标",
    "是否达标",
    "达标率95%下限",
    "现有达标率",
    "现有达标率95%下限",
    "不低于现状",
)
CURVE_COLUMNS = (
    "community_id",
    "stream",
    "staff",
    "service_level",
    "service_level_ci95",
    # added by the grid-truth issue: the bound, urgent and ordinary apart, replications
    "service_level_lower95",
    "urgent_level",
    "urgent_level_ci95",
    "ordinary_level",
    "ordinary_level_ci95",
    "replications",
    "utilisation",
    "backlog_grows",
)
CURVE_ZH = (
    "社区编号",
    "业务",
    "人员当量",
    "服务达标率",
    "95%置信半宽",
    "达标率95%下限",
    "紧急事件响应达标率",
    "紧急95%置信半宽",
    "一般事件办结达标率",
    "一般95%置信半宽",
    "重复次数",
    "利用率",
    "积压是否增长",
)
FILES = (
    "allocation.csv",
    "allocation.xlsx",
    "curves.csv",
    "plan.json",
    "windows.csv",
)


def allocation_rows(plan: Plan) -> list[dict[str, Any]]:
    scenario = plan.scenario
    by_id = plan.result.by_id()
    standards = {str(k): v for k, v in scenario.budget.fund_standard_yuan.items()}
    norms = plan.norms
    rows = []
    for district in scenario.districts:
        for street in district.streets:
            for c in street.communities:
                a = by_id.get(c.id)
                check = plan.checks.get(c.id)
                ch = check  # the new columns read the check where there is one
                level = check.level if check is not None else (a.service_level if a else None)
                rows.append(
                    {
                        "community_id": c.id,
                        "community": c.name_zh or c.name,
                        "street": street.name_zh or street.name,
                        "district": district.name_zh or district.name,
                        "type": c.type,
                        "households": c.households,
                        "posts_current": c.posts,
                        "posts_proposed": a.posts if a else None,
                        "funds_standard_yuan": standards.get(c.type, 0.0),
                        "funds_proposed_yuan": round(a.funds_yuan, 2) if a else None,
                        "purchased_hours": round(a.purchased_hours, 1) if a else None,
                        "service_level": _round(level),
                        "service_level_ci95": _round(check.ci95) if check is not None else None,
                        "target": a.target if a else None,
                        "target_met": (
                            check.target_met if check is not None else a.target_met if a else None
                        ),
                        "marginal_value_per_post": _round(a.marginal_value_per_post) if a else None,
                        "service_level_lower95": _round(ch.lower) if ch else None,
                        "urgent_level": _round(ch.urgent_level) if ch else None,
                        "urgent_level_ci95": _round(ch.urgent_ci95) if ch else None,
                        "urgent_target": _round(ch.urgent_target) if ch else None,
                        "ordinary_level": _round(ch.ordinary_level) if ch else None,
                        "ordinary_level_ci95": _round(ch.ordinary_ci95) if ch else None,
                        "ordinary_target": _round(ch.ordinary_target) if ch else None,
                        "backlog_grows": ch.backlog_grows if ch else None,
                        "check_replications": ch.replications if ch else None,
                        "utilisation": _round(ch.utilisation) if ch else None,
                        "overtime_h_per_worker_week": (
                            _round(ch.overtime_h_per_worker_week) if ch else None
                        ),
                        "on_call_h_per_year": _round(ch.on_call_h_per_year, 1) if ch else None,
                        "posts_norm_jilin_low": norms.jilin_low.get(c.id) if norms else None,
                        "posts_norm_jilin_high": norms.jilin_high.get(c.id) if norms else None,
                        "workers_norm_national": (
                            _round(norms.national.get(c.id), 2) if norms else None
                        ),
                        "posts_change": a.posts - c.posts if a else None,
                        "cut": a.posts < c.posts if a else None,
                    }
                )
    return rows


def window_rows(plan: Plan) -> list[dict[str, Any]]:
    """Clerks per street (pooled windows), with the check's service level."""
    if plan.clerks is None:
        return []
    by_id = plan.clerks.result.by_id()
    rows = []
    for district in plan.scenario.districts:
        for street in district.streets:
            check = plan.clerks.checks.get(street.id)
            allocation = by_id.get(street.id)
            rows.append(
                {
                    "street_id": street.id,
                    "street": street.name_zh or street.name,
                    "district": district.name_zh or district.name,
                    "households": street.households,
                    "clerks_current": street.windows,
                    "clerks_proposed": allocation.posts if allocation else None,
                    "planned_level": _round(check.planned_level) if check else None,
                    "service_level": _round(check.level) if check else None,
                    "service_level_ci95": _round(check.ci95) if check else None,
                    "target": check.target if check else None,
                    "target_met": check.target_met if check else None,
                    "service_level_lower95": _round(check.lower) if check else None,
                    "service_level_today": _round(check.level_today) if check else None,
                    "service_level_today_lower95": _round(check.lower_today) if check else None,
                    "not_below_today": check.not_below_today if check else None,
                }
            )
    return rows


def curve_rows(plan: Plan) -> list[dict[str, Any]]:
    rows = []
    measured = plan.measured.points if plan.measured is not None else {}
    for community, curve in plan.curves.items():
        points = measured.get(community)
        for j, (staff, level) in enumerate(zip(curve.staff, curve.level, strict=True)):
            half = curve.ci95[j] if curve.ci95 is not None else None
            p = points[j] if points is not None and j < len(points) else None
            rows.append(
                {
                    "community_id": community,
                    "stream": "grid",
                    "staff": float(staff),
                    "service_level": _round(float(level)),
                    "service_level_ci95": _round(float(half)) if half is not None else None,
                    "service_level_lower95": _round(p.lower) if p else None,
                    "urgent_level": _round(p.urgent) if p else None,
                    "urgent_level_ci95": _round(p.urgent_ci95) if p else None,
                    "ordinary_level": _round(p.ordinary) if p else None,
                    "ordinary_level_ci95": _round(p.ordinary_ci95) if p else None,
                    "replications": p.replications if p else None,
                    "utilisation": _round(p.utilisation) if p else None,
                    "backlog_grows": p.backlog_grows if p else None,
                }
            )
    return rows


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def csv_bytes(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark; numbers at the precision of
    :func:`jiedao.export.format.csv_number` (at most 6 decimals, never exponent notation)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_number(row[k]) for k in columns])
    return buffer.getvalue().encode("utf-8-sig")


# XLSX: (change column, today's column, the plan's column); a change column is added after the
# plan's where the sheet has both (funds change against today's funds where the table has them,
# else against the standard funds)
CHANGES = (
    ("posts_change", "posts_current", "posts_proposed"),
    ("funds_change_yuan", "funds_current_yuan", "funds_proposed_yuan"),
    ("funds_change_yuan", "funds_standard_yuan", "funds_proposed_yuan"),
    ("clerks_change", "clerks_current", "clerks_proposed"),
)
SHARE_COLUMNS = ("service_level", "planned_level", "target", "probability")
XlsxSheet = tuple[str, tuple[str, ...], tuple[str, ...], list[dict[str, Any]]]


def summed(column: str) -> bool:
    """Columns whose total means something (the XLSX summary sheet adds them): counts of
    households, posts and clerks, yuan and hours, and their changes."""
    return (
        column == "households"
        or column.startswith(("posts_", "clerks_"))
        or column.endswith(("_yuan", "_hours", "_change"))
    ) and not column.endswith(("_level", "_share", "_ci95", "_low", "_high"))


def number_format(column: str) -> str:
    """The Excel number format a column's numbers are shown in: an interval's ends and
    half-widths (``_low``, ``_high``, ``_ci95``) as the figure they belong to."""
    for suffix in ("_ci95", "_low", "_high"):
        if column.endswith(suffix) and column != suffix:
            return number_format(column.removesuffix(suffix))
    if column.endswith(("_change", "_change_yuan")):
        return "+#,##0;-#,##0;0"
    if column.endswith("_yuan"):
        return "#,##0"
    if column.endswith("_hours"):
        return "#,##0.0"
    if column in SHARE_COLUMNS or column.endswith(("_share", "_level", "utilisation")):
        return "0.0%"
    if column == "households" or column.startswith(("posts_", "clerks_")) or column == "rank":
        return "#,##0"
    if column in ("index", "draws"):
        return "0"
    if column == "staff":
        return "0.0"
    return "#,##0.00"


def xlsx_layout(columns: tuple[str, ...]) -> list[tuple[str, str | None, str | None]]:
    """(column, today, plan) in sheet order: the table's columns, each change column after
    its plan column."""
    out: list[tuple[str, str | None, str | None]] = []
    added: set[str] = set()
    computed = {change for change, today, plan in CHANGES if today in columns and plan in columns}
    for column in columns:
        if column in computed:  # the table carries it too: shown once, after its plan column
            continue
        out.append((column, None, None))
        for change, today, plan in CHANGES:
            if plan == column and today in columns and change not in added:
                out.append((change, today, plan))
                added.add(change)
    return out


def xlsx_bytes(
    sheets: list[XlsxSheet],
    *,
    lang: str = "zh",
    summary: bool = True,
    max_rows: int = EXCEL_MAX_ROWS,
    labels: Callable[[str], str] | None = None,
) -> bytes:
    """The workbook: a summary sheet with the totals (when ``summary``), then each table.

    A data sheet has a header row in ``lang`` (the Chinese names given, or English labels),
    the column ids under it, then one row per record and nothing else (no totals row: a script
    reads every row as a record). Numbers are numbers, with a format per column (counts, yuan
    with separators, percentages), and today / plan / change columns where the table has today's
    and the plan's figure. A table longer than a sheet holds (``max_rows``, Excel's 1,048,576)
    continues on sheets named ``curves (2)``, ``curves (3)``... Same tables, same bytes.
    ``labels(column)``, when given, makes the header row instead (already in ``lang``).
    """
    from jiedao.export.labels import label_or
    from jiedao.export.xlsx import Column, Sheet, split_rows, write_workbook

    out: list[Sheet] = []
    totals: list[list[Any]] = []
    for title, columns, chinese, rows in sheets:
        layout = xlsx_layout(columns)
        zh = dict(zip(columns, chinese, strict=False))
        header = [
            labels(name)
            if labels is not None
            else zh.get(name) or label_or(name, "zh")
            if lang == "zh"
            else label_or(name, "en")
            for name, _, _ in layout
        ]
        table = _xlsx_rows(rows, layout)
        xcolumns = [
            Column(
                name, _format_of(name, [r[j] for r in table]), max(10.0, min(40.0, len(name) + 2.0))
            )
            for j, (name, _, _) in enumerate(layout)
        ]
        parts = split_rows(table, max_rows - 2)
        for k, part in enumerate(parts, start=1):
            name = title if k == 1 else f"{title} ({k})"
            out.append(Sheet(name, xcolumns, [header, [n for n, _, _ in layout]], part))
        totals.append([title, "rows", label_or("rows", lang), len(rows), None])
        for j, (name, _, _) in enumerate(layout):
            if summed(name):
                values = [r[j] for r in table if isinstance(r[j], int | float)]
                total = sum(values)
                if isinstance(total, float):
                    total = round(total, 2)
                wan = round(total / 10_000, 4) if name.endswith("_yuan") else None
                totals.append([title, name, header[j], total, wan])
    if summary:
        keys = ("sheet", "column", "item", "total", "total_wan_yuan")
        front = Sheet(
            _summary_title(lang),
            [
                Column("sheet", "General", 14),
                Column("column", "General", 24),
                Column("item", "General", 24),
                Column("total", "#,##0", 16),
                Column("total_wan_yuan", "#,##0.0", 16),
            ],
            [[label_or(k, lang) for k in keys], list(keys)],
            totals,
        )
        out.insert(0, front)
    return write_workbook(out)


def _format_of(column: str, values: list[Any]) -> str:
    """The column's number format; whole numbers where the default would show decimals."""
    chosen = number_format(column)
    numbers = [v for v in values if v is not None]
    if (
        chosen == "#,##0.00"
        and numbers
        and all(isinstance(v, int) and not isinstance(v, bool) for v in numbers)
    ):
        return "#,##0"
    return chosen


def _summary_title(lang: str) -> str:
    return "汇总" if lang == "zh" else "summary"


def _xlsx_rows(
    rows: list[dict[str, Any]], layout: list[tuple[str, str | None, str | None]]
) -> list[list[Any]]:
    """The sheet's cells: the table's values, and each change as the plan's less today's."""
    names = [name for name, _, _ in layout]
    changes = [
        (j, names.index(today), names.index(plan))
        for j, (_, today, plan) in enumerate(layout)
        if today is not None and plan is not None
    ]
    table = []
    for row in rows:
        values = [row.get(name) for name in names]
        for j, today_at, plan_at in changes:
            a, b = values[today_at], values[plan_at]
            if isinstance(a, int | float) and isinstance(b, int | float):
                change = b - a
                values[j] = round(change, 2) if isinstance(change, float) else change
        table.append(values)
    return table


def existing(out: Path, names: tuple[str, ...] = FILES) -> list[str]:
    return [n for n in names if (out / n).exists()]


def write_plan(plan: Plan, out: Path, lang: str = "zh") -> list[Path]:
    """Write the plan's files into ``out``, each atomically (windows.csv where windows pool);
    ``lang`` is the language of the XLSX's header row."""
    from jiedao.export.documents import plan_document

    out.mkdir(parents=True, exist_ok=True)
    allocation, curves, windows = allocation_rows(plan), curve_rows(plan), window_rows(plan)
    sheets: list[tuple[str, tuple[str, ...], tuple[str, ...], list[dict[str, Any]]]] = [
        ("allocation", ALLOCATION_COLUMNS, ALLOCATION_ZH, allocation)
    ]
    files = [
        ("allocation.csv", csv_bytes(ALLOCATION_COLUMNS, allocation)),
        ("curves.csv", csv_bytes(CURVE_COLUMNS, curves)),
    ]
    if windows:
        sheets.append(("windows", WINDOW_COLUMNS, WINDOW_ZH, windows))
        files.append(("windows.csv", csv_bytes(WINDOW_COLUMNS, windows)))
    sheets.append(("curves", CURVE_COLUMNS, CURVE_ZH, curves))
    files.append(("allocation.xlsx", xlsx_bytes(sheets, lang=lang)))
    files.append(("plan.json", dumps_json(plan_document(plan)).encode("utf-8")))
    # every file is rendered and staged before any is renamed into place: an interrupted
    # plan leaves the old set of files or whole new ones, never a half-written one
    atomic_write_many([(out / name, data) for name, data in files])
    return [out / name for name, _ in files]


class CurvesFileError(ValueError):
    """A curves file a planner brought is malformed (file, line, column named)."""


def read_curves(path: Path, known: set[str] | None = None) -> dict[str, Any]:
    """Read ``community_id, stream, staff, service_level[, service_level_ci95]`` rows."""
    from jiedao.optimize.curves import Curve

    label = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise CurvesFileError(f"{label}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise CurvesFileError(f"{label}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    need = {"community_id", "staff", "service_level"}
    missing = need - set(reader.fieldnames or ())
    if missing:
        raise CurvesFileError(
            f"{label}: missing column(s) {', '.join(sorted(missing))}; "
            f"expected {', '.join(CURVE_COLUMNS)}"
        )
    points: dict[str, list[tuple[float, float, float | None]]] = {}
    for line, row in enumerate(reader, start=2):
        community = (row.get("community_id") or "").strip()
        if known is not None and community not in known:
            raise CurvesFileError(
                f"{label}: line {line}: community_id: no community {community!r} in the scenario"
            )
        stream = (row.get("stream") or "grid").strip() or "grid"
        if stream != "grid":
            raise CurvesFileError(
                f"{label}: line {line}: stream: only 'grid' curves are allocated, got {stream!r}"
            )
        values: list[float | None] = []
        for field in ("staff", "service_level", "service_level_ci95"):
            raw = (row.get(field) or "").strip()
            if raw == "" and field == "service_level_ci95":
                values.append(None)
                continue
            try:
                value = float(raw)
            except ValueError:
                raise CurvesFileError(
                    f"{label}: line {line}: {field}: must be a number, got {raw!r}"
                ) from None
            if not math.isfinite(value) or value < 0 or (field == "service_level" and value > 1):
                bound = "between 0 and 1" if field == "service_level" else ">= 0"
                raise CurvesFileError(f"{label}: line {line}: {field}: must be {bound}, got {raw}")
            values.append(value)
        staff_value, level_value = float(values[0] or 0.0), float(values[1] or 0.0)
        points.setdefault(community, []).append((staff_value, level_value, values[2]))
    curves = {}
    for community, rows in points.items():
        rows.sort()
        staff = [r[0] for r in rows]
        if len(set(staff)) != len(staff):
            raise CurvesFileError(f"{label}: community {community}: staff levels repeat")
        ci = [r[2] for r in rows]
        curves[community] = Curve(
            np.asarray(staff),
            np.asarray([r[1] for r in rows]),
            None if any(c is None for c in ci) else np.asarray(ci, dtype=float),
        )
    if known is not None and set(curves) != known:
        absent = sorted(known - set(curves))
        raise CurvesFileError(f"{label}: no curve for {len(absent)} communities, e.g. {absent[0]}")
    return curves


def read_plan(folder: Path, communities: set[str]) -> GivenPlan:
    """A plan written by ``jiedao plan --out``: its curves.csv and the allocation in plan.json.
    Raises :class:`CurvesFileError` (or ``OSError``, ``ValueError``) naming what is wrong."""
    import json

    from jiedao.planning.whatif import GivenPlan

    curves = read_curves(folder / "curves.csv", communities)
    document = json.loads((folder / "plan.json").read_text("utf-8"))
    rows = document["allocation"]
    return GivenPlan(
        curves=curves,
        posts={row["community_id"]: int(row["posts_proposed"]) for row in rows},
        funds_yuan={row["community_id"]: float(row["funds_proposed_yuan"]) for row in rows},
        targets={row["community_id"]: float(row["target"]) for row in rows},
        mode=document.get("mode"),
        objective=document.get("objective"),
    )
