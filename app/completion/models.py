"""Completion models: one record per (trainee, course), waivers, certificates, sent reminders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.completion.enums import CompletionStatus, ItemKind
from app.core.time import utcnow
from app.extensions import db

ITEM_KINDS = tuple(ItemKind)


class CourseCompletion(db.Model):
    """The recomputed completion state of one course for one person.

    ``items`` is the checklist as stored at the last recompute: a list of
    ``{"kind", "slug", "state", "score", "max"}`` where state is done | waived | pending | failed | todo.
    A missing row means nothing has happened yet: the course is not started.
    """

    __tablename__ = "course_completions"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_course_completions_course_status", "course_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=CompletionStatus.NOT_STARTED.value)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Waiver(db.Model):
    """HR excused one checklist item of a course for one person, with a reason."""

    __tablename__ = "waivers"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "kind", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(500))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped[User | None] = relationship(foreign_keys=[by_id], lazy="joined")


class Certificate(db.Model):
    """A completion certificate; name and title are kept as issued."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(80))
    course_title: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderLog(db.Model):
    """A reminder already sent, so ``flask reminders send`` never repeats one."""

    __tablename__ = "reminder_logs"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "kind", "due_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
