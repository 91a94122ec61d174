"""The XLSX completion export has typed cells: real dates, numbers, a column per quiz and role-play card,
a frozen header, an autofilter, measured widths and a per-department summary sheet — read back with
openpyxl as Excel and WPS would read it."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from app.reports import exports, queries
from app.reports.queries import Catalogue, ReportRow
from tests.test_reports import YESTERDAY, people, populate, progressed  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
FIXED = [
    "工号",
    "姓名",
    "部门",
    "课程",
    "状态",
    "截止日期",
    "完成日期",
    "完成进度",
    "缺少项",
]


def download(client, query: str = "") -> tuple:
    """The export's two sheets, loaded fully (styles, views and filters included)."""
    response = client.get("/reports/export.xlsx" + query)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    return book, book["完成情况"], book["部门汇总"]


def by_header(sheet) -> tuple[list[str], dict[str, list]]:
    """The header row and each data row's cells keyed by 工号."""
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return header, {row[0].value: row for row in rows[1:]}


def test_layout_headers_and_sheet_order(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    book, sheet, _ = download(client)
    assert book.sheetnames == ["完成情况", "部门汇总"]
    header, _rows = by_header(sheet)
    assert header == [*FIXED, "测验：测试知识检测", "角色扮演：测试角色扮演"]
    assert header[: len(exports.XLSX_HEADER)] == exports.XLSX_HEADER
    assert all(cell.font.b for cell in sheet[1])


def test_cells_are_typed(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    _, sheet, _ = download(client)
    header, rows = by_header(sheet)
    col = {name: index for index, name in enumerate(header)}
    done, busy, idle = rows["A001"], rows["A002"], rows["A003"]

    due = done[col["截止日期"]]
    assert due.is_date and due.value.date() == YESTERDAY and due.number_format == "yyyy-mm-dd"
    completed = done[col["完成日期"]]
    assert completed.is_date and completed.value.date() == date.today() and completed.number_format == "yyyy-mm-dd"
    assert idle[col["完成日期"]].value is None

    progress = done[col["完成进度"]]
    assert progress.data_type == "n" and progress.value == 1 and progress.number_format == "0%"
    assert busy[col["完成进度"]].data_type == "n" and 0 < busy[col["完成进度"]].value < 1

    quiz = done[col["测验：测试知识检测"]]
    assert quiz.data_type == "n" and quiz.value == 1.0 and quiz.number_format == "0%"
    assert busy[col["测验：测试知识检测"]].data_type == "n" and busy[col["测验：测试知识检测"]].value == 0.33
    assert idle[col["测验：测试知识检测"]].value is None

    card = done[col["角色扮演：测试角色扮演"]]
    assert card.data_type == "n" and card.value == 7 and card.number_format == '0"/10"'
    assert busy[col["角色扮演：测试角色扮演"]].value is None

    assert done[col["状态"]].value == "已完成" and busy[col["状态"]].value == "已逾期"
    assert idle[col["缺少项"]].value == "第一步；第二步；测试知识检测；测试角色扮演"
    assert done[col["缺少项"]].value is None
    assert done[col["工号"]].data_type == "s" and done[col["姓名"]].value == "张小红"


def test_frozen_header_autofilter_and_widths(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    _, sheet, summary = download(client)
    assert sheet.freeze_panes == "A2" and summary.freeze_panes == "A2"
    last = get_column_letter(len(exports.XLSX_HEADER) + 2)
    assert sheet.auto_filter.ref == f"A1:{last}4"  # header + 3 enrolments
    widths = {sheet.cell(1, i + 1).value: sheet.column_dimensions[get_column_letter(i + 1)].width for i in range(11)}
    # 缺少项 holds "第一步；第二步；测试知识检测；测试角色扮演": 21 CJK characters, each counted double
    assert widths["缺少项"] == min(21 * 2 + 2, exports.MAX_WIDTH)
    assert widths["截止日期"] == 10 + 2  # the header is 8 wide, a date 10
    assert widths["工号"] == exports.MIN_WIDTH  # "A001": narrow, at least the minimum
    assert widths["测验：测试知识检测"] == 9 * 2 + 2


def test_display_width_counts_cjk_double():
    assert exports.display_width("abc") == 3
    assert exports.display_width("张小红") == 6
    assert exports.display_width("Ａ１") == 4  # full-width forms
    assert exports.display_width(None) == 0
    assert exports.display_width(date(2026, 1, 2)) == 10


def test_summary_sheet_matches_the_data(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    _, sheet, summary = download(client)
    header, rows = by_header(sheet)
    col = {name: index for index, name in enumerate(header)}
    expected: dict[str, dict] = defaultdict(lambda: {"people": set(), "n": 0, "words": defaultdict(int)})
    for row in rows.values():
        group = expected[row[col["部门"]].value or "（无部门）"]
        group["people"].add(row[col["工号"]].value)
        group["n"] += 1
        group["words"][row[col["状态"]].value] += 1

    lines = list(summary.iter_rows())
    assert [cell.value for cell in lines[0]] == exports.SUMMARY_HEADER
    body = {line[0].value: line for line in lines[1:]}
    assert list(body) == ["呼叫中心", "门店销售部", "合计"]
    for name, group in expected.items():
        line = body[name]
        assert all(cell.data_type == "n" for cell in line[1:])
        words = group["words"]
        assert [cell.value for cell in line[1:7]] == [
            len(group["people"]),
            group["n"],
            words["已完成"],
            words["进行中"],
            words["未开始"],
            words["已逾期"],
        ]
        assert line[7].value == words["已完成"] / group["n"] and line[7].number_format == "0.0%"
    assert [cell.value for cell in body["呼叫中心"][1:8]] == [2, 2, 0, 0, 0, 2, 0]
    assert [cell.value for cell in body["门店销售部"][1:8]] == [1, 1, 1, 0, 0, 0, 1]
    assert [cell.value for cell in body["合计"][1:8]] == [3, 3, 1, 0, 0, 2, 1 / 3]


def test_filters_apply_and_an_empty_export_is_still_a_workbook(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    _, sheet, summary = download(client, "?status=complete")
    _header, rows = by_header(sheet)
    assert list(rows) == ["A001"]
    _, sheet, summary = download(client, "?q=nobody-matches")
    assert sheet.max_row == 1 and sheet.auto_filter.ref == f"A1:{get_column_letter(sheet.max_column)}1"
    assert [cell.value for cell in list(summary.iter_rows())[-1]][:3] == ["合计", 0, 0]


def test_query_count_is_fixed_at_3_and_30_people(client, login_as, count_queries, app):
    populate(3)
    login_as("hr")
    client.get("/reports/export.xlsx")  # warm up
    with count_queries() as small:
        first = client.get("/reports/export.xlsx").get_data()
    populate(27, cohort="more")
    client.get("/reports/export.xlsx")
    with count_queries() as large:
        second = client.get("/reports/export.xlsx").get_data()
    assert 0 < small() == large()
    assert load_workbook(io.BytesIO(first))["完成情况"].max_row == 1 + 3
    assert load_workbook(io.BytesIO(second))["完成情况"].max_row == 1 + 30


def _row(n: int, department: str | None, status: str, items: list | None) -> ReportRow:
    return ReportRow(
        n,
        f"=E{n}",
        f"学员{n}\x07",
        f"u{n}",
        department,
        1,
        "客户服务基础",
        date(2026, 1, 31),
        status,
        datetime(2026, 1, 20, 9, 30) if status == "complete" else None,
        None if items is None else len(items),
        None if items is None else 2,
        items,
    )


def test_plain_function_writes_to_any_file_object(app):
    """write_completion_xlsx(rows, fileobj, catalogue): for a job that keeps the file; text is guarded."""
    items = [
        {"kind": "quiz", "slug": "q", "state": "waived", "score": None, "max": None},
        {"kind": "roleplay", "slug": "r", "state": "pending", "score": None, "max": None},
    ]
    rows = [
        _row(1, None, "complete", items),
        _row(2, None, "in_progress", items[:1]),
        _row(3, "门店", "not_started", None),
    ]
    handle = io.BytesIO()
    exports.write_completion_xlsx(iter(rows), handle, Catalogue([], {}))
    book = load_workbook(io.BytesIO(handle.getvalue()))
    sheet = book["完成情况"]
    assert [c.value for c in sheet[1]] == FIXED  # no catalogue, no quiz columns
    assert sheet["A2"].value == "'=E1" and sheet["B2"].value == "学员1"  # formula guard; control character dropped
    assert sheet["G2"].is_date and sheet["G2"].value == datetime(2026, 1, 20)
    summary = [[c.value for c in row] for row in book["部门汇总"].iter_rows()]
    assert summary[1][:3] == ["门店", 1, 1] and summary[2][:3] == ["（无部门）", 2, 2]
    csv_handle = io.BytesIO()
    exports.write_completion_csv(iter(rows), csv_handle, Catalogue([], {}))
    assert csv_handle.getvalue().startswith(b"\xef\xbb\xbf" + ",".join(exports.HEADER).encode())


def test_quiz_and_card_columns_follow_the_catalogue(app, progressed):  # noqa: F811
    catalogue = queries.catalogue()
    columns = exports.xlsx_columns(catalogue)
    assert [c.header for c in columns[len(exports.XLSX_COLUMNS) :]] == ["测验：测试知识检测", "角色扮演：测试角色扮演"]
    assert [c.header for c in exports.xlsx_columns(queries.catalogue())] == [c.header for c in columns]  # stable
    waived = {"kind": "quiz", "slug": "demo-check", "state": "waived", "score": None, "max": None}
    pending = {"kind": "roleplay", "slug": "demo-card", "state": "pending", "score": None, "max": None}
    row = next(queries.iter_rows(queries.Filters()))
    row.items = [waived, pending]
    values = exports.xlsx_values(row, catalogue, columns)
    assert values[-2:] == ["已豁免", "待评分"]


def test_changelog_documents_the_fixed_xlsx_columns():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    section = re.search(r"^### XLSX export layout\n(.*?)(?=^##)", changelog, re.M | re.S)
    assert section is not None
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \|$", section.group(1), re.M)
    assert [header for _, header, _ in rows] == exports.XLSX_HEADER
    assert [content for _, _, content in rows] == [c.content for c in exports.XLSX_COLUMNS]
