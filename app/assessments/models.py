"""Assessment models: quizzes, their content versions, attempts and saved answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.assessments.enums import AttemptStatus
from app.core.time import utcnow
from app.core.versioned import VersionSnapshot
from app.extensions import db


class Quiz(db.Model):
    """A quiz loaded from ``quizzes/<slug>.yaml``; its questions live in versions."""

    __tablename__ = "quizzes"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    module_slug: Mapped[str | None] = mapped_column(String(80))
    instructions_html: Mapped[str] = mapped_column(Text, default="")
    max_attempts: Mapped[int | None]
    cooldown_minutes: Mapped[int] = mapped_column(default=0)
    pass_percent: Mapped[int | None]
    shuffle: Mapped[bool] = mapped_column(default=False)
    # immediate | after-pass | never: what a trainee sees of their own attempts (app.assessments.review)
    review: Mapped[str] = mapped_column(String(20), default="immediate")
    time_limit_minutes: Mapped[int | None]  # a deadline per attempt, set by the server at start
    question_count: Mapped[int] = mapped_column(default=0)  # per attempt: the paper, not the whole pool
    archived: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_versions.id", use_alter=True, name="fk_quizzes_current_version")
    )

    current_version: Mapped[QuizVersion | None] = relationship(foreign_keys=[current_version_id])


class QuizVersion(VersionSnapshot, db.Model):
    """An immutable snapshot of a quiz's questions, options, scores and bands."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "digest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)


ATTEMPT_STATUSES = tuple(AttemptStatus)


class Attempt(db.Model):
    """One person's attempt at a quiz, scored against the quiz version it stores."""

    __tablename__ = "attempts"
    __table_args__ = (
        # At most one open attempt per person and quiz (two tabs pressing "start" resume the same one).
        Index(
            "uq_attempts_open",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
        Index("ix_attempts_quiz_submitted", "quiz_id", "submitted_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    quiz_version_id: Mapped[int] = mapped_column(ForeignKey("quiz_versions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.IN_PROGRESS.value)
    order: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]  # timed quizzes: started_at + time limit
    submitted_at: Mapped[datetime | None]
    auto_submitted: Mapped[bool] = mapped_column(default=False)  # at the deadline
    score: Mapped[int | None]
    max_score: Mapped[int | None]
    percent: Mapped[int | None]
    band_key: Mapped[str | None] = mapped_column(String(80))
    passed: Mapped[bool | None]
    scale_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    quiz: Mapped[Quiz] = relationship(lazy="joined")
    version: Mapped[QuizVersion] = relationship()
    user: Mapped[User] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", passive_deletes=True
    )
    regrades: Mapped[list[AttemptRegrade]] = relationship(
        back_populates="attempt",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AttemptRegrade.id",
    )

    @property
    def submitted(self) -> bool:
        """Whether the attempt has been scored."""
        return self.status == AttemptStatus.SUBMITTED


class AttemptAnswer(db.Model):
    """The answer saved for one question of an attempt (a key, or a list of keys)."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")


class AttemptRegrade(db.Model):  # type: ignore[name-defined]  # db.Model is built at runtime (mypy-baseline.txt)
    """One explicit regrade of a submitted attempt: the result before and after, who, when and why.

    A stored result changes only through a row here (DESIGN: "an explicit, recorded regrade").
    """

    __tablename__ = "attempt_regrades"
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("quiz_versions.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("quiz_versions.id"))
    old_score: Mapped[int | None]
    old_max_score: Mapped[int | None]
    old_percent: Mapped[int | None]
    old_passed: Mapped[bool | None]
    old_band_key: Mapped[str | None] = mapped_column(String(80))
    new_score: Mapped[int | None]
    new_max_score: Mapped[int | None]
    new_percent: Mapped[int | None]
    new_passed: Mapped[bool | None]
    new_band_key: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="regrades")
    by: Mapped[User | None] = relationship()

    @property
    def changed(self) -> bool:
        """Whether the regrade changed the score, the verdict or the band."""
        return (self.old_score, self.old_max_score, self.old_passed, self.old_band_key) != (
            self.new_score,
            self.new_max_score,
            self.new_passed,
            self.new_band_key,
        )
