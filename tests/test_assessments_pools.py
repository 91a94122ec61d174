"""Question pools: tags and draw rules, a paper per attempt (unseen questions first), the loader's checks,
and the shipped knowledge checks written so that a retry is a different paper."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from app.assessments import pools, services
from app.assessments.models import Attempt
from app.content.validate import check
from app.extensions import db
from tests import factories
from tests.quizkit import POOL, POOL_QUIZ, RIGHT, WRONG, age, autosave, load_with, paper, quiz, start, take_paper

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = yaml.safe_load(POOL_QUIZ)["questions"]
RULES = [{"tag": "甲组", "count": 2}, {"type": "multiple", "count": 1}]


@pytest.fixture
def trainee(login_as, tmp_path):
    load_with(tmp_path, **{POOL: POOL_QUIZ})
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


# --- the pure draw --------------------------------------------------------------------------------


def test_a_paper_meets_every_rule_with_distinct_questions():
    for seed in range(30):
        drawn = pools.draw(RULES, QUESTIONS, rng=random.Random(seed))
        by_id = {q["id"]: q for q in QUESTIONS}
        assert len(drawn) == len(set(drawn)) == 3
        assert sum("甲组" in by_id[q].get("tags", []) for q in drawn) >= 2
        assert any(by_id[q]["type"] == "multiple" for q in drawn)
        assert drawn == sorted(drawn, key=[q["id"] for q in QUESTIONS].index)  # the quiz's order


def test_unseen_questions_come_first():
    for seed in range(30):
        drawn = pools.draw(RULES, QUESTIONS, seen={"p1", "p2", "p5"}, rng=random.Random(seed))
        assert set(drawn) == {"p3", "p4", "p6"}


def test_the_draw_leaves_room_for_later_rules():
    # The only multiple-choice question is also tagged; a greedy draw that gave it to the tag rule
    # could not fill the type rule. The matching never does that.
    questions = [
        {"id": "a", "type": "multiple", "tags": ["t"]},
        {"id": "b", "type": "single", "tags": ["t"]},
    ]
    rules = [{"tag": "t", "count": 1}, {"type": "multiple", "count": 1}]
    assert pools.shortfall(rules, questions) == 0
    for seed in range(20):
        assert pools.draw(rules, questions, seen={"b"}, rng=random.Random(seed)) == ["a", "b"]


@pytest.mark.parametrize(
    ("rules", "short"),
    [
        ([{"tag": "甲组", "count": 4}], 0),
        ([{"tag": "甲组", "count": 5}], 1),
        ([{"tag": "甲组", "count": 4}, {"tag": "乙组", "count": 2}], 0),
        ([{"tag": "甲组", "count": 4}, {"type": "single", "count": 1}], 1),  # all singles are in 甲组
        ([{"type": "true-false", "count": 2}], 1),
        ([{"tag": "甲组", "type": "multiple", "count": 1}], 1),
    ],
)
def test_shortfall_counts_what_no_paper_can_supply(rules, short):
    assert pools.shortfall(rules, QUESTIONS) == short


# --- attempts -------------------------------------------------------------------------------------


def test_two_attempts_draw_different_papers_and_store_them(client, trainee):
    assert quiz(POOL).question_count == 3
    first = take_paper(client, POOL, WRONG)
    age(first, minutes=11)
    second_id = start(client, POOL)
    assert set(paper(second_id)).isdisjoint(first.order["questions"])  # the pool allows a new paper
    page = client.get(f"/quizzes/{POOL}/attempts/{second_id}").get_data(as_text=True)
    shown = re.findall(r'id="question-(p\d)"', page)
    assert shown == paper(second_id)  # the stored paper, in its stored order
    assert set(db.session.get(Attempt, second_id).order["options"]) == set(shown)


def test_a_paper_is_scored_on_its_own_questions(client, trainee):
    attempt = take_paper(client, POOL, RIGHT)
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed) == (3, 3, 100, True)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert sorted(re.findall(r'id="review-(p\d)"', page)) == sorted(attempt.order["questions"])


def test_answers_to_questions_off_the_paper_are_refused(client, trainee):
    attempt_id = start(client, POOL)
    off = next(q for q in RIGHT if q not in paper(attempt_id))
    response = autosave(client, POOL, attempt_id, off, RIGHT[off])
    assert response.status_code == 422
    assert f"没有题目 {off}" in response.get_json()["errors"][0]
    on = paper(attempt_id)[0]
    assert autosave(client, POOL, attempt_id, on, RIGHT[on]).get_json() == {"saved": True, "answered": 1, "total": 3}


def test_submitting_asks_only_for_the_papers_questions(client, trainee):
    attempt_id = start(client, POOL)
    answers = {q: RIGHT[q] for q in paper(attempt_id)[:2]}
    response = client.post(
        f"/quizzes/{POOL}/attempts/{attempt_id}",
        data={"action": "submit", **{f"answer-{q}": v for q, v in answers.items()}},
    )
    assert response.status_code == 422
    assert "还有 1 道题未作答" in response.get_data(as_text=True)


def test_the_quiz_page_describes_the_pool(client, trainee):
    page = client.get(f"/quizzes/{POOL}").get_data(as_text=True)
    assert "每次从 6 道题中抽取 3 题" in page and "限时 10 分钟" in page and "优先抽你还没做过的题" in page


def test_services_start_draws_with_the_given_random_source(app, trainee):
    attempt = services.start_or_resume(trainee, quiz(POOL), random.Random(7))
    expected = pools.draw(RULES, QUESTIONS, rng=random.Random(7))
    assert sorted(attempt.order["questions"]) == sorted(expected)


# --- the loader -----------------------------------------------------------------------------------


def _problems(tmp_path: Path, text: str) -> list[str]:
    content = tmp_path / "content"
    import shutil

    from tests.conftest import TEST_CONTENT

    if not content.exists():
        shutil.copytree(TEST_CONTENT, content)
    (content / "quizzes" / "bad-pool.yaml").write_text(text, encoding="utf-8")
    return [str(p) for p in check(content)[1] if "bad-pool" in str(p)]


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (("{tag: 甲组, count: 2}", "{tag: 甲组, count: 5}"), "the pool cannot satisfy these rules", 9),
        (("{tag: 甲组, count: 2}", "{tag: 丙组, count: 1}"), "no question has the tag '丙组'", 10),
        (("{type: multiple, count: 1}", "{type: essay, count: 1}"), "unknown type 'essay'", 11),
        (("{type: multiple, count: 1}", "{type: multiple, count: 0}"), "count", 11),
        (("{type: multiple, count: 1}", "{count: 1}"), "needs a tag or a type", 11),
        (("review: after-pass", "review: later"), "must be immediate, after-pass or never", 6),
        (("time_limit: 10", "time_limit: 0"), "time_limit", 7),
        (
            ("tags: [甲组], module: first-steps, text: 甲组第一题", "tags: 5, module: first-steps, text: 甲组第一题"),
            "must be a list of tag names",
            13,
        ),
    ],
)
def test_the_loader_refuses_bad_pool_keys_with_file_and_line(tmp_path, change, message, line):
    problems = _problems(tmp_path, POOL_QUIZ.replace(*change))
    found = [p for p in problems if message in p]
    assert found, problems
    assert found[0].startswith(f"quizzes/bad-pool.yaml:{line}"), found


def test_self_assessments_have_no_pool_time_limit_or_after_pass(tmp_path):
    text = (Path(__file__).parent / "data" / "content" / "quizzes" / "demo-self.yaml").read_text(encoding="utf-8")
    text += "draw: [{type: single, count: 1}]\ntime_limit: 5\nreview: after-pass\n"
    problems = _problems(tmp_path, text)
    assert any("only knowledge checks draw" in p for p in problems), problems
    assert any("only knowledge checks have a time limit" in p for p in problems), problems
    assert any("review: must be immediate or never" in p for p in problems), problems


def test_a_valid_pool_loads_without_errors(tmp_path):
    assert [p for p in _problems(tmp_path, POOL_QUIZ) if "warning" not in p] == []


# --- the shipped knowledge checks -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    content, problems = check(ROOT)
    return {q.slug: q for q in content.quizzes if q.kind == "knowledge"}


def test_every_shipped_check_draws_a_new_paper_from_a_pool_half_again_as_large(shipped):
    assert len(shipped) == 5
    for slug, data in shipped.items():
        rules = data.definition.get("draw")
        assert rules, slug
        size = pools.paper_size(rules, data.definition["questions"])
        assert len(data.definition["questions"]) >= 1.5 * size, (slug, len(data.definition["questions"]), size)
        assert size >= 10, slug
        assert data.review == "after-pass" and data.cooldown_minutes >= 5, slug
        # A second paper, drawn after the first was seen, shares at most half its questions with it.
        for seed in range(5):
            first = pools.draw(rules, data.definition["questions"], rng=random.Random(seed))
            second = pools.draw(rules, data.definition["questions"], seen=first, rng=random.Random(seed + 100))
            assert len(set(first) & set(second)) <= size // 2, slug


def test_every_shipped_question_names_the_module_to_reread(shipped):
    content = check(ROOT)[0]
    modules = {c.slug: {m.slug for m in c.modules} for c in content.courses}
    for slug, data in shipped.items():
        for question in data.definition["questions"]:
            assert question.get("module") in modules[data.course], (slug, question["id"])
            assert question.get("tags"), (slug, question["id"])
