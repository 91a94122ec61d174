"""Writes for assessments: start or resume an attempt (drawing its paper, setting its deadline), save
answers, submit and score, submit overdue attempts at their deadline, and regrade on a fixed version."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.locking import lock_people
from app.accounts.models import User
from app.assessments import notices, pools, queries
from app.assessments.enums import AttemptStatus, QuizKind
from app.assessments.models import Attempt, AttemptAnswer, AttemptRegrade, Quiz
from app.assessments.questions import AnswerError, question_type, validate_answers
from app.assessments.scoring import on_paper, score_knowledge, score_self_assessment
from app.core import audit, idempotency
from app.core.domain import Conflict, InvalidInput
from app.core.signals import attempt_scored
from app.core.time import utcnow
from app.core.urls import path_for
from app.extensions import db
from app.notifications.services import notify

log = logging.getLogger(__name__)

# A save or submit that reaches the server this long after the deadline still counts (network delay).
DEADLINE_GRACE = timedelta(seconds=5)
OPEN = AttemptStatus.IN_PROGRESS
DONE = AttemptStatus.SUBMITTED


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


class CooldownActive(AttemptError):
    """The waiting time after an attempt has not passed; ``opens_at`` says when the next attempt opens (UTC)."""

    def __init__(self, cooldown: int, opens_at: datetime, now: datetime) -> None:
        minutes = int((opens_at - now).total_seconds() // 60) + 1
        super().__init__(
            str(
                _l(
                    "两次作答之间需间隔 %(cool)d 分钟：下次作答 %(when)s 开放（约 %(m)d 分钟后）。",
                    cool=cooldown,
                    when=format_datetime(opens_at, "short"),
                    m=minutes,
                )
            )
        )
        self.opens_at = opens_at


class StartRequired(AttemptError):
    """A quiz with a question pool or a time limit is taken in steps: start, save answers, submit."""

    def __init__(self) -> None:
        super().__init__(
            str(_l("此测验每次作答单独抽题或限时作答：请先开始作答，领取试卷和截止时间，再保存答案并提交。"))
        )


class AttemptExpired(AttemptError):
    """An answer saved after the deadline: refused; the attempt was submitted with what was saved in time."""

    def __init__(self, deadline: datetime) -> None:
        super().__init__(
            str(
                _l(
                    "作答时间已于 %(when)s 截止，此后提交的答案没有保存；本次作答已按截止前保存的答案自动交卷。",
                    when=format_datetime(deadline, "short"),
                )
            )
        )
        self.deadline = deadline


class RegradeError(InvalidInput):
    """A regrade request that cannot be carried out as asked (no reason, nothing to regrade)."""


# --- starting -------------------------------------------------------------------------------------


def needs_start(quiz: Quiz) -> bool:
    """Whether the quiz is taken in steps (a question pool or a time limit), never in one API call."""
    definition = quiz.current_version.definition if quiz.current_version else {}
    return bool(quiz.time_limit_minutes or definition.get("draw"))


def _check_allowed(user_id: int, quiz: Quiz, *, cooldown: bool) -> None:
    """Raise AttemptError when the attempt limit is used up, or CooldownActive after an attempt not passed."""
    found = queries.standing(user_id, quiz.id)
    if not found.attempts_left(quiz.max_attempts):
        raise AttemptError(str(_l("你已用完本测验的 %(n)d 次作答机会。", n=quiz.max_attempts)))
    if cooldown and quiz.cooldown_minutes and found.last_at is not None and found.last_passed is not True:
        now = utcnow()
        opens_at = found.last_at + timedelta(minutes=quiz.cooldown_minutes)
        if opens_at > now:
            raise CooldownActive(quiz.cooldown_minutes, opens_at, now)


def attempt_block(user: User, quiz: Quiz) -> str | None:
    """Why the user cannot start a new attempt now (None when they can)."""
    try:
        _check_allowed(user.id, quiz, cooldown=True)
    except AttemptError as error:
        return str(error)
    return None


def make_order(
    definition: dict[str, Any], shuffle: bool, rng: random.Random | None = None, paper: list[str] | None = None
) -> dict[str, Any]:
    """The paper of one attempt: its question ids (``paper``, or every question) and each one's option order.

    Question and option order are shuffled when asked (options only for types that allow it).
    """
    rng = rng or random.Random()
    by_id = {q["id"]: q for q in definition["questions"]}
    questions = list(paper) if paper is not None else list(by_id)
    options = {qid: [o["key"] for o in by_id[qid]["options"]] for qid in questions}
    if shuffle:
        rng.shuffle(questions)
        for qid in questions:
            if question_type(by_id[qid]["type"]).shuffle_options:
                rng.shuffle(options[qid])
    return {"questions": questions, "options": options}


def draw_paper(definition: dict[str, Any], user_id: int, quiz_id: int, rng: random.Random) -> list[str] | None:
    """The question ids of a new paper by the quiz's ``draw`` rules, unseen questions first (None: no pool)."""
    rules = definition.get("draw")
    if not rules:
        return None
    return pools.draw(rules, definition["questions"], queries.seen_questions(user_id, quiz_id), rng)


