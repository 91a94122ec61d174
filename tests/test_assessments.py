"""Taking quizzes on the web: start, autosave and resume, submit once, limits, shuffling, results, access."""

from __future__ import annotations

import random
import re
import shutil
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import Cohort
from app.assessments import services
from app.assessments.models import Attempt, AttemptAnswer, Quiz
from app.core import signals
from app.extensions import db
from tests import factories
from tests.conftest import TEST_CONTENT

SELF = "demo-self"
CHECK = "demo-check"
SELF_ANSWERS = {"q1": "A", "q2": "Y"}  # 5 + 1 = 6: band "high"
CHECK_RIGHT = {"k1": "A", "k2": ["A", "C"], "k3": "T"}


def quiz(slug: str) -> Quiz:
    return db.session.scalar(select(Quiz).where(Quiz.slug == slug))


def start(client, slug: str) -> int:
    response = client.post(f"/quizzes/{slug}/start")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.search(rf"/quizzes/{slug}/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def form_data(answers: dict, action: str = "submit") -> dict:
    return {"action": action, **{f"answer-{qid}": value for qid, value in answers.items()}}


def post_form(client, slug: str, attempt_id: int, answers: dict, action: str = "submit"):
    return client.post(f"/quizzes/{slug}/attempts/{attempt_id}", data=form_data(answers, action))


def autosave(client, slug: str, attempt_id: int, question: str, value):
    return client.post(f"/quizzes/{slug}/attempts/{attempt_id}/answer", json={"question": question, "value": value})


def take(client, slug: str, answers: dict) -> Attempt:
    attempt_id = start(client, slug)
    response = post_form(client, slug, attempt_id, answers)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    return db.session.get(Attempt, attempt_id)


def saved(attempt_id: int) -> dict:
    rows = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
    return {a.question_id: a.value for a in rows}


@contextmanager
def scored_events():
    events: list[dict] = []

    def receiver(sender, **kwargs):
        events.append({"attempt_id": sender.id, **kwargs})

    signals.attempt_scored.connect(receiver)
    try:
        yield events
    finally:
        signals.attempt_scored.disconnect(receiver)


@pytest.fixture
def trainee(login_as):
    """A signed-in trainee whose cohort is assigned the demo course."""
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


# --- list and start page ---------------------------------------------------------------------


def test_quiz_list_shows_the_quizzes_of_assigned_courses(client, trainee):
    page = client.get("/quizzes").get_data(as_text=True)
    assert "测试自评" in page and "测试知识检测" in page
    assert "尚未作答" in page


def test_quizzes_of_unassigned_courses_are_hidden_and_404(client, login_as):
    login_as("trainee", cohort="elsewhere")
    assert "测试自评" not in client.get("/quizzes").get_data(as_text=True)
    assert client.get(f"/quizzes/{SELF}").status_code == 404
    assert client.post(f"/quizzes/{SELF}/start").status_code == 404
    assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_start_page_shows_instructions_and_a_start_button(client, trainee):
    page = client.get(f"/quizzes/{SELF}").get_data(as_text=True)
    assert "凭第一感觉作答" in page
    assert 'id="start-quiz"' in page and "开始作答" in page


def test_nav_links_trainees_to_the_quiz_list_and_staff_to_results(client, trainee, login_as):
    assert 'href="/quizzes"' in client.get("/dashboard").get_data(as_text=True)
    login_as("hr")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/results"' in page


# --- taking: autosave, resume, no-JS form ------------------------------------------------------


def test_starting_twice_resumes_the_same_attempt(client, trainee):
    first = start(client, SELF)
    assert start(client, SELF) == first
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    assert "继续作答" in client.get(f"/quizzes/{SELF}").get_data(as_text=True)


def test_autosaved_answers_survive_a_reload(client, trainee):
    attempt_id = start(client, SELF)
    response = autosave(client, SELF, attempt_id, "q1", "B")
    assert response.status_code == 200
    assert response.get_json() == {"saved": True, "answered": 1, "total": 2}
    autosave(client, SELF, attempt_id, "q1", "C")  # changing an answer updates the same row
    assert saved(attempt_id) == {"q1": "C"}
    page = client.get(f"/quizzes/{SELF}/attempts/{attempt_id}").get_data(as_text=True)
    assert re.search(r'value="C"\s+checked', page)
    assert not re.search(r'value="B"\s+checked', page)
    assert 'value="1"' in page  # progress: one of two answered


def test_autosave_rejects_bad_answers_and_stores_nothing(client, trainee):
    attempt_id = start(client, CHECK)
    for question, value in [("k1", "Z"), ("k2", "A"), ("nope", "A"), ("k1", ["A"])]:
        response = autosave(client, CHECK, attempt_id, question, value)
        assert response.status_code == 422, (question, value)
        assert response.get_json()["errors"]
    assert saved(attempt_id) == {}
    assert client.post(f"/quizzes/{CHECK}/attempts/{attempt_id}/answer", data="x").status_code == 400


def test_autosave_with_null_clears_an_answer(client, trainee):
    attempt_id = start(client, CHECK)
    autosave(client, CHECK, attempt_id, "k2", ["C", "A"])
    assert saved(attempt_id) == {"k2": ["A", "C"]}
    assert autosave(client, CHECK, attempt_id, "k2", []).get_json()["answered"] == 0
    assert saved(attempt_id) == {}


def test_the_form_saves_every_answer_without_javascript(client, trainee):
    attempt_id = start(client, CHECK)
    response = post_form(client, CHECK, attempt_id, {"k1": "B", "k2": ["A", "B"]}, action="save")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    assert saved(attempt_id) == {"k1": "B", "k2": ["A", "B"]}
    assert db.session.get(Attempt, attempt_id).status == "in_progress"


def test_a_tampered_form_stores_nothing(client, trainee):
    attempt_id = start(client, CHECK)
    response = post_form(client, CHECK, attempt_id, {"k1": "Z", "k3": "T"}, action="save")
    assert response.status_code == 422
    assert "没有选项 Z" in response.get_data(as_text=True)
    assert saved(attempt_id) == {}


def test_another_users_attempt_cannot_be_taken_or_saved(client, trainee, login_as):
    attempt_id = start(client, SELF)
    login_as("trainee", cohort="c1")
    assert client.get(f"/quizzes/{SELF}/attempts/{attempt_id}").status_code == 404
    assert autosave(client, SELF, attempt_id, "q1", "A").status_code == 404
    assert post_form(client, SELF, attempt_id, SELF_ANSWERS).status_code == 404
    assert saved(attempt_id) == {}


# --- submitting ----------------------------------------------------------------------------------


def test_submitting_with_unanswered_questions_lists_them_and_submits_nothing(client, trainee):
    attempt_id = start(client, SELF)
    with scored_events() as events:
        response = post_form(client, SELF, attempt_id, {"q1": "A"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "还有 1 道题未作答" in page and 'href="#question-q2"' in page
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "in_progress" and attempt.score is None
    assert saved(attempt_id) == {"q1": "A"}  # what was answered is kept
    assert events == []


def test_submit_scores_on_the_server_and_shows_the_band(client, trainee):
    attempt_id = start(client, SELF)
    autosave(client, SELF, attempt_id, "q1", "A")
    autosave(client, SELF, attempt_id, "q2", "Y")
    response = client.post(
        f"/quizzes/{SELF}/attempts/{attempt_id}",
        data={"action": "submit", "answer-q1": "A", "answer-q2": "Y", "score": "0"},
    )
    assert response.status_code == 302
    attempt = db.session.get(Attempt, attempt_id)
    assert (attempt.status, attempt.score, attempt.max_score, attempt.band_key) == ("submitted", 6, 6, "high")
    assert attempt.quiz_version_id == quiz(SELF).current_version_id
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "较高" in page and "做得不错" in page and "<svg" in page


def test_double_submit_records_one_result(client, trainee):
    attempt_id = start(client, CHECK)
    with scored_events() as events:
        first = post_form(client, CHECK, attempt_id, CHECK_RIGHT)
        second = post_form(client, CHECK, attempt_id, {"k1": "B", "k2": ["B"], "k3": "F"})
    assert first.headers["Location"] == second.headers["Location"]
    attempt = db.session.get(Attempt, attempt_id)
    assert (attempt.score, attempt.passed) == (3, True)
    assert saved(attempt_id) == CHECK_RIGHT
    assert len(events) == 1
    assert autosave(client, CHECK, attempt_id, "k1", "B").status_code == 409
    assert saved(attempt_id) == CHECK_RIGHT


def test_a_concurrent_submit_that_lost_the_race_returns_the_recorded_result(client, trainee):
    attempt_id = start(client, SELF)
    autosave(client, SELF, attempt_id, "q1", "A")
    autosave(client, SELF, attempt_id, "q2", "Y")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "in_progress"
    # Another request submits first, behind this session's back.
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id)
        .values(status="submitted", score=1, max_score=6, percent=16)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    with scored_events() as events:
        result = services.submit(attempt)
    assert (result.status, result.score) == ("submitted", 1)  # the first result stands
    assert events == []


def test_scoring_sends_attempt_scored_with_its_details(client, trainee):
    with scored_events() as events:
        attempt = take(client, CHECK, {"k1": "A", "k2": ["A"], "k3": "T"})
    assert events == [
        {
            "attempt_id": attempt.id,
            "user_id": trainee.id,
            "quiz_id": attempt.quiz_id,
            "course_id": factories.course().id,
            "passed": False,
            "percent": 66,
            "regraded": False,
        }
    ]
    assert (attempt.score, attempt.percent) == (2, 66)


# --- limits, cooldown ----------------------------------------------------------------------------


def test_attempt_limit_blocks_a_third_attempt(client, trainee):
    take(client, CHECK, CHECK_RIGHT)
    take(client, CHECK, CHECK_RIGHT)
    response = client.post(f"/quizzes/{CHECK}/start")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/quizzes/{CHECK}")
    page = client.get(f"/quizzes/{CHECK}").get_data(as_text=True)
    assert "你已用完本测验的 2 次作答机会" in page
    assert 'id="start-quiz"' not in page
    assert db.session.scalar(select(func.count(Attempt.id))) == 2


def test_cooldown_between_attempts(client, trainee):
    quiz(SELF).cooldown_minutes = 30
    db.session.commit()
    attempt = take(client, SELF, SELF_ANSWERS)
    client.post(f"/quizzes/{SELF}/start")
    assert "两次作答之间需间隔 30 分钟" in client.get(f"/quizzes/{SELF}").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    attempt.submitted_at -= timedelta(minutes=31)
    db.session.commit()
    assert start(client, SELF) != attempt.id


# --- shuffling and what the browser is sent ------------------------------------------------------


def test_knowledge_order_is_shuffled_per_attempt_and_stored(client, trainee):
    check = quiz(CHECK)
    assert check.shuffle is True
    orders = set()
    for seed in range(12):
        attempt = services.start_or_resume(trainee, check, random.Random(seed))
        order = attempt.order
        assert sorted(order["questions"]) == ["k1", "k2", "k3"]
        assert order["options"]["k3"] == ["T", "F"]  # true/false keeps its natural order
        orders.add((tuple(order["questions"]), tuple(order["options"]["k2"])))
        db.session.delete(attempt)
        db.session.commit()
    assert len(orders) > 1
    attempt = services.start_or_resume(trainee, check, random.Random(3))
    stored = attempt.order
    page = client.get(f"/quizzes/{CHECK}/attempts/{attempt.id}").get_data(as_text=True)
    positions = [page.index(f'id="question-{qid}"') for qid in stored["questions"]]
    assert positions == sorted(positions)
    post_form(client, CHECK, attempt.id, CHECK_RIGHT)
    result = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    positions = [result.index(f'id="review-{qid}"') for qid in stored["questions"]]
    assert positions == sorted(positions)
    assert db.session.get(Attempt, attempt.id).order == stored


def test_the_take_page_never_contains_answers_or_explanations(client, trainee):
    attempt_id = start(client, CHECK)
    page = client.get(f"/quizzes/{CHECK}/attempts/{attempt_id}").get_data(as_text=True)
    assert "见模块" not in page
    assert "对的" in page  # the options are there
    assert "解析" not in page and "答错" not in page


# --- results -------------------------------------------------------------------------------------


def test_self_assessment_result_shows_band_chart_and_costly_answers_with_module_links(client, trainee):
    attempt = take(client, SELF, {"q1": "C", "q2": "Y"})
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert attempt.score == 2 and attempt.band_key == "low"
    assert "较低" in page and "需要改进" in page
    assert 'class="qz-range"' in page and "0–3" in page and "4–6" in page
    costly = page[page.index('id="costly"') :]
    assert "第一题" in costly and "少得" in costly and "4 分" in costly
    assert 'href="/courses/demo-course/first-steps"' in costly
    assert "第二题陈述" not in costly  # the best option loses nothing


def test_knowledge_result_shows_each_answer_the_right_one_and_the_explanation_once_no_attempt_is_left(client, trainee):
    attempt = take(client, CHECK, {"k1": "B", "k2": ["A", "C"], "k3": "T"})
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "2</span> / 3" in page and "66%" in page and "未通过" in page
    # review: after-pass (the default): one attempt left, so which were wrong and what to reread, no answers
    review = page[page.index('id="review-k1"') :]
    review = review[: review.index("</li>")]
    assert "答错" in review and 'href="/courses/demo-course/first-steps"' in review
    assert "对的" not in page and "见模块" not in page and ">正确答案<" not in page
    take(client, CHECK, {"k1": "B", "k2": ["A"], "k3": "T"})  # the limit of 2 is used up: everything
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    review = page[page.index('id="review-k1"') :]
    review = review[: review.index("</li>")]
    assert "错的" in review and "对的" in review and "见模块「第一步」" in review and "答错" in review


def test_history_lists_every_attempt_with_a_chart(client, trainee):
    take(client, SELF, {"q1": "C", "q2": "N"})
    take(client, SELF, SELF_ANSWERS)
    page = client.get(f"/quizzes/{SELF}").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    assert history.count("/attempts/") == 2 and "较低" in history and "较高" in history
    assert "<polyline" in page and page.count('class="qz-dot"') == 2
    assert "再做一次" in page


def test_a_new_quiz_version_never_changes_stored_results(client, trainee, tmp_path):
    done = take(client, SELF, SELF_ANSWERS)
    open_id = start(client, SELF)
    old_version = quiz(SELF).current_version_id
    content = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, content)
    path = content / "quizzes" / f"{SELF}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("score: 5", "score: 2").replace("较高", "新的较高"), encoding="utf-8"
    )
    factories.load_content(content)
    assert quiz(SELF).current_version_id != old_version
    db.session.expire_all()
    again = db.session.get(Attempt, done.id)
    assert (again.score, again.band_key, again.quiz_version_id) == (6, "high", old_version)
    page = client.get(f"/attempts/{done.id}").get_data(as_text=True)
    assert "6</span>" in page and "较高" in page and "新的较高" not in page and "按作答时的题目版本评分" in page
    # The open attempt keeps the version it started on.
    post_form(client, SELF, open_id, SELF_ANSWERS)
    resumed = db.session.get(Attempt, open_id)
    assert (resumed.quiz_version_id, resumed.score) == (old_version, 6)
    fresh = take(client, SELF, SELF_ANSWERS)
    assert (fresh.quiz_version_id, fresh.score) == (quiz(SELF).current_version_id, 3)


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("owner", 200),
        ("other-trainee", 404),
        ("instructor-of-cohort", 200),
        ("instructor-elsewhere", 404),
        ("hr", 200),
        ("admin", 200),
    ],
)
def test_attempt_access_table(client, trainee, login_as, make_user, viewer, status):
    attempt = take(client, SELF, SELF_ANSWERS)
    if viewer == "other-trainee":
        login_as("trainee", cohort="c1")
    elif viewer == "instructor-of-cohort":
        login_as("instructor", cohort="c1")
    elif viewer == "instructor-elsewhere":
        login_as("instructor", cohort="c2")
    elif viewer in ("hr", "admin"):
        login_as(viewer)
    response = client.get(f"/attempts/{attempt.id}")
    assert response.status_code == status
    if status == 404:
        assert "较高" not in response.get_data(as_text=True)
    elif viewer != "owner":
        assert trainee.username in response.get_data(as_text=True)


