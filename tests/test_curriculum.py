"""The curriculum in courses/ and quizzes/: complete, valid, and faithful to the source documents."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import opencc
import pytest

from app.content.loader import score_range
from app.content.validate import check

ROOT = Path(__file__).resolve().parents[1]
CONTENT_FILES = sorted([*ROOT.glob("courses/**/*.md"), *ROOT.glob("quizzes/**/*.yaml")])
BOILERPLATE = ("下载", "上传人", "展开阅读全文", "版权")
TONE_READING = re.compile(
    r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]*\)"
)


@pytest.fixture(scope="module")
def loaded():
    """The repository's content, loaded and cross-checked once."""
    return check(ROOT)


@pytest.fixture(scope="module")
def content(loaded):
    return loaded[0]


@pytest.fixture(scope="module")
def quizzes(content):
    return {q.slug: q for q in content.quizzes}


def test_content_check_passes_without_warnings(loaded):
    assert [str(p) for p in loaded[1]] == []


def test_five_courses_with_four_to_ten_modules_of_readable_length(content):
    assert {c.slug for c in content.courses} >= {
        "service-basics",
        "service-behaviour",
        "complaint-handling",
        "store-after-sales",
        "communication-skills",
    }
    for course in content.courses:
        assert course.intro.strip(), course.slug
        assert 4 <= len(course.modules) <= 10, course.slug
        for module in course.modules:
            assert 5 <= module.minutes <= 15, module.path
            assert module.objectives, module.path
        assert course.completion["modules"] == "all"
        assert len(course.completion["quizzes"]) >= 1, course.slug


def first_impression_band(total: int) -> str:
    """The document's table: 0–22, 23–46, 47–60."""
    return "low" if total <= 22 else "mid" if total <= 46 else "high"


def test_first_impression_is_the_documents_instrument(quizzes):
    quiz = quizzes["first-impression"]
    questions = quiz.definition["questions"]
    assert quiz.kind == "self-assessment" and len(questions) == 12
    for q in questions:
        assert q["type"] == "single"
        assert [(o["key"], o["score"]) for o in q["options"]] == [("A", 5), ("B", 3), ("C", 1)]
    bands = sorted(quiz.definition["bands"], key=lambda b: b["min"])
    assert [(b["min"], b["max"]) for b in bands] == [(0, 22), (23, 46), (47, 60)]
    names = dict(zip(("low", "mid", "high"), (b["key"] for b in bands), strict=True))
    totals = score_range(questions)
    assert totals[0] == 12 and totals[-1] == 60
    for total in range(0, 61):
        matching = [b["key"] for b in bands if b["min"] <= total <= b["max"]]
        assert matching == [names[first_impression_band(total)]], total


def test_empathy_is_the_documents_instrument(quizzes):
    quiz = quizzes["empathy"]
    questions = quiz.definition["questions"]
    assert quiz.kind == "self-assessment" and len(questions) == 13
    for q in questions:
        assert q["type"] == "agree-disagree"
        assert [(o["key"], o["score"]) for o in q["options"]] == [("Y", 1), ("N", 0)]
        assert q["options"][0]["text"] == "与自己一致"
    bands = sorted(quiz.definition["bands"], key=lambda b: b["min"])
    assert [(b["min"], b["max"]) for b in bands] == [(0, 7), (8, 11), (12, 13)]
    for total in score_range(questions):
        assert len([b for b in bands if b["min"] <= total <= b["max"]]) == 1


@pytest.mark.parametrize(
    ("quiz", "link"), [("first-impression", "/quizzes/first-impression"), ("empathy", "/quizzes/empathy")]
)
def test_self_tests_are_linked_from_their_module(content, quizzes, quiz, link):
    data = quizzes[quiz]
    course = next(c for c in content.courses if c.slug == data.course)
    module = next(m for m in course.modules if m.slug == data.module)
    assert link in module.body


def test_each_course_has_a_knowledge_check(content, quizzes):
    for course in content.courses:
        quiz = quizzes[f"{course.slug}-check"]
        assert quiz.kind == "knowledge" and quiz.pass_percent == 80 and quiz.course == course.slug
        questions = quiz.definition["questions"]
        assert len(questions) >= 10
        types = Counter(q["type"] for q in questions)
        assert types["single"] and types["multiple"] and types["true-false"], quiz.slug
        titles = {m.title for m in course.modules}
        for q in questions:
            keys = {o["key"] for o in q["options"]}
            assert q["answer"] and set(q["answer"]) <= keys, (quiz.slug, q["id"])
            named = re.findall(r"「([^」]+)」", q["explanation"])
            assert named and named[0] in titles, (quiz.slug, q["id"], q["explanation"][:40])


def test_role_play_cards(content):
    cards = {card.slug: card for c in content.courses for card in c.cards}
    assert len(cards) >= 12
    assert {c.difficulty for c in cards.values()} == {"basic", "intermediate", "advanced"}
    required = {
        "home-installation-visit",
        "reception-drill",
        "angry-computer-customer",
        "urgent-phone-repair",
        "victorian-pipe-return",
        "car-dealer-hang-up",
        "five-empathy-replies",
        "field-research-homework",
        "new-customer-features",
        "unhappy-service-quality",
        "unreasonable-emotional-customer",
        "price-sensitive-customer",
        "late-delivery-apology",
        "sensitive-news",
    }
    assert required <= set(cards)
    rubrics = {r.slug for r in content.rubrics}
    for card in cards.values():
        assert card.rubric in rubrics and 1 <= card.pass_percent <= 100 and card.minutes > 0
        assert all(card.sections[k].strip() for k in ("background", "partner", "task", "observe"))


def test_rubrics_have_three_or_four_levels_per_criterion(content):
    rubrics = {r.slug: r for r in content.rubrics}
    assert {"reception", "empathy-listening", "complaint-handling", "refusal-objections", "field-research"} <= set(
        rubrics
    )
    for rubric in rubrics.values():
        for criterion in rubric.definition["criteria"]:
            assert 3 <= len(criterion["levels"]) <= 4, (rubric.slug, criterion["key"])


@pytest.mark.parametrize("path", CONTENT_FILES, ids=[str(p.relative_to(ROOT)) for p in CONTENT_FILES])
def test_no_artefacts_traditional_characters_or_boilerplate(path):
    text = path.read_text(encoding="utf-8")
    assert "??" not in text and "？？" not in text
    assert not TONE_READING.search(text), TONE_READING.search(text)
    converted = opencc.OpenCC("t2s").convert(text)
    diff = [(a, b) for a, b in zip(text, converted, strict=False) if a != b]
    assert not diff, f"Traditional characters: {diff[:10]}"
    for phrase in BOILERPLATE:
        assert phrase not in text, phrase
