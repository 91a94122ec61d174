"""The question-type registry: one class per ``type:`` of a quiz file, owning everything about the type.

A type says

- what it is: ``name`` (the ``type:`` value), ``label`` (shown on the question), ``summary`` (docs);
- how a quiz file uses it — the content loader asks the type and keeps no list of its own:
  ``kinds`` (the quiz kinds it may appear in), ``min_options``, ``option_keys``/``ordered`` (fixed
  option keys), ``default_options`` (supplied when a file omits ``options``) and ``answers`` (how many
  keys a knowledge check's ``answer`` lists);
- how it is shown: ``template``, ``input_type``, ``inline``, ``shuffle_options``;
- how a submitted answer is stored: ``normalise()`` (JSON → stored form) and ``from_form()``.

The OpenAPI document (the question ``type`` enum) and the type table of ``docs/content-spec.md``
(:func:`markdown_table`) come from here too; tests/test_question_types.py checks that they agree.
Add a type by subclassing :class:`QuestionType` and decorating it with :func:`register`.

Pure: no Flask and no database at import time, so ``app.content.loader`` may import it. Messages for
people are translated when shown (:func:`_` and :class:`LazyText` import Flask-Babel only then); the
loader's messages stay in English, like the rest of ``content check``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from app.assessments.enums import QuizKind
from app.core.domain import InvalidInput


def _(message: str, **params: Any) -> str:
    """Translate a message now (Flask-Babel is imported only when a message is needed)."""
    from flask_babel import gettext

    return gettext(message, **params)


class LazyText:
    """A message translated each time it is shown, like Flask-Babel's lazy strings (without importing it)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return _(self.message)

    def __repr__(self) -> str:
        return f"_l({self.message!r})"


def _l(message: str) -> LazyText:
    """Mark a message for translation when it is shown."""
    return LazyText(message)


class AnswerError(InvalidInput):
    """An answer that does not fit its question; the message is for the user."""


NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four"}


def _count(n: int, noun: str) -> str:
    return f"{NUMBERS.get(n, n)} {noun}{'' if n == 1 else 's'}"