def test_an_open_attempt_is_not_shown_to_staff(client, trainee, login_as):
    attempt_id = start(client, SELF)
    login_as("hr")
    assert client.get(f"/attempts/{attempt_id}").status_code == 404


def test_results_page_limits_instructors_to_the_cohorts_they_teach(client, login_as):
    factories.assign(cohort="c1")
    factories.assign(cohort="c2")
    for cohort in ("c1", "c2"):
        login_as("trainee", username=f"t-{cohort}", cohort=cohort)
        take(client, SELF, SELF_ANSWERS)
    c2 = db.session.scalar(select(Cohort.id).where(Cohort.name == "c2"))
    login_as("instructor", cohort="c1")
    page = client.get("/results").get_data(as_text=True)
    assert "t-c1" in page and "t-c2" not in page
    assert client.get(f"/results?cohort={c2}").status_code == 404
    login_as("hr")
    page = client.get("/results").get_data(as_text=True)
    assert "t-c1" in page and "t-c2" in page
    page = client.get(f"/results?cohort={c2}").get_data(as_text=True)
    assert "t-c1" not in page and "t-c2" in page
    login_as("trainee", cohort="c1")
    assert client.get("/results").status_code == 403


def _attempts_for(count: int, client, login_as) -> None:
    for i in range(count):
        login_as("trainee", username=f"many{i}-{factories.next_id()}", cohort="c1")
        take(client, SELF, SELF_ANSWERS)
        take(client, CHECK, CHECK_RIGHT)