def start_or_resume(user: User, quiz: Quiz, rng: random.Random | None = None) -> Attempt:
    """Return the user's open attempt at the quiz, or start one (limits and cooldown permitting).

    A new attempt of a pooled quiz draws its paper; a timed one gets its deadline from the server clock.
    An open attempt past its deadline is submitted first.
    """
    expire_due(quiz_id=quiz.id, user_id=user.id)
    attempt = queries.open_attempt(user.id, quiz.id)
    if attempt is not None:
        return attempt
    if quiz.archived or quiz.current_version is None:
        raise AttemptError(str(_l("该测验已下线。")))
    _check_allowed(user.id, quiz, cooldown=True)
    rng = rng or random.Random()
    definition = quiz.current_version.definition
    paper = draw_paper(definition, user.id, quiz.id, rng)
    now = utcnow()
    attempt = Attempt(
        user_id=user.id,
        quiz_id=quiz.id,
        quiz_version_id=quiz.current_version_id,
        status=OPEN,
        order=make_order(definition, quiz.shuffle, rng, paper),
        started_at=now,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
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
    log.info(
        "attempt started",
        extra={"attempt_id": attempt.id, "user_id": user.id, "quiz_id": quiz.id, "deadline": attempt.deadline_at},
    )
    return attempt


# --- answering ------------------------------------------------------------------------------------


def paper_questions(attempt: Attempt) -> list[dict[str, Any]]:
    """The questions of an attempt's paper, in its order."""
    return on_paper(attempt.version.definition, attempt.order)["questions"]


def is_late(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether an open attempt's deadline (and the grace for network delay) has passed."""
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + DEADLINE_GRACE


def _refuse_late(attempt: Attempt) -> None:
    """Submit an attempt past its deadline with what was saved in time, then raise AttemptExpired."""
    if is_late(attempt):
        deadline = attempt.deadline_at
        expire(attempt)
        raise AttemptExpired(deadline)  # type: ignore[arg-type]


def _rowcount(result: Any) -> int:
    """The number of rows an UPDATE touched."""
    return int(result.rowcount)


def _lock_open(attempt: Attempt) -> None:
    """Lock the attempt row for this transaction; raise AttemptError when it is no longer open."""
    touched = _rowcount(
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id, Attempt.status == OPEN)
            .values(status=OPEN)
            .execution_options(synchronize_session=False)
        )
    )
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
    """Save (or with None / an empty list, clear) one answer of an open attempt's paper."""
    _refuse_late(attempt)
    question = next((q for q in paper_questions(attempt) if q["id"] == question_id), None)
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
    _refuse_late(attempt)
    questions = paper_questions(attempt)
    answers, errors = validate_answers(questions, raw, complete=False)
    if errors:
        raise InvalidAnswers(errors)
    _write_answers(attempt, answers, {q["id"] for q in questions} - set(answers))


def merge_answers(attempt: Attempt, raw: Any) -> None:
    """Save several answers at once (the API's submit step); store nothing if any is invalid."""
    _refuse_late(attempt)
    answers, errors = validate_answers(paper_questions(attempt), raw, complete=False)
    if errors:
        raise InvalidAnswers(errors)
    if answers:
        _write_answers(attempt, answers, set())


# --- scoring --------------------------------------------------------------------------------------


