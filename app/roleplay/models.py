"""Role-play models: rubrics with versions, scenario cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.time import utcnow
from app.extensions import db

DIFFICULTIES = ("basic", "intermediate", "advanced")


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


class RubricVersion(db.Model):
    """An immutable snapshot of a rubric's criteria and levels."""

    __tablename__ = "rubric_versions"
    __table_args__ = (UniqueConstraint("rubric_id", "digest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    max_points: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
