"""Completion models: one record per (trainee, course), waivers, certificates, sent reminders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.completion.enums import CertificateStatus, CompletionStatus, ItemKind
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
    # Start of the current completion cycle (set when a certificate expires): evidence and waivers
    # from before it no longer count. None: everything counts.
    cycle_started_at: Mapped[datetime | None]
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


class CourseWaiver(db.Model):
    """HR excused a whole course for one person (免修), with a reason and an optional evidence file."""

    __tablename__ = "course_waivers"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    evidence_name: Mapped[str | None] = mapped_column(String(64))  # server-made file name under UPLOAD_DIR/waivers
    evidence_mime: Mapped[str | None] = mapped_column(String(40))
    evidence_filename: Mapped[str | None] = mapped_column(String(200))  # the uploader's name, for the download
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped[User | None] = relationship(foreign_keys=[by_id], lazy="joined")


class Certificate(db.Model):
    """A completion certificate; what it states (name, 工号, title, hours) is kept as issued.

    A person has at most one *valid* certificate per course; revoked and expired ones stay as history
    (a regained completion issues a new certificate with a new code).
    """

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_user_course", "user_id", "course_id"),
        Index(
            "uq_certificates_one_valid",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
        Index("ix_certificates_status_issued", "status", "issued_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(80))
    course_title: Mapped[str] = mapped_column(String(200))
    employee_no: Mapped[str | None] = mapped_column(String(32))
    minutes: Mapped[int] = mapped_column(default=0, server_default="0")  # the course's module minutes at issue
    waived: Mapped[bool] = mapped_column(default=False, server_default=text("false"))  # 免修: whole-course waiver
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[date | None]  # renewable courses: valid up to (not including) this day
    status: Mapped[str] = mapped_column(
        String(20), default=CertificateStatus.VALID.value, server_default=CertificateStatus.VALID.value
    )
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(500))  # private: never on /verify
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def state(self, today: date) -> str:
        """valid | revoked | expired on a day (a certificate past its expiry is expired before the job runs)."""
        if self.status == CertificateStatus.VALID and self.expires_at is not None and self.expires_at <= today:
            return CertificateStatus.EXPIRED
        return self.status


class CertificateReminderLog(db.Model):
    """An expiry reminder already sent: one per (person, course, window, expiry date)."""

    __tablename__ = "certificate_reminder_logs"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "window_days", "expires_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    window_days: Mapped[int]
    expires_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderLog(db.Model):
    """A reminder or digest already sent, so no run repeats one (``ReminderKind`` says which).

    ``step`` tells the reminders of one due date apart: due_soon — the window (days before the due
    date); overdue — the week of lateness (0: the first); manual — the hour it was sent (``by_id``
    sent it). Digests have no course: ``due_date`` is the Monday of their ISO week.
    """

    __tablename__ = "reminder_logs"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "kind", "due_date", "step", name="uq_reminder_logs_step"),
        Index(
            "uq_reminder_logs_digest",
            "user_id",
            "kind",
            "due_date",
            unique=True,
            sqlite_where=text("course_id IS NULL"),
            postgresql_where=text("course_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date]
    step: Mapped[int] = mapped_column(default=0, server_default="0")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
