"""Write loaded content to the database in one transaction; archive what disappeared."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.assessments.models import Quiz, QuizVersion
from app.content.loader import Content
from app.content.render import render_markdown
from app.core.signals import content_loaded
from app.extensions import db
from app.learning.models import Course, GlossaryTerm, Module
from app.roleplay.models import RoleplayCard, Rubric, RubricVersion


@dataclass
class SyncReport:
    """Counts of what a load changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the load changed anything."""
        return bool(self.created or self.updated or self.archived)

    def summary(self) -> str:
        """One line for the CLI."""
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.archived)} archived"


def digest(definition: dict[str, Any]) -> str:
    """A stable hash of a definition (the content version)."""
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _set(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _upsert(
    model: type, existing: dict[str, Any], key: str, values: dict[str, Any], label: str, report: SyncReport
) -> Any:
    obj = existing.get(key)
    if obj is None:
        obj = model(**values)
        db.session.add(obj)
        report.created.append(label)
    elif _set(obj, values):
        report.updated.append(label)
    return obj


def sync(content: Content) -> SyncReport:
    """Upsert courses, modules, quizzes (versioned), rubrics (versioned) and cards; commit once."""
    report = SyncReport()
    try:
        rubrics = _sync_rubrics(content, report)
        courses = _sync_courses(content, report)
        _sync_cards(content, courses, rubrics, report)
        _sync_quizzes(content, courses, report)
        _sync_glossary(content, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    content_loaded.send(report)
    return report


def _sync_courses(content: Content, report: SyncReport) -> dict[str, Course]:
    existing = {c.slug: c for c in db.session.scalars(select(Course))}
    seen = set()
    for data in content.courses:
        seen.add(data.slug)
        course = _upsert(
            Course,
            existing,
            data.slug,
            {
                "slug": data.slug,
                "title": data.title,
                "summary": data.summary,
                "audience": data.audience,
                "position": data.order,
                "intro_html": render_markdown(data.intro),
                "completion": data.completion,
                "archived": False,
            },
            f"course {data.slug}",
            report,
        )
        existing[data.slug] = course
        db.session.flush()
        modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
        module_seen = set()
        for m in data.modules:
            module_seen.add(m.slug)
            _upsert(
                Module,
                modules,
                m.slug,
                {
                    "course_id": course.id,
                    "slug": m.slug,
                    "position": m.position,
                    "title": m.title,
                    "minutes": m.minutes,
                    "objectives": m.objectives,
                    "body_html": render_markdown(m.body),
                    "archived": False,
                },
                f"module {data.slug}/{m.slug}",
                report,
            )
        for slug, module in modules.items():
            if slug not in module_seen and not module.archived:
                module.archived = True
                report.archived.append(f"module {data.slug}/{slug}")
    for slug, course in existing.items():
        if slug not in seen and not course.archived:
            course.archived = True
            report.archived.append(f"course {slug}")
    db.session.flush()
    return existing


def _sync_rubrics(content: Content, report: SyncReport) -> dict[str, Rubric]:
    existing = {r.slug: r for r in db.session.scalars(select(Rubric))}
    seen = set()
    for data in content.rubrics:
        seen.add(data.slug)
        rubric = _upsert(
            Rubric,
            existing,
            data.slug,
            {"slug": data.slug, "title": data.title, "archived": False},
            f"rubric {data.slug}",
            report,
        )
        existing[data.slug] = rubric
        db.session.flush()
        max_points = sum(max(level["points"] for level in c["levels"]) for c in data.definition["criteria"])
        version = _version(
            RubricVersion, RubricVersion.rubric_id, rubric.id, data.definition, {"max_points": max_points}
        )
        if rubric.current_version_id != version.id:
            if rubric.current_version_id is not None:
                report.updated.append(f"rubric {data.slug} (new version)")
            rubric.current_version_id = version.id
    for slug, rubric in existing.items():
        if slug not in seen and not rubric.archived:
            rubric.archived = True
            report.archived.append(f"rubric {slug}")
    db.session.flush()
    return existing


def _version(model: type, owner_column: Any, owner_id: int, definition: dict, extra: dict | None = None) -> Any:
    key = digest(definition)
    version = db.session.scalar(select(model).where(owner_column == owner_id, model.digest == key))
    if version is None:
        version = model(digest=key, definition=definition, **{owner_column.key: owner_id}, **(extra or {}))
        db.session.add(version)
        db.session.flush()
    return version


def _sync_cards(content: Content, courses: dict[str, Course], rubrics: dict[str, Rubric], report: SyncReport) -> None:
    existing = {c.slug: c for c in db.session.scalars(select(RoleplayCard))}
    seen = set()
    for course in content.courses:
        for data in course.cards:
            seen.add(data.slug)
            _upsert(
                RoleplayCard,
                existing,
                data.slug,
                {
                    "slug": data.slug,
                    "course_id": courses[course.slug].id,
                    "title": data.title,
                    "summary": data.summary,
                    "difficulty": data.difficulty,
                    "minutes": data.minutes,
                    "roles": data.roles,
                    "rubric_id": rubrics[data.rubric].id,
                    "pass_percent": data.pass_percent,
                    "background_html": render_markdown(data.sections["background"]),
                    "partner_html": render_markdown(data.sections["partner"]),
                    "task_html": render_markdown(data.sections["task"]),
                    "observe_html": render_markdown(data.sections["observe"]),
                    "archived": False,
                },
                f"card {data.slug}",
                report,
            )
    for slug, card in existing.items():
        if slug not in seen and not card.archived:
            card.archived = True
            report.archived.append(f"card {slug}")


def _sync_quizzes(content: Content, courses: dict[str, Course], report: SyncReport) -> None:
    existing = {q.slug: q for q in db.session.scalars(select(Quiz))}
    seen = set()
    for data in content.quizzes:
        seen.add(data.slug)
        definition = {**data.definition, "instructions": data.instructions}
        quiz = _upsert(
            Quiz,
            existing,
            data.slug,
            {
                "slug": data.slug,
                "title": data.title,
                "kind": data.kind,
                "course_id": courses[data.course].id if data.course else None,
                "module_slug": data.module,
                "instructions_html": render_markdown(data.instructions),
                "max_attempts": data.max_attempts,
                "cooldown_minutes": data.cooldown_minutes,
                "pass_percent": data.pass_percent,
                "shuffle": data.shuffle,
                "question_count": len(data.definition["questions"]),
                "archived": False,
            },
            f"quiz {data.slug}",
            report,
        )
        db.session.flush()
        version = _version(QuizVersion, QuizVersion.quiz_id, quiz.id, definition)
        if quiz.current_version_id != version.id:
            if quiz.current_version_id is not None:
                report.updated.append(f"quiz {data.slug} (new version)")
            quiz.current_version_id = version.id
    for slug, quiz in existing.items():
        if slug not in seen and not quiz.archived:
            quiz.archived = True
            report.archived.append(f"quiz {slug}")


def _sync_glossary(content: Content, report: SyncReport) -> None:
    """Upsert the glossary terms; a term that left the file is deleted (no learner record points at it)."""
    existing = {t.slug: t for t in db.session.scalars(select(GlossaryTerm))}
    seen = set()
    for data in content.glossary:
        seen.add(data.slug)
        values = {
            "slug": data.slug,
            "term": data.term,
            "definition_html": render_markdown(data.definition),
            "position": data.position,
        }
        _upsert(GlossaryTerm, existing, data.slug, values, f"glossary {data.slug}", report)
    for slug, term in existing.items():
        if slug not in seen:
            db.session.delete(term)
            report.archived.append(f"glossary {slug}")
