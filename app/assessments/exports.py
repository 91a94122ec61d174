"""Item statistics of one quiz as CSV (UTF-8 with BOM) and XLSX (typed cells), for instructors and HR.

CSV holds the per-question table (one row per question); XLSX holds three sheets: 概况 (the quiz-level
figures and the score distribution), 逐题分析 (the per-question table) and 班组对比 (per cohort).
Numbers are numbers in XLSX (shares as 0–1 with a percent format, discrimination and r to three
places), never text. Headers are Chinese, like the completion export. A text cell that begins with
``= + - @`` (or a tab or carriage return) gets a leading apostrophe so spreadsheets do not run it.
"""

from __future__ import annotations

import csv
import io
import tempfile
from typing import IO, Any

from app.assessments.analysis import ItemStatistics, QuizStatistics, Summary

ITEM_HEADER = [
    "题号",
    "题目",
    "题型",
    "模块",
    "正确答案",
    "作答次数",
    "答对次数",
    "未作答",
    "答对率",
    "高分组答对率",
    "低分组答对率",
    "区分度",
    "点二列相关",
    "选项分布",
    "标记",
]
SUMMARY_HEADER = ["作答次数", "学员人数", "平均得分率", "通过率", "首次通过率"]
COHORT_HEADER = ["班组", *SUMMARY_HEADER]
FLAG_WORDS = {"hard": "几乎都答错", "reversed": "高分者反而答错更多"}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PERCENT = "0.0%"
DECIMAL = "0.000"


def guard(value: str) -> str:
    """Neutralise a text cell a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(DANGEROUS) else value


def _round(value: float | None, places: int = 3) -> float | None:
    return round(value, places) if value is not None else None


def choices_text(item: ItemStatistics) -> str:
    """``A 12；B 3；C* 20`` (the right options starred)."""
    return "；".join(f"{o.key}{'*' if o.right else ''} {o.count}" for o in item.options)


def item_values(item: ItemStatistics) -> list[Any]:
    """One question's cells: text guarded, numbers as numbers (None for an empty cell)."""
    return [
        guard(item.id),
        guard(item.text),
        item.type,
        item.module or "",
        "、".join(item.answer),
        item.responses,
        item.correct,
        item.unanswered,
        _round(item.facility, 4),
        _round(item.upper_facility, 4),
        _round(item.lower_facility, 4),
        _round(item.discrimination),
        _round(item.point_biserial),
        guard(choices_text(item)),
        "、".join(FLAG_WORDS[f] for f in item.flags),
    ]


def summary_values(summary: Summary) -> list[Any]:
    """The quiz-level cells."""
    return [
        summary.attempts,
        summary.trainees,
        _round(summary.average and summary.average / 100, 4),
        _round(summary.pass_rate, 4),
        _round(summary.first_try_pass_rate, 4),
    ]


def csv_bytes(stats: QuizStatistics) -> bytes:
    """The per-question table as CSV, UTF-8 with a BOM so spreadsheet programs read the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ITEM_HEADER)
    for item in stats.items:
        writer.writerow(["" if v is None else v for v in item_values(item)])
    return "\ufeff".encode() + buffer.getvalue().encode()


def xlsx_file(stats: QuizStatistics, title: str) -> IO[bytes]:
    """The three sheets as an XLSX in an anonymous temporary file, rewound."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)

    def row(sheet: Any, values: list[Any], formats: dict[int, str]) -> list[Any]:
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
            if index in formats and value is not None:
                cell.number_format = formats[index]
            cells.append(cell)
        return cells

    summary_formats = {2: PERCENT, 3: PERCENT, 4: PERCENT}
    sheet = book.create_sheet("概况")
    sheet.append([guard(title)])
    sheet.append(SUMMARY_HEADER)
    sheet.append(row(sheet, summary_values(stats.summary), summary_formats))
    sheet.append([])
    sheet.append(["得分率区间", "作答次数"])
    for label, count in stats.summary.distribution:
        sheet.append([label, count])
    items = book.create_sheet("逐题分析")
    items.append(ITEM_HEADER)
    for item in stats.items:
        items.append(row(items, item_values(item), {8: PERCENT, 9: PERCENT, 10: PERCENT, 11: DECIMAL, 12: DECIMAL}))
    cohorts = book.create_sheet("班组对比")
    cohorts.append(COHORT_HEADER)
    for cohort in stats.cohorts:
        cohorts.append(
            row(
                cohorts,
                [guard(cohort.name), *summary_values(cohort.summary)],
                {k + 1: v for k, v in summary_formats.items()},
            )
        )
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by send_file after sending)
    book.save(handle)
    handle.seek(0)
    return handle
