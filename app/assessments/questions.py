"""Question-type registry: a type name maps to a class that validates, normalises and renders answers.

An answer is stored normalised: one option key (a string) for single-choice types, a sorted list of
distinct keys for ``multiple``. Add a type by subclassing :class:`QuestionType` and decorating it with
:func:`register`; the loader's list of type names (``app.content.loader.QUESTION_TYPES``) must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l

from app.core.domain import InvalidInput


class AnswerError(InvalidInput):
    """An answer that does not fit its question; the message is for the user."""


class QuestionType:
    """Base class: one option key per answer, rendered by ``template`` as radio buttons."""

    name: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    template: ClassVar[str] = "assessments/_choice.html"
    input_type: ClassVar[str] = "radio"
    inline: ClassVar[bool] = False
    shuffle_options: ClassVar[bool] = True

    def normalise(self, question: dict[str, Any], raw: Any) -> Any:
        """Check a raw answer (from JSON) and return its stored form; raise AnswerError."""
        if not isinstance(raw, str):
            raise AnswerError(str(_l("%(q)s：答案应为一个选项，例如 \"A\"。", q=question["id"])))
        self._check_keys(question, [raw])
        return raw

    def from_form(self, values: list[str]) -> Any:
        """Turn the values of a submitted form field into a raw answer (None when unanswered)."""
        if not values:
            return None
        return values[0] if len(values) == 1 else list(values)

    def _check_keys(self, question: dict[str, Any], keys: list[str]) -> None:
        known = {o["key"] for o in question["options"]}
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise AnswerError(
                str(
                    _l(
                        "%(q)s：没有选项 %(keys)s（可选：%(known)s）。",
                        q=question["id"],
                        keys="、".join(map(str, unknown)),
                        known="、".join(o["key"] for o in question["options"]),
                    )
                )
            )


REGISTRY: dict[str, type[QuestionType]] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: make a question type available under its name."""
    REGISTRY[cls.name] = cls
    return cls


def question_type(name: str) -> QuestionType:
    """The handler for a question type name (KeyError for unknown types)."""
    return REGISTRY[name]()


@register
class SingleChoice(QuestionType):
    """Choose exactly one option."""

    name = "single"
    label = _l("单选题")


@register
class MultipleChoice(QuestionType):
    """Choose one or more options; a list of keys."""

    name = "multiple"
    label = _l("多选题")
    input_type = "checkbox"

    def normalise(self, question: dict[str, Any], raw: Any) -> list[str]:
        """Require a non-empty list of distinct keys; store it sorted."""
        if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
            raise AnswerError(str(_l("%(q)s：多选题的答案应为选项列表，例如 [\"A\", \"C\"]。", q=question["id"])))
        if not raw:
            raise AnswerError(str(_l("%(q)s：多选题至少选择一项。", q=question["id"])))
        if len(set(raw)) != len(raw):
            raise AnswerError(str(_l("%(q)s：同一选项出现了两次。", q=question["id"])))
        self._check_keys(question, raw)
        return sorted(raw)

    def from_form(self, values: list[str]) -> list[str] | None:
        """Every checked box."""
        return list(values) or None


@register
class TrueFalse(QuestionType):
    """A statement judged correct (T) or wrong (F)."""

    name = "true-false"
    label = _l("判断题")
    inline = True
    shuffle_options = False


@register
class AgreeDisagree(QuestionType):
    """A statement the person agrees with (Y) or not (N)."""

    name = "agree-disagree"
    label = _l("陈述题")
    inline = True
    shuffle_options = False


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