class QuestionType:
    """Base class: choose one option key, rendered by ``template`` as radio buttons."""

    name: ClassVar[str] = ""
    label: ClassVar[LazyText] = LazyText("")  # every registered type sets its own
    summary: ClassVar[str] = ""  # one line for docs/content-spec.md (English)
    template: ClassVar[str] = "assessments/_choice.html"
    input_type: ClassVar[str] = "radio"
    inline: ClassVar[bool] = False
    shuffle_options: ClassVar[bool] = True

    # Content-file rules (app.content.loader asks these).
    kinds: ClassVar[tuple[QuizKind, ...]] = tuple(QuizKind)
    noun: ClassVar[str] = "questions"  # in messages: "agree-disagree statements belong to self-assessments"
    min_options: ClassVar[int] = 2
    option_keys: ClassVar[tuple[str, ...]] = ()  # when set, the options' keys must be exactly these
    ordered: ClassVar[bool] = False  # ... in this order
    default_options: ClassVar[tuple[tuple[str, str], ...]] = ()  # (key, text) supplied when `options` is omitted
    answers: ClassVar[tuple[int, int | None]] = (1, 1)  # keys in a knowledge check's `answer`: (min, max or None)

    # --- content files ----------------------------------------------------------------------------

    def kind_problem(self, kind: str | None) -> str | None:
        """Why this type may not appear in a quiz of ``kind`` (None when it may)."""
        if kind is None or kind in self.kinds:
            return None
        return f"{self.name} {self.noun} belong to {' and '.join(QuizKind(k).plural for k in self.kinds)}"

    def too_few_options(self, count: int) -> str | None:
        """The problem with a file's option list of ``count`` entries (None when long enough)."""
        return f"needs at least {_count(self.min_options, 'option')}" if count < self.min_options else None

    def options_problem(self, keys: list[str | None]) -> str | None:
        """The problem with the option keys a file gives (None when they fit the type)."""
        if not self.option_keys:
            return None
        given = keys if self.ordered else sorted({k for k in keys if k is not None})
        wanted = list(self.option_keys) if self.ordered else sorted(self.option_keys)
        if given == wanted:
            return None
        names = " and ".join(self.option_keys)
        if self.ordered:
            return f"{self.name} questions have exactly the options {names}, in that order"
        return f"{self.name} questions have the options {names}" + (
            " (or omit options)" if self.default_options else ""
        )

    def supplied_options(self) -> list[dict[str, Any]] | None:
        """The options a file may omit (None when it must list them)."""
        return [{"key": key, "text": text} for key, text in self.default_options] or None

    def answer_problem(self, answer: list[str]) -> str | None:
        """The problem with the number of keys in a knowledge check's ``answer`` (None when it fits)."""
        lo, hi = self.answers
        if len(answer) >= lo and (hi is None or len(answer) <= hi):
            return None
        if lo == hi:
            return f"a {self.name} question has exactly {_count(lo, 'answer')}"
        if hi is None:
            return f"a {self.name} question has at least {_count(lo, 'answer')}"
        return f"a {self.name} question has {lo} to {hi} answers"

    # --- answers ------------------------------------------------------------------------------------

    def normalise(self, question: dict[str, Any], raw: Any) -> Any:
        """Check a raw answer (from JSON) and return its stored form; raise AnswerError."""
        if not isinstance(raw, str):
            raise AnswerError(_('%(q)s：答案应为一个选项，例如 "A"。', q=question["id"]))
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
                _(
                    "%(q)s：没有选项 %(keys)s（可选：%(known)s）。",
                    q=question["id"],
                    keys="、".join(map(str, unknown)),
                    known="、".join(o["key"] for o in question["options"]),
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


def names() -> list[str]:
    """The registered type names, in registration order (the ``type:`` values a quiz file may use)."""
    return list(REGISTRY)


@register
class SingleChoice(QuestionType):
    """Choose exactly one option."""

    name = "single"
    label = _l("单选题")
    summary = "choose one option"


@register
class MultipleChoice(QuestionType):
    """Choose one or more options; a list of keys."""

    name = "multiple"
    label = _l("多选题")
    summary = "choose one or more options"
    input_type = "checkbox"
    answers = (1, None)

    def normalise(self, question: dict[str, Any], raw: Any) -> list[str]:
        """Require a non-empty list of distinct keys; store it sorted."""
        if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
            raise AnswerError(_('%(q)s：多选题的答案应为选项列表，例如 ["A", "C"]。', q=question["id"]))
        if not raw:
            raise AnswerError(_("%(q)s：多选题至少选择一项。", q=question["id"]))
        if len(set(raw)) != len(raw):
            raise AnswerError(_("%(q)s：同一选项出现了两次。", q=question["id"]))
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
    summary = "a statement judged correct (`T`) or wrong (`F`)"
    inline = True
    shuffle_options = False
    option_keys = ("T", "F")
    default_options = (("T", "正确"), ("F", "错误"))


@register
class AgreeDisagree(QuestionType):
    """A statement the person agrees with (Y) or not (N)."""

    name = "agree-disagree"
    label = _l("陈述题")
    summary = "a statement the person finds true of themselves (`Y`, 与自己一致) or not (`N`, 与自己不一致)"
    inline = True
    shuffle_options = False
    kinds = (QuizKind.SELF_ASSESSMENT,)
    noun = "statements"
    option_keys = ("Y", "N")
    ordered = True


# --- documentation ----------------------------------------------------------------------------------


def _doc_kinds(handler: QuestionType) -> str:
    return ", ".join(QuizKind(k).plural for k in handler.kinds)


def _doc_options(handler: QuestionType) -> str:
    if not handler.option_keys:
        return f"at least {NUMBERS.get(handler.min_options, handler.min_options)}"
    keys = " and ".join(f"`{k}`" for k in handler.option_keys)
    text = f"exactly {keys}" + (", in that order" if handler.ordered else "")
    if handler.default_options:
        supplied = ", ".join(f"`{k}` ({t})" for k, t in handler.default_options)
        text += f"; omit them and the loader supplies {supplied}"
    return text


def _doc_answer(handler: QuestionType) -> str:
    if QuizKind.KNOWLEDGE not in handler.kinds:
        return "—"
    lo, hi = handler.answers
    if lo == hi:
        return f"exactly {NUMBERS.get(lo, lo)}"
    if hi is None:
        return f"{NUMBERS.get(lo, lo)} or more"
    return f"{lo} to {hi}"


def markdown_table() -> str:
    """The question-type table of docs/content-spec.md, generated from the registry."""
    lines = [
        "| `type` | label | what it asks | in | options | `answer` keys (knowledge checks) |",
        "|---|---|---|---|---|---|",
    ]
    for name in names():
        handler = question_type(name)
        lines.append(
            f"| `{name}` | {handler.label.message} | {handler.summary} | {_doc_kinds(handler)} | "
            f"{_doc_options(handler)} | {_doc_answer(handler)} |"
        )
    return "\n".join(lines)
