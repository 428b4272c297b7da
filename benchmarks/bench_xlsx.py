"""The plan's XLSX writer: the old openpyxl writer vs openpyxl's write-only mode vs jiedao's own.

Run ``python -m benchmarks.bench_xlsx`` (``--sizes 250,500,1000`` for the sizes all three run
at, ``--large 100000`` for the size only the linear writers run at). Each size writes the
allocation sheet (the 16 columns of ``allocation.csv``, synthetic communities) and the curves
sheet (10 staffing levels per community), as ``jiedao plan --out`` does, and prints a markdown
table: seconds per writer and the old writer's time as a multiple of the new one's, measured
side by side in the same run.

The old writer is the one jiedao had before issue 14 (kept here, verbatim in what it does, as the
baseline): openpyxl's normal mode, asking the sheet for ``max_row`` after every appended row, so
its time grows with the square of the rows. openpyxl's write-only mode is linear, but formats
each cell through a style object; :func:`jiedao.export.plan.xlsx_bytes` formats each row once as
text (:mod:`jiedao.export.xlsx`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jiedao.export.plan import (  # noqa: E402
    ALLOCATION_COLUMNS,
    ALLOCATION_ZH,
    CURVE_COLUMNS,
    CURVE_ZH,
    csv_bytes,
    number_format,
    xlsx_bytes,
)

Sheets = list[tuple[str, tuple[str, ...], tuple[str, ...], list[dict[str, Any]]]]


def allocation(n: int) -> list[dict[str, Any]]:
    return [
        {
            "community_id": f"d{i // 1000:03d}/s{i // 10 % 100:02d}/c{i % 10}",
            "community": f"第{i}社区",
            "street": f"第{i // 10}街道",
            "district": f"第{i // 1000}区",
            "type": "urban" if i % 4 else "town",
            "households": 3000 + i % 5000,
            "posts_current": 10 + i % 7,
            "posts_proposed": 9 + i % 9,
            "funds_standard_yuan": 200000.0 if i % 4 else 100000.0,
            "funds_proposed_yuan": 200000.0 + (i % 13) * 1234.56,
            "purchased_hours": 1000.0 + i % 300,
            "service_level": 0.85 + (i % 150) / 1000,
            "service_level_ci95": 0.01 + (i % 7) / 1000,
            "target": 0.9,
            "target_met": i % 10 != 0,
            "marginal_value_per_post": (i % 97) / 7,
        }
        for i in range(n)
    ]


def curves(n: int, levels: int = 10) -> list[dict[str, Any]]:
    return [
        {
            "community_id": f"d{i // 1000:03d}/s{i // 10 % 100:02d}/c{i % 10}",
            "stream": "grid",
            "staff": float(4 + j),
            "service_level": min(1.0, 0.4 + 0.07 * j),
            "service_level_ci95": 0.02,
        }
        for i in range(n)
        for j in range(levels)
    ]


def sheets(n: int) -> Sheets:
    return [
        ("allocation", ALLOCATION_COLUMNS, ALLOCATION_ZH, allocation(n)),
        ("curves", CURVE_COLUMNS, CURVE_ZH, curves(n)),
    ]


def old_xlsx_bytes(sheets: Sheets) -> bytes:
    """jiedao's writer before issue 14 (openpyxl, normal mode): the baseline."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, columns, chinese, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(chinese))
        sheet.append(list(columns))
        for cell in (*sheet[1], *sheet[2]):
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row[k] for k in columns])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":
                    cell.data_type = "s"
        sheet.freeze_panes = "A3"
        last = sheet.cell(row=2, column=len(columns)).column_letter
        sheet.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    book.properties.created = book.properties.modified = dt.datetime(2000, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_only_xlsx_bytes(sheets: Sheets) -> bytes:
    """openpyxl's write-only mode with the same number formats per column (a linear baseline)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for title, columns, chinese, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A3"
        sheet.append(list(chinese))
        sheet.append(list(columns))
        cells = [WriteOnlyCell(sheet) for _ in columns]
        for cell, name in zip(cells, columns, strict=True):
            cell.number_format = number_format(name)
        for row in rows:
            for cell, name in zip(cells, columns, strict=True):
                cell.value = row[name]
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def seconds(func: Any, *args: Any) -> float:
    began = time.perf_counter()
    func(*args)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--large", default="100000")
    args = parser.parse_args()
    print("| communities | rows (allocation + curves) | old openpyxl s | write-only s | jiedao s "
          "| old / jiedao | write-only / jiedao |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in [int(x) for x in args.sizes.split(",") if x]:
        data = sheets(n)
        rows = sum(len(r) for *_, r in data)
        new = seconds(xlsx_bytes, data)
        old = seconds(old_xlsx_bytes, data)
        linear = seconds(write_only_xlsx_bytes, data)
        print(f"| {n:,} | {rows:,} | {old:.2f} | {linear:.2f} | {new:.2f} | **{old / new:.0f}x** "
              f"| {linear / new:.1f}x |")  # fmt: skip
    for n in [int(x) for x in args.large.split(",") if x]:
        data = sheets(n)
        rows = sum(len(r) for *_, r in data)
        new = seconds(xlsx_bytes, data)
        linear = seconds(write_only_xlsx_bytes, data)
        csv = seconds(lambda tables: [csv_bytes(c, r) for _, c, _, r in tables], data)
        print(f"| {n:,} | {rows:,} | (quadratic: not run) | {linear:.2f} | {new:.2f} | | "
              f"{linear / new:.1f}x |")  # fmt: skip
        print(f"\nThe same {rows:,} rows as CSV (allocation.csv + curves.csv): {csv:.2f} s")
        alone = [data[0]]
        print(f"The allocation sheet alone ({n:,} rows x {len(ALLOCATION_COLUMNS)} columns): "
              f"jiedao {seconds(xlsx_bytes, alone):.2f} s, write-only "
              f"{seconds(write_only_xlsx_bytes, alone):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
