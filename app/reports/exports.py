"""Completion report exports: CSV (UTF-8 with BOM) in one fixed text layout, XLSX with typed cells.

One row per (trainee, course) enrolment. The CSV columns are :data:`COLUMNS`, one :class:`Column` each —
its key, its header, how its value is read from a :class:`~app.reports.queries.ReportRow`, how it is
written as text and what it holds. The layout is a contract for the spreadsheets HR builds on it:
headers and status words are not translated, and a column is only ever added at the end (with its row
in CHANGELOG.md's layout table; tests/test_reports_layout.py checks that the header row is the
documented list).

The XLSX workbook (:func:`write_completion_xlsx`) is typed for people who filter and sort: its sheet
完成情况 starts with the fixed :data:`XLSX_COLUMNS` (dates as date cells, progress as a percentage),
then one column per required knowledge check (``测验：标题``, the best result as a percentage) and
one per required role-play card (``角色扮演：标题``, the best graded total with the rubric maximum in
its number format, e.g. ``7/10``), in course order; a frozen header row, an autofilter over the data
and column widths measured on the first rows (CJK characters count double). The sheet 部门汇总 sums it
up per department (people, enrolments, each status word, completion rate). CHANGELOG.md documents it.

Formula injection: a text cell that begins with ``= + - @`` (or a tab or carriage return) gets a
leading apostrophe, so spreadsheet programs show it as text instead of running it.

Both formats run one query over the rows and read it in batches: CSV is streamed to the client as
it is produced; XLSX is written with openpyxl's write-only mode (rows go straight to disk, strings
inline) to a file object — an anonymous temporary file for a download. Memory stays flat for 10,000
people. :func:`write_completion_csv` and :func:`write_completion_xlsx` write to any binary file
object (for jobs that keep the file).
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import chain, islice
from typing import IO, Any, Literal

from app.completion.enums import CompletionStatus, ItemKind, ItemState
from app.reports import queries
from app.reports.queries import Catalogue, ReportRow, ReportStatus

STATUS_WORDS = {
    ReportStatus.NOT_STARTED: "未开始",
    ReportStatus.IN_PROGRESS: "进行中",
    ReportStatus.COMPLETE: "已完成",
    ReportStatus.OVERDUE: "已逾期",
}
SEPARATOR = "；"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 500


def guard(value: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(DANGEROUS) else value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _iso_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _joined(values: list[str]) -> str:
    return SEPARATOR.join(values)


@dataclass(frozen=True)
class Column:
    """One export column: header, value from a row, text form, XLSX cell type, and what it holds."""

    key: str
    header: str  # the header cell: a contract, not translated
    value: Callable[[ReportRow, Catalogue], Any]
    text: Callable[[Any], str] = _text  # the cell as text
    xlsx: Literal["text", "date"] = "text"  # unused since the XLSX has its own typed layout (XLSX_COLUMNS)
    content: str = ""  # what the column holds (English; CHANGELOG.md's layout table)


def _status(row: ReportRow, catalogue: Catalogue) -> str:
    return STATUS_WORDS[ReportStatus.OVERDUE if row.overdue else ReportStatus(row.status)]


def _completed_on(row: ReportRow, catalogue: Catalogue) -> date | None:
    return row.completed_at.date() if row.completed_at and row.status == CompletionStatus.COMPLETE else None


COLUMNS: tuple[Column, ...] = (
    Column("employee_no", "工号", lambda row, c: row.employee_no, content="employee number"),
    Column("name", "姓名", lambda row, c: row.name, content="name"),
    Column("department", "部门", lambda row, c: row.department, content="department"),
    Column("course", "课程", lambda row, c: row.course_title, content="course title"),
    Column("status", "状态", _status, content="未开始 / 进行中 / 已完成 / 已逾期"),
    Column(
        "due_date",
        "截止日期",
        lambda row, c: row.due_date,
        _iso_date,
        content="`YYYY-MM-DD`, empty when there is none",
    ),
    Column("completed", "完成日期", _completed_on, _iso_date, content="`YYYY-MM-DD` (UTC), empty unless complete"),
    Column(
        "quiz_scores",
        "测验成绩",
        lambda row, c: c.scores(row, ItemKind.QUIZ),
        _joined,
        content="best result per required knowledge check, `标题 85%`, joined with `；`",
    ),
    Column(
        "roleplay_scores",
        "角色扮演成绩",
        lambda row, c: c.scores(row, ItemKind.ROLEPLAY),
        _joined,
        content="best graded total per required card, `标题 12/16` or `标题 待评分`",
    ),
    Column(
        "missing",
        "缺少项",
        lambda row, c: c.missing(row),
        _joined,
        content="titles of the required items neither done nor waived, joined with `；`",
    ),
)
HEADER = [column.header for column in COLUMNS]


def cells(row: ReportRow, catalogue: Catalogue) -> list[str]:
    """The export cells of one enrolment as text, guarded."""
    return [guard(column.text(column.value(row, catalogue))) for column in COLUMNS]


def csv_chunks(rows: Iterable[ReportRow], catalogue: Catalogue) -> Iterator[bytes]:
    """The CSV file as UTF-8 with a BOM (so Excel shows Chinese), a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for number, row in enumerate(rows, start=1):
        writer.writerow(cells(row, catalogue))
        if number % CSV_BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def write_completion_csv(rows: Iterable[ReportRow], fileobj: IO[bytes], catalogue: Catalogue | None = None) -> None:
    """Write the CSV export (UTF-8 with BOM) to a binary file object, batch by batch."""
    for chunk in csv_chunks(rows, catalogue if catalogue is not None else queries.catalogue()):
        fileobj.write(chunk)


