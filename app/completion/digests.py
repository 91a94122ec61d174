"""The weekly overdue digests (``flask reminders digest``): to each manager and to HR, once per ISO week.

A manager gets the people of the departments they follow whose courses are overdue; HR gets every
overdue person, grouped by department. In-app (a count and a link to the dashboard's overdue list,
which shows each reader only their people) and, when SMTP is configured, an e-mail listing them.
Nobody overdue: no digest. Each digest is one ReminderLog row (recipient, kind, the Monday of the
week, no course) committed before its e-mail, so running again in the same week sends nothing.
:func:`send_digests` is a plain function of the day, for the command and a job engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Department, ManagerDepartment, User, UserRole
from app.completion import notices
from app.completion.enums import ReminderKind
from app.completion.models import ReminderLog
from app.completion.reminders import Sent, deliver, open_enrolments
from app.core.urls import path_for
from app.extensions import db
from app.learning.enrolments import enrolments
from app.learning.models import Course
from app.notifications.services import notify

DIGEST_NOTICES = {ReminderKind.DIGEST_HR: notices.DIGEST_HR, ReminderKind.DIGEST_MANAGER: notices.DIGEST_MANAGER}


class Late(NamedTuple):
    """One overdue enrolment for a digest."""

    user_id: int
    department_id: int | None
    department: str | None
    name: str
    employee_no: str | None
    course: str
    due_date: date


def week_of(today: date) -> date:
    """The Monday of the ISO week of ``today`` (a digest's key)."""
    return today - timedelta(days=today.weekday())


def overdue_by_department(today: date) -> list[Late]:
    """Every overdue enrolment of active trainees, by department, name and course (one query)."""
    e = enrolments()
    rows = db.session.execute(
        open_enrolments(
            e, [User.id, User.department_id, Department.name, User.name, User.employee_no, Course.title, e.c.due_date]
        )
        .outerjoin(Department, Department.id == User.department_id)
        .where(e.c.due_date < today)
        .order_by(Department.name, User.name, User.id, Course.position)
    )
    return [Late(*row) for row in rows]


def _body(greeting: str, lines: Iterable[Late]) -> str:
    """The e-mail: a greeting, then each department with its overdue people and courses."""
    groups: dict[str, list[Late]] = defaultdict(list)
    for late in lines:
        groups[late.department or _("（无部门）")].append(late)
    out = [greeting, ""]
    for department, rows in groups.items():
        out.append(_("【%(department)s】%(n)d 项", department=department, n=len(rows)))
        out.extend(
            _(
                "  %(name)s%(no)s —「%(course)s」%(due)s 截止",
                name=r.name,
                no=("（" + r.employee_no + "）") if r.employee_no else "",
                course=r.course,
                due=r.due_date.isoformat(),
            )
            for r in rows
        )
        out.append("")
    return "\n".join(out)


def send_digests(today: date | None = None) -> Sent:
    """Send this week's digests not yet sent (managers, then HR); idempotent per ISO week (five queries)."""
    today = today or date.today()
    week = week_of(today)
    late = overdue_by_department(today)
    sent = Sent()
    if not late:
        return sent
    done = set(
        db.session.execute(
            select(ReminderLog.user_id, ReminderLog.kind).where(
                ReminderLog.course_id.is_(None),
                ReminderLog.due_date == week,
                ReminderLog.kind.in_([ReminderKind.DIGEST_HR, ReminderKind.DIGEST_MANAGER]),
            )
        ).all()
    )
    followed: dict[tuple[int, str | None], set[int]] = defaultdict(set)
    for user_id, email, department_id in db.session.execute(
        select(User.id, User.email, ManagerDepartment.department_id)
        .join(ManagerDepartment, ManagerDepartment.user_id == User.id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "manager"))
        .where(User.active.is_(True))
    ):
        followed[(user_id, email)].add(department_id)
    hr = db.session.execute(
        select(User.id, User.email)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "hr"))
        .where(User.active.is_(True))
        .order_by(User.id)
    ).all()
    recipients = [
        (user_id, email, ReminderKind.DIGEST_MANAGER, [r for r in late if r.department_id in departments])
        for (user_id, email), departments in sorted(followed.items(), key=lambda item: item[0][0])
    ] + [(user_id, email, ReminderKind.DIGEST_HR, late) for user_id, email in hr]
    url = path_for("reports.dashboard", status=ReminderKind.OVERDUE)  # the dashboard's overdue filter: the same word
    emails = []
    for user_id, email, kind, rows in recipients:
        if not rows or (user_id, kind.value) in done:
            continue
        params = {
            "people": len({r.user_id for r in rows}),
            "courses": len(rows),
            "departments": len({r.department_id for r in rows}),
        }
        db.session.add(ReminderLog(user_id=user_id, course_id=None, kind=kind, due_date=week))
        notice = notify(user_id, DIGEST_NOTICES[kind], params, url)
        try:
            db.session.commit()
        except IntegrityError:  # another run sent this digest a moment ago
            db.session.rollback()
            continue
        sent.notifications += 1
        if email:
            with force_locale("zh_CN"):
                subject = _("客服学院每周逾期汇总（%(week)s 起）", week=week.isoformat())
                emails.append((email, subject, _body(notice.message, rows)))
    return deliver(sent, emails)
