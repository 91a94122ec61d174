"""Role-play scenario cards: ``courses/<course>/roleplays/<card-slug>.md``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.content.loader.common import CHANNELS, SLUG_RE, Problem, Reader, either, read_front
from app.roleplay.enums import Difficulty

CARD_SECTIONS = ("背景", "客户角色说明（仅扮演客户的一方阅读）", "你的任务", "观察要点")
CARD_FIELDS = ("background", "partner", "task", "observe")


@dataclass
class CardData:
    """A role-play scenario card."""

    slug: str
    course_slug: str
    title: str
    difficulty: str
    minutes: int
    roles: dict[str, str]
    rubric: str
    pass_percent: int
    summary: str | None
    sections: dict[str, str]
    path: str
    channel: str | None = None
    body: str = ""
    body_line: int = 1


def load_card(path: Path, root: Path, problems: list[Problem], course_slug: str) -> CardData | None:
    """Read one role-play card."""
    rel = str(path.relative_to(root))
    if path.suffix != ".md" or not path.is_file():
        problems.append(Problem(rel, "unexpected file: role-play cards are named <card-slug>.md"))
        return None
    if not SLUG_RE.match(path.stem):
        problems.append(Problem(rel, f"card file name '{path.stem}' is not a slug"))
        return None
    reader, data, body, body_line = read_front(path, root, problems)
    if data is None:
        return None
    allowed = {"title", "difficulty", "minutes", "roles", "rubric", "pass_percent", "summary", "channel"}
    reader.unknown_keys(data, (), allowed)
    title = reader.text(data, (), "title")
    difficulty = reader.require(data, (), "difficulty", str)
    if difficulty is not None and difficulty not in tuple(Difficulty):
        reader.error(("difficulty",), f"must be {either(Difficulty)}")
    minutes = reader.integer(data, (), "minutes", 1, 120)
    roles = reader.require(data, (), "roles", dict)
    if roles is not None:
        reader.unknown_keys(roles, ("roles",), {"trainee", "partner"})
        for key in ("trainee", "partner"):
            reader.text(roles, ("roles",), key, max_len=80)
    rubric = reader.require(data, (), "rubric", str)
    if rubric is not None:
        reader.slug(rubric, ("rubric",))
    pass_percent = reader.integer(data, (), "pass_percent", 1, 100)
    summary = reader.text(data, (), "summary", optional=True, max_len=500)
    channel = reader.require(data, (), "channel", str, optional=True)
    if channel is not None and channel not in CHANNELS:
        reader.error(("channel",), f"must be one of {', '.join(CHANNELS)}")
    sections = _card_sections(reader, body, body_line)
    if (
        title is None
        or difficulty is None
        or minutes is None
        or roles is None
        or rubric is None
        or pass_percent is None
        or sections is None
    ):
        return None
    return CardData(
        path.stem,
        course_slug,
        title,
        difficulty,
        minutes,
        {k: str(v) for k, v in roles.items()},
        rubric,
        pass_percent,
        summary,
        sections,
        rel,
        channel,
        body,
        body_line,
    )


def _card_sections(reader: Reader, body: str, first_line: int) -> dict[str, str] | None:
    found: list[tuple[str, int, list[str]]] = []
    preamble: list[str] = []
    for number, line in enumerate(body.splitlines(), start=first_line):
        if line.startswith("## "):
            found.append((line[3:].strip(), number, []))
        elif found:
            found[-1][2].append(line)
        else:
            preamble.append(line)
    ok = True
    if any(line.strip() for line in preamble):
        reader.problems.append(Problem(reader.rel, "text before the first '## 背景' heading", first_line))
        ok = False
    headings = [name for name, _, _ in found]
    if headings != list(CARD_SECTIONS):
        at = found[0][1] if found else first_line
        for name, number, _ in found:
            if name not in CARD_SECTIONS:
                at = number
                break
        reader.problems.append(
            Problem(
                reader.rel,
                "sections must be exactly: "
                + ", ".join(f"'## {s}'" for s in CARD_SECTIONS)
                + f" (found: {', '.join(headings) or 'none'})",
                at,
            )
        )
        return None
    sections = {}
    for key, (name, number, lines) in zip(CARD_FIELDS, found, strict=True):
        text = "\n".join(lines).strip()
        if not text:
            reader.problems.append(Problem(reader.rel, f"section '## {name}' is empty", number))
            ok = False
        sections[key] = text
    return sections if ok else None
