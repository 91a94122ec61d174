"""Writes for role-play: self-scores, submissions, grading (a transition table), history, notifications."""

from __future__ import annotations

import logging
from typing import IO, Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.core import audit, idempotency
from app.core.domain import Conflict, InvalidInput, NotAllowed
from app.core.signals import submission_graded
from app.core.time import utcnow
from app.extensions import db
from app.notifications.services import notify, register_kinds
from app.roleplay import marking, queries, scoring
from app.roleplay.enums import GradingEvent, MarkingStage, MarkRole, SubmissionStatus
from app.roleplay.models import (
    Anchor,
    CalibrationMark,
    CriterionScore,
    Mark,
    RoleplayCard,
    RubricVersion,
    SelfScore,
    Submission,
    SubmissionEvent,
)
from app.roleplay.uploads import UploadError, delete_audio, store_audio

# (status, action) -> next status. Anything not listed is refused.
_S = SubmissionStatus
TRANSITIONS: dict[tuple[str, str], SubmissionStatus] = {
    (_S.DRAFT, "save"): _S.DRAFT,  # trainee edits a draft
    (_S.DRAFT, "submit"): _S.SUBMITTED,
    (_S.RETURNED, "save"): _S.RETURNED,  # trainee edits a revision
    (_S.RETURNED, "resubmit"): _S.RESUBMITTED,
    (_S.SUBMITTED, "save-grading"): _S.SUBMITTED,  # grader's draft
    (_S.RESUBMITTED, "save-grading"): _S.RESUBMITTED,
    (_S.SUBMITTED, "grade"): _S.GRADED,
    (_S.RESUBMITTED, "grade"): _S.GRADED,
    (_S.GRADED, "grade"): _S.GRADED,  # a grade change, kept in the history
    (_S.SUBMITTED, "return"): _S.RETURNED,
    (_S.RESUBMITTED, "return"): _S.RETURNED,
}
GRADER_ACTIONS = {"save": "save-grading", "grade": "grade", "return": "return"}
TRAINEE_ACTIONS = ("save", "submit")  # on the trainee's open attempt ("submit" hands in or resubmits)
MAX_RESPONSE = 20000
MAX_COMMENT = 2000
MAX_OVERALL = 5000


class RoleplayError(InvalidInput):
    """A request that cannot be carried out; the message is for the user."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.field = field


class TransitionError(Conflict, RoleplayError):
    """An action the submission's status does not allow."""


class MarkingError(NotAllowed, RoleplayError):
    """A double-marking rule refuses this grader (the first grader marking twice, a grader moderating their own)."""


class ConflictError(Conflict, RoleplayError):
    """Someone else saved the submission since the editor loaded it."""

    def __init__(self, submission: Submission, event: SubmissionEvent | None) -> None:
        super().__init__(_l("在你编辑期间，其他人已保存了这份批改，你的修改没有保存。"))
        self.submission = submission
        self.event = event


log = logging.getLogger(__name__)


