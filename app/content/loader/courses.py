"""Course folders: ``course.md`` and its ``NN-<module-slug>.md`` modules (cards: :mod:`.cards`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.content.loader.cards import CardData, load_card
from app.content.loader.common import SLUG_RE, Problem, Reader, read_front

MODULE_FILE_RE = re.compile(r"^(\d{2})-(.+)\.md$")


@dataclass
class ModuleData:
    """A module file."""

    slug: str
    position: int
    title: str
    minutes: int
    objectives: list[str]
    body: str
    path: str
    body_line: int = 1


@dataclass
class CourseData:
    """A course folder."""

    slug: str
    title: str
    summary: str
    order: int
    audience: str | None
    completion: dict[str, Any]
    intro: str
    path: str
    renew_every: int | None = None
    modules: list[ModuleData] = field(default_factory=list)
    cards: list[CardData] = field(default_factory=list)
    intro_line: int = 1


def load_course(folder: Path, root: Path, problems: list[Problem]) -> CourseData | None:
    """Read one course folder: course.md, its modules and its role-play cards."""
    rel = str(folder.relative_to(root))
    if not SLUG_RE.match(folder.name):
        problems.append(Problem(rel, f"course folder name '{folder.name}' is not a slug"))
        return None
    course_file = folder / "course.md"
    if not course_file.is_file():
        problems.append(Problem(rel, "course.md is missing"))
        return None
    course = _course_file(course_file, root, problems, folder.name)
    if course is None:
        return None
    course.modules = _modules(folder, root, problems)
    if not course.modules:
        problems.append(Problem(rel, "the course has no modules (NN-<slug>.md files)"))
    elif not 4 <= len(course.modules) <= 10:
        problems.append(Problem(rel, f"has {len(course.modules)} modules; 4–10 are recommended", warning=True))
    cards_dir = folder / "roleplays"
    if cards_dir.is_dir():
        for path in sorted(cards_dir.iterdir()):
            card = load_card(path, root, problems, folder.name)
            if card:
                course.cards.append(card)
    return course


def _course_file(path: Path, root: Path, problems: list[Problem], slug: str) -> CourseData | None:
    """Read course.md (front matter and introduction)."""
    reader, data, body, intro_line = read_front(path, root, problems)
    if data is None:
        return None
    reader.unknown_keys(data, (), {"title", "summary", "order", "audience", "completion", "renew_every"})
    title = reader.text(data, (), "title")
    summary = reader.text(data, (), "summary", max_len=500)
    order = reader.integer(data, (), "order", 0, 10_000)
    audience = reader.text(data, (), "audience", optional=True)
    renew_every = _renew_every(reader, data)
    completion = _completion(reader, reader.require(data, (), "completion", dict))
    if not body.strip():
        problems.append(Problem(reader.rel, "the course introduction (body) is empty"))
    return CourseData(
        slug=slug,
        title=title or "",
        summary=summary or "",
        order=order or 0,
        audience=audience,
        completion=completion or {},
        intro=body,
        path=reader.rel,
        intro_line=intro_line,
        renew_every=renew_every,
    )


def _renew_every(reader: Reader, data: dict) -> int | None:
    """``renew_every:`` months after which a certificate expires and the course is due again (1–120)."""
    value = data.get("renew_every")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 120:
        reader.error(("renew_every",), f"must be a whole number of months between 1 and 120, not {value!r}")
        return None
    return value


def _completion(reader: Reader, completion: dict | None) -> dict[str, Any] | None:
    """The ``completion:`` rule: ``modules`` ("all" or slugs), ``quizzes`` and ``roleplays`` (slugs)."""
    if completion is None:
        return None
    reader.unknown_keys(completion, ("completion",), {"modules", "quizzes", "roleplays"})
    modules = completion.get("modules", "all")
    if modules != "all" and not (isinstance(modules, list) and all(isinstance(m, str) for m in modules)):
        reader.error(("completion", "modules"), "must be 'all' or a list of module slugs")
    for key in ("quizzes", "roleplays"):
        value = completion.get(key, [])
        if value is None:
            completion[key] = []
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            reader.error(("completion", key), "must be a list of slugs")
    return {
        "modules": modules,
        "quizzes": completion.get("quizzes") or [],
        "roleplays": completion.get("roleplays") or [],
    }


def _modules(folder: Path, root: Path, problems: list[Problem]) -> list[ModuleData]:
    """Every ``NN-<module-slug>.md`` file of a course folder, in file-name order."""
    modules: list[ModuleData] = []
    seen: dict[int, str] = {}
    for path in sorted(folder.iterdir()):
        if path.name == "course.md" or path.name == "roleplays" and path.is_dir():
            continue
        prel = str(path.relative_to(root))
        match = MODULE_FILE_RE.match(path.name)
        if not match or not path.is_file():
            problems.append(Problem(prel, "unexpected file: modules are named NN-<module-slug>.md"))
            continue
        position, slug = int(match.group(1)), match.group(2)
        if not SLUG_RE.match(slug):
            problems.append(Problem(prel, f"module slug '{slug}' is not a slug"))
            continue
        if position in seen:
            problems.append(Problem(prel, f"module number {match.group(1)} is also used by {seen[position]}"))
        seen[position] = path.name
        module = load_module(path, root, problems, slug, position)
        if module:
            if any(m.slug == slug for m in modules):
                problems.append(Problem(prel, f"module slug '{slug}' is used twice in this course"))
            modules.append(module)
    return modules


def load_module(path: Path, root: Path, problems: list[Problem], slug: str, position: int) -> ModuleData | None:
    """Read one module file."""
    reader, data, body, body_line = read_front(path, root, problems)
    if data is None:
        return None
    reader.unknown_keys(data, (), {"title", "minutes", "objectives"})
    title = reader.text(data, (), "title")
    minutes = reader.integer(data, (), "minutes", 1, 60)
    if minutes is not None and not 5 <= minutes <= 15:
        reader.error(("minutes",), "5–15 minutes is recommended", warning=True)
    objectives = reader.require(data, (), "objectives", list)
    if objectives is not None:
        if not objectives:
            reader.error(("objectives",), "needs at least one objective")
        for i, obj in enumerate(objectives):
            if not isinstance(obj, str) or not obj.strip():
                reader.error(("objectives", i), "must be non-empty text")
    if not body.strip():
        problems.append(Problem(reader.rel, "the module body is empty"))
    if title is None or minutes is None or objectives is None:
        return None
    objectives = [str(o).strip() for o in objectives]
    return ModuleData(slug, position, title, minutes, objectives, body, reader.rel, body_line)