# XLSX: typed cells ---------------------------------------------------------------------------------

XlsxKind = Literal["text", "date", "percent", "points"]
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0%"
RATE_FORMAT = "0.0%"
SHEET = "完成情况"
SUMMARY_SHEET = "部门汇总"
QUIZ_PREFIX = "测验："
ROLEPLAY_PREFIX = "角色扮演："
PENDING_WORD = "待评分"
WAIVED_WORD = "已豁免"
NO_DEPARTMENT = "（无部门）"
TOTAL_WORD = "合计"
WIDTH_SAMPLE = 200  # rows measured for the column widths (write-only: widths precede the rows)
MIN_WIDTH, MAX_WIDTH = 6, 50


@dataclass(frozen=True)
class XlsxColumn:
    """One XLSX column: header, typed value from a row, cell kind, and what it holds (CHANGELOG.md)."""

    key: str
    header: str
    value: Callable[[ReportRow, Catalogue], Any]
    kind: XlsxKind = "text"
    content: str = ""
    item: tuple[str, str] | None = None  # (kind, slug) of the quiz or card a result column shows


def _progress(row: ReportRow, catalogue: Catalogue) -> float | None:
    done, total = catalogue.progress(row)
    return done / total if total else None


_CSV = {column.key: column for column in COLUMNS}
XLSX_COLUMNS: tuple[XlsxColumn, ...] = (
    *(
        XlsxColumn(key, _CSV[key].header, _CSV[key].value, content=_CSV[key].content)
        for key in ("employee_no", "name", "department", "course", "status")
    ),
    XlsxColumn(
        "due_date", "截止日期", _CSV["due_date"].value, "date", "date cell (`yyyy-mm-dd`), empty when there is none"
    ),
    XlsxColumn("completed", "完成日期", _completed_on, "date", "date cell (`yyyy-mm-dd`, UTC), empty unless complete"),
    XlsxColumn("progress", "完成进度", _progress, "percent", "required items done or waived, a number shown as `75%`"),
    XlsxColumn("missing", "缺少项", _CSV["missing"].value, content=_CSV["missing"].content),
)
XLSX_HEADER = [column.header for column in XLSX_COLUMNS]
SUMMARY_HEADER = ["部门", "人数", "课程人次", "已完成", "进行中", "未开始", "已逾期", "完成率"]


