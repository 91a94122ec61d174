"""Writes for assessments: start or resume an attempt, save answers, submit and score."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.locking import lock_people
from app.accounts.models import User
from app.assessments import queries
from app.assessments.models import Attempt, AttemptAnswer, Quiz
from app.assessments.questions import AnswerError, question_type, validate_answers
from app.assessments.scoring import score_knowledge, score_self_assessment
from app.core import idempotency
from app.core.domain import Conflict, InvalidInput
from app.core.signals import attempt_scored
from app.core.time import utcnow
from app.extensions import db


class AttemptError(Conflict):
    """An attempt the rules refuse now (limit used up, cooldown, quiz offline, already submitted)."""


class InvalidAnswers(InvalidInput, AttemptError):
    """Answers that do not fit the questions (unknown question or option, wrong type, missing)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(str(_l("答案有误，未保存：")) + "；".join(errors), errors)


class Unanswered(InvalidInput, AttemptError):
    """Submitting with questions left unanswered; nothing is submitted."""

    def __init__(self, question_ids: list[str]) -> None:
        super().__init__(str(_l("还有 %(n)d 道题未作答，请完成后再提交。", n=len(question_ids))))
        self.question_ids = question_ids


def _check_allowed(user_id: int, quiz: Quiz, *, cooldown: bool) -> None:
    """Raise AttemptError when the attempt limit is used up or the cooldown has not passed."""
    count, last = queries.attempt_counts(user_id, quiz.id)
    if quiz.max_attempts is not None and count >= quiz.max_attempts:
        raise AttemptError(str(_l("你已用完本测验的 %(n)d 次作答机会。", n=quiz.max_attempts)))
    if cooldown and quiz.cooldown_minutes and last is not None:
        wait = last + timedelta(minutes=quiz.cooldown_minutes) - utcnow()
        if wait > timedelta(0):
            minutes = int(wait.total_seconds() // 60) + 1
            message = _l("两次作答之间需间隔 %(cool)d 分钟，请 %(m)d 分钟后再试。",
                         cool=quiz.cooldown_minutes, m=minutes)
            raise AttemptError(str(message))


def attempt_block(user: User, quiz: Quiz) -> str | None:
    """Why the user cannot start a new attempt now (None when they can)."""
    try:
        _check_allowed(user.id, quiz, cooldown=True)
    except AttemptError as error:
        return str(error)
    return None


def make_order(definition: dict[str, Any], shuffle: bool, rng: random.Random | None = None) -> dict[str, Any]:
    """The question order and each question's option order for one attempt (shuffled when asked)."""
    rng = rng or random.Random()
    questions = [q["id"] for q in definition["questions"]]
    options = {q["id"]: [o["key"] for o in q["options"]] for q in definition["questions"]}
    if shuffle:
        rng.shuffle(questions)
        for q in definition["questions"]:
            if question_type(q["type"]).shuffle_options:
                rng.shuffle(options[q["id"]])
    return {"questions": questions, "options": options}


def start_or_resume(user: User, quiz: Quiz, rng: random.Random | None = None) -> Attempt:
    """Return the user's open attempt at the quiz, or start one (limits and cooldown permitting)."""
    attempt = queries.open_attempt(user.id, quiz.id)
    if attempt is not None:
        return attempt
    if quiz.archived or quiz.current_version is None:
        raise AttemptError(str(_l("该测验已下线。")))
    _check_allowed(user.id, quiz, cooldown=True)
    attempt = Attempt(
        user_id=user.id,
        quiz_id=quiz.id,
        quiz_version_id=quiz.current_version_id,
        status="in_progress",
        order=make_order(quiz.current_version.definition, quiz.shuffle, rng),
        started_at=utcnow(),
    )
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # another tab started one at the same moment: resume that one
        db.session.rollback()
        attempt = queries.open_attempt(user.id, quiz.id)
        if attempt is None:
            raise
    return attempt


def _lock_open(attempt: Attempt) -> None:
    """Lock the attempt row for this transaction; raise AttemptError when it is no longer open."""
    touched = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(status="in_progress")
        .execution_options(synchronize_session=False)
    ).rowcount
    if touched != 1:
        db.session.rollback()
        raise AttemptError(str(_l("本次作答已经提交，不能再修改答案。")))


def _write_answers(attempt: Attempt, values: dict[str, Any], clear: set[str]) -> None:
    """Upsert and delete answers of an open attempt in one transaction (retried once on a race)."""
    mine = AttemptAnswer.attempt_id == attempt.id
    for tries in (1, 2):
        _lock_open(attempt)
        if clear:
            db.session.execute(delete(AttemptAnswer).where(mine, AttemptAnswer.question_id.in_(sorted(clear))))
        rows = {
            a.question_id: a
            for a in db.session.scalars(select(AttemptAnswer).where(mine, AttemptAnswer.question_id.in_(list(values))))
        }
        for question_id, value in values.items():
            if question_id in rows:
                rows[question_id].value = value
            else:
                db.session.add(AttemptAnswer(attempt_id=attempt.id, question_id=question_id, value=value))
        try:
            db.session.commit()
            return
        except IntegrityError:  # the same question saved twice at once: update the row that won
            db.session.rollback()
            if tries == 2:
                raise