def test_list_pages_use_a_fixed_number_of_queries(client, login_as, count_queries):
    factories.assign(cohort="c1")
    counts = []
    for batch in (1, 3):
        _attempts_for(batch, client, login_as)
        trainee = login_as("trainee", cohort="c1")
        assert trainee
        take(client, SELF, SELF_ANSWERS)
        login_as("instructor", cohort="c1")
        with count_queries() as results_queries:
            assert client.get("/results").status_code == 200
        login_as(trainee)
        with count_queries() as list_queries:
            assert client.get("/quizzes").status_code == 200
        with count_queries() as quiz_queries:
            assert client.get(f"/quizzes/{SELF}").status_code == 200
        counts.append((results_queries(), list_queries(), quiz_queries()))
    assert counts[0] == counts[1]


def test_csrf_is_required_for_starting_and_autosaving(app, client, trainee):
    attempt_id = start(client, SELF)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/quizzes/{CHECK}/start").status_code == 400
        assert autosave(client, SELF, attempt_id, "q1", "A").status_code == 400
        assert post_form(client, SELF, attempt_id, SELF_ANSWERS).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert saved(attempt_id) == {}
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


SCALED_QUIZ = """\
title: 分项自评
kind: self-assessment
instructions: 按实际情况作答。
questions:
  - {id: a1, type: agree-disagree, text: 我会主动问候客户, scale: warmth,
     options: [{key: Y, text: 与自己一致, score: 1}, {key: N, text: 与自己不一致, score: 0}]}
  - {id: a2, type: agree-disagree, text: 我常常打断客户, scale: warmth, reverse: true,
     options: [{key: Y, text: 与自己一致, score: 1}, {key: N, text: 与自己不一致, score: 0}]}
  - {id: b1, type: single, text: 遇到投诉时我会, scale: calm,
     options: [{key: A, text: 先安抚情绪, score: 2}, {key: B, text: 先解释原因, score: 0}]}
bands:
  - {key: low, min: 0, max: 2, title: 有待提高, text: 多练习。}
  - {key: high, min: 3, max: 4, title: 表现良好, text: 继续保持。}
scales:
  warmth:
    title: 亲和力
    bands:
      - {key: cold, min: 0, max: 1, title: 偏冷淡, text: 多一些主动。}
      - {key: warm, min: 2, max: 2, title: 很温暖, text: 客户感到被重视。}
  calm:
    title: 冷静
    bands:
      - {key: rash, min: 0, max: 1, title: 易急躁, text: 先处理心情。}
      - {key: steady, min: 2, max: 2, title: 很沉着, text: 保持。}
"""


