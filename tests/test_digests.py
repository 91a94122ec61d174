"""The weekly overdue digests: each manager gets their departments, HR everyone by department; once per ISO week."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import managers, services
from app.completion import digests
from app.completion.models import ReminderLog
from app.extensions import db
from app.notifications.models import Notification
from tests import factories
from tests.test_completion import FakeSMTP

MONDAY = digests.week_of(date.today())  # the Monday of this week
WEDNESDAY = MONDAY + timedelta(days=2)


def digest_notices(user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.kind.like("completion.digest%"))
            .order_by(Notification.id)
        )
    )


@pytest.fixture
def company(app, make_user):
    """Two late people in 门店, one in 客服中心, one not late; a manager of 门店; HR."""
    li = make_user("li", department="门店", name="门店小李", employee_no="S001")
    wu = make_user("wu", department="门店", name="门店小吴")
    zhou = make_user("zhou", department="客服中心", name="客服小周", employee_no="C001")
    fine = make_user("fine", department="客服中心", name="按时小孙")
    for person, due in ((li, MONDAY - timedelta(days=3)), (wu, MONDAY - timedelta(days=1)), (zhou, MONDAY)):
        factories.assign(user=person, due_date=due)
    factories.assign(user=fine, due_date=MONDAY + timedelta(days=30))
    manager = make_user("boss", roles=["manager"], name="王经理", email="boss@example.com")
    managers.set_departments(manager, [li.department_id], actor=None)
    hr = make_user("hr1", roles=["hr"], email="hr@example.com")
    return {"manager": manager, "hr": hr, "li": li, "zhou": zhou}


def test_each_manager_gets_their_departments_and_hr_everyone(company):
    sent = digests.send_digests(WEDNESDAY)
    assert sent.notifications == 2
    (mine,) = digest_notices(company["manager"])
    assert mine.kind == "completion.digest_manager"
    assert mine.params == {"people": 2, "courses": 2, "departments": 1}
    assert "你负责的部门有 2 人的 2 项课程逾期未完成" in mine.message
    assert mine.url == "/reports?status=overdue"
    (hrs,) = digest_notices(company["hr"])
    assert hrs.kind == "completion.digest_hr" and hrs.params == {"people": 3, "courses": 3, "departments": 2}


def test_a_digest_is_sent_once_per_iso_week(company):
    assert digests.send_digests(MONDAY).notifications == 2
    assert digests.send_digests(WEDNESDAY).notifications == 0
    assert digests.send_digests(MONDAY + timedelta(days=6)).notifications == 0  # Sunday, same week
    assert digests.send_digests(MONDAY + timedelta(days=7)).notifications == 2  # next week
    logs = db.session.execute(select(ReminderLog.kind, ReminderLog.due_date).order_by(ReminderLog.id)).all()
    assert [tuple(r) for r in logs] == [
        ("digest_manager", MONDAY),
        ("digest_hr", MONDAY),
        ("digest_manager", MONDAY + timedelta(days=7)),
        ("digest_hr", MONDAY + timedelta(days=7)),
    ]


def test_nobody_overdue_means_no_digest(app, make_user):
    manager = make_user("boss", roles=["manager"])
    person = make_user("p", department="门店")
    factories.assign(user=person, due_date=WEDNESDAY + timedelta(days=1))
    managers.set_departments(manager, [person.department_id], actor=None)
    make_user("hr1", roles=["hr"])
    assert digests.send_digests(WEDNESDAY).notifications == 0
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0


def test_a_manager_whose_departments_are_on_time_gets_none(company, make_user):
    calm = make_user("calm", roles=["manager"])
    managers.set_departments(calm, [services.get_or_create_department("后勤部").id], actor=None)
    digests.send_digests(WEDNESDAY)
    assert digest_notices(calm) == []


def test_a_deactivated_or_former_manager_gets_none(company):
    services.deactivate_user(company["manager"])
    digests.send_digests(WEDNESDAY)
    assert digest_notices(company["manager"]) == []


def test_the_emails_list_the_late_people_by_department(company, app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.test")
    sent = digests.send_digests(WEDNESDAY)
    assert sent.emails == 2
    mails = {to: (subject, body) for to, subject, body in FakeSMTP.sent}
    subject, body = mails["boss@example.com"]
    assert subject == f"客服学院每周逾期汇总（{MONDAY.isoformat()} 起）"
    assert "【门店】2 项" in body and "门店小李（S001）" in body and "客服小周" not in body
    _, everyone = mails["hr@example.com"]
    assert "【门店】2 项" in everyone and "【客服中心】1 项" in everyone and "客服小周（C001）" in everyone
    assert "按时小孙" not in everyone


def test_the_digest_command_is_repeatable(runner, company):
    first = runner.invoke(args=["reminders", "digest"])
    second = runner.invoke(args=["reminders", "digest"])
    assert first.exit_code == 0 and "Digests sent: 2 in-app" in first.output
    assert second.exit_code == 0 and "Digests sent: 0 in-app" in second.output


def test_digests_read_a_fixed_number_of_times(company, make_user, count_queries):
    with count_queries() as few:
        digests.send_digests(WEDNESDAY)
    for i in range(5):
        person = make_user(f"late{i}", department="门店")
        factories.assign(user=person, due_date=MONDAY - timedelta(days=2))
    db.session.execute(ReminderLog.__table__.delete())
    db.session.commit()
    with count_queries() as many:
        digests.send_digests(WEDNESDAY)
    assert many() == few()
