"""Role-play models: rubrics with versions, scenario cards, submissions, grades."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.time import utcnow
from app.core.versioned import VersionSnapshot
from app.extensions import db
from app.roleplay.enums import EDITABLE, WAITING, Difficulty, SubmissionStatus

DIFFICULTIES = tuple(Difficulty)


class Rubric(db.Model):
    """A grading rubric loaded from ``quizzes/rubrics/<slug>.yaml``."""

    __tablename__ = "rubrics"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    archived: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("rubric_versions.id", use_alter=True, name="fk_rubrics_current_version")
    )

    current_version: Mapped[RubricVersion | None] = relationship(foreign_keys=[current_version_id])


class RubricVersion(VersionSnapshot, db.Model):
    """An immutable snapshot of a rubric's criteria and levels."""

    __tablename__ = "rubric_versions"
    __table_args__ = (UniqueConstraint("rubric_id", "digest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"), index=True)
    max_points: Mapped[int] = mapped_column(default=0)


class RoleplayCard(db.Model):
    """A scenario card loaded from ``courses/<course>/roleplays/<slug>.md``."""

    __tablename__ = "roleplay_cards"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(500))
    difficulty: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int] = mapped_column(default=10)
    roles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"), index=True)
    pass_percent: Mapped[int] = mapped_column(default=60)
    background_html: Mapped[str] = mapped_column(Text, default="")
    partner_html: Mapped[str] = mapped_column(Text, default="")
    task_html: Mapped[str] = mapped_column(Text, default="")
    observe_html: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rubric: Mapped[Rubric] = relationship(lazy="joined")


STATUSES = tuple(SubmissionStatus)


class SelfScore(db.Model):
    """A trainee's private self-assessment against a card's rubric (visible to them alone)."""

    __tablename__ = "roleplay_self_scores"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("roleplay_cards.id"), index=True)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    levels: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    max_points: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Submission(db.Model):
    """One attempt at a card: a written response, optional audio, and its grade."""

    __tablename__ = "roleplay_submissions"
    __table_args__ = (Index("ix_roleplay_submissions_status_submitted", "status", "submitted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("roleplay_cards.id"), index=True)
    rubric_version_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.DRAFT.value)
    response_text: Mapped[str] = mapped_column(Text, default="")
    audio_name: Mapped[str | None] = mapped_column(String(64))
    audio_mime: Mapped[str | None] = mapped_column(String(40))
    audio_size: Mapped[int | None]
    live: Mapped[bool] = mapped_column(default=False)
    partner_name: Mapped[str | None] = mapped_column(String(80))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    double_mark: Mapped[bool] = mapped_column(default=False, server_default=false())
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    total: Mapped[int | None]
    max_points: Mapped[int | None]
    pass_percent: Mapped[int | None]
    passed: Mapped[bool | None]
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    graded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    grader: Mapped[User | None] = relationship(foreign_keys=[grader_id])
    card: Mapped[RoleplayCard] = relationship()
    rubric_version: Mapped[RubricVersion | None] = relationship()
    scores: Mapped[list[CriterionScore]] = relationship(cascade="all, delete-orphan", order_by="CriterionScore.id")

    @property
    def waiting(self) -> bool:
        """Whether the submission waits for a grader."""
        return self.status in WAITING

    @property
    def editable(self) -> bool:
        """Whether the trainee may still change the response."""
        return self.status in EDITABLE

    def chosen(self) -> tuple[dict[str, int], dict[str, str]]:
        """The stored level index and comment per criterion key."""
        levels = {s.criterion_key: s.level_index for s in self.scores if s.level_index is not None}
        return levels, {s.criterion_key: s.comment for s in self.scores}


class CriterionScore(db.Model):
    """The level chosen and the comment written for one rubric criterion of a submission."""

    __tablename__ = "roleplay_criterion_scores"
    __table_args__ = (UniqueConstraint("submission_id", "criterion_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("roleplay_submissions.id", ondelete="CASCADE"), index=True)
    criterion_key: Mapped[str] = mapped_column(String(80))
    level_index: Mapped[int | None]
    points: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")


class SubmissionEvent(db.Model):
    """One change to a submission (who, when, what), kept forever as its history."""

    __tablename__ = "roleplay_submission_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("roleplay_submissions.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class Mark(db.Model):  # type: ignore[name-defined]  # as every model (mypy-baseline.txt)
    """One instructor's own blind grade of a double-marked submission (first, second or moderator), kept forever."""

    __tablename__ = "roleplay_marks"
    __table_args__ = (UniqueConstraint("submission_id", "grader_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("roleplay_submissions.id", ondelete="CASCADE"), index=True)
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[str | None] = mapped_column(String(12))  # MarkRole once saved; None while a draft
    levels: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    overall: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[int] = mapped_column(default=0)
    max_points: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    saved_at: Mapped[datetime | None]

    grader: Mapped[User | None] = relationship()


class Anchor(db.Model):  # type: ignore[name-defined]  # as every model (mypy-baseline.txt)
    """A calibration anchor: a submission an admin chose, with the reference grade instructors compare against."""

    __tablename__ = "roleplay_anchors"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("roleplay_submissions.id", ondelete="CASCADE"), unique=True, index=True
    )
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    levels: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)

    submission: Mapped[Submission] = relationship()
    rubric_version: Mapped[RubricVersion] = relationship()


class CalibrationMark(db.Model):  # type: ignore[name-defined]  # as every model (mypy-baseline.txt)
    """An instructor's grade of a calibration anchor (every attempt kept)."""

    __tablename__ = "roleplay_calibration_marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    anchor_id: Mapped[int] = mapped_column(ForeignKey("roleplay_anchors.id", ondelete="CASCADE"), index=True)
    grader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    levels: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