@pytest.mark.parametrize(
    ("answers", "total", "band", "warmth", "warmth_title"),
    [
        ({"a1": "Y", "a2": "N", "b1": "A"}, 4, "high", 2, "很温暖"),  # "N" on a reverse item earns the point
        ({"a1": "Y", "a2": "Y", "b1": "A"}, 3, "high", 1, "偏冷淡"),
        ({"a1": "N", "a2": "Y", "b1": "B"}, 0, "low", 0, "偏冷淡"),
    ],
)
def test_sub_scales_and_reverse_items_are_scored_and_shown(
    client, login_as, tmp_path, answers, total, band, warmth, warmth_title
):
    content = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, content)
    (content / "quizzes" / "demo-scales.yaml").write_text(SCALED_QUIZ, encoding="utf-8")
    factories.load_content(content)
    login_as("trainee")
    attempt = take(client, "demo-scales", answers)
    assert (attempt.score, attempt.max_score, attempt.band_key) == (total, 4, band)
    assert attempt.scale_results["warmth"] == {
        "total": warmth,
        "min": 0,
        "max": 2,
        "band_key": "warm" if warmth == 2 else "cold",
    }
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    scale = page[page.index('data-scale="warmth"') :]
    assert f"亲和力：{warmth} 分" in scale and warmth_title in scale
    assert 'data-scale="calm"' in page