def next_status(status: str, action: str) -> str:
    """The status after an action, or TransitionError when the table refuses it."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionError(_l("当前状态下不能执行此操作。")) from None


def _grader_refusal(submission: Submission, action: str) -> TransitionError | None:
    """Why the submission's state refuses a grader's action now (None: allowed) — the one rule for pages and writes."""
    if action == "return" and submission.live:
        return TransitionError(_l("现场演练不能退回修改，请直接评分。"))
    if (submission.status, GRADER_ACTIONS[action]) not in TRANSITIONS:
        return TransitionError(_l("当前状态下不能执行此操作。"))
    return None


def allowed_actions(submission: Submission | None, user: User) -> tuple[str, ...]:
    """The actions ``user`` may take on ``submission`` now, in button order — what a page offers, by the rules the writes apply.

    The trainee, on their latest work on a card (None: nothing yet): ``save`` and ``submit`` unless it
    waits for a grader (a graded attempt is followed by a new one). A grader of the submission:
    ``save``, ``grade`` and ``return`` as the transition table (and the no-return rule of live
    role-plays) allow. Anyone else: nothing.
    """
    if submission is None or submission.trainee_id == user.id:
        return () if submission is not None and submission.waiting else TRAINEE_ACTIONS
    if not queries.can_grade(user, submission):
        return ()
    if blind(submission):
        marks = queries.marks(submission.id)
        return tuple(a for a in GRADER_ACTIONS if _mark_refusal(submission, user, a, marks) is None)
    return tuple(action for action in GRADER_ACTIONS if _grader_refusal(submission, action) is None)


def blind(submission: Submission) -> bool:
    """Whether the submission is being double-marked: each grader sees only their own mark until it is settled."""
    return submission.double_mark and submission.status != SubmissionStatus.GRADED


def marking_stage(submission: Submission, marks: list[Mark]) -> MarkingStage:
    """Where a double-marked submission stands (its rubric version's settings decide on disagreement)."""
    rules = marking.settings(version_of(submission).definition if submission.rubric_version else None)
    return marking.stage(marks, rules, submission.status == SubmissionStatus.GRADED)


def _mark_refusal(submission: Submission, user: User, action: str, marks: list[Mark]) -> RoleplayError | None:
    """Why a grader may not take an action on a double-marked submission now (None: allowed)."""
    refusal = _grader_refusal(submission, action)
    if refusal is not None:
        return refusal
    roles = {m.role: m.grader_id for m in marks if m.role}
    now = marking_stage(submission, marks)
    if action == "return" and roles:
        return TransitionError(_l("已有讲师完成盲评，不能再退回修改。"))
    if now == MarkingStage.SECOND and roles.get(MarkRole.FIRST) == user.id:
        return MarkingError(_l("你已完成第一次评分；第二位讲师盲评后才会得出最终成绩。"))
    if now == MarkingStage.MODERATION and user.id in roles.values():
        return MarkingError(_l("两次评分差距较大，需由第三位讲师（未参与评分）裁定。"))
    return None


def _event(submission: Submission, actor: User | None, action: str, before: str | None, details: dict) -> None:
    db.session.add(
        SubmissionEvent(
            submission_id=submission.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before,
            to_status=submission.status,
            details=details,
        )
    )


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def version_of(submission: Submission) -> RubricVersion:
    """The rubric version a handed-in submission is graded with (a draft has none yet)."""
    version = submission.rubric_version
    if version is None:
        raise RoleplayError(_l("这份练习还没有提交，不能评分。"))
    return version


def _current_version(card: RoleplayCard) -> RubricVersion:
    version = card.rubric.current_version
    if version is None:
        raise RoleplayError(_l("这张卡片的评分表尚未加载。"))
    return version


def save_self_score(user: User, card: RoleplayCard, raw_levels: dict[str, Any]) -> SelfScore:
    """Store a private self-score against the card's current rubric; every criterion needs a level."""
    version = _current_version(card)
    levels, bad = scoring.parse_levels(version.definition, raw_levels)
    if bad or len(levels) < len(scoring.criteria(version.definition)):
        raise RoleplayError(_l("请为每一项评分标准选择一个等级。"))
    score = SelfScore(
        user_id=user.id,
        card_id=card.id,
        rubric_version_id=version.id,
        levels=levels,
        total=scoring.total(version.definition, levels),
        max_points=version.max_points,
    )
    db.session.add(score)
    db.session.flush()
    ids = {"self_score_id": score.id, "user_id": user.id, "card_id": card.id}
    db.session.commit()
    log.info("self-score saved", extra=ids)
    return score


def save_response(
    trainee: User,
    card: RoleplayCard,
    *,
    text: str | None,
    audio: IO[bytes] | None = None,
    submit: bool = False,
    request_key: idempotency.RequestKey | None = None,
) -> Submission:
    """Save the trainee's open attempt (a new draft when none is open) and optionally hand it in.

    With a ``request_key`` a repeat of an earlier request raises ``idempotency.Replayed``.
    """
    idempotency.check(request_key)
    text = _clean(text)
    if len(text) > MAX_RESPONSE:
        raise RoleplayError(_l("书面回应不能超过 %(n)d 个字。", n=MAX_RESPONSE), field="response")
    if submit and not text:
        raise RoleplayError(_l("请先写下你的书面回应（你会怎么说、怎么做），再提交。"), field="response")
    submission = queries.open_submission(trainee.id, card.id)
    if submission is not None and submission.waiting:
        raise TransitionError(_l("这份练习已提交，正在等待讲师批改，暂时不能修改。"))
    if submission is None:
        submission = Submission(trainee_id=trainee.id, card_id=card.id, status=SubmissionStatus.DRAFT)
    before = submission.status
    action = ("resubmit" if before == SubmissionStatus.RETURNED else "submit") if submit else "save"
    after = next_status(before, action)
    version = _current_version(card) if submit and submission.rubric_version_id is None else None
    try:
        stored = store_audio(audio) if audio is not None else None
    except UploadError as error:
        raise RoleplayError(str(error), field="audio") from None
    replaced = None
    try:
        submission.response_text = text
        if stored:
            replaced = submission.audio_name
            submission.audio_name, submission.audio_mime, submission.audio_size = stored.name, stored.mime, stored.size
        submission.status = after
        submission.updated_at = utcnow()
        if submit:
            submission.submitted_at = utcnow()
        if version is not None:
            submission.rubric_version_id = version.id
        if action == "resubmit":
            _start_round(submission)
        db.session.add(submission)
        db.session.flush()
        details: dict[str, Any] = {"chars": len(text), "audio": bool(submission.audio_name)}
        if version is not None:
            submission.double_mark = _drawn(submission, version)
            details["double_mark"] = submission.double_mark
        _event(submission, trainee, action, before, details)
        if submit:
            _notify_instructors(submission, "roleplay.came-back" if action == "resubmit" else "roleplay.arrived")
        idempotency.remember(request_key, submission.id)
        ids = {"submission_id": submission.id, "trainee_id": trainee.id, "action": action, "status": str(after)}
        db.session.commit()
    except Exception:
        db.session.rollback()
        delete_audio(stored.name if stored else None)
        raise
    log.info("response saved", extra=ids)
    delete_audio(replaced)
    return submission


def _start_round(submission: Submission) -> None:
    """A resubmission starts a new round: the levels stay, the comments go (the history keeps the old ones)."""
    for row in submission.scores:
        row.comment = ""
    submission.overall_comment = ""


def _drawn(submission: Submission, version: RubricVersion) -> bool:
    """The stored, seeded decision whether a newly handed-in submission gets a second blind grade."""
    share = marking.settings(version.definition).share
    return marking.drawn(current_app.config["SECRET_KEY"], submission.id, share)


def start_live(
    instructor: User,
    card: RoleplayCard,
    trainee: User,
    partner_name: str | None,
    *,
    observer: bool = False,
    partner: User | None = None,
) -> Submission:
    """Open a live classroom performance for grading on the spot (it counts like a submission).

    ``observer``: a second instructor in the room scores it too — then it is always double-marked.
    ``partner``: the classmate who played the customer (credited by name on the submission).
    """
    if partner is not None:
        if partner.id == trainee.id:
            raise RoleplayError(_l("搭档不能是扮演服务人员的学员本人。"), field="partner")
        partner_name = partner.name
    partner_text = _clean(partner_name)
    if len(partner_text) > 80:
        raise RoleplayError(_l("搭档姓名不能超过 80 个字。"), field="partner")
    version = _current_version(card)
    now = utcnow()
    submission = Submission(
        trainee_id=trainee.id,
        card_id=card.id,
        status=SubmissionStatus.SUBMITTED,
        live=True,
        partner_name=partner_text or None,
        partner_id=partner.id if partner is not None else None,
        rubric_version_id=version.id,
        submitted_at=now,
        updated_at=now,
    )
    db.session.add(submission)
    db.session.flush()
    submission.double_mark = observer or _drawn(submission, version)
    _event(submission, instructor, "live", None, {"partner": partner_text, "double_mark": submission.double_mark})
    ids = {"submission_id": submission.id, "instructor_id": instructor.id, "trainee_id": trainee.id}
    db.session.commit()
    log.info("live role-play started", extra=ids)
    return submission


def _grading_input(
    definition: dict[str, Any], raw_levels: dict[str, Any], comments: dict[str, str | None], overall: str | None
) -> tuple[dict[str, int], dict[str, str], str]:
    levels, bad = scoring.parse_levels(definition, raw_levels)
    if bad:
        raise RoleplayError(_l("评分等级无效，请重新选择。"))
    keys = [c["key"] for c in scoring.criteria(definition)]
    cleaned = {key: _clean(comments.get(key)) for key in keys}
    if any(len(text) > MAX_COMMENT for text in cleaned.values()):
        raise RoleplayError(_l("每项评语不能超过 %(n)d 个字。", n=MAX_COMMENT))
    overall = _clean(overall)
    if len(overall) > MAX_OVERALL:
        raise RoleplayError(_l("总体评语不能超过 %(n)d 个字。", n=MAX_OVERALL), field="overall")
    return levels, cleaned, overall


def _write_scores(
    submission: Submission, definition: dict[str, Any], levels: dict[str, int], comments: dict[str, str]
) -> None:
    rows = {row.criterion_key: row for row in submission.scores}
    for criterion in scoring.criteria(definition):
        key = criterion["key"]
        index = levels.get(key)
        points = criterion["levels"][index]["points"] if index is not None else None
        row = rows.get(key)
        if row is None:
            row = CriterionScore(criterion_key=key)
            submission.scores.append(row)
        row.level_index, row.points, row.comment = index, points, comments[key]


def save_grading(
    grader: User,
    submission: Submission,
    *,
    action: str,
    expected_version: int | None,
    levels: dict[str, Any],
    comments: dict[str, str | None],
    overall: str | None,
) -> Submission:
    """Save a grader's draft, grade, or return for revision; refuse to overwrite someone else's save.

    A double-marked submission (``blind``) takes each grader's work as their own ``Mark`` instead.
    """
    if action not in GRADER_ACTIONS:
        raise RoleplayError(_l("未知的操作。"))
    if blind(submission):
        return _save_mark(grader, submission, action=action, levels=levels, comments=comments, overall=overall)
    if expected_version != submission.version_id:
        raise ConflictError(submission, queries.last_event(submission.id))
    refusal = _grader_refusal(submission, action)
    if refusal is not None:
        raise refusal
    before = submission.status
    after = next_status(before, GRADER_ACTIONS[action])
    version = version_of(submission)
    definition = version.definition
    chosen, cleaned, overall_text = _grading_input(definition, levels, comments, overall)
    if action == "grade" and len(chosen) < len(scoring.criteria(definition)):
        raise RoleplayError(_l("请为每一项评分标准选择等级后再评分。"))
    if action == "return" and not overall_text:
        raise RoleplayError(_l("退回修改时，请在总体评语中写明需要修改的地方。"), field="overall")
    now = utcnow()
    points = scoring.total(definition, chosen)
    details: dict[str, Any] = {
        "levels": chosen,
        "comments": cleaned,
        "overall": overall_text,
        "total": points,
        "rubric_version_id": version.id,
    }
    try:
        _write_scores(submission, definition, chosen, cleaned)
        submission.overall_comment = overall_text
        submission.grader_id = grader.id
        submission.status = after
        submission.updated_at = now
        if action == "grade":
            _record_result(submission, points, details, now)
        elif action == "return":
            details["response"] = submission.response_text
            _notify_trainee(submission, "roleplay.returned")
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(submission, queries.last_event(submission.id)) from None
    event = {"save": GradingEvent.SAVED, "return": GradingEvent.RETURNED}.get(action)
    event = event or (GradingEvent.REGRADED if before == SubmissionStatus.GRADED else GradingEvent.GRADED)
    _event(submission, grader, event, before, details)
    if event != GradingEvent.SAVED:
        _audit_grade(submission, event, points)
    ids = {"submission_id": submission.id, "grader_id": grader.id, "action": action}
    db.session.commit()
    log.info("grading saved", extra=ids)
    if action == "grade":
        _send_graded(submission)
    return submission


def _record_result(submission: Submission, points: int, details: dict[str, Any], now: Any) -> None:
    """Store the total and verdict of a final grade and tell the trainee."""
    version = version_of(submission)
    passed = scoring.passed(points, version.max_points, submission.card.pass_percent)
    submission.total, submission.max_points = points, version.max_points
    submission.pass_percent, submission.passed, submission.graded_at = submission.card.pass_percent, passed, now
    details.update(max_points=version.max_points, pass_percent=submission.card.pass_percent, passed=passed)
    _notify_trainee(submission, "roleplay.graded.passed" if passed else "roleplay.graded.failed")


def _audit_grade(submission: Submission, event: str, points: int) -> None:
    audit.record(
        f"roleplay.{event}",
        submission,
        {
            "trainee_id": submission.trainee_id,
            "card": submission.card.slug,
            "total": points,
            "passed": submission.passed,
        },
    )


def _send_graded(submission: Submission) -> None:
    submission_graded.send(
        submission,
        user_id=submission.trainee_id,
        card_id=submission.card_id,
        course_id=submission.card.course_id,
        passed=submission.passed,
    )


def _save_mark(
    grader: User,
    submission: Submission,
    *,
    action: str,
    levels: dict[str, Any],
    comments: dict[str, str | None],
    overall: str | None,
) -> Submission:
    """A grader's own blind mark of a double-marked submission: a draft, a saved mark, or (first grader only) a return.

    The first saved mark waits for the second; when both are saved they settle the grade (the first
    mark's levels become the grade) unless they differ by the rubric's gaps — then a third
    instructor's mark decides. Every mark is kept.
    """
    marks = queries.marks(submission.id)
    refusal = _mark_refusal(submission, grader, action, marks)
    if refusal is not None:
        raise refusal
    definition = version_of(submission).definition
    chosen, cleaned, overall_text = _grading_input(definition, levels, comments, overall)
    if action == "return":
        return _return_blind(grader, submission, marks, overall_text)
    if action == "grade" and len(chosen) < len(scoring.criteria(definition)):
        raise RoleplayError(_l("请为每一项评分标准选择等级后再评分。"))
    stage_now = marking_stage(submission, marks)
    own = next((m for m in marks if m.grader_id == grader.id), None)
    if own is None:
        own = Mark(submission_id=submission.id, grader_id=grader.id)
        db.session.add(own)
        marks.append(own)
    own.levels, own.comments, own.overall = chosen, cleaned, overall_text
    own.total, own.max_points = scoring.total(definition, chosen), version_of(submission).max_points
    if action == "save":
        db.session.commit()
        return submission
    own.role = {
        MarkingStage.FIRST: MarkRole.FIRST,
        MarkingStage.SECOND: MarkRole.SECOND,
        MarkingStage.MODERATION: MarkRole.MODERATOR,
    }[stage_now]
    own.saved_at = utcnow()
    db.session.flush()
    _event(submission, grader, GradingEvent(f"mark-{own.role}"), submission.status, {"role": str(own.role)})
    after = marking_stage(submission, marks)
    if after == MarkingStage.SETTLED:
        roles = marking.by_role(marks)
        final = roles.get(MarkRole.MODERATOR) or roles[MarkRole.FIRST]
        _settle(submission, final, moderated=MarkRole.MODERATOR in roles)
    elif after == MarkingStage.MODERATION:
        _notify_moderators(submission, marks)
    ids = {"submission_id": submission.id, "grader_id": grader.id, "role": str(own.role), "stage": str(after)}
    db.session.commit()
    log.info("blind mark saved", extra=ids)
    if after == MarkingStage.SETTLED:
        _send_graded(submission)
    return submission


def _return_blind(grader: User, submission: Submission, marks: list[Mark], overall_text: str) -> Submission:
    """Return a double-marked submission before any mark is saved: drafts go, the draw stays."""
    if not overall_text:
        raise RoleplayError(_l("退回修改时，请在总体评语中写明需要修改的地方。"), field="overall")
    before = submission.status
    for mark in marks:
        db.session.delete(mark)
    submission.overall_comment = overall_text
    submission.grader_id = grader.id
    submission.status = next_status(before, "return")
    submission.updated_at = utcnow()
    details = {"overall": overall_text, "response": submission.response_text, "levels": {}, "comments": {}}
    _notify_trainee(submission, "roleplay.returned")
    db.session.flush()
    _event(submission, grader, GradingEvent.RETURNED, before, details)
    _audit_grade(submission, GradingEvent.RETURNED, 0)
    db.session.commit()
    return submission


def _settle(submission: Submission, final: Any, *, moderated: bool) -> None:
    """Write the settled mark as the submission's grade (what the trainee sees and completion follows)."""
    definition = version_of(submission).definition
    before = submission.status
    now = utcnow()
    _write_scores(
        submission,
        definition,
        final.levels,
        {c["key"]: final.comments.get(c["key"], "") for c in scoring.criteria(definition)},
    )
    submission.overall_comment = final.overall
    submission.grader_id = final.grader_id
    submission.status = next_status(before, "grade")
    submission.updated_at = now
    details: dict[str, Any] = {
        "levels": final.levels,
        "comments": final.comments,
        "overall": final.overall,
        "total": final.total,
        "rubric_version_id": submission.rubric_version_id,
        "double_marked": True,
        "moderated": moderated,
    }
    _record_result(submission, final.total, details, now)
    db.session.flush()
    db.session.add(
        SubmissionEvent(
            submission_id=submission.id,
            actor_id=final.grader_id,
            action=GradingEvent.GRADED,
            from_status=before,
            to_status=submission.status,
            details=details,
        )
    )
    _audit_grade(submission, GradingEvent.GRADED, final.total)


def _notify_instructors(submission: Submission, kind: str) -> None:
    """Tell the instructors of the trainee's cohorts that work arrived or came back."""
    params = {"card": submission.card.title, "name": submission.trainee.name}
    link = url_for("roleplay.grade", submission_id=submission.id)
    for instructor_id in queries.instructor_ids_of(submission.trainee_id):
        notify(instructor_id, kind, params, link)


def _notify_moderators(submission: Submission, marks: list[Mark]) -> None:
    """Tell the trainee's other instructors that a double-marked submission needs a moderator."""
    taken = {m.grader_id for m in marks if m.role}
    params = {"card": submission.card.title, "name": submission.trainee.name}
    link = url_for("roleplay.grade", submission_id=submission.id)
    for instructor_id in queries.instructor_ids_of(submission.trainee_id):
        if instructor_id not in taken:
            notify(instructor_id, "roleplay.moderation", params, link)


register_kinds(
    {
        "roleplay.graded.passed": _l("「%(card)s」已评分：%(total)s / %(max)s 分，通过。"),
        "roleplay.graded.failed": _l("「%(card)s」已评分：%(total)s / %(max)s 分，未通过。"),
        "roleplay.returned": _l("「%(card)s」被退回修改，请查看讲师的意见。"),
        "roleplay.moderation": _l("%(name)s 的「%(card)s」两次盲评差距较大，需要一位未参与评分的讲师裁定。"),
        "roleplay.arrived": _l("%(name)s 提交了「%(card)s」，等待批改。"),
        "roleplay.came-back": _l("%(name)s 重新提交了「%(card)s」，等待批改。"),
    }
)


def _notify_trainee(submission: Submission, kind: str) -> None:
    params = {"card": submission.card.title, "total": submission.total, "max": submission.max_points}
    notify(submission.trainee_id, kind, params, url_for("roleplay.submission", submission_id=submission.id))


MAX_NOTE = 1000


def _all_levels(definition: dict[str, Any], raw_levels: dict[str, Any]) -> dict[str, int]:
    levels, bad = scoring.parse_levels(definition, raw_levels)
    if bad or len(levels) < len(scoring.criteria(definition)):
        raise RoleplayError(_l("请为每一项评分标准选择一个等级。"))
    return levels


def save_anchor(admin: User, submission: Submission, raw_levels: dict[str, Any], note: str | None) -> Anchor:
    """Make (or change) a calibration anchor: a handed-in submission with an admin's reference grade."""
    if not admin.has_role("admin"):
        raise NotAllowed(_l("只有管理员可以设置校准样本。"))
    if submission.status == SubmissionStatus.DRAFT or submission.rubric_version is None:
        raise RoleplayError(_l("只有已提交的练习可以作为校准样本。"))
    levels = _all_levels(version_of(submission).definition, raw_levels)
    text = _clean(note)
    if len(text) > MAX_NOTE:
        raise RoleplayError(_l("说明不能超过 %(n)d 个字。", n=MAX_NOTE), field="note")
    anchor = queries.anchor_of(submission.id)
    if anchor is None:
        anchor = Anchor(submission_id=submission.id, rubric_version_id=submission.rubric_version_id)
        db.session.add(anchor)
    anchor.levels, anchor.note, anchor.created_by_id, anchor.active = levels, text, admin.id, True
    db.session.commit()
    log.info("calibration anchor saved", extra={"anchor_id": anchor.id, "admin_id": admin.id})
    return anchor


def save_calibration(instructor: User, anchor: Anchor, raw_levels: dict[str, Any]) -> CalibrationMark:
    """An instructor's grade of a calibration anchor (every attempt kept; compared with the reference)."""
    if not instructor.has_role("instructor"):
        raise NotAllowed(_l("只有讲师可以做评分校准。"))
    if not anchor.active:
        raise RoleplayError(_l("这个校准样本已停用。"))
    definition = anchor.rubric_version.definition
    levels = _all_levels(definition, raw_levels)
    mark = CalibrationMark(
        anchor_id=anchor.id, grader_id=instructor.id, levels=levels, total=scoring.total(definition, levels)
    )
    db.session.add(mark)
    db.session.commit()
    log.info("calibration saved", extra={"anchor_id": anchor.id, "grader_id": instructor.id})
    return mark