def save_answer(attempt: Attempt, question_id: str, raw: Any) -> None:
    """Save (or with None / an empty list, clear) one answer of an open attempt."""
    question = next((q for q in attempt.version.definition["questions"] if q["id"] == question_id), None)
    if question is None:
        raise InvalidAnswers([str(_l("没有题目 %(q)s。", q=question_id))])
    if raw is None or raw == []:
        _write_answers(attempt, {}, {question_id})
        return
    try:
        value = question_type(question["type"]).normalise(question, raw)
    except AnswerError as error:
        raise InvalidAnswers([str(error)]) from error
    _write_answers(attempt, {question_id: value}, set())


def replace_answers(attempt: Attempt, raw: dict[str, Any]) -> None:
    """Make the saved answers exactly ``raw`` (a full form post); store nothing if any is invalid."""
    questions = attempt.version.definition["questions"]
    answers, errors = validate_answers(questions, raw, complete=False)
    if errors:
        raise InvalidAnswers(errors)
    _write_answers(attempt, answers, {q["id"] for q in questions} - set(answers))


def score(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The stored result columns for a complete set of answers."""
    if definition["kind"] == "knowledge":
        k = score_knowledge(definition, answers)
        return {"score": k.score, "max_score": k.max_score, "percent": k.percent, "passed": k.passed,
                "band_key": None, "scale_results": None}
    s = score_self_assessment(definition, answers)
    scales = {
        r.key: {"total": r.total, "min": r.min_total, "max": r.max_total, "band_key": r.band["key"] if r.band else None}
        for r in s.scales
    }
    return {"score": s.total, "max_score": s.max_total, "percent": s.percent, "passed": None,
            "band_key": s.band["key"] if s.band else None, "scale_results": scales or None}


def _scored(attempt: Attempt) -> None:
    attempt_scored.send(
        attempt,
        user_id=attempt.user_id,
        quiz_id=attempt.quiz_id,
        course_id=attempt.quiz.course_id,
        passed=attempt.passed,
        percent=attempt.percent,
    )


def submit(attempt: Attempt) -> Attempt:
    """Score and close an open attempt; an already submitted attempt is returned unchanged.

    The conditional UPDATE (``WHERE status = 'in_progress'``) claims the attempt first, so of two
    concurrent submits exactly one records a result, and no answer can be saved after scoring.
    """
    if attempt.submitted:
        return attempt
    lock_people(db.session, [attempt.user_id])
    try:
        _check_allowed(attempt.user_id, attempt.quiz, cooldown=False)
    except AttemptError:
        db.session.rollback()
        raise
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(status="submitted", submitted_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return attempt
    definition = attempt.version.definition
    answers = queries.answers_of(attempt.id)
    missing = [q["id"] for q in definition["questions"] if q["id"] not in answers]
    if missing:
        db.session.rollback()
        raise Unanswered(missing)
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id)
        .values(**score(definition, answers))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(attempt)
    _scored(attempt)
    return attempt


def submit_answers(user: User, quiz: Quiz, raw: Any, request_key: idempotency.RequestKey | None = None) -> Attempt:
    """Score a complete set of answers in one step (the API); store nothing on any problem.

    With a ``request_key`` a repeat of an earlier request raises ``idempotency.Replayed``.
    """
    if quiz.archived or quiz.current_version is None:
        raise AttemptError(str(_l("该测验已下线。")))
    lock_people(db.session, [user.id])  # a submission sent at the same moment waits here, then counts this one
    definition = quiz.current_version.definition
    try:
        idempotency.check(request_key)
    except (idempotency.Replayed, idempotency.IdempotencyError):
        db.session.rollback()  # releases the lock
        raise
    try:
        _check_allowed(user.id, quiz, cooldown=True)
        answers, errors = validate_answers(definition["questions"], raw, complete=True)
        if errors:
            raise InvalidAnswers(errors)
    except AttemptError:
        db.session.rollback()  # releases the lock
        raise
    now = utcnow()
    attempt = Attempt(
        user_id=user.id,
        quiz_id=quiz.id,
        quiz_version_id=quiz.current_version_id,
        status="submitted",
        order=make_order(definition, False),
        started_at=now,
        submitted_at=now,
        answers=[AttemptAnswer(question_id=qid, value=value) for qid, value in answers.items()],
        **score(definition, answers),
    )
    db.session.add(attempt)
    db.session.flush()
    idempotency.remember(request_key, attempt.id)
    db.session.commit()
    _scored(attempt)
    return attempt
