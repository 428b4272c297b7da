"""The plan's workbook (issues 14 and 15): number formats per column, today / plan / change
columns, a summary sheet whose totals are the sums of the CSV columns, no totals row in a data
sheet, Excel's row limit respected by splitting, no live formula, and the same bytes every time.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from jiedao.cli import app
from jiedao.export.plan import (
    ALLOCATION_COLUMNS,
    CURVE_COLUMNS,
    CURVE_ZH,
    number_format,
    summed,
    xlsx_bytes,
    xlsx_layout,
)
from jiedao.export.xlsx import MAX_ROWS, Column, Sheet, write_workbook
from jiedao.scenarios.generate import generate

runner = CliRunner()


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("xlsx")
    city = folder / "city.toml"
    city.write_text(generate(6, 4), encoding="utf-8")
    out = folder / "plan"
    result = runner.invoke(app, ["plan", str(city), "-r", "1", "--check-replications", "1", "-q",
                                 "--backend", "serial", "--out", str(out),
                                 "--set", "simulation.case_days=28",
                                 "--set", "simulation.case_warmup_days=7",
                                 "--set", "simulation.max_replications=1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_sheets_hold_numbers_with_a_format_per_column(plan_dir: Path) -> None:
    book = load_workbook(plan_dir / "allocation.xlsx")
    assert book.sheetnames[0] == "汇总" and "allocation" in book.sheetnames
    sheet = book["allocation"]
    header = [c.value for c in sheet[2]]
    assert header == [name for name, _, _ in xlsx_layout(ALLOCATION_COLUMNS)]
    # today / plan / change side by side
    at = header.index("posts_current")
    assert header[at : at + 3] == ["posts_current", "posts_proposed", "posts_change"]
    expected = {
        "households": "#,##0",
        "posts_proposed": "#,##0",
        "posts_change": "+#,##0;-#,##0;0",
        "funds_proposed_yuan": "#,##0",
        "service_level": "0.0%",
        "service_level_ci95": "0.0%",
        "target": "0.0%",
        "purchased_hours": "#,##0.0",
    }
    first = next(sheet.iter_rows(min_row=3, max_row=3))
    for name, code in expected.items():
        cell = first[header.index(name)]
        assert cell.number_format == code, name
        assert isinstance(cell.value, int | float), name
    # the header rows are frozen and filtered; the Chinese row is above the ids
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref.startswith("A2:")
    assert sheet.cell(1, 1).value == "社区编号"


def test_the_summary_sheet_totals_equal_the_sums_of_the_csv_columns(plan_dir: Path) -> None:
    book = load_workbook(plan_dir / "allocation.xlsx")
    summary = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    tables = {
        "allocation": _csv(plan_dir / "allocation.csv"),
        "curves": _csv(plan_dir / "curves.csv"),
    }
    if (plan_dir / "windows.csv").exists():
        tables["windows"] = _csv(plan_dir / "windows.csv")
    checked = 0
    for sheet, column, _, total, wan in summary:
        rows = tables[sheet]
        if column == "rows":
            assert total == len(rows)
            continue
        if column in rows[0]:
            values = [float(r[column]) for r in rows if r[column] != ""]
        else:  # a change column: the plan's figure less today's
            _, today, planned = next(c for c in xlsx_layout(tuple(rows[0])) if c[0] == column)
            values = [float(r[planned]) - float(r[today]) for r in rows]
        assert total == pytest.approx(sum(values), abs=0.01), (sheet, column)
        if column.endswith("_yuan"):
            assert wan == pytest.approx(total / 10_000, abs=1e-3)
        checked += 1
    summed_columns = {c for c in tables["allocation"][0] if summed(c)}
    assert {
        "households",
        "posts_current",
        "posts_proposed",
        "funds_proposed_yuan",
    } <= summed_columns
    assert checked >= len(summed_columns) + 1  # every summed column, and posts_change
    # no totals row inside a data sheet: every row is a community
    sheet = book["allocation"]
    ids = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert ids == [r["community_id"] for r in tables["allocation"]]


def _rows(n: int) -> list[dict[str, object]]:
    return [
        {"community_id": f"d/s/c{i:04d}", "stream": "grid", "staff": float(i % 7),
         "service_level": (i % 100) / 100, "service_level_ci95": 0.0123}
        for i in range(n)
    ]  # fmt: skip


def test_a_table_longer_than_a_sheet_continues_on_the_next() -> None:
    rows = _rows(25)
    data = xlsx_bytes([("curves", CURVE_COLUMNS, CURVE_ZH, rows)], max_rows=12)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "curves", "curves (2)", "curves (3)"]
    seen = []
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.max_row <= 12
        assert [c.value for c in sheet[2]] == list(CURVE_COLUMNS)  # every part has its header
        seen += [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert seen == [r["community_id"] for r in rows]
    assert MAX_ROWS == 1_048_576


class _Long(Sequence[Sequence[object]]):
    """As many rows as Excel allows, without holding them."""

    def __len__(self) -> int:
        return MAX_ROWS

    def __getitem__(self, index):  # type: ignore[override]
        return [index]


def test_no_sheet_goes_past_excels_row_limit() -> None:
    with pytest.raises(ValueError, match="more than Excel's 1,048,576"):
        write_workbook([Sheet("big", [Column("x")], [["x"]], _Long())])


def test_same_tables_same_bytes_and_no_formula() -> None:
    rows = _rows(40)
    rows[3]["community_id"] = '=HYPERLINK("http://x","y")'
    sheets = [("curves", CURVE_COLUMNS, CURVE_ZH, rows)]
    first, second = xlsx_bytes(sheets), xlsx_bytes(sheets)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as book:
        assert {i.date_time for i in book.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
        assert "2000-01-01T00:00:00Z" in core
        sheets_xml = [book.read(n).decode() for n in book.namelist() if "worksheets/" in n]
    assert not any("<f>" in s for s in sheets_xml)
    assert any('<t>=HYPERLINK("http://x","y")</t>' in s for s in sheets_xml)
    assert load_workbook(io.BytesIO(first))["curves"]["A6"].value == '=HYPERLINK("http://x","y")'


def test_the_header_row_follows_the_language() -> None:
    data = xlsx_bytes([("curves", CURVE_COLUMNS, CURVE_ZH, _rows(2))], lang="en")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "summary"
    assert [c.value for c in book["curves"][1]][:4] == [
        "community id", "stream", "staff-equivalents", "service level",
    ]  # fmt: skip


def test_number_formats_by_column_name() -> None:
    assert number_format("funds_proposed_yuan") == "#,##0"
    assert number_format("window_target_share_low") == "0.0%"
    assert number_format("window_wait_mean_min_ci95") == "#,##0.00"
    assert number_format("grid_utilisation") == "0.0%"
    assert not summed("service_level_ci95") and summed("clerks_change")
