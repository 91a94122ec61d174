"""Completion: recomputed on every event (module read, quiz scored, role-play graded, waiver), checklist,
certificates issued once, reminders sent once, and the checklist on the trainee's course page."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.assessments import services as assessments
from app.assessments.models import Quiz
from app.completion import reminders, services
from app.completion.models import Certificate, CourseCompletion, ReminderLog, Waiver
from app.completion.rules import evaluate
from app.extensions import db
from app.learning import services as learning
from app.notifications.models import Notification
from app.roleplay import services as roleplay
from app.roleplay.models import RoleplayCard
from tests import factories

RIGHT = {"k1": "A", "k2": ["A", "C"], "k3": "T"}
WRONG = {"k1": "B", "k2": ["B"], "k3": "F"}


# Builders shared with the report and certificate tests -------------------------------------------


def read_all(user, slug: str = "demo-course") -> None:
    """Mark every module of the course as read (each sends module-completed)."""
    for module in factories.course(slug).active_modules:
        learning.mark_complete(user, module)


def take_quiz(user, answers=RIGHT, slug: str = "demo-check"):
    """Submit a complete attempt through the assessments service (sends attempt-scored)."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug))
    return assessments.submit_answers(user, quiz, answers)


def submit_roleplay(app, user, slug: str = "demo-card"):
    """Hand in a written response through the role-play service."""
    card = db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == slug))
    with app.test_request_context():
        return roleplay.save_response(user, card, text="先安抚客户，再给出两个方案。", submit=True)


def grade_roleplay(app, user, grader, *, passed: bool = True, submission=None):
    """Grade a (new) submission through the role-play service (sends submission-graded)."""
    submission = submission or submit_roleplay(app, user)
    levels = {"calm-first": 2, "solution": 1} if passed else {"calm-first": 0, "solution": 0}
    with app.test_request_context():
        return roleplay.save_grading(
            grader,
            submission,
            action="grade",
            expected_version=submission.version_id,
            levels=levels,
            comments={"calm-first": "语气平和"},
            overall="继续保持",
        )


def finish_course(app, user, grader) -> None:
    """Do everything demo-course requires."""
    read_all(user)
    take_quiz(user)
    grade_roleplay(app, user, grader)


