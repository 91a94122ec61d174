"""Scoring as pure functions over a quiz definition and normalised answers (no Flask, no database).

A definition is the JSON stored in ``QuizVersion.definition``; answers map a question id to one option
key, or to a list of keys for ``multiple`` questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COSTLY_LIMIT = 3


def on_paper(definition: dict[str, Any], order: dict[str, Any] | None) -> dict[str, Any]:
    """The definition restricted to the questions of one attempt's paper, in the attempt's order.

    The paper is ``order["questions"]`` (the drawn questions of a pooled quiz, or every question); a
    question the version no longer has is left out. Without a stored order the paper is every question.
    """
    ids = list((order or {}).get("questions") or [])
    if not ids:
        return definition
    by_id = {q["id"]: q for q in definition["questions"]}
    return {**definition, "questions": [by_id[qid] for qid in ids if qid in by_id]}


def chosen_keys(value: Any) -> list[str]:
    """The option keys an answer chose."""
    return [value] if isinstance(value, str) else list(value or [])


def percent_of(score: int, max_score: int) -> int:
    """Whole percentage, rounded down (so ``percent >= pass_percent`` matches the exact ratio)."""
    return score * 100 // max_score if max_score > 0 else 0


def option_scores(question: dict[str, Any]) -> dict[str, int]:
    """Each option's score for a self-assessment question; reverse items count ``max + min - score``."""
    raw = {o["key"]: o["score"] for o in question["options"]}
    if not question.get("reverse"):
        return raw
    lo, hi = min(raw.values()), max(raw.values())
    return {key: hi + lo - score for key, score in raw.items()}


def question_score(question: dict[str, Any], value: Any) -> int:
    """Points for one answered question (the sum of the chosen options' scores)."""
    scores = option_scores(question)
    return sum(scores[key] for key in chosen_keys(value))


def total_range(questions: list[dict[str, Any]]) -> tuple[int, int]:
    """The lowest and highest reachable totals (one option per question)."""
    per_question = [option_scores(q).values() for q in questions]
    return sum(min(s) for s in per_question), sum(max(s) for s in per_question)


def band_for(bands: list[dict[str, Any]], total: int) -> dict[str, Any] | None:
    """The band whose ``min <= total <= max`` (None when no band covers the total)."""
    return next((b for b in bands if b["min"] <= total <= b["max"]), None)


@dataclass(frozen=True)
class CostlyAnswer:
    """An answer that lost points, with the best option and the module that teaches it."""

    question_id: str
    chosen: tuple[str, ...]
    best: str
    lost: int
    module: str | None


@dataclass(frozen=True)
class ScaleResult:
    """The total and band of one sub-scale."""

    key: str
    title: str
    total: int
    min_total: int
    max_total: int
    band: dict[str, Any] | None


@dataclass(frozen=True)
class SelfAssessmentResult:
    """A scored self-assessment."""

    total: int
    min_total: int
    max_total: int
    band: dict[str, Any] | None
    scales: tuple[ScaleResult, ...]
    costly: tuple[CostlyAnswer, ...]

    @property
    def percent(self) -> int:
        """The total as a share of the highest reachable total."""
        return percent_of(self.total, self.max_total)


def _require_all(questions: list[dict[str, Any]], answers: dict[str, Any]) -> None:
    missing = [q["id"] for q in questions if q["id"] not in answers]
    if missing:
        raise ValueError(f"unanswered questions: {', '.join(missing)}")


def score_self_assessment(
    definition: dict[str, Any], answers: dict[str, Any], costly_limit: int = COSTLY_LIMIT
) -> SelfAssessmentResult:
    """Total, band, sub-scale results and the answers that cost the most points."""
    questions = definition["questions"]
    _require_all(questions, answers)
    points = {q["id"]: question_score(q, answers[q["id"]]) for q in questions}
    lo, hi = total_range(questions)
    total = sum(points.values())
    scales = []
    for key, scale in (definition.get("scales") or {}).items():
        members = [q for q in questions if q.get("scale") == key]
        s_lo, s_hi = total_range(members)
        s_total = sum(points[q["id"]] for q in members)
        band = band_for(scale["bands"], s_total)
        scales.append(ScaleResult(key, scale.get("title") or key, s_total, s_lo, s_hi, band))
    costly = []
    for question in questions:
        scores = option_scores(question)
        best = max(scores, key=lambda k: scores[k])
        lost = scores[best] - points[question["id"]]
        if lost > 0:
            chosen = tuple(chosen_keys(answers[question["id"]]))
            costly.append(CostlyAnswer(question["id"], chosen, best, lost, question.get("module")))
    costly.sort(key=lambda c: -c.lost)
    return SelfAssessmentResult(
        total, lo, hi, band_for(definition.get("bands") or [], total), tuple(scales), tuple(costly[:costly_limit])
    )


@dataclass(frozen=True)
class QuestionOutcome:
    """One knowledge question: what was chosen, what is right, and whether they match."""

    question_id: str
    chosen: tuple[str, ...]
    answer: tuple[str, ...]
    correct: bool


@dataclass(frozen=True)
class KnowledgeResult:
    """A scored knowledge check: one point per fully correct question."""

    questions: tuple[QuestionOutcome, ...]
    score: int
    max_score: int
    percent: int
    passed: bool


def score_knowledge(definition: dict[str, Any], answers: dict[str, Any], *, partial: bool = False) -> KnowledgeResult:
    """Per-question correctness, score, percent and whether ``percent >= pass_percent``.

    With ``partial`` (an attempt submitted at its deadline) an unanswered question counts as wrong.
    """
    questions = definition["questions"]
    if not partial:
        _require_all(questions, answers)
    outcomes = []
    for question in questions:
        chosen = tuple(sorted(chosen_keys(answers.get(question["id"]))))
        answer = tuple(sorted(question["answer"]))
        outcomes.append(QuestionOutcome(question["id"], chosen, answer, chosen == answer))
    score = sum(o.correct for o in outcomes)
    percent = percent_of(score, len(outcomes))
    return KnowledgeResult(tuple(outcomes), score, len(outcomes), percent, percent >= definition["pass_percent"])
