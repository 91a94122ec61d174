"""Reminder windows (7 and 1 days before, then weekly while overdue), safe to repeat; and "remind now"."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts import managers
from app.completion import reminders
from app.completion.enums import ReminderKind
from app.completion.models import ReminderLog
from app.completion.windows import Windows
from app.core.audit import AuditEvent
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import Notification
from tests import factories
from tests.test_completion import FakeSMTP, finish_course

TODAY = date.today()


def notices(user, kind: str | None = None) -> int:
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalar(query)


# The windows (pure) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (10, None),
        (8, None),
        (7, (ReminderKind.DUE_SOON, 7)),
        (3, (ReminderKind.DUE_SOON, 7)),
        (1, (ReminderKind.DUE_SOON, 1)),
        (0, (ReminderKind.DUE_SOON, 1)),
        (-1, (ReminderKind.OVERDUE, 0)),
        (-7, (ReminderKind.OVERDUE, 0)),
        (-8, (ReminderKind.OVERDUE, 1)),
        (-15, (ReminderKind.OVERDUE, 2)),
    ],
)
def test_the_default_windows(days_left, expected):
    assert Windows().step(TODAY + timedelta(days=days_left), TODAY) == expected


def test_windows_come_from_the_configuration():
    win = Windows.from_config({"REMINDER_DAYS_BEFORE": (1, 14, 3), "REMINDER_OVERDUE_EVERY_DAYS": 2})
    assert (win.days_before, win.overdue_every, win.horizon) == ((14, 3, 1), 2, 14)
    assert win.step(TODAY - timedelta(days=3), TODAY) == (ReminderKind.OVERDUE, 1)
    assert Windows.from_config({"REMINDER_DAYS_BEFORE": (), "REMINDER_OVERDUE_EVERY_DAYS": 0}) == Windows((), 7)
    assert Windows.from_config({}).days_before == (7, 1)
    assert Windows().remindable(TODAY + timedelta(days=7), "in_progress", TODAY)
    assert not Windows().remindable(TODAY + timedelta(days=8), "in_progress", TODAY)
    assert not Windows().remindable(TODAY - timedelta(days=8), "complete", TODAY)


# Scheduled reminders -----------------------------------------------------------------------------------


def test_seven_and_one_day_before_then_weekly_while_overdue(app, make_user):
    person = make_user("p1")
    due = TODAY + timedelta(days=7)
    factories.assign(user=person, due_date=due)
    runs = {}
    for offset in range(-2, 24):  # run every day, twice, from 9 days before the due date to 16 days after
        day = due + timedelta(days=offset - 7)
        runs[offset - 7] = reminders.send(day).notifications + reminders.send(day).notifications
    sent_on = sorted(day for day, count in runs.items() if count)
    assert all(count <= 1 for count in runs.values())  # a second run the same day sends nothing
    assert sent_on == [-7, -1, 1, 8, 15]  # days relative to the due date
    kinds = db.session.execute(
        select(ReminderLog.kind, ReminderLog.step).where(ReminderLog.user_id == person.id).order_by(ReminderLog.id)
    ).all()
    assert [tuple(k) for k in kinds] == [
        ("due_soon", 7),
        ("due_soon", 1),
        ("overdue", 0),
        ("overdue", 1),
        ("overdue", 2),
    ]
    assert notices(person, "completion.due_soon") == 2 and notices(person, "completion.overdue") == 3


def test_a_due_date_first_seen_inside_a_window_earns_that_window_only(app, make_user):
    person = make_user("p1")
    factories.assign(user=person, due_date=TODAY + timedelta(days=3))
    assert reminders.send(TODAY).notifications == 1
    assert reminders.send(TODAY + timedelta(days=1)).notifications == 0
    assert reminders.send(TODAY + timedelta(days=2)).notifications == 1  # the 1-day window
    assert reminders.send(TODAY + timedelta(days=3)).notifications == 0


def test_a_missed_week_is_caught_up_once(app, make_user):
    person = make_user("p1")
    factories.assign(user=person, due_date=TODAY - timedelta(days=20))
    assert reminders.send(TODAY).notifications == 1  # week 2 of lateness, once
    assert reminders.send(TODAY + timedelta(days=1)).notifications == 0


def test_the_windows_are_configurable(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_DAYS_BEFORE", (3,))
    monkeypatch.setitem(app.config, "REMINDER_OVERDUE_EVERY_DAYS", 1)
    person = make_user("p1")
    factories.assign(user=person, due_date=TODAY + timedelta(days=5))
    assert reminders.send(TODAY).notifications == 0  # 5 days away: outside the only window
    assert reminders.send(TODAY + timedelta(days=2)).notifications == 1
    overdue_days = [reminders.send(TODAY + timedelta(days=d)).notifications for d in (6, 7, 7, 8)]
    assert overdue_days == [1, 1, 0, 1]  # daily while overdue


def test_a_complete_course_is_not_reminded(app, make_user):
    person = make_user("p1")
    factories.assign(user=person, due_date=TODAY - timedelta(days=1))
    finish_course(app, person, make_user("teacher", roles=["instructor"]))
    assert reminders.send(TODAY).notifications == 0


# Remind now --------------------------------------------------------------------------------------------


@pytest.fixture
def late(app, make_user):
    """An overdue person in 门店 and one in 客服中心; a manager of 门店."""
    store = make_user("store1", department="门店", name="门店小李", email="li@example.com")
    other = make_user("other1", department="客服中心", name="客服小周")
    for person in (store, other):
        factories.assign(user=person, due_date=TODAY - timedelta(days=2))
    manager = make_user("boss", roles=["manager"], name="王经理")
    managers.set_departments(manager, [store.department_id], actor=None)
    return {"store": store, "other": other, "manager": manager, "course": factories.course()}


def remind_url(person, course) -> str:
    return f"/reports/trainees/{person.id}/courses/{course.id}/remind"


def test_hr_reminds_one_person_once_within_the_throttle(client, login_as, late):
    hr = login_as("hr")
    response = client.post(remind_url(late["other"], late["course"]), follow_redirects=True)
    assert response.status_code == 200 and "已提醒 客服小周 完成「测试课程」" in response.get_data(as_text=True)
    note = db.session.scalar(select(Notification).where(Notification.user_id == late["other"].id))
    assert note.kind == "completion.reminded" and "提醒你" in note.message and "测试课程" in note.message
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "completion.reminded"))
    assert (event.actor_id, event.target_id, event.details["course"]) == (hr.id, late["other"].id, "测试课程")
    again = client.post(remind_url(late["other"], late["course"]), follow_redirects=True).get_data(as_text=True)
    assert "分钟前已提醒过 客服小周" in again and "分钟后再提醒" in again
    assert notices(late["other"]) == 1
    log = db.session.scalar(select(ReminderLog).where(ReminderLog.kind == "manual"))
    assert log.by_id == hr.id


def test_after_the_throttle_window_a_person_may_be_reminded_again(app, late, make_user):
    hr = make_user("hr1", roles=["hr"])
    now = utcnow()
    reminders.remind(hr, late["other"], late["course"], now)
    with pytest.raises(reminders.TooSoon):
        reminders.remind(hr, late["other"], late["course"], now + timedelta(minutes=59))
    reminders.remind(hr, late["other"], late["course"], now + timedelta(minutes=61))
    assert notices(late["other"], "completion.reminded") == 2


def test_a_manager_reminds_their_people_only(client, login_as, late):
    login_as(late["manager"])
    assert client.post(remind_url(late["store"], late["course"])).status_code == 302
    assert notices(late["store"], "completion.reminded") == 1
    assert client.post(remind_url(late["other"], late["course"])).status_code == 403
    assert notices(late["other"]) == 0
    assert client.post(f"/reports/trainees/999999/courses/{late['course'].id}/remind").status_code == 404
    assert client.post(f"/reports/trainees/{late['store'].id}/courses/999999/remind").status_code == 404


@pytest.mark.parametrize("role", ["trainee", "instructor", "admin"])
def test_other_roles_cannot_remind(client, login_as, late, role):
    login_as(role)
    assert client.post(remind_url(late["store"], late["course"])).status_code == 403
    assert client.post("/reports/remind-overdue").status_code == 403
    assert notices(late["store"]) == 0


def test_the_service_refuses_too(app, late, make_user):
    with pytest.raises(reminders.NotAllowed):
        reminders.remind(make_user("i1", roles=["instructor"]), late["store"], late["course"])
    with pytest.raises(reminders.NotAllowed):
        reminders.remind(late["manager"], late["other"], late["course"])


def test_a_course_not_yet_due_soon_or_complete_is_not_reminded(client, login_as, make_user):
    later = make_user("later1", name="小钱")
    factories.assign(user=later, due_date=TODAY + timedelta(days=30))
    login_as("hr")
    page = client.post(remind_url(later, factories.course()), follow_redirects=True).get_data(as_text=True)
    assert "只能提醒已逾期或即将到期、尚未完成的课程" in page
    assert notices(later) == 0
    stranger = make_user("s1")  # no assignment at all
    assert "只能提醒" in client.post(remind_url(stranger, factories.course()), follow_redirects=True).get_data(
        as_text=True
    )


def test_the_transcript_and_dashboard_offer_remind_now(client, login_as, late):
    login_as(late["manager"])
    transcript = client.get(f"/reports/trainees/{late['store'].id}").get_data(as_text=True)
    assert remind_url(late["store"], late["course"]) in transcript and "立即提醒" in transcript
    dashboard = client.get("/reports").get_data(as_text=True)
    assert remind_url(late["store"], late["course"]) in dashboard and 'id="remind-overdue"' in dashboard
    login_as("instructor")
    assert "立即提醒" not in client.get(f"/reports/trainees/{late['store'].id}").get_data(as_text=True)


def test_remind_every_overdue_person_of_a_view(client, login_as, late, make_user):
    soon = make_user("soon1", department="门店")
    factories.assign(user=soon, due_date=TODAY + timedelta(days=2))  # due soon, not overdue: not in the bulk
    login_as(late["manager"])
    page = client.post("/reports/remind-overdue", follow_redirects=True).get_data(as_text=True)
    assert "已提醒 1 项逾期课程" in page
    assert (notices(late["store"]), notices(late["other"]), notices(soon)) == (1, 0, 0)
    again = client.post("/reports/remind-overdue", follow_redirects=True).get_data(as_text=True)
    assert "1 项刚提醒过不久" in again and notices(late["store"]) == 1
    # HR, filtered by a department: only that department
    login_as("hr")
    response = client.post("/reports/remind-overdue", data={"department": str(late["other"].department_id)})
    assert response.status_code == 302 and "status=overdue" in response.headers["Location"]
    assert (notices(late["store"]), notices(late["other"])) == (1, 1)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "completion.reminded_overdue").order_by(AuditEvent.id.desc())
    )
    assert event.details == {"filters": {"department": late["other"].department_id}, "reminded": 1, "skipped": 0}


def test_a_manager_filtering_another_department_reminds_nobody(client, login_as, late):
    login_as(late["manager"])
    client.post("/reports/remind-overdue", data={"department": str(late["other"].department_id)})
    assert notices(late["other"]) == 0


def test_remind_now_emails_when_smtp_is_set(client, login_as, late, app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.test")
    login_as("hr")
    client.post(remind_url(late["store"], late["course"]))
    to, subject, body = FakeSMTP.sent[-1]
    assert to == "li@example.com" and subject == "客服学院学习提醒" and "测试课程" in body


def selects(run) -> int:
    """How many SELECT statements ``run()`` executes."""
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return sum(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_bulk_reminders_read_a_fixed_number_of_times(app, late, make_user):
    hr = make_user("hr1", roles=["hr"])
    few = selects(lambda: reminders.remind_overdue(hr, reminders.OverdueFilter()))
    for i in range(6):
        factories.assign(user=make_user(f"more{i}", department="门店"), due_date=TODAY - timedelta(days=3))
    result = []
    many = selects(lambda: result.append(reminders.remind_overdue(hr, reminders.OverdueFilter())))
    assert (result[0].notifications, result[0].skipped) == (6, 2)
    assert many == few  # the writes are one row each, the reads do not grow with the number of people
