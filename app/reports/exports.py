"""Completion report exports in one fixed layout, as CSV (UTF-8 with BOM) or XLSX.

One row per (trainee, course) enrolment, columns in this order — a fixed contract for the
spreadsheets HR builds on it, so headers and status words are not translated:

| column       | content                                                                     |
|--------------|-----------------------------------------------------------------------------|
| 工号         | employee number                                                             |
| 姓名         | name                                                                        |
| 部门         | department                                                                  |
| 课程         | course title                                                                |
| 状态         | 未开始 / 进行中 / 已完成 / 已逾期 (past the due date and not complete)       |
| 截止日期     | YYYY-MM-DD, empty when there is none                                        |
| 完成日期     | YYYY-MM-DD (UTC), empty unless complete                                     |
| 测验成绩     | best result per required knowledge check: ``标题 85%``, joined with ``；``  |
| 角色扮演成绩 | best graded total per required card: ``标题 12/16``, or ``标题 待评分``      |
| 缺少项       | titles of the required items neither done nor waived, joined with ``；``    |

Formula injection: a cell that begins with ``= + - @`` (or a tab or carriage return) gets a leading
apostrophe, so spreadsheet programs show it as text instead of running it.

Both formats run one query over the rows and read it in batches: CSV is streamed to the client as
it is produced; XLSX is written with openpyxl's write-only mode (rows go straight to disk, strings
inline) to an anonymous temporary file that is then sent. Memory stays flat for 10,000 people.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from app.reports.queries import Catalogue, ReportRow

HEADER = ["工号", "姓名", "部门", "课程", "状态", "截止日期", "完成日期", "测验成绩", "角色扮演成绩", "缺少项"]
STATUS_WORDS = {"not_started": "未开始", "in_progress": "进行中", "complete": "已完成", "overdue": "已逾期"}
SEPARATOR = "；"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 500


def guard(value: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(DANGEROUS) else value


def cells(row: ReportRow, catalogue: Catalogue) -> list[str]:
    """The export cells of one enrolment, guarded."""
    status = "overdue" if row.overdue else row.status
    values = [
        row.employee_no or "",
        row.name,
        row.department or "",
        row.course_title,
        STATUS_WORDS[status],
        row.due_date.isoformat() if row.due_date else "",
        row.completed_at.date().isoformat() if row.completed_at and row.status == "complete" else "",
        SEPARATOR.join(catalogue.scores(row, "quiz")),
        SEPARATOR.join(catalogue.scores(row, "roleplay")),
        SEPARATOR.join(catalogue.missing(row)),
    ]
    return [guard(value) for value in values]


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
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("完成情况")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in cells(row, catalogue)])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by send_file after sending)
    book.save(handle)
    handle.seek(0)
    return handle
