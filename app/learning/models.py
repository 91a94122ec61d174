"""Learning models: courses and modules (from content), assignments, the enrolments they derive, progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Department
from app.core.time import utcnow
from app.extensions import db


class Course(db.Model):
    """A course loaded from ``courses/<slug>/course.md``."""

    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    audience: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    intro_html: Mapped[str] = mapped_column(Text, default="")
    completion: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    renew_every_months: Mapped[int | None]  # certificates expire this many months after issue (``renew_every:``)
    archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(back_populates="course", order_by="Module.position")

    @property
    def active_modules(self) -> list[Module]:
        """Modules that are not archived, in order."""
        return [m for m in self.modules if not m.archived]


class Module(db.Model):
    """One reading module of a course, with its HTML rendered at load time."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(default=10)
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    body_html: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(back_populates="modules")


class Assignment(db.Model):
    """A course assigned to a cohort, a department or one user, with an optional due date."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN cohort_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN department_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        Index("ux_assignments_rule_user", "rule_id", "user_id", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The assignment rule that made this (one person's) assignment; None: made by hand.
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_rules.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship(lazy="joined")


class AssignmentRule(db.Model):  # type: ignore[name-defined]  # db.Model is built at runtime (mypy-baseline.txt)
    """HR's standing order: every active person of a department and/or position gets a course, due N days after joining.

    ``app.learning.rules`` applies it: to the people who match when it starts or resumes, and to each
    person who joins, moves or changes position, in the transaction of the change. Its assignments are
    ordinary one-person assignments that name the rule (``Assignment.rule_id``).
    """

    __tablename__ = "assignment_rules"
    __table_args__ = (
        CheckConstraint("department_id IS NOT NULL OR position IS NOT NULL", name="scope"),
        CheckConstraint("due_days >= 0 AND due_days <= 3650", name="due_days"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    position: Mapped[str | None] = mapped_column(String(80))  # matched exactly, after trimming both sides
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    due_days: Mapped[int] = mapped_column(default=30)  # due this many days after joining (or the rule's start)
    active: Mapped[bool] = mapped_column(default=True)
    started_on: Mapped[date]  # created or last resumed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")


class Enrolment(db.Model):
    """Who must complete which live course, with the earliest due date: derived from assignments.

    Rows are never written by hand: ``app.learning.enrolments`` rebuilds a person's rows from the
    assignments (to them, their cohorts and their department) whenever the unit of work changes
    an assignment, a cohort membership, a person's department or a course's archived flag.
    """

    __tablename__ = "enrolments"
    __table_args__ = (Index("ix_enrolments_course_user", "course_id", "user_id"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    due_date: Mapped[date | None]


class ModuleProgress(db.Model):
    """A module a user has marked as read."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class GlossaryTerm(db.Model):
    """A term of ``courses/glossary.yaml``, shown at ``/glossary#<slug>``; the definition is rendered at load time."""

    __tablename__ = "glossary_terms"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    term: Mapped[str] = mapped_column(String(80))
    definition_html: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
