"""Scoring as pure functions: properties (hypothesis) and the source document's tables."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.assessments.scoring import (
    band_for,
    option_scores,
    percent_of,
    score_knowledge,
    score_self_assessment,
    total_range,
)
from app.content.loader import load_quiz, score_range

ROOT = Path(__file__).parents[1]
KEYS = "ABCDE"
ANY_REVERSE = st.booleans()


@st.composite
def self_assessments(draw, reverse=ANY_REVERSE):
    """A self-assessment definition (single-choice questions with scores) and one set of answers."""
    count = draw(st.integers(1, 7))
    questions = []
    for i in range(count):
        scores = draw(st.lists(st.integers(-3, 9), min_size=2, max_size=len(KEYS)))
        questions.append(
            {
                "id": f"q{i + 1}",
                "type": "single",
                "text": f"第 {i + 1} 题",
                "options": [{"key": KEYS[j], "text": KEYS[j], "score": s} for j, s in enumerate(scores)],
                "reverse": draw(reverse),
            }
        )
    answers = {q["id"]: draw(st.sampled_from([o["key"] for o in q["options"]])) for q in questions}
    definition = {"kind": "self-assessment", "questions": questions, "bands": [], "scales": {}}
    return definition, answers


@st.composite
def banded(draw):
    """A self-assessment whose bands partition the reachable range (as the loader requires)."""
    definition, answers = draw(self_assessments())
    lo, hi = total_range(definition["questions"])
    cuts = sorted(draw(st.sets(st.integers(lo + 1, hi), max_size=4))) if hi > lo else []
    starts = [lo - draw(st.integers(0, 5)), *cuts]
    ends = [c - 1 for c in cuts] + [hi + draw(st.integers(0, 5))]
    definition["bands"] = [
        {"key": f"b{i}", "min": a, "max": b, "title": f"档 {i}", "text": ""}
        for i, (a, b) in enumerate(zip(starts, ends, strict=True))
    ]
    return definition, answers


@given(self_assessments())
def test_total_is_the_sum_of_the_chosen_scores(case):
    definition, answers = case
    result = score_self_assessment(definition, answers)
    expected = sum(option_scores(q)[answers[q["id"]]] for q in definition["questions"])
    assert result.total == expected
    assert result.min_total <= result.total <= result.max_total


@given(self_assessments(reverse=st.just(False)))
def test_without_reverse_items_the_total_is_the_sum_of_raw_option_scores(case):
    definition, answers = case
    raw = sum(next(o["score"] for o in q["options"] if o["key"] == answers[q["id"]]) for q in definition["questions"])
    assert score_self_assessment(definition, answers).total == raw


@given(banded())
def test_every_reachable_total_has_exactly_one_band(case):
    definition, answers = case
    for total in score_range(definition["questions"]):
        assert sum(b["min"] <= total <= b["max"] for b in definition["bands"]) == 1
    result = score_self_assessment(definition, answers)
    assert result.band is not None
    assert result.band["min"] <= result.total <= result.band["max"]


@given(self_assessments(reverse=st.just(False)))
def test_reverse_items_mirror(case):
    definition, answers = case
    reversed_definition = {**definition, "questions": [{**q, "reverse": True} for q in definition["questions"]]}
    for q, r in zip(definition["questions"], reversed_definition["questions"], strict=True):
        raw, mirrored = option_scores(q), option_scores(r)
        lo, hi = min(raw.values()), max(raw.values())
        assert all(mirrored[k] == hi + lo - raw[k] for k in raw)
        assert (min(mirrored.values()), max(mirrored.values())) == (lo, hi)
    plain = score_self_assessment(definition, answers)
    mirror = score_self_assessment(reversed_definition, answers)
    assert (mirror.min_total, mirror.max_total) == (plain.min_total, plain.max_total)
    assert mirror.total == plain.min_total + plain.max_total - plain.total


@given(self_assessments())
def test_costly_answers_are_the_biggest_losses_in_descending_order(case):
    definition, answers = case
    result = score_self_assessment(definition, answers, costly_limit=10)
    losses = {}
    for q in definition["questions"]:
        scores = option_scores(q)
        losses[q["id"]] = max(scores.values()) - scores[answers[q["id"]]]
    assert [c.lost for c in result.costly] == sorted((v for v in losses.values() if v > 0), reverse=True)
    assert all(losses[c.question_id] == c.lost for c in result.costly)


@st.composite
def knowledge_checks(draw):
    """A knowledge check definition and one set of answers."""
    questions, answers = [], {}
    for i in range(draw(st.integers(1, 12))):
        multiple = draw(st.booleans())
        keys = list(KEYS[: draw(st.integers(2, 5))])
        size = st.integers(1, len(keys)) if multiple else st.just(1)
        answer = sorted(draw(st.lists(st.sampled_from(keys), min_size=1, max_size=draw(size), unique=True)))
        qid = f"k{i}"
        questions.append(
            {
                "id": qid,
                "type": "multiple" if multiple else "single",
                "text": qid,
                "options": [{"key": k, "text": k} for k in keys],
                "answer": answer,
                "explanation": "",
            }
        )
        chosen = sorted(draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys), unique=True)))
        answers[qid] = chosen if multiple else chosen[0]
    return {"kind": "knowledge", "questions": questions, "pass_percent": draw(st.integers(1, 100))}, answers


@given(knowledge_checks())
def test_knowledge_score_counts_fully_correct_questions_and_pass_uses_the_exact_ratio(case):
    definition, answers = case
    result = score_knowledge(definition, answers)
    right = [
        q
        for q in definition["questions"]
        if sorted(answers[q["id"]] if isinstance(answers[q["id"]], list) else [answers[q["id"]]]) == q["answer"]
    ]
    assert result.score == len(right) == sum(o.correct for o in result.questions)
    assert result.max_score == len(definition["questions"])
    assert result.percent == percent_of(result.score, result.max_score)
    assert result.passed == (result.score * 100 >= definition["pass_percent"] * result.max_score)


def test_partly_right_multiple_choice_scores_nothing():
    definition = {
        "kind": "knowledge",
        "pass_percent": 50,
        "questions": [
            {
                "id": "m",
                "type": "multiple",
                "text": "",
                "answer": ["A", "C"],
                "explanation": "",
                "options": [{"key": k, "text": k} for k in "ABC"],
            }
        ],
    }
    assert score_knowledge(definition, {"m": ["A"]}).score == 0
    assert score_knowledge(definition, {"m": ["A", "B", "C"]}).score == 0
    assert score_knowledge(definition, {"m": ["C", "A"]}).passed is True


def test_missing_answers_are_refused():
    definition = {
        "kind": "self-assessment",
        "bands": [],
        "questions": [{"id": "q1", "type": "single", "text": "", "options": [{"key": "A", "text": "", "score": 1}]}],
    }
    with pytest.raises(ValueError, match="q1"):
        score_self_assessment(definition, {})


def test_band_for_returns_none_outside_every_band():
    assert band_for([{"key": "a", "min": 0, "max": 3}], 4) is None
    assert band_for([{"key": "a", "min": 0, "max": 3}], 3)["key"] == "a"


def _real(slug: str) -> dict:
    problems: list = []
    data = load_quiz(ROOT / "quizzes" / f"{slug}.yaml", ROOT, problems)
    assert data is not None and not problems, problems
    return data.definition


def _first_impression_answers(a: int, b: int, c: int) -> dict[str, str]:
    keys = ["A"] * a + ["B"] * b + ["C"] * c
    return {f"q{i + 1}": key for i, key in enumerate(keys)}


# The document: A = 5, B = 3, C = 1 points; 0–22 poor, 23–46 average, 47–60 good.
FIRST_IMPRESSION_TABLE = [
    ((12, 0, 0), 60, "good"),
    ((9, 0, 3), 48, "good"),
    ((8, 1, 3), 46, "average"),
    ((0, 12, 0), 36, "average"),
    ((0, 6, 6), 24, "average"),
    ((0, 5, 7), 22, "poor"),
    ((0, 0, 12), 12, "poor"),
]


@pytest.mark.parametrize(("counts", "total", "band"), FIRST_IMPRESSION_TABLE)
def test_first_impression_matches_the_document(counts, total, band):
    result = score_self_assessment(_real("first-impression"), _first_impression_answers(*counts))
    assert (result.total, result.band["key"]) == (total, band)


@pytest.mark.parametrize("agreed", range(14))
def test_empathy_matches_the_document(agreed):
    result = score_self_assessment(_real("empathy"), {f"q{i}": "Y" if i <= agreed else "N" for i in range(1, 14)})
    assert result.total == agreed
    assert result.band["key"] == ("poor" if agreed <= 7 else "average" if agreed <= 11 else "good")


@pytest.mark.parametrize("slug", ["first-impression", "empathy"])
def test_every_reachable_total_of_the_real_self_tests_has_exactly_one_band(slug):
    definition = _real(slug)
    for total in score_range(definition["questions"]):
        assert sum(b["min"] <= total <= b["max"] for b in definition["bands"]) == 1


def test_first_impression_reachable_totals_by_brute_force_agree_with_score_range():
    definition = _real("first-impression")
    per_question = [sorted({o["score"] for o in q["options"]}) for q in definition["questions"]]
    brute = sorted({sum(c) for c in itertools.product(*per_question)})
    assert brute == score_range(definition["questions"])
    assert total_range(definition["questions"]) == (12, 60)