def record(user, slug: str = "demo-course") -> CourseCompletion | None:
    """The stored completion row, fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(
        select(CourseCompletion).where(
            CourseCompletion.user_id == user.id, CourseCompletion.course_id == factories.course(slug).id
        )
    )


def states(row: CourseCompletion) -> dict[str, str]:
    """kind:slug -> state of a stored checklist."""
    return {f"{i['kind']}:{i['slug']}": i["state"] for i in row.items}


@pytest.fixture
def grader(app, make_user):
    """An instructor of c1."""
    return make_user("teacher", roles=["instructor"], cohort="c1")


# Recomputation on each event -----------------------------------------------------------------------


def test_nothing_done_means_no_row_and_a_full_checklist(trainee):
    assert record(trainee) is None
    checklist = evaluate(trainee.id, [factories.course()])[factories.course().id]
    assert checklist.status == "not_started"
    assert [(i.kind, i.slug) for i in checklist.items] == [
        ("module", "first-steps"),
        ("module", "second-steps"),
        ("quiz", "demo-check"),
        ("roleplay", "demo-card"),
    ]
    assert checklist.done == 0 and len(checklist.missing) == 4


def test_module_read_recomputes(trainee):
    learning.mark_complete(trainee, factories.course().active_modules[0])
    row = record(trainee)
    assert row.status == "in_progress"
    assert (row.done, row.total) == (1, 4)
    assert states(row)["module:first-steps"] == "done"
    assert states(row)["module:second-steps"] == "todo"


def test_failed_then_passed_quiz_recomputes(trainee):
    take_quiz(trainee, WRONG)
    row = record(trainee)
    assert states(row)["quiz:demo-check"] == "failed"
    assert row.status == "in_progress"
    take_quiz(trainee, RIGHT)
    row = record(trainee)
    assert states(row)["quiz:demo-check"] == "done"
    assert next(i for i in row.items if i["kind"] == "quiz")["score"] == 100


def _matches_a_full_recompute(user) -> None:
    row = record(user)
    checklist = evaluate(user.id, [factories.course()])[factories.course().id]
    assert row.items == [item.stored() for item in checklist.items]
    assert (row.status, row.done, row.total) == (checklist.status, checklist.done, checklist.total)


PARTIAL = {"k1": "A", "k2": ["B"], "k3": "F"}


def test_a_retake_that_changes_nothing_skips_the_recompute(trainee, count_queries):
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "demo-check"))
    quiz.max_attempts = None
    db.session.commit()
    with count_queries() as first:
        take_quiz(trainee, PARTIAL)
    assert states(record(trainee))["quiz:demo-check"] == "failed"
    _matches_a_full_recompute(trainee)
    best = next(i for i in record(trainee).items if i["kind"] == "quiz")["score"]
    assert 0 < best < 100
    for answers in (WRONG, PARTIAL):  # no better: the stored record stays, without a recompute
        with count_queries() as retake:
            take_quiz(trainee, answers)
        assert retake() < first() - 4
        _matches_a_full_recompute(trainee)
    take_quiz(trainee, RIGHT)  # better and passed: recomputed
    assert states(record(trainee))["quiz:demo-check"] == "done"
    assert next(i for i in record(trainee).items if i["kind"] == "quiz")["score"] == 100
    with count_queries() as after_pass:
        take_quiz(trainee, WRONG)
    assert after_pass() < first() - 4
    _matches_a_full_recompute(trainee)
    assert states(record(trainee))["quiz:demo-check"] == "done"


def test_roleplay_pending_is_not_done_and_graded_pass_is(app, trainee, grader):
    submission = submit_roleplay(app, trainee)
    assert evaluate(trainee.id, [factories.course()])[factories.course().id].items[3].state == "pending"
    grade_roleplay(app, trainee, grader, passed=False, submission=submission)
    assert states(record(trainee))["roleplay:demo-card"] == "failed"
    grade_roleplay(app, trainee, grader, passed=True)
    assert states(record(trainee))["roleplay:demo-card"] == "done"


def test_everything_done_completes_with_certificate_and_notification(app, trainee, grader):
    finish_course(app, trainee, grader)
    row = record(trainee)
    assert row.status == "complete"
    assert row.completed_at is not None
    assert (row.done, row.total) == (4, 4)
    roleplay_item = next(i for i in row.items if i["kind"] == "roleplay")
    assert (roleplay_item["score"], roleplay_item["max"]) == (7, 10)
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == trainee.id))
    assert cert.course_title == "测试课程" and cert.recipient_name == "张小红"
    notes = db.session.scalars(select(Notification).where(Notification.user_id == trainee.id)).all()
    assert any(n.kind == "completion.completed" and "测试课程" in n.message for n in notes)


def test_certificate_is_issued_once(app, trainee, grader):
    finish_course(app, trainee, grader)
    code = db.session.scalar(select(Certificate.code))
    services.recompute(trainee.id, factories.course())
    take_quiz(trainee)  # another passing attempt: still complete, same certificate
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert db.session.scalar(select(Certificate.code)) == code


def test_progress_from_other_courses_is_ignored(app, trainee, make_user):
    other = make_user("t2", roles=["trainee"], cohort="c1")
    read_all(other)
    assert record(trainee) is None
    assert record(other).done == 2


# Waivers -----------------------------------------------------------------------------------------


def test_waiver_satisfies_an_item_and_is_recorded(app, trainee, make_user):
    hr = make_user("hr1", roles=["hr"])
    read_all(trainee)
    take_quiz(trainee)
    waiver = services.waive(trainee, factories.course(), "roleplay", "demo-card", "  已参加线下演练  ", hr)
    assert waiver.reason == "已参加线下演练"
    assert waiver.by_id == hr.id
    row = record(trainee)
    assert row.status == "complete"
    assert states(row)["roleplay:demo-card"] == "waived"
    checklist = evaluate(trainee.id, [factories.course()])[factories.course().id]
    assert checklist.items[3].waiver.reason == "已参加线下演练"


@pytest.mark.parametrize(
    ("kind", "slug", "reason", "message"),
    [
        ("quiz", "demo-check", "   ", "请填写豁免原因"),
        ("quiz", "demo-check", "长" * 501, "不能超过 500"),
        ("quiz", "no-such-quiz", "原因", "没有这一项"),
        ("module", "first-steps", "原因", "已完成或已豁免"),
    ],
)
def test_bad_waivers_store_nothing(trainee, make_user, kind, slug, reason, message):
    hr = make_user("hr1", roles=["hr"])
    learning.mark_complete(trainee, factories.course().active_modules[0])
    with pytest.raises(services.CompletionError, match=message):
        services.waive(trainee, factories.course(), kind, slug, reason, hr)
    assert db.session.scalar(select(func.count()).select_from(Waiver)) == 0


def test_hr_waives_through_the_transcript_form(client, login_as, trainee):
    login_as("hr")
    course = factories.course()
    response = client.post(
        f"/reports/trainees/{trainee.id}/courses/{course.id}/waive",
        data={"kind": "quiz", "slug": "demo-check", "reason": "外部认证已覆盖"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "外部认证已覆盖" in page
    assert "已豁免" in page
    assert states(record(trainee))["quiz:demo-check"] == "waived"


def test_waiver_form_without_reason_is_refused(client, login_as, trainee):
    login_as("hr")
    response = client.post(
        f"/reports/trainees/{trainee.id}/courses/{factories.course().id}/waive",
        data={"kind": "quiz", "slug": "demo-check", "reason": ""},
        follow_redirects=True,
    )
    assert "请填写豁免原因" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Waiver)) == 0


@pytest.mark.parametrize("role", ["trainee", "instructor", "admin"])
def test_only_hr_waives(client, login_as, trainee, role):
    login_as(role)
    response = client.post(
        f"/reports/trainees/{trainee.id}/courses/{factories.course().id}/waive",
        data={"kind": "quiz", "slug": "demo-check", "reason": "试图豁免"},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Waiver)) == 0


def test_waiver_post_without_csrf_token_fails(app, client, login_as, trainee):
    login_as("hr")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            f"/reports/trainees/{trainee.id}/courses/{factories.course().id}/waive",
            data={"kind": "quiz", "slug": "demo-check", "reason": "没有令牌"},
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Waiver)) == 0


# Recompute after content changes ------------------------------------------------------------------


def test_recompute_all_applies_changed_rules(trainee):
    read_all(trainee)
    course = factories.course()
    course.completion = {"modules": "all", "quizzes": [], "roleplays": []}
    db.session.commit()
    assert record(trainee).status == "in_progress"  # stored before the rules changed
    assert services.recompute_all() == 1
    assert record(trainee).status == "complete"


def test_completion_recompute_command(runner, trainee):
    read_all(trainee)
    result = runner.invoke(args=["completion", "recompute"])
    assert result.exit_code == 0
    assert "Recomputed completion for 1 person" in result.output


# The checklist on the trainee's course page ---------------------------------------------------------


def test_course_page_shows_what_is_missing(client, login_as, trainee):
    login_as(trainee)
    learning.mark_complete(trainee, factories.course().active_modules[0])
    page = client.get("/courses/demo-course").get_data(as_text=True)
    assert "完成要求" in page
    assert "已完成 1 / 4 项" in page
    assert "还差 3 项" in page
    assert "/quizzes/demo-check" in page and "/roleplays/demo-card" in page


def test_course_page_offers_the_certificate_when_complete(app, client, login_as, trainee, grader):
    finish_course(app, trainee, grader)
    login_as(trainee)
    page = client.get("/courses/demo-course").get_data(as_text=True)
    cert = db.session.scalar(select(Certificate))
    assert "你已完成本课程" in page
    assert f"/certificates/{cert.id}.pdf" in page


def test_staff_see_no_checklist_on_course_preview(client, login_as, trainee):
    login_as("hr")
    assert "完成要求" not in client.get("/courses/demo-course").get_data(as_text=True)


# Reminders ---------------------------------------------------------------------------------------------


def test_reminders_are_sent_once_per_kind_and_due_date(app, make_user):
    soon = make_user("soon", roles=["trainee"], email="soon@example.com")
    late = make_user("late", roles=["trainee"])
    later = make_user("later", roles=["trainee"])
    done = make_user("done", roles=["trainee"])
    hr = make_user("hr1", roles=["hr"])
    today = date.today()
    factories.assign(user=soon, due_date=today + timedelta(days=2))
    factories.assign(user=late, due_date=today - timedelta(days=1))
    factories.assign(user=later, due_date=today + timedelta(days=10))
    factories.assign(user=done, due_date=today - timedelta(days=1))
    services.waive_course(done, factories.course(), "免修", hr)  # complete: no reminders

    first = reminders.send(today)
    assert first.notifications == 2
    kinds = dict(
        db.session.execute(
            select(Notification.user_id, Notification.kind).where(
                Notification.kind.in_(["completion.due_soon", "completion.overdue"])
            )
        ).all()
    )
    assert kinds == {soon.id: "completion.due_soon", late.id: "completion.overdue"}
    soon_note = db.session.scalar(select(Notification).where(Notification.user_id == soon.id))
    assert "测试课程" in soon_note.message and soon_note.url == "/courses/demo-course"

    assert reminders.send(today).notifications == 0  # safe to run again
    # three days later the first one is overdue (a new kind of reminder, sent once) and the one due in
    # ten days is seven days away (its first window)
    assert reminders.send(today + timedelta(days=3)).notifications == 2
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 4


def test_a_new_due_date_earns_new_reminders(make_user):
    user = make_user("soon", roles=["trainee"])
    today = date.today()
    factories.assign(user=user, due_date=today + timedelta(days=1))
    assert reminders.send(today).notifications == 1
    factories.assign(user=user, due_date=today + timedelta(days=2))
    assert reminders.send(today).notifications == 1
    assert reminders.send(today).notifications == 0


class FakeSMTP:
    """Records what would be sent (the network is not the subject of this test)."""

    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ehlo(self):
        return None

    def has_extn(self, name):
        return False

    def login(self, user, password):
        FakeSMTP.sent.append(("login", user))

    def send_message(self, message):
        FakeSMTP.sent.append((message["To"], message["Subject"], message.get_content()))


def test_reminders_also_email_when_smtp_is_configured(app, make_user, monkeypatch):
    user = make_user("soon", roles=["trainee"], email="soon@example.com")
    nomail = make_user("nomail", roles=["trainee"])
    today = date.today()
    factories.assign(user=user, due_date=today + timedelta(days=1))
    factories.assign(user=nomail, due_date=today + timedelta(days=1))
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.test")
    monkeypatch.setitem(app.config, "SMTP_USER", "academy")
    sent = reminders.send(today)
    assert (sent.notifications, sent.emails) == (2, 1)
    to, subject, body = FakeSMTP.sent[-1]
    assert to == "soon@example.com" and subject == "客服学院学习提醒" and "测试课程" in body


def test_no_smtp_means_no_email(app, make_user, monkeypatch):
    user = make_user("soon", roles=["trainee"], email="soon@example.com")
    factories.assign(user=user, due_date=date.today())
    monkeypatch.delenv("SMTP_HOST", raising=False)
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    assert reminders.send().emails == 0
    assert FakeSMTP.sent == []


def test_reminders_send_command_is_repeatable(runner, make_user):
    user = make_user("soon", roles=["trainee"])
    factories.assign(user=user, due_date=date.today() + timedelta(days=1))
    first = runner.invoke(args=["reminders", "send"])
    second = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0 and "1 in-app" in first.output
    assert second.exit_code == 0 and "0 in-app" in second.output


def test_a_failing_mail_server_leaves_the_in_app_reminders(app, runner, make_user, monkeypatch):
    user = make_user("soon", roles=["trainee"], email="soon@example.com")
    factories.assign(user=user, due_date=date.today())

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.test")
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0
    assert "1 in-app, 0 e-mail" in result.output and "E-mail failed: connection refused" in result.output
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 1