def _item_cell(item: dict[str, Any] | None) -> Any:
    """The typed cell of one quiz or role-play item: a number, 待评分 / 已豁免, or empty."""
    if item is None:
        return None
    if item["state"] == ItemState.PENDING:
        return PENDING_WORD
    if item.get("score") is not None:
        if item["kind"] == ItemKind.QUIZ:
            return item["score"] / 100
        return (item["score"], item["max"]) if item.get("max") else item["score"]
    if item["state"] == ItemState.WAIVED:
        return WAIVED_WORD
    return None


def _item_value(kind: str, slug: str) -> Callable[[ReportRow, Catalogue], Any]:
    def value(row: ReportRow, catalogue: Catalogue) -> Any:
        found = (i for i in catalogue.items(row) if i["kind"] == kind and i["slug"] == slug)
        return _item_cell(next(found, None))

    return value


def xlsx_columns(catalogue: Catalogue) -> list[XlsxColumn]:
    """The XLSX columns for a catalogue: the fixed ones, then a column per quiz, then per role-play card.

    Quizzes and cards come in course order, then checklist order; one shared by two courses is one
    column; two with the same title get their slug after it.
    """
    extra: dict[str, list[tuple[str, str]]] = {ItemKind.QUIZ: [], ItemKind.ROLEPLAY: []}
    seen: set[tuple[str, str]] = set()
    for course in catalogue.courses:
        for req in catalogue.reqs.get(course.id, []):
            if req.kind in extra and (req.kind, req.slug) not in seen:
                seen.add((req.kind, req.slug))
                extra[req.kind].append((req.slug, req.title))
    columns = list(XLSX_COLUMNS)
    groups: tuple[tuple[str, str, XlsxKind], ...] = (
        (ItemKind.QUIZ, QUIZ_PREFIX, "percent"),
        (ItemKind.ROLEPLAY, ROLEPLAY_PREFIX, "points"),
    )
    for kind, prefix, cell in groups:
        titles = [title for _, title in extra[kind]]
        for slug, title in extra[kind]:
            header = prefix + (title if titles.count(title) == 1 else f"{title}（{slug}）")
            columns.append(XlsxColumn(f"{kind}:{slug}", header, _item_value(kind, slug), cell, item=(kind, slug)))
    return columns


def xlsx_values(row: ReportRow, catalogue: Catalogue, columns: list[XlsxColumn] | None = None) -> list[Any]:
    """The typed XLSX values of one enrolment: guarded text, dates, fractions, (points, maximum) pairs."""
    out: list[Any] = []
    items: dict[tuple[str, str], dict[str, Any]] | None = None
    for column in columns if columns is not None else xlsx_columns(catalogue):
        if column.item is not None:
            if items is None:  # the row's checklist, looked up once per row rather than once per column
                items = {(i["kind"], i["slug"]): i for i in catalogue.items(row)}
            value = _item_cell(items.get(column.item))
        else:
            value = column.value(row, catalogue)
        if isinstance(value, list):
            value = _joined(value)
        out.append(_safe(value) if isinstance(value, str) else value)
    return out


def _safe(text: str) -> str | None:
    """Guarded text without the characters XML forbids (None when nothing is left)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", guard(text)) or None


def xlsx_cells(row: ReportRow, catalogue: Catalogue) -> list[Any]:
    """The XLSX values of one enrolment (kept for callers of the first release; see ``xlsx_values``)."""
    return xlsx_values(row, catalogue)


def display_width(value: Any) -> int:
    """How many narrow characters a value takes on screen: CJK and full-width characters count double."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    if isinstance(value, tuple):
        return len(f"{value[0]}/{value[1]}")
    if isinstance(value, float):
        return 4
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _typed_cell(sheet: Any, value: Any, kind: str) -> Any:
    """A write-only cell with the number format its kind needs (text stays a plain value)."""
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, str):
        return value
    if kind == "points" and isinstance(value, tuple):
        points, maximum = value
        cell = WriteOnlyCell(sheet, value=points)
        cell.number_format = f'0"/{int(maximum)}"'
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = {"date": DATE_FORMAT, "percent": PERCENT_FORMAT, "rate": RATE_FORMAT}.get(kind, "General")
    return cell