def score(definition: dict[str, Any], answers: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The stored result columns for the answers to a paper (``partial``: knowledge only, missing = wrong)."""
    if definition["kind"] == QuizKind.KNOWLEDGE:
        k = score_knowledge(definition, answers, partial=partial)
        return {
            "score": k.score,
            "max_score": k.max_score,
            "percent": k.percent,
            "passed": k.passed,
            "band_key": None,
            "scale_results": None,
        }
    s = score_self_assessment(definition, answers)
    scales = {
        r.key: {"total": r.total, "min": r.min_total, "max": r.max_total, "band_key": r.band["key"] if r.band else None}
        for r in s.scales
    }
    return {
        "score": s.total,
        "max_score": s.max_total,
        "percent": s.percent,
        "passed": None,
        "band_key": s.band["key"] if s.band else None,
        "scale_results": scales or None,
    }


def _scored(attempt: Attempt, *, regraded: bool = False) -> None:
    attempt_scored.send(
        attempt,
        user_id=attempt.user_id,
        quiz_id=attempt.quiz_id,
        course_id=attempt.quiz.course_id,
        passed=attempt.passed,
        percent=attempt.percent,
        regraded=regraded,
    )


def _claim(attempt: Attempt, **values: Any) -> bool:
    """Mark an open attempt submitted (``WHERE status = 'in_progress'``): False when another request did."""
    claimed = _rowcount(
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id, Attempt.status == OPEN)
            .values(status=DONE, **values)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return False
    return True


def _store_result(attempt: Attempt, values: dict[str, Any]) -> None:
    db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(attempt)


def submit(attempt: Attempt) -> Attempt:
    """Score and close an open attempt; an already submitted attempt is returned unchanged.

    The conditional UPDATE (``WHERE status = 'in_progress'``) claims the attempt first, so of two
    concurrent submits exactly one records a result, and no answer can be saved after scoring. Past
    the deadline the attempt is submitted with what was saved in time and AttemptExpired is raised.
    """
    if attempt.submitted:
        return attempt
    _refuse_late(attempt)
    lock_people(db.session, [attempt.user_id])
    try:
        _check_allowed(attempt.user_id, attempt.quiz, cooldown=False)
    except AttemptError:
        db.session.rollback()
        raise
    if not _claim(attempt, submitted_at=utcnow()):
        return attempt
    definition = on_paper(attempt.version.definition, attempt.order)
    answers = queries.answers_of(attempt.id)
    missing = [q["id"] for q in definition["questions"] if q["id"] not in answers]
    if missing:
        db.session.rollback()
        raise Unanswered(missing)
    _store_result(attempt, score(definition, answers))
    log.info(
        "attempt submitted",
        extra={
            "attempt_id": attempt.id,
            "user_id": attempt.user_id,
            "quiz_id": attempt.quiz_id,
            "score": attempt.score,
        },
    )
    _scored(attempt)
    return attempt


def expire(attempt: Attempt) -> Attempt:
    """Submit an open attempt at its deadline with the answers saved so far (unanswered = wrong)."""
    if attempt.submitted:
        return attempt
    lock_people(db.session, [attempt.user_id])
    now = utcnow()
    when = min(now, attempt.deadline_at) if attempt.deadline_at else now
    if not _claim(attempt, submitted_at=when, auto_submitted=True):
        return attempt
    definition = on_paper(attempt.version.definition, attempt.order)
    _store_result(attempt, score(definition, queries.answers_of(attempt.id), partial=True))
    log.info(
        "attempt submitted at its deadline",
        extra={
            "attempt_id": attempt.id,
            "user_id": attempt.user_id,
            "quiz_id": attempt.quiz_id,
            "score": attempt.score,
        },
    )
    _scored(attempt)
    return attempt


def expire_due(*, quiz_id: int | None = None, attempt_id: int | None = None, user_id: int | None = None) -> int:
    """Submit every open attempt past its deadline (of a quiz, an attempt or a person); return how many.

    Runs on each read of a timed attempt or quiz and from ``flask quizzes expire``; safe to repeat and
    to run at the same time as a submit (the conditional UPDATE lets exactly one of them score).
    """
    done = 0
    for attempt in queries.overdue(utcnow() - DEADLINE_GRACE, quiz_id=quiz_id, attempt_id=attempt_id, user_id=user_id):
        expire(attempt)
        done += 1 if attempt.auto_submitted else 0
    return done


def submit_answers(user: User, quiz: Quiz, raw: Any, request_key: idempotency.RequestKey | None = None) -> Attempt:
    """Score a complete set of answers in one step (the API); store nothing on any problem.

    Quizzes with a pool or a time limit refuse this (StartRequired): their paper and deadline come from
    the start step. With a ``request_key`` a repeat of an earlier request raises ``idempotency.Replayed``.
    """
    if quiz.archived or quiz.current_version is None:
        raise AttemptError(str(_l("该测验已下线。")))
    if needs_start(quiz):
        raise StartRequired()
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
        status=DONE,
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
    log.info("attempt submitted in one step", extra={"attempt_id": attempt.id, "user_id": user.id, "quiz_id": quiz.id})
    _scored(attempt)
    return attempt


# --- regrading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegradeReport:
    """What one regrade did: attempts regraded, how many results changed, attempts left as they were."""

    regraded: int
    changed: int
    skipped: int


def _result_text(score_: int | None, max_score: int | None) -> str:
    return f"{score_ if score_ is not None else '—'}/{max_score if max_score is not None else '—'}"


def regrade_preview(quiz: Quiz, version_id: int) -> list[tuple[Attempt, dict[str, Any] | None]]:
    """Each submitted attempt of an earlier version with the result the current version would give it.

    None marks an attempt that cannot be regraded (none of its questions is left, or an answer no longer fits).
    """
    if quiz.current_version is None:
        return []
    target = quiz.current_version.definition
    attempts = queries.attempts_on_version(quiz.id, version_id)
    answers = queries.answers_by_attempt([a.id for a in attempts])
    return [(attempt, _rescore(target, attempt, answers[attempt.id])) for attempt in attempts]


def _rescore(target: dict[str, Any], attempt: Attempt, answers: dict[str, Any]) -> dict[str, Any] | None:
    paper = on_paper(target, attempt.order)
    if not paper["questions"]:
        return None
    try:
        return score(paper, answers, partial=target["kind"] == QuizKind.KNOWLEDGE)
    except (KeyError, ValueError):  # a self-assessment answer whose option is gone, or a question left open
        return None


def regrade(quiz: Quiz, version_id: int, reason: str, actor: User) -> RegradeReport:
    """Rescore every submitted attempt of an earlier version against the current version, explicitly.

    Each attempt gets an AttemptRegrade row (old and new result, who, when, why) and moves to the
    current version; the trainee is notified when the result changed; attempt_scored is sent again
    (``regraded=True``) after the commit so completion recomputes. Nothing else ever changes a result.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RegradeError(str(_l("请写明重新评分的原因。")))
    if quiz.current_version_id is None or version_id == quiz.current_version_id:
        raise RegradeError(str(_l("只能把较早版本的作答按当前版本重新评分。")))
    done: list[Attempt] = []
    changed = skipped = 0
    for attempt, values in regrade_preview(quiz, version_id):
        if values is None:
            skipped += 1
            continue
        old = {key: getattr(attempt, key) for key in ("score", "max_score", "percent", "passed", "band_key")}
        claimed = _rowcount(
            db.session.execute(
                update(Attempt)
                .where(Attempt.id == attempt.id, Attempt.quiz_version_id == version_id, Attempt.status == DONE)
                .values(quiz_version_id=quiz.current_version_id, **values)
                .execution_options(synchronize_session=False)
            )
        )
        if claimed != 1:  # regraded by someone else meanwhile
            skipped += 1
            continue
        record = AttemptRegrade(
            attempt_id=attempt.id,
            from_version_id=version_id,
            to_version_id=quiz.current_version_id,
            **{f"old_{key}": value for key, value in old.items()},
            **{f"new_{key}": values[key] for key in old},
            reason=reason,
            by_id=actor.id,
            created_at=utcnow(),
        )
        db.session.add(record)
        if record.changed:
            changed += 1
            notify(
                attempt.user_id,
                notices.REGRADED,
                {
                    "quiz": quiz.title,
                    "old": _result_text(old["score"], old["max_score"]),
                    "new": _result_text(values["score"], values["max_score"]),
                    "reason": reason,
                },
                path_for("assessments.result", attempt_id=str(attempt.id)),
            )
        done.append(attempt)
    if not done and not skipped:
        raise RegradeError(str(_l("这个版本没有需要重新评分的作答。")))
    audit.record(
        "quiz.regraded",
        quiz,
        {
            "from_version": version_id,
            "to_version": quiz.current_version_id,
            "attempts": len(done),
            "changed": changed,
            "reason": reason,
        },
    )
    db.session.commit()
    log.info(
        "quiz regraded",
        extra={
            "quiz_id": quiz.id,
            "from_version": version_id,
            "to_version": quiz.current_version_id,
            "attempts": len(done),
            "changed": changed,
            "by": actor.id,
        },
    )
    for attempt in done:
        db.session.refresh(attempt)
        _scored(attempt, regraded=True)
    return RegradeReport(len(done), changed, skipped)
