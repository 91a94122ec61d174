"""Assessment models: quizzes and their content versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.time import utcnow
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
    question_count: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_versions.id", use_alter=True, name="fk_quizzes_current_version")
    )

    current_version: Mapped[QuizVersion | None] = relationship(foreign_keys=[current_version_id])


class QuizVersion(db.Model):
    """An immutable snapshot of a quiz's questions, options, scores and bands."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "digest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