def _header_cells(sheet: Any, headers: list[str]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _set_widths(sheet: Any, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)


@dataclass
class DepartmentCounts:
    """The summary figures of one department: people, enrolments and each status word."""

    people: int = 0
    enrolments: int = 0
    complete: int = 0
    in_progress: int = 0
    not_started: int = 0
    overdue: int = 0
    last_person: int | None = None

    def add(self, row: ReportRow) -> None:
        """Count one enrolment (a person is counted once when their rows come together, as in report order)."""
        if row.user_id != self.last_person:
            self.people += 1
            self.last_person = row.user_id
        self.enrolments += 1
        if row.overdue:
            self.overdue += 1
        elif row.status == CompletionStatus.COMPLETE:
            self.complete += 1
        elif row.status == CompletionStatus.IN_PROGRESS:
            self.in_progress += 1
        else:
            self.not_started += 1

    def cells(self, label: str) -> list[Any]:
        """The summary row: label, counts, and the completion rate (complete / enrolments)."""
        rate = self.complete / self.enrolments if self.enrolments else 0.0
        counts = [self.people, self.enrolments, self.complete, self.in_progress, self.not_started, self.overdue]
        return [label, *counts, rate]


def write_completion_xlsx(rows: Iterable[ReportRow], fileobj: IO[bytes], catalogue: Catalogue | None = None) -> None:
    """Write the typed XLSX export (sheets 完成情况 and 部门汇总) to a binary file object.

    ``rows`` in report order (department, name, course), e.g. ``queries.iter_rows(filters)``; they are
    read once, in a single pass, with only the first rows held (to measure the column widths).
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    catalogue = catalogue if catalogue is not None else queries.catalogue()
    columns = xlsx_columns(catalogue)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    rows = iter(rows)
    sample = [(row, xlsx_values(row, catalogue, columns)) for row in islice(rows, WIDTH_SAMPLE)]
    widths = [display_width(column.header) for column in columns]
    for _, values in sample:
        widths = [max(width, display_width(value)) for width, value in zip(widths, values, strict=True)]
    _set_widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.append(_header_cells(sheet, [column.header for column in columns]))
    departments: dict[str | None, DepartmentCounts] = {}
    count = 0
    pending = ((row, xlsx_values(row, catalogue, columns)) for row in rows)
    for row, values in chain(sample, pending):
        sheet.append([_typed_cell(sheet, value, column.kind) for value, column in zip(values, columns, strict=True)])
        departments.setdefault(row.department, DepartmentCounts()).add(row)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"

    summary = book.create_sheet(SUMMARY_SHEET)
    named = sorted(name for name in departments if name is not None)
    lines = [(name, departments[name]) for name in named]
    if None in departments:
        lines.append((NO_DEPARTMENT, departments[None]))
    total = DepartmentCounts()
    for _, counts in lines:
        for field in ("people", "enrolments", "complete", "in_progress", "not_started", "overdue"):
            setattr(total, field, getattr(total, field) + getattr(counts, field))
    labels = [SUMMARY_HEADER[0], TOTAL_WORD, *(label for label, _ in lines)]
    _set_widths(summary, [max(map(display_width, labels)), *(max(display_width(h), 6) for h in SUMMARY_HEADER[1:])])
    summary.freeze_panes = "A2"
    summary.append(_header_cells(summary, SUMMARY_HEADER))
    for label, counts in [*lines, (TOTAL_WORD, total)]:
        label_cell, *numbers, rate = counts.cells(label)
        summary.append([_safe(label_cell), *numbers, _typed_cell(summary, rate, "rate")])
    book.save(fileobj)


def xlsx_file(rows: Iterable[ReportRow], catalogue: Catalogue) -> IO[bytes]:
    """Write the XLSX to an anonymous temporary file and return it rewound."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by send_file after sending)
    write_completion_xlsx(rows, handle, catalogue)
    handle.seek(0)
    return handle
