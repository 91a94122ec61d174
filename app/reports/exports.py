"""Completion report exports in one fixed layout, as CSV (UTF-8 with BOM) or XLSX.

One row per (trainee, course) enrolment. The columns are :data:`COLUMNS`, one :class:`Column` each —
its key, its header, how its value is read from a :class:`~app.reports.queries.ReportRow`, how it is
written as text, its XLSX cell type and what it holds — and both formats write exactly that table.
The layout is a contract for the spreadsheets HR builds on it: headers and status words are not
translated, and a column is only ever added at the end (with its row in CHANGELOG.md's layout
table; tests/test_reports.py checks that the header row is the documented list).

Formula injection: a text cell that begins with ``= + - @`` (or a tab or carriage return) gets a
leading apostrophe, so spreadsheet programs show it as text instead of running it.

Both formats run one query over the rows and read it in batches: CSV is streamed to the client as
it is produced; XLSX is written with openpyxl's write-only mode (rows go straight to disk, strings
inline) to an anonymous temporary file that is then sent. Memory stays flat for 10,000 people.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any, Literal

from app.completion.enums import CompletionStatus, ItemKind
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
    text: Callable[[Any], str] = _text  # the cell as text (CSV, and XLSX text cells)
    xlsx: Literal["text", "date"] = "text"  # "date": a real date cell (none yet: the layout keeps ISO text)
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


def xlsx_cells(row: ReportRow, catalogue: Catalogue) -> list[Any]:
    """The XLSX cells of one enrolment: guarded text without the characters XML forbids, or dates."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out: list[Any] = []
    for column in COLUMNS:
        value = column.value(row, catalogue)
        if column.xlsx == "date":
            out.append(value)
        else:
            out.append(ILLEGAL_CHARACTERS_RE.sub("", guard(column.text(value))))
    return out


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


def xlsx_file(rows: Iterable[ReportRow], catalogue: Catalogue) -> IO[bytes]:
    """Write the XLSX to an anonymous temporary file and return it rewound."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("完成情况")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(xlsx_cells(row, catalogue))
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by send_file after sending)
    book.save(handle)
    handle.seek(0)
    return handle
