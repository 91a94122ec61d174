"""Write loaded content to the database in one transaction; archive what disappeared.

Quizzes and rubrics share one pattern, :class:`Versioned`: a row per slug (title, archived flag,
``current_version_id``) and immutable version rows keyed by the SHA-256 ``digest`` of their
``definition``, so an edit makes a new version and old attempts and grades keep theirs. One loop,
:func:`_sync_versioned`, stores both.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from app.assessments.models import Quiz, QuizVersion
from app.assessments.pools import paper_size
from app.content.loader import Content, QuizData
from app.content.render import render_markdown
from app.core.signals import content_loaded
from app.extensions import db
from app.learning.models import Course, GlossaryTerm, Module
from app.roleplay.models import RoleplayCard, Rubric, RubricVersion

log = logging.getLogger(__name__)


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
    log.info(
        "content loaded",
        extra={"created_items": report.created, "updated_items": report.updated, "archived_items": report.archived},
    )
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
                "renew_every_months": data.renew_every,
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
        _archive(modules, module_seen, f"module {data.slug}/", report)
    _archive(existing, seen, "course ", report)
    db.session.flush()
    return existing


class VersionedRow(Protocol):
    """The row of a versioned kind of content (Quiz, Rubric): one per slug, pointing at its current version."""

    id: int
    slug: str
    archived: bool
    current_version_id: int | None


@dataclass(frozen=True)
class Versioned:
    """A kind of versioned content: its row model, its version model and the version's owner column."""

    noun: str  # in the report: "quiz slug", "rubric slug (new version)"
    model: type
    version_model: type
    owner: InstrumentedAttribute  # the version's foreign key to the row, e.g. QuizVersion.quiz_id


QUIZZES = Versioned("quiz", Quiz, QuizVersion, QuizVersion.quiz_id)
RUBRICS = Versioned("rubric", Rubric, RubricVersion, RubricVersion.rubric_id)


@dataclass
class Entry:
    """One loaded item of a versioned kind: the row's values and the definition its version stores."""

    slug: str
    values: dict[str, Any]
    definition: dict[str, Any]
    version_values: dict[str, Any] = field(default_factory=dict)  # extra columns of a new version


def _sync_versioned(kind: Versioned, entries: Iterable[Entry], report: SyncReport) -> dict[str, Any]:
    """Upsert each entry's row, point it at the version of its definition (made when new), archive the rest."""
    rows: Iterable[Any] = db.session.scalars(select(kind.model))
    existing: dict[str, Any] = {r.slug: r for r in rows}
    seen = set()
    for entry in entries:
        seen.add(entry.slug)
        values = {"slug": entry.slug, **entry.values, "archived": False}
        row: VersionedRow = _upsert(kind.model, existing, entry.slug, values, f"{kind.noun} {entry.slug}", report)
        existing[entry.slug] = row
        db.session.flush()
        version = _version(kind.version_model, kind.owner, row.id, entry.definition, entry.version_values)
        if row.current_version_id != version.id:
            if row.current_version_id is not None:
                report.updated.append(f"{kind.noun} {entry.slug} (new version)")
            row.current_version_id = version.id
    _archive(existing, seen, f"{kind.noun} ", report)
    db.session.flush()
    return existing


def _archive(existing: dict[str, Any], seen: set[str], prefix: str, report: SyncReport) -> None:
    """Archive the rows whose slug the content no longer has (learner records keep pointing at them)."""
    for slug, row in existing.items():
        if slug not in seen and not row.archived:
            row.archived = True
            report.archived.append(prefix + slug)


def _sync_rubrics(content: Content, report: SyncReport) -> dict[str, Rubric]:
    entries = (
        Entry(
            data.slug,
            {"title": data.title},
            data.definition,
            {"max_points": sum(max(level["points"] for level in c["levels"]) for c in data.definition["criteria"])},
        )
        for data in content.rubrics
    )
    return _sync_versioned(RUBRICS, entries, report)


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
    _archive(existing, seen, "card ", report)


def _sync_quizzes(content: Content, courses: dict[str, Course], report: SyncReport) -> None:
    entries = (
        Entry(data.slug, _quiz_values(data, courses), {**data.definition, "instructions": data.instructions})
        for data in content.quizzes
    )
    _sync_versioned(QUIZZES, entries, report)


def _quiz_values(data: QuizData, courses: dict[str, Course]) -> dict[str, Any]:
    """A quiz row's columns (its questions live in the version)."""
    return {
        "title": data.title,
        "kind": data.kind,
        "course_id": courses[data.course].id if data.course else None,
        "module_slug": data.module,
        "instructions_html": render_markdown(data.instructions),
        "max_attempts": data.max_attempts,
        "cooldown_minutes": data.cooldown_minutes,
        "pass_percent": data.pass_percent,
        "shuffle": data.shuffle,
        "review": data.review,
        "time_limit_minutes": data.time_limit,
        "question_count": paper_size(data.definition.get("draw"), data.definition["questions"]),  # per attempt
    }


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
