"""A person's transcript as a printable PDF (A4 portrait): who, then every course with its results.

Built from the same :class:`~app.reports.queries.Transcript` as the HTML transcript, plus the person's
certificates (all of them, revoked and expired ones too) and whole-course waivers: two more queries,
whatever the number of courses. Tables are reportlab platypus tables whose header row repeats on every
page; each page ends with the person, the date the file was generated and "page n of m".
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from app.completion.enums import CertificateStatus, CompletionStatus, ItemKind, ItemState
from app.completion.models import Certificate, CourseWaiver
from app.completion.rules import Item
from app.core.time import utcnow
from app.extensions import db
from app.learning.models import Course
from app.reports.pdf_fonts import cjk_font
from app.reports.queries import CourseRecord, Transcript

MARGIN = 16 * mm
BRAND = colors.HexColor("#0b5c7a")
LIGHT = colors.HexColor("#e8f1f5")
GRID = colors.HexColor("#9aa9b1")


def _iso(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _status_word(status: str, overdue: bool) -> str:
    if overdue:
        return _("已逾期")
    if status == CompletionStatus.COMPLETE:
        return _("已完成")
    return _("进行中") if status == CompletionStatus.IN_PROGRESS else _("未开始")


def _item_result(item: Item) -> tuple[str, str]:
    """(best score or grade, outcome) of a quiz or role-play item."""
    if item.score is None:
        score = "—"
    elif item.max:
        score = _("%(total)s / %(max)s 分", total=item.score, max=item.max)
    else:
        score = f"{item.score}%"
    outcome = {
        ItemState.DONE: _("通过"),
        ItemState.WAIVED: _("已豁免"),
        ItemState.PENDING: _("待评分"),
        ItemState.FAILED: _("未通过"),
    }.get(ItemState(item.state), _("未参加") if item.kind == ItemKind.QUIZ else _("未提交"))
    return score, outcome


def _certificate_word(cert: Certificate, today: date) -> str:
    state = cert.state(today)
    if state == CertificateStatus.REVOKED:
        return _("已撤销")
    if state == CertificateStatus.EXPIRED:
        return _("已过期")
    return _("有效")


class _Styles:
    """The paragraph styles of the document, in the CJK font (lines break between any two characters)."""

    def __init__(self, font: str) -> None:
        base = ParagraphStyle("base", fontName=font, wordWrap="CJK")
        self.title = ParagraphStyle("title", base, fontSize=18, leading=24, textColor=BRAND, spaceAfter=4)
        self.heading = ParagraphStyle("heading", base, fontSize=12, leading=16, textColor=BRAND, spaceBefore=10)
        self.body = ParagraphStyle("body", base, fontSize=9.5, leading=13)
        self.cell = ParagraphStyle("cell", base, fontSize=8.5, leading=11)
        self.head = ParagraphStyle("head", base, fontSize=8.5, leading=11, textColor=colors.white)
        self.muted = ParagraphStyle("muted", base, fontSize=9, leading=12, textColor=colors.HexColor("#555555"))


def _text(value: Any) -> str:
    """Text for a Paragraph: XML special characters escaped (names and reasons are people's input)."""
    return str(value if value is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(styles: _Styles, header: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    """A table whose header row repeats on every page it runs onto."""
    data = [[Paragraph(_text(h), styles.head) for h in header]]
    data += [[Paragraph(_text(value), styles.cell) for value in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), BRAND),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, LIGHT]),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _course_rows(records: Iterable[CourseRecord], today: date) -> list[list[Any]]:
    rows = []
    for rec in records:
        checklist = rec.checklist
        overdue = checklist.status != CompletionStatus.COMPLETE and rec.due_date is not None and rec.due_date < today
        rows.append(
            [
                rec.course.title,
                _status_word(checklist.status, overdue),
                f"{checklist.done} / {checklist.total}",
                _iso(rec.completed_at),
                _iso(rec.due_date),
            ]
        )
    return rows


def _result_rows(records: Iterable[CourseRecord]) -> list[list[Any]]:
    rows = []
    for rec in records:
        for item in rec.checklist.items:
            if item.kind == ItemKind.MODULE:
                continue
            kind = _("测验") if item.kind == ItemKind.QUIZ else _("角色扮演")
            rows.append([rec.course.title, kind, item.title, *_item_result(item)])
    return rows


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages until the end, to write "page n of m" on each."""

    footer_left = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802  (reportlab's name)
        """Keep the page instead of writing it now."""
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab: begin a fresh page

    def save(self) -> None:
        """Write every kept page with its footer."""
        total = len(self._pages)
        for page in self._pages:
            self.__dict__.update(page)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        width, _height = A4
        self.saveState()
        self.setFont(cjk_font(), 8)
        self.setFillColor(colors.HexColor("#555555"))
        self.drawString(MARGIN, 10 * mm, self.footer_left)
        self.drawRightString(
            width - MARGIN, 10 * mm, _("第 %(page)d 页，共 %(total)d 页", page=self.getPageNumber(), total=total)
        )
        self.restoreState()


def extra_records(user_id: int) -> tuple[list[tuple[Certificate, str]], list[tuple[CourseWaiver, str]]]:
    """Every certificate of a person (with its course title) and their whole-course waivers: two queries."""
    certificates = [
        (cert, cert.course_title)
        for cert in db.session.scalars(
            select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.issued_at, Certificate.id)
        )
    ]
    waivers = [
        (waiver, title)
        for waiver, title in db.session.execute(
            select(CourseWaiver, Course.title)
            .join(Course, Course.id == CourseWaiver.course_id)
            .where(CourseWaiver.user_id == user_id)
            .order_by(CourseWaiver.created_at, CourseWaiver.id)
        )
    ]
    return certificates, waivers


def transcript_pdf(record: Transcript, today: date, generated: datetime | None = None) -> bytes:
    """Render a transcript: person, courses, quiz and role-play results, certificates, waivers."""
    font = cjk_font()
    styles = _Styles(font)
    user = record.user
    generated = generated or utcnow()
    certificates, course_waivers = extra_records(user.id)
    buffer = io.BytesIO()
    title = _("%(name)s 的成绩单", name=user.name)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author=_("客服学院"),
        subject=_("成绩单"),
    )
    width = A4[0] - 2 * MARGIN
    department = user.department.name if user.department else _("（无部门）")
    story: list[Any] = [
        Paragraph(_text(title), styles.title),
        _table(
            styles,
            [_("姓名"), _("工号"), _("部门"), _("岗位")],
            [[user.name, user.employee_no or "—", department, user.position or "—"]],
            [width * 0.25] * 4,
        ),
        Spacer(1, 2 * mm),
        Paragraph(_text(_("生成日期：%(date)s", date=_iso(generated))), styles.muted),
        Paragraph(_text(_("课程")), styles.heading),
    ]
    if record.courses:
        story.append(
            _table(
                styles,
                [_("课程"), _("状态"), _("进度"), _("完成日期"), _("截止日期")],
                _course_rows(record.courses, today),
                [width * f for f in (0.40, 0.14, 0.14, 0.16, 0.16)],
            )
        )
    else:
        story.append(Paragraph(_text(_("还没有分配任何课程。")), styles.body))
    story.append(Paragraph(_text(_("测验与角色扮演")), styles.heading))
    results = _result_rows(record.courses)
    if results:
        story.append(
            _table(
                styles,
                [_("课程"), _("类型"), _("项目"), _("最好成绩"), _("结果")],
                results,
                [width * f for f in (0.28, 0.12, 0.32, 0.14, 0.14)],
            )
        )
    else:
        story.append(Paragraph(_text(_("没有需要完成的测验或角色扮演。")), styles.body))
    story.append(Paragraph(_text(_("结业证书")), styles.heading))
    if certificates:
        rows = [
            [course_title, cert.code, _iso(cert.issued_at), _iso(cert.expires_at), _certificate_word(cert, today)]
            for cert, course_title in certificates
        ]
        story.append(
            _table(
                styles,
                [_("课程"), _("证书编号"), _("颁发日期"), _("有效期至"), _("状态")],
                rows,
                [width * f for f in (0.32, 0.26, 0.14, 0.14, 0.14)],
            )
        )
    else:
        story.append(Paragraph(_text(_("没有结业证书。")), styles.body))
    story.append(Paragraph(_text(_("豁免记录")), styles.heading))
    waiver_rows = [
        [label, waiver.reason, waiver.by.name if waiver.by else _("已删除的用户"), _iso(waiver.created_at)]
        for waiver, label in record.waivers
    ]
    waiver_rows += [
        [
            _("整门课程（免修）：%(title)s", title=course_title),
            waiver.reason,
            waiver.by.name if waiver.by else _("已删除的用户"),
            _iso(waiver.created_at),
        ]
        for waiver, course_title in course_waivers
    ]
    if waiver_rows:
        story.append(
            _table(
                styles,
                [_("项目"), _("豁免原因"), _("豁免人"), _("日期")],
                waiver_rows,
                [width * f for f in (0.34, 0.38, 0.14, 0.14)],
            )
        )
    else:
        story.append(Paragraph(_text(_("没有豁免记录。")), styles.body))

    footer = " · ".join(
        part for part in (user.name, user.employee_no or "", _("生成日期：%(date)s", date=_iso(generated))) if part
    )

    class TranscriptCanvas(_NumberedCanvas):
        footer_left = footer

    doc.build(story, canvasmaker=TranscriptCanvas)
    return buffer.getvalue()
