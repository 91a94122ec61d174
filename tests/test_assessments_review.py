"""The review policy (immediate | after-pass | never) holds on the result page, in the API and for staff."""

from __future__ import annotations

import pytest

from app.api.auth import issue_token
from app.assessments.models import Attempt
from app.assessments.review import ReviewLevel, review_level
from app.extensions import db
from tests import factories
from tests.quizkit import POOL, POOL_QUIZ, RIGHT, SECRETS, WRONG, age, load_with, quiz, take_paper

API = "/api/v1"


@pytest.fixture
def trainee(login_as, tmp_path):
    """A signed-in trainee of cohort c1 (assigned the demo course), with the pooled check loaded."""
    load_with(tmp_path, **{POOL: POOL_QUIZ})
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


def api_review(client, user, attempt_id: int) -> dict:
    token = issue_token(user)[0]
    response = client.get(f"{API}/attempts/{attempt_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def set_policy(slug: str, policy: str) -> None:
    quiz(slug).review = policy
    db.session.commit()


# --- the rule itself ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "kind", "staff", "passed", "left", "level"),
    [
        ("immediate", "knowledge", False, False, True, ReviewLevel.FULL),
        ("after-pass", "knowledge", False, False, True, ReviewLevel.MISTAKES),
        ("after-pass", "knowledge", False, True, True, ReviewLevel.FULL),
        ("after-pass", "knowledge", False, False, False, ReviewLevel.FULL),
        ("after-pass", "knowledge", True, False, True, ReviewLevel.FULL),
        ("never", "knowledge", False, True, False, ReviewLevel.SCORE),
        ("never", "knowledge", True, False, True, ReviewLevel.FULL),
        ("never", "self-assessment", False, False, True, ReviewLevel.SCORE),
        ("immediate", "self-assessment", False, False, True, ReviewLevel.FULL),
    ],
)
def test_review_level(policy, kind, staff, passed, left, level):
    assert review_level(policy, kind, staff=staff, passed_ever=passed, attempts_left=left) == level


# --- after-pass -----------------------------------------------------------------------------------


def test_a_failed_attempt_under_after_pass_shows_no_right_answer_anywhere(client, trainee):
    assert quiz(POOL).review == "after-pass"
    attempt = take_paper(client, POOL, WRONG)
    assert (attempt.score, attempt.passed) == (0, False)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "0</span> / 3" in page and "未通过" in page
    for secret in SECRETS:
        assert secret not in page, secret
    for qid in attempt.order["questions"]:  # each question is listed as wrong with its module to reread
        item = page[page.index(f'id="review-{qid}"') :]
        item = item[: item.index("</li>")]
        assert "答错" in item and "建议重读" in item and 'href="/courses/demo-course/' in item
    # The API says the same and no more.
    body = api_review(client, trainee, attempt.id)
    assert body["review"]["level"] == "mistakes"
    for item in body["review"]["questions"]:
        assert item["correct"] is False and item["module"]["url"].startswith("/courses/demo-course/")
        assert not {"answer", "explanation", "chosen", "options"} & set(item)
    text = str(body)
    for secret in SECRETS[:7]:
        assert secret not in text, secret


def test_after_a_pass_every_attempt_shows_everything(client, trainee):
    failed = take_paper(client, POOL, WRONG)
    age(failed, minutes=11)  # past the cooldown
    passed = take_paper(client, POOL, RIGHT)
    assert passed.passed is True
    for attempt in (failed, passed):
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
        assert ">正确答案<" in page and "见模块「" in page, attempt.id
        assert api_review(client, trainee, attempt.id)["review"]["level"] == "full"
    item = api_review(client, trainee, failed.id)["review"]["questions"][0]
    assert {"answer", "explanation", "chosen", "options"} <= set(item)


def test_when_no_attempt_is_left_everything_is_shown(client, trainee):
    quiz(POOL).max_attempts = 1
    db.session.commit()
    attempt = take_paper(client, POOL, WRONG)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert ">正确答案<" in page and "见模块「" in page


# --- immediate and never --------------------------------------------------------------------------


def test_immediate_shows_answers_and_explanations_after_a_failed_attempt(client, trainee):
    set_policy(POOL, "immediate")
    attempt = take_paper(client, POOL, WRONG)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "未通过" in page and ">正确答案<" in page and "见模块「" in page and "你的答案" in page
    body = api_review(client, trainee, attempt.id)
    assert body["review"]["level"] == "full"
    assert all(item["answer"] and item["explanation"].startswith("见模块") for item in body["review"]["questions"])


def test_never_shows_the_score_only_even_after_a_pass(client, trainee):
    set_policy(POOL, "never")
    attempt = take_paper(client, POOL, RIGHT)
    assert attempt.passed is True
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "3</span> / 3" in page and "通过" in page and "只公布得分" in page
    for secret in (*SECRETS, "甲组第", "乙组第"):  # not even the questions
        assert secret not in page, secret
    body = api_review(client, trainee, attempt.id)
    assert body["review"] == {"level": "score", "questions": []} and body["score"] == 3


def test_a_self_assessment_under_never_keeps_its_band_and_interpretation(client, trainee):
    set_policy("demo-self", "never")
    attempt_id = client.post("/quizzes/demo-self/start").headers["Location"].rsplit("/", 1)[1]
    client.post(
        f"/quizzes/demo-self/attempts/{attempt_id}", data={"action": "submit", "answer-q1": "C", "answer-q2": "Y"}
    )
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "较低" in page and "需要改进" in page and 'class="qz-range"' in page
    assert 'id="costly"' not in page  # the per-question advice is what "never" hides
    body = api_review(client, trainee, int(attempt_id))
    assert body["band"] == {"key": "low", "title": "较低", "text": "需要改进"}
    assert body["review"]["level"] == "score"


# --- staff ----------------------------------------------------------------------------------------


def test_an_instructor_sees_the_trainees_answers_whatever_the_policy(client, trainee, login_as):
    attempt = take_paper(client, POOL, WRONG)
    login_as("instructor", cohort="c1")
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "学员的答案" in page and "你的答案" not in page
    assert ">正确答案<" in page and "见模块「" in page
    assert trainee.username in page


def test_an_instructor_sees_a_self_assessment_as_the_trainees(client, trainee, login_as):
    attempt_id = client.post("/quizzes/demo-self/start").headers["Location"].rsplit("/", 1)[1]
    client.post(
        f"/quizzes/demo-self/attempts/{attempt_id}", data={"action": "submit", "answer-q1": "C", "answer-q2": "Y"}
    )
    login_as("instructor", cohort="c1")
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "学员的选择" in page and "你的选择" not in page and "学员：2" in page


def test_the_trainee_can_download_no_item_statistics(client, trainee):
    take_paper(client, POOL, WRONG)
    for url in (
        f"/results/quizzes/{POOL}",
        f"/results/quizzes/{POOL}/statistics.csv",
        f"/results/quizzes/{POOL}/statistics.xlsx",
    ):
        assert client.get(url).status_code == 403, url


def test_other_trainees_get_nothing_from_the_api(client, trainee, login_as):
    attempt = take_paper(client, POOL, WRONG)
    other = factories.make_user("other-trainee", cohort="c1")
    token = issue_token(other)[0]
    response = client.get(f"{API}/attempts/{attempt.id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert db.session.get(Attempt, attempt.id).user_id == trainee.id
