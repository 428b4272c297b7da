"""A small XLSX writer: linear in the rows, a number format per column, the same bytes every time.

A workbook is a zip of XML parts (Office Open XML, ECMA-376); this module writes the few a data
table needs: the workbook, one worksheet per :class:`Sheet`, the styles (one number format per
column, bold header rows), document properties with a fixed date, and zip members dated
1980-01-01, so the same tables give the same bytes. Text is written as inline strings, never as
formulas: a name such as ``=HYPERLINK(...)`` stays text. Each row is formatted once and appended,
so the time grows with the cells (about 1 s per million cells here, with the deflate), where
openpyxl's write-only mode took 40 s for 100,000 rows of 16 columns and XlsxWriter 15 s
(docs/benchmarks.md, ``benchmarks/bench_xlsx.py``).

Limits: a sheet holds at most :data:`MAX_ROWS` rows (Excel's), a title at most 31 characters
without ``[]:*?/\\``; :func:`write_workbook` refuses more, and callers split long tables
(:func:`split_rows`).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_ROWS = 1_048_576  # rows in one Excel sheet
MAX_COLUMNS = 16_384
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DOCUMENT_DATE = "2000-01-01T00:00:00Z"
BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "@": 49,
}
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
# characters XML 1.0 does not allow (a scenario name could carry one); they are dropped
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True)
class Column:
    """A column's id (for the autofilter's header), display width and Excel number format."""

    name: str
    number_format: str = "General"
    width: float = 12.0


@dataclass
class Sheet:
    """``header`` rows are bold and frozen; the autofilter sits on the last of them."""

    title: str
    columns: Sequence[Column]
    header: Sequence[Sequence[Any]] = ()
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def split_rows(rows: Sequence[Any], per_sheet: int) -> list[Sequence[Any]]:
    """Rows in chunks of at most ``per_sheet`` (one chunk, maybe empty, when they fit)."""
    if per_sheet < 1:
        raise ValueError("a sheet must hold at least one row")
    return [rows[i : i + per_sheet] for i in range(0, len(rows), per_sheet)] or [rows]


def _escape(text: str) -> str:
    if not text.isprintable():  # the rare text with a control character
        text = _ILLEGAL.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _text_cell(ref: str, text: str, style: str) -> str:
    body = _escape(text)
    space = ' xml:space="preserve"' if body != body.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{body}</t></is></c>'


def _cell(ref: str, value: Any, style: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _cell(ref, value.item(), style)
    return _text_cell(ref, str(value), "")


class _Styles:
    """Cell formats: 0 the default, 1 bold (headers), then one per number format."""

    def __init__(self) -> None:
        self.formats: dict[str, int] = {}  # number format -> cellXfs index
        self.custom: dict[str, int] = {}  # custom number format -> numFmtId

    def index(self, number_format: str) -> int:
        if number_format == "General":
            return 0
        if number_format not in self.formats:
            if number_format not in BUILTIN_FORMATS and number_format not in self.custom:
                self.custom[number_format] = 164 + len(self.custom)
            self.formats[number_format] = 2 + len(self.formats)
        return self.formats[number_format]

    def xml(self) -> str:
        num_fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_attribute(code)}"/>'
            for code, i in self.custom.items()
        )
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
        xfs = [
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>',
        ]
        for code in self.formats:
            number = BUILTIN_FORMATS.get(code, self.custom.get(code))
            xfs.append(
                f'<xf numFmtId="{number}" fontId="0" fillId="0" borderId="0" xfId="0" '
                'applyNumberFormat="1"/>'
            )
        return (
            f'{XML_HEAD}<styleSheet xmlns="{MAIN}">'
            + (f'<numFmts count="{len(self.custom)}">{num_fmts}</numFmts>' if self.custom else "")
            + f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


def _check(sheets: Sequence[Sheet]) -> None:
    titles = set()
    for sheet in sheets:
        if not sheet.title or len(sheet.title) > 31 or _BAD_TITLE.search(sheet.title):
            raise ValueError(f"sheet title {sheet.title!r}: 1-31 characters, none of []:*?/\\")
        if sheet.title.lower() in titles:
            raise ValueError(f"sheet title {sheet.title!r} repeats")
        titles.add(sheet.title.lower())
        if len(sheet.header) + len(sheet.rows) > MAX_ROWS:
            raise ValueError(
                f"sheet {sheet.title!r}: {len(sheet.header) + len(sheet.rows):,} rows, more than "
                f"Excel's {MAX_ROWS:,}"
            )
        if len(sheet.columns) > MAX_COLUMNS:
            raise ValueError(f"sheet {sheet.title!r}: more than {MAX_COLUMNS:,} columns")


def _worksheet(sheet: Sheet, styles: _Styles, selected: bool) -> Iterator[str]:
    letters = [column_letter(j) for j in range(len(sheet.columns))]
    style = [f' s="{i}"' if (i := styles.index(c.number_format)) else "" for c in sheet.columns]
    last = letters[-1] if letters else "A"
    n_header = len(sheet.header)
    total = n_header + len(sheet.rows)
    yield f'{XML_HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
    yield f'<dimension ref="A1:{last}{max(total, 1)}"/>'
    pane = ""
    if n_header:
        top = f"A{n_header + 1}"
        pane = (
            f'<pane ySplit="{n_header}" topLeftCell="{top}" activePane="bottomLeft" '
            f'state="frozen"/><selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        )
    tab = ' tabSelected="1"' if selected else ""
    yield f'<sheetViews><sheetView{tab} workbookViewId="0">{pane}</sheetView></sheetViews>'
    yield '<sheetFormatPr defaultRowHeight="15"/>'
    if sheet.columns:
        yield (
            "<cols>"
            + "".join(
                f'<col min="{j}" max="{j}" width="{c.width:g}" customWidth="1"/>'
                for j, c in enumerate(sheet.columns, start=1)
            )
            + "</cols>"
        )
    yield "<sheetData>"
    for i, row in enumerate(sheet.header, start=1):
        cells = "".join(
            _text_cell(f"{letters[j]}{i}", str(v), ' s="1"')
            for j, v in enumerate(row)
            if v is not None
        )
        yield f'<row r="{i}">{cells}</row>'
    isfinite = math.isfinite
    for i, row in enumerate(sheet.rows, start=n_header + 1):
        parts: list[str] = []
        for letter, value, s in zip(letters, row, style, strict=False):
            kind = type(value)  # the common types first, without isinstance (the hot loop)
            if kind is float:
                if isfinite(value):
                    parts.append(f'<c r="{letter}{i}"{s}><v>{value!r}</v></c>')
            elif kind is int:
                parts.append(f'<c r="{letter}{i}"{s}><v>{value}</v></c>')
            elif kind is str:
                parts.append(_text_cell(f"{letter}{i}", value, ""))
            elif value is not None:
                parts.append(_cell(f"{letter}{i}", value, s))
        yield f'<row r="{i}">{"".join(parts)}</row>'
    yield "</sheetData>"
    if n_header and sheet.columns:
        yield f'<autoFilter ref="A{n_header}:{last}{max(total, n_header)}"/>'
    yield "</worksheet>"


def write_workbook(sheets: Sequence[Sheet]) -> bytes:
    """The workbook's bytes: the same sheets give the same bytes. Worksheets are streamed into
    the zip a block of rows at a time, so memory stays near the rows' own."""
    _check(sheets)
    styles = _Styles()
    for sheet in sheets:  # every format gets its index before any cell is written
        for column in sheet.columns:
            styles.index(column.number_format)
    names = "".join(
        f'<sheet name="{_attribute(s.title)}" sheetId="{k}" r:id="rId{k}"/>'
        for k, s in enumerate(sheets, start=1)
    )
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{k}" hidden="1">'
        f"'{_attribute(s.title)}'!$A${len(s.header)}:${column_letter(len(s.columns) - 1)}$"
        f"{max(len(s.header) + len(s.rows), len(s.header))}</definedName>"
        for k, s in enumerate(sheets)
        if s.header and s.columns
    )
    workbook = (
        f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{names}</sheets>"
        + (f"<definedNames>{filters}</definedNames>" if filters else "")
        + "</workbook>"
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{k}" Type="{REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
        for k in range(1, len(sheets) + 1)
    )
    workbook_rels = (
        f'{XML_HEAD}<Relationships xmlns="{PKG_REL}">{sheet_rels}'
        f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    office = "application/vnd.openxmlformats-officedocument"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k}.xml" '
        f'ContentType="{office}.spreadsheetml.worksheet+xml"/>'
        for k in range(1, len(sheets) + 1)
    )
    content_types = (
        f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.spreadsheetml.sheet.main'
        f'+xml"/>{overrides}'
        f'<Override PartName="/xl/styles.xml" ContentType="{office}.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{office}.extended-properties+xml"/>'
        "</Types>"
    )
    root_rels = (
        f'{XML_HEAD}<Relationships xmlns="{PKG_REL}">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    )
    core = (
        f'{XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
        '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>jiedao</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{DOCUMENT_DATE}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{DOCUMENT_DATE}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    app = (
        f'{XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>jiedao</Application></Properties>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in (
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", root_rels),
            ("docProps/core.xml", core),
            ("docProps/app.xml", app),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", workbook_rels),
            ("xl/styles.xml", styles.xml()),
        ):
            book.writestr(_member(name), text.encode("utf-8"))
        for k, sheet in enumerate(sheets, start=1):
            large = len(sheet.rows) * max(1, len(sheet.columns)) > 20_000_000  # past 2 GiB of XML
            name = f"xl/worksheets/sheet{k}.xml"
            with book.open(_member(name), "w", force_zip64=large) as part:
                block: list[str] = []
                for piece in _worksheet(sheet, styles, selected=k == 1):
                    block.append(piece)
                    if len(block) >= 2000:
                        part.write("".join(block).encode("utf-8"))
                        block.clear()
                part.write("".join(block).encode("utf-8"))
    return buffer.getvalue()


def _member(name: str) -> zipfile.ZipInfo:
    member = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o600 << 16
    return member
