"""Timed exams: a deadline set by the server, late answers refused, overdue attempts submitted with what
was saved (on the next read by anyone, and by ``flask quizzes expire``), the API's start step; cooldowns."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api.auth import issue_token
from app.assessments import services
from app.assessments.models import Attempt
from app.core import signals
from app.core.time import utcnow
from app.extensions import db
from tests import factories
from tests.quizkit import POOL, POOL_QUIZ, RIGHT, WRONG, age, autosave, load_with, paper, post_form, quiz, start

API = "/api/v1"


@pytest.fixture
def trainee(login_as, tmp_path):
    load_with(tmp_path, **{POOL: POOL_QUIZ})
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


@pytest.fixture
def headers(trainee):
    return {"Authorization": f"Bearer {issue_token(trainee)[0]}"}


def attempt(attempt_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def overdue(attempt_id: int, seconds: int = 30) -> None:
    """Put the deadline ``seconds`` in the past (and the start a time limit before it)."""
    row = attempt(attempt_id)
    row.deadline_at = utcnow() - timedelta(seconds=seconds)
    row.started_at = row.deadline_at - timedelta(minutes=10)
    db.session.commit()


# --- the deadline ---------------------------------------------------------------------------------


def test_the_server_sets_the_deadline_at_start_and_the_page_shows_it_without_javascript(client, trainee):
    before = utcnow()
    attempt_id = start(client, POOL)
    row = attempt(attempt_id)
    assert row.deadline_at - row.started_at == timedelta(minutes=10)
    assert before <= row.started_at <= utcnow()
    page = client.get(f"/quizzes/{POOL}/attempts/{attempt_id}").get_data(as_text=True)
    assert f'datetime="{row.deadline_at.isoformat()}Z"' in page  # a <time> element: shown without JavaScript
    assert "剩余约 10 分钟" in page and 'id="quiz-countdown"' in page
    assert re.search(r'data-remaining="(59\d|600)"', page)


def test_a_reload_keeps_the_remaining_time(client, trainee):
    attempt_id = start(client, POOL)
    deadline = attempt(attempt_id).deadline_at
    age(attempt(attempt_id), minutes=4)  # four minutes later …
    assert start(client, POOL) == attempt_id  # … starting again resumes the same attempt
    page = client.get(f"/quizzes/{POOL}/attempts/{attempt_id}").get_data(as_text=True)
    assert attempt(attempt_id).deadline_at == deadline - timedelta(minutes=4)
    remaining = int(re.search(r'data-remaining="(\d+)"', page).group(1))
    assert 5 * 60 < remaining <= 6 * 60


def test_a_late_answer_is_refused_and_the_attempt_submitted_with_what_was_saved(client, trainee):
    attempt_id = start(client, POOL)
    first, second, third = paper(attempt_id)
    assert autosave(client, POOL, attempt_id, first, RIGHT[first]).status_code == 200
    overdue(attempt_id)
    with_events = []
    signals.attempt_scored.connect(receiver := lambda sender, **kw: with_events.append(kw))  # noqa: F841
    try:
        response = autosave(client, POOL, attempt_id, second, RIGHT[second])
    finally:
        signals.attempt_scored.disconnect(receiver)
    assert response.status_code == 409
    body = response.get_json()
    assert "作答时间已于" in body["errors"][0] and "此后提交的答案没有保存" in body["errors"][0]
    assert body["redirect"] == f"/attempts/{attempt_id}"
    row = attempt(attempt_id)
    assert (row.status, row.auto_submitted, row.score, row.max_score) == ("submitted", True, 1, 3)
    assert row.submitted_at == row.deadline_at
    assert len(with_events) == 1 and with_events[0]["passed"] is False
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "自动交卷" in page and "1</span> / 3" in page


def test_a_late_form_is_refused_with_a_clear_message(client, trainee):
    attempt_id = start(client, POOL)
    overdue(attempt_id)
    response = post_form(client, POOL, attempt_id, {q: RIGHT[q] for q in paper(attempt_id)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "此后提交的答案没有保存" in page
    row = attempt(attempt_id)
    assert (row.status, row.score, row.auto_submitted) == ("submitted", 0, True)


def test_an_answer_within_the_grace_period_still_counts(client, trainee):
    attempt_id = start(client, POOL)
    overdue(attempt_id, seconds=2)
    first = paper(attempt_id)[0]
    assert autosave(client, POOL, attempt_id, first, RIGHT[first]).status_code == 200


@pytest.mark.parametrize("reader", ["trainee-quiz-page", "trainee-take-page", "instructor-results", "hr-statistics"])
def test_an_abandoned_attempt_is_submitted_on_the_next_read_by_anyone(client, trainee, login_as, reader):
    attempt_id = start(client, POOL)
    first = paper(attempt_id)[0]
    autosave(client, POOL, attempt_id, first, RIGHT[first])
    overdue(attempt_id, seconds=3600)  # the trainee closed the tab an hour ago
    if reader == "trainee-quiz-page":
        page = client.get(f"/quizzes/{POOL}").get_data(as_text=True)
        assert "到时交卷" in page
    elif reader == "trainee-take-page":
        response = client.get(f"/quizzes/{POOL}/attempts/{attempt_id}")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    elif reader == "instructor-results":
        login_as("instructor", cohort="c1")
        assert trainee.username in client.get("/results").get_data(as_text=True)
    else:
        login_as("hr")
        assert client.get(f"/results/quizzes/{POOL}").status_code == 200
    row = attempt(attempt_id)
    assert (row.status, row.auto_submitted, row.score) == ("submitted", True, 1)


def test_the_expire_command_submits_overdue_attempts_and_is_safe_to_repeat(app, client, trainee, login_as):
    late = start(client, POOL)
    overdue(late)
    login_as("trainee", username="in-time", cohort="c1")
    in_time = start(client, POOL)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["quizzes", "expire"])
    assert result.exit_code == 0 and "submitted at their deadline: 1" in result.output
    assert (attempt(late).status, attempt(in_time).status) == ("submitted", "in_progress")
    again = runner.invoke(args=["quizzes", "expire"])
    assert "submitted at their deadline: 0" in again.output
    assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.status == "submitted")) == 1


def test_expiring_and_submitting_at_once_score_once(client, trainee):
    attempt_id = start(client, POOL)
    overdue(attempt_id)
    row = attempt(attempt_id)
    services.expire(row)
    services.expire(row)  # a second expiry (another reader) changes nothing
    assert services.expire_due() == 0
    assert attempt(attempt_id).score == 0


# --- cooldown -------------------------------------------------------------------------------------


def test_the_cooldown_after_a_failed_attempt_says_when_the_next_attempt_opens(client, trainee):
    attempt_id = start(client, POOL)
    post_form(client, POOL, attempt_id, {q: WRONG[q] for q in paper(attempt_id)})
    submitted = attempt(attempt_id).submitted_at
    client.post(f"/quizzes/{POOL}/start")
    page = client.get(f"/quizzes/{POOL}").get_data(as_text=True)
    opens = submitted + timedelta(minutes=10)
    assert "两次作答之间需间隔 10 分钟" in page and "下次作答" in page and "约 10 分钟后" in page
    assert opens.strftime("%H:%M") in page
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_no_cooldown_after_a_pass(client, trainee):
    attempt_id = start(client, POOL)
    post_form(client, POOL, attempt_id, {q: RIGHT[q] for q in paper(attempt_id)})
    assert attempt(attempt_id).passed is True
    assert start(client, POOL) != attempt_id


# --- the API --------------------------------------------------------------------------------------


def test_the_one_step_api_points_pooled_and_timed_quizzes_to_the_start_step(client, headers):
    response = client.post(f"{API}/quizzes/{POOL}/attempts", json={"answers": RIGHT}, headers=headers)
    assert response.status_code == 409
    body = response.get_json()
    assert body["start"] == f"{API}/quizzes/{POOL}/start" and "请先开始作答" in body["errors"][0]
    assert db.session.scalar(select(func.count(Attempt.id))) == 0
    detail = client.get(f"{API}/quizzes/{POOL}", headers=headers).get_json()
    assert detail["start_required"] is True and detail["questions"] == [] and detail["time_limit_minutes"] == 10


def test_the_api_start_step_returns_the_drawn_paper_and_the_deadline(client, headers):
    response = client.post(f"{API}/quizzes/{POOL}/start", headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    row = attempt(body["id"])
    assert [q["id"] for q in body["questions"]] == row.order["questions"]
    assert body["deadline"] == row.deadline_at.isoformat(timespec="seconds") + "Z"
    assert 590 <= body["remaining_seconds"] <= 600
    assert all("answer" not in q and "explanation" not in q for q in body["questions"])
    again = client.post(f"{API}/quizzes/{POOL}/start", headers=headers)  # resume, not a new paper
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]


def test_the_api_saves_submits_and_refuses_late_answers(client, headers):
    body = client.post(f"{API}/quizzes/{POOL}/start", headers=headers).get_json()
    ids = [q["id"] for q in body["questions"]]
    saved = client.post(
        f"{API}/attempts/{body['id']}/answers", json={"answers": {ids[0]: RIGHT[ids[0]]}}, headers=headers
    )
    assert saved.status_code == 200 and saved.get_json()["answered"] == 1
    bad = client.post(f"{API}/attempts/{body['id']}/answers", json={"answers": {ids[1]: "Z"}}, headers=headers)
    assert bad.status_code == 422
    missing = client.post(f"{API}/attempts/{body['id']}/submit", headers=headers)
    assert missing.status_code == 422 and "还有 2 道题未作答" in missing.get_json()["errors"][0]
    overdue(body["id"])
    late = client.post(
        f"{API}/attempts/{body['id']}/submit", json={"answers": {q: RIGHT[q] for q in ids}}, headers=headers
    )
    assert late.status_code == 409 and "作答时间已于" in late.get_json()["errors"][0]
    result = client.get(f"{API}/attempts/{body['id']}", headers=headers).get_json()
    assert (result["status"], result["auto_submitted"], result["score"], result["max_score"]) == (
        "submitted",
        True,
        1,
        3,
    )


def test_the_api_submits_in_time(client, headers):
    body = client.post(f"{API}/quizzes/{POOL}/start", headers=headers).get_json()
    answers = {q["id"]: RIGHT[q["id"]] for q in body["questions"]}
    result = client.post(f"{API}/attempts/{body['id']}/submit", json={"answers": answers}, headers=headers)
    assert result.status_code == 200
    data = result.get_json()
    assert (data["status"], data["score"], data["passed"], data["review"]["level"]) == ("submitted", 3, True, "full")
    assert (
        client.post(f"{API}/attempts/{body['id']}/answers", json={"answers": answers}, headers=headers).status_code
        == 409
    )


def test_an_abandoned_attempt_is_submitted_when_the_api_reads_it(client, headers):
    body = client.post(f"{API}/quizzes/{POOL}/start", headers=headers).get_json()
    overdue(body["id"], seconds=3600)
    result = client.get(f"{API}/attempts/{body['id']}", headers=headers).get_json()
    assert (result["status"], result["auto_submitted"], result["score"]) == ("submitted", True, 0)


def test_other_quizzes_may_use_the_start_step_too(client, headers):
    body = client.post(f"{API}/quizzes/demo-check/start", headers=headers).get_json()
    assert body["deadline"] is None and len(body["questions"]) == 3
    assert quiz("demo-check").time_limit_minutes is None
