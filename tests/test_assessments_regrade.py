"""Regrading: a fixed quiz never changes stored results by itself; an admin's explicit regrade is recorded
(old and new score, who, when, why), shown to the trainee, notified, and completion follows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.api.auth import issue_token
from app.assessments.models import Attempt, AttemptRegrade
from app.completion.models import CourseCompletion
from app.core import signals
from app.core.audit import AuditEvent
from app.extensions import db
from app.notifications.models import Notification
from tests import factories
from tests.quizkit import load_with, quiz

CHECK = "demo-check"
# k2's key is wrong in the file: the course teaches A and B. The trainee answered A, B and was marked wrong.
ANSWERS = {"k1": "A", "k2": ["A", "B"], "k3": "T"}


@pytest.fixture
def content(tmp_path):
    return load_with(tmp_path)


@pytest.fixture
def trainee(content, login_as):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


def take(client, answers: dict) -> Attempt:
    location = client.post(f"/quizzes/{CHECK}/start").headers["Location"]
    attempt_id = int(location.rsplit("/", 1)[1])
    data = {"action": "submit", **{f"answer-{q}": v for q, v in answers.items()}}
    assert client.post(f"/quizzes/{CHECK}/attempts/{attempt_id}", data=data).status_code == 302
    return db.session.get(Attempt, attempt_id)


def fix_the_key(content) -> None:
    """Correct k2's answer in the file and load it: a new version of the quiz."""
    path = content / "quizzes" / f"{CHECK}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("answer: [A, C]", "answer: [A, B]"), encoding="utf-8")
    factories.load_content(content)


def completion_status(user_id: int) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(CourseCompletion.status).where(CourseCompletion.user_id == user_id))


def test_loading_the_fixed_quiz_changes_no_stored_result(client, trainee, content):
    attempt = take(client, ANSWERS)
    assert (attempt.score, attempt.passed) == (2, False)
    old_version = attempt.quiz_version_id
    fix_the_key(content)
    db.session.expire_all()
    again = db.session.get(Attempt, attempt.id)
    assert (again.score, again.passed, again.quiz_version_id) == (2, False, old_version)
    assert db.session.scalar(select(func.count(AttemptRegrade.id))) == 0


@pytest.mark.parametrize("role", ["trainee", "instructor", "hr"])
def test_only_admins_regrade(client, trainee, content, login_as, role):
    attempt = take(client, ANSWERS)
    fix_the_key(content)
    login_as(role, cohort="c1")
    assert client.get(f"/quizzes/{CHECK}/regrade").status_code == 403
    response = client.post(f"/quizzes/{CHECK}/regrade", data={"version": attempt.quiz_version_id, "reason": "x"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(AttemptRegrade.id))) == 0


def test_a_regrade_needs_a_reason_and_changes_nothing_without_one(client, trainee, content, login_as):
    attempt = take(client, ANSWERS)
    fix_the_key(content)
    login_as("admin")
    response = client.post(f"/quizzes/{CHECK}/regrade", data={"version": attempt.quiz_version_id, "reason": " "})
    assert response.status_code == 422 and "请写明重新评分的原因" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).score == 2
    assert db.session.scalar(select(func.count(AttemptRegrade.id))) == 0


def test_an_explicit_regrade_is_recorded_shown_notified_and_recomputes_completion(client, trainee, content, login_as):
    attempt = take(client, ANSWERS)
    old_version = attempt.quiz_version_id
    assert completion_status(trainee.id) in (None, "in_progress", "not_started")
    fix_the_key(content)
    admin = login_as("admin", name="管理员甲")
    page = client.get(f"/quizzes/{CHECK}/regrade").get_data(as_text=True)
    assert 'id="version-' in page and "2 / 3" in page and "3 / 3" in page  # a preview: old and new
    events = []
    receiver = lambda sender, **kw: events.append(kw)  # noqa: E731
    signals.attempt_scored.connect(receiver)
    try:
        response = client.post(
            f"/quizzes/{CHECK}/regrade", data={"version": old_version, "reason": "第 2 题答案有误，已更正为 A、B"}
        )
    finally:
        signals.attempt_scored.disconnect(receiver)
    assert response.status_code == 302
    db.session.expire_all()
    again = db.session.get(Attempt, attempt.id)
    assert (again.score, again.percent, again.passed) == (3, 100, True)
    assert again.quiz_version_id == quiz(CHECK).current_version_id != old_version
    record = db.session.scalar(select(AttemptRegrade))
    assert (record.old_score, record.new_score, record.old_passed, record.new_passed) == (2, 3, False, True)
    assert (record.by_id, record.reason, record.from_version_id) == (
        admin.id,
        "第 2 题答案有误，已更正为 A、B",
        old_version,
    )
    assert record.created_at is not None
    assert events == [
        {
            "user_id": trainee.id,
            "quiz_id": again.quiz_id,
            "course_id": again.quiz.course_id,
            "passed": True,
            "percent": 100,
            "regraded": True,
        }
    ]
    notice = db.session.scalar(
        select(Notification).where(Notification.user_id == trainee.id, Notification.kind == "assessments.regraded")
    )
    assert notice.url == f"/attempts/{attempt.id}" and "2/3 → 3/3" in notice.message and "已更正" in notice.message
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz.regraded")).details["changed"] == 1
    # The trainee sees both results, who, when and why — on the page and in the API.
    login_as(trainee)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    regrades = page[page.index('id="regrades"') :]
    assert "2 / 3" in regrades and "3 / 3" in regrades and "管理员甲" in regrades and "已更正为 A、B" in regrades
    assert "3</span> / 3" in page
    token = issue_token(trainee)[0]
    body = client.get(f"/api/v1/attempts/{attempt.id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["score"] == 3 and body["regrades"][0]["old"]["score"] == 2 and body["regrades"][0]["new"]["score"] == 3
    # Nothing is left to regrade; a second regrade of the old version finds nothing.
    login_as("admin")
    assert 'id="nothing-to-regrade"' in client.get(f"/quizzes/{CHECK}/regrade").get_data(as_text=True)
    response = client.post(f"/quizzes/{CHECK}/regrade", data={"version": old_version, "reason": "再来一次"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(AttemptRegrade.id))) == 1


def test_a_regrade_that_lowers_a_result_takes_completion_back(client, trainee, content, login_as):
    # The first version's key is A, C; a trainee who answered that passes. The fix makes it A, B.
    right = {"k1": "A", "k2": ["A", "C"], "k3": "T"}
    attempt = take(client, right)
    assert attempt.passed is True
    from app.completion import services as completion

    completion.recompute_for_course_id(trainee.id, attempt.quiz.course_id)
    before = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == trainee.id))
    quiz_item = next(i for i in before.items if i["kind"] == "quiz")
    assert quiz_item["state"] == "done"
    fix_the_key(content)
    login_as("admin")
    client.post(f"/quizzes/{CHECK}/regrade", data={"version": attempt.quiz_version_id, "reason": "答案更正"})
    db.session.expire_all()
    after = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == trainee.id))
    quiz_item = next(i for i in after.items if i["kind"] == "quiz")
    assert quiz_item["state"] != "done" and quiz_item["score"] == 66
