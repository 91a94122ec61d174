"""Answers to a quiz's questions: check and normalise a whole set, and show them in an attempt's order.

Everything about one question type (its name, label, template, content-file rules and how an answer
is normalised) lives in the registry, :mod:`app.assessments.question_types`; this module applies it
to the questions of a definition. An answer is stored normalised: one option key (a string) for
single-choice types, a sorted list of distinct keys for ``multiple``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app.assessments.question_types import REGISTRY, AnswerError, QuestionType, question_type, register

__all__ = [
    "REGISTRY",
    "AnswerError",
    "QuestionType",
    "QuestionView",
    "in_attempt_order",
    "question_type",
    "register",
    "validate_answers",
]


def validate_answers(questions: list[dict[str, Any]], raw: Any, *, complete: bool) -> tuple[dict[str, Any], list[str]]:
    """Normalise a mapping of question id to raw answer; return (answers, every problem found).

    With ``complete`` every question must be answered; otherwise missing questions are left out.
    """
    if not isinstance(raw, dict):
        return {}, [str(_l("answers 应为以题目编号为键的对象。"))]
    by_id = {q["id"]: q for q in questions}
    errors = [str(_l("没有题目 %(q)s。", q=qid)) for qid in raw if qid not in by_id]
    answers: dict[str, Any] = {}
    for number, question in enumerate(questions, start=1):
        if question["id"] not in raw:
            if complete:
                errors.append(str(_l("第 %(n)d 题（%(q)s）未作答。", n=number, q=question["id"])))
            continue
        try:
            answers[question["id"]] = question_type(question["type"]).normalise(question, raw[question["id"]])
        except AnswerError as error:
            errors.append(str(error))
    return answers, errors


@dataclass
class QuestionView:
    """A question as one attempt shows it: its number, options in the stored order, the chosen keys."""

    number: int
    question: dict[str, Any]
    options: list[dict[str, Any]]
    handler: QuestionType
    chosen: list[str]

    @property
    def id(self) -> str:
        """The question id."""
        return self.question["id"]


def in_attempt_order(definition: dict[str, Any], order: dict[str, Any], answers: dict[str, Any]) -> list[QuestionView]:
    """The questions of a definition in an attempt's stored order, with its saved answers."""
    by_id = {q["id"]: q for q in definition["questions"]}
    ids = [qid for qid in order.get("questions", []) if qid in by_id] or list(by_id)
    views = []
    for number, qid in enumerate(ids, start=1):
        question = by_id[qid]
        options = {o["key"]: o for o in question["options"]}
        keys = [k for k in order.get("options", {}).get(qid, []) if k in options] or list(options)
        value = answers.get(qid)
        chosen = [value] if isinstance(value, str) else list(value or [])
        handler = question_type(question["type"])
        views.append(QuestionView(number, question, [options[k] for k in keys], handler, chosen))
    return views
