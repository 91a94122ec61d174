"""Read ``courses/`` and ``quizzes/`` into plain dataclasses (no Flask, no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MODULE_FILE_RE = re.compile(r"^(\d{2})-(.+)\.md$")
CARD_SECTIONS = ("背景", "客户角色说明（仅扮演客户的一方阅读）", "你的任务", "观察要点")
CARD_FIELDS = ("background", "partner", "task", "observe")
CHANNELS = ("face-to-face", "phone", "written")  # where a role-play happens; what a rubric criterion needs


@dataclass(frozen=True)
class Problem:
    """One problem in one file, with a line and/or a field path."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        what = f"{self.field}: " if self.field else ""
        kind = "warning: " if self.warning else ""
        return f"{where}: {kind}{what}{self.message}"


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
    modules: list[ModuleData] = field(default_factory=list)
    cards: list[CardData] = field(default_factory=list)
    intro_line: int = 1


@dataclass
class QuizData:
    """A quiz file; ``definition`` is the normalised, versioned part."""

    slug: str
    title: str
    kind: str
    course: str | None
    module: str | None
    instructions: str
    max_attempts: int | None
    cooldown_minutes: int
    pass_percent: int | None
    shuffle: bool
    definition: dict[str, Any]
    path: str


@dataclass
class RubricData:
    """A rubric file."""

    slug: str
    title: str
    definition: dict[str, Any]
    path: str


@dataclass
class GlossaryTermData:
    """One term of ``courses/glossary.yaml``; ``slug`` is its anchor on the glossary page."""

    slug: str
    term: str
    definition: str
    position: int
    line: int | None
    path: str


@dataclass
class Content:
    """Everything read from a content folder."""

    courses: list[CourseData] = field(default_factory=list)
    quizzes: list[QuizData] = field(default_factory=list)
    rubrics: list[RubricData] = field(default_factory=list)
    glossary: list[GlossaryTermData] = field(default_factory=list)


class Reader:
    """Reads one file's YAML and reports problems with line numbers and field paths."""

    def __init__(self, path: Path, root: Path, problems: list[Problem], line_offset: int = 0) -> None:
        self.rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        self.problems = problems
        self.offset = line_offset
        self.lines: dict[tuple, int] = {}

    def parse(self, text: str) -> Any:
        """Parse YAML text, remembering the line of every field."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 + self.offset if mark else None
            self.problems.append(Problem(self.rel, f"invalid YAML: {getattr(error, 'problem', error)}", line))
            return None
        if node is not None:
            self._index(node, ())
        return data

    def _index(self, node: yaml.Node, path: tuple) -> None:
        self.lines[path] = node.start_mark.line + 1 + self.offset
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._index(value, (*path, key.value))
                self.lines[(*path, key.value)] = key.start_mark.line + 1 + self.offset
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                self._index(value, (*path, i))

    def line_of(self, path: tuple) -> int | None:
        """The line of a field, or of its nearest parent."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)

    def error(self, path: tuple, message: str, *, warning: bool = False) -> None:
        """Record a problem at a field path."""
        dotted = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[")
        self.problems.append(Problem(self.rel, message, self.line_of(path), dotted or None, warning))

    def require(self, data: dict, path: tuple, key: str, kind: type | tuple, *, optional: bool = False) -> Any:
        """Fetch a typed field, recording a problem when missing or of the wrong type."""
        if not isinstance(data, dict):
            return None
        if key not in data or data[key] is None:
            if not optional:
                self.error((*path, key), "required field is missing")
            return None
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            self.error((*path, key), f"must be {_kind_name(kinds)}")
            return None
        if not isinstance(value, kinds):
            self.error((*path, key), f"must be {_kind_name(kinds)}")
            return None
        if isinstance(value, str) and not value.strip() and not optional:
            self.error((*path, key), "must not be empty")
            return None
        return value

    def text(self, data: dict, path: tuple, key: str, *, optional: bool = False, max_len: int = 200) -> str | None:
        """Fetch a non-empty string field with a length limit."""
        value = self.require(data, path, key, (str, int, float), optional=optional)
        if value is None:
            return None
        value = str(value).strip()
        if len(value) > max_len:
            self.error((*path, key), f"is longer than {max_len} characters")
        return value

    def integer(self, data: dict, path: tuple, key: str, lo: int, hi: int, *, optional: bool = False) -> int | None:
        """Fetch an integer field within bounds."""
        value = self.require(data, path, key, int, optional=optional)
        if value is not None and not lo <= value <= hi:
            self.error((*path, key), f"must be between {lo} and {hi}")
            return None
        return value

    def slug(self, value: Any, path: tuple) -> bool:
        """Check a slug value."""
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.error(path, f"{value!r} is not a slug (lowercase letters, digits and hyphens)")
            return False
        return True

    def unknown_keys(self, data: dict, path: tuple, allowed: set[str]) -> None:
        """Report fields that the format does not know (usually typos)."""
        if isinstance(data, dict):
            for key in data:
                if key not in allowed:
                    self.error((*path, key), f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _kind_name(kinds: tuple) -> str:
    names = {
        str: "text",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a mapping",
        bool: "true or false",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split ``---`` front matter from the body; return (yaml, body, body's first line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None, text, 1


def _read_text(path: Path, root: Path, problems: list[Problem]) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(str(path.relative_to(root)), "file is not valid UTF-8"))
        return None
    return text.lstrip("\ufeff")


def _front(path: Path, root: Path, problems: list[Problem]) -> tuple[Reader, dict | None, str, int]:
    reader = Reader(path, root, problems, line_offset=1)
    text = _read_text(path, root, problems)
    if text is None:
        return reader, None, "", 1
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.append(Problem(reader.rel, "missing front matter (a block between two '---' lines)", 1))
        return reader, None, body, body_line
    data = reader.parse(front)
    if data is None and front.strip():
        return reader, None, body, body_line
    if data is not None and not isinstance(data, dict):
        problems.append(Problem(reader.rel, "front matter must be a mapping of fields", 2))
        return reader, None, body, body_line
    _check_boxes(reader, body, body_line)
    return reader, data or {}, body, body_line


def _check_boxes(reader: Reader, body: str, first_line: int) -> None:
    depth, opened = 0, 0
    for number, line in enumerate(body.splitlines(), start=first_line):
        stripped = line.strip()
        if stripped.startswith(":::"):
            name = stripped[3:].strip()
            if name:
                if name.split(" ", 1)[0] not in ("case", "tip", "warning"):
                    reader.problems.append(
                        Problem(reader.rel, f"unknown box '{name.split(' ', 1)[0]}' (case, tip, warning)", number)
                    )
                depth, opened = depth + 1, number
            elif depth:
                depth -= 1
    if depth:
        reader.problems.append(Problem(reader.rel, "box opened with ':::' is never closed", opened))


def load_course(folder: Path, root: Path, problems: list[Problem]) -> CourseData | None:
    """Read one course folder."""
    rel = str(folder.relative_to(root))
    if not SLUG_RE.match(folder.name):
        problems.append(Problem(rel, f"course folder name '{folder.name}' is not a slug"))
        return None
    course_file = folder / "course.md"
    if not course_file.is_file():
        problems.append(Problem(rel, "course.md is missing"))
        return None
    reader, data, body, intro_line = _front(course_file, root, problems)
    if data is None:
        return None
    reader.unknown_keys(data, (), {"title", "summary", "order", "audience", "completion"})
    title = reader.text(data, (), "title")
    summary = reader.text(data, (), "summary", max_len=500)
    order = reader.integer(data, (), "order", 0, 10_000)
    audience = reader.text(data, (), "audience", optional=True)
    completion = reader.require(data, (), "completion", dict)
    if completion is not None:
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
        completion = {
            "modules": modules,
            "quizzes": completion.get("quizzes") or [],
            "roleplays": completion.get("roleplays") or [],
        }
    if not body.strip():
        problems.append(Problem(reader.rel, "the course introduction (body) is empty"))
    course = CourseData(
        slug=folder.name,
        title=title or "",
        summary=summary or "",
        order=order or 0,
        audience=audience,
        completion=completion or {},
        intro=body,
        path=reader.rel,
        intro_line=intro_line,
    )
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
            if any(m.slug == slug for m in course.modules):
                problems.append(Problem(prel, f"module slug '{slug}' is used twice in this course"))
            course.modules.append(module)
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


def load_module(path: Path, root: Path, problems: list[Problem], slug: str, position: int) -> ModuleData | None:
    """Read one module file."""
    reader, data, body, body_line = _front(path, root, problems)
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


def load_card(path: Path, root: Path, problems: list[Problem], course_slug: str) -> CardData | None:
    """Read one role-play card."""
    rel = str(path.relative_to(root))
    if path.suffix != ".md" or not path.is_file():
        problems.append(Problem(rel, "unexpected file: role-play cards are named <card-slug>.md"))
        return None
    if not SLUG_RE.match(path.stem):
        problems.append(Problem(rel, f"card file name '{path.stem}' is not a slug"))
        return None
    reader, data, body, body_line = _front(path, root, problems)
    if data is None:
        return None
    allowed = {"title", "difficulty", "minutes", "roles", "rubric", "pass_percent", "summary", "channel"}
    reader.unknown_keys(data, (), allowed)
    title = reader.text(data, (), "title")
    difficulty = reader.require(data, (), "difficulty", str)
    if difficulty is not None and difficulty not in ("basic", "intermediate", "advanced"):
        reader.error(("difficulty",), "must be basic, intermediate or advanced")
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
    if None in (title, difficulty, minutes, roles, rubric, pass_percent) or sections is None:
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
        line = found[0][1] if found else first_line
        for name, number, _ in found:
            if name not in CARD_SECTIONS:
                line = number
                break
        reader.problems.append(
            Problem(
                reader.rel,
                "sections must be exactly: "
                + ", ".join(f"'## {s}'" for s in CARD_SECTIONS)
                + f" (found: {', '.join(headings) or 'none'})",
                line,
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


QUESTION_TYPES = ("single", "multiple", "true-false", "agree-disagree")
TRUE_FALSE_OPTIONS = [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]


def load_quiz(path: Path, root: Path, problems: list[Problem]) -> QuizData | None:
    """Read one quiz file."""
    reader = Reader(path, root, problems)
    if not SLUG_RE.match(path.stem):
        problems.append(Problem(reader.rel, f"quiz file name '{path.stem}' is not a slug"))
        return None
    text = _read_text(path, root, problems)
    if text is None:
        return None
    data = reader.parse(text)
    if data is None:
        if not any(p.path == reader.rel for p in problems):
            problems.append(Problem(reader.rel, "the file is empty"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(reader.rel, "must be a mapping of fields", 1))
        return None
    reader.unknown_keys(
        data,
        (),
        {
            "title",
            "kind",
            "course",
            "module",
            "instructions",
            "max_attempts",
            "cooldown_minutes",
            "pass_percent",
            "shuffle",
            "questions",
            "bands",
            "scales",
        },
    )
    title = reader.text(data, (), "title")
    kind = reader.require(data, (), "kind", str)
    if kind is not None and kind not in ("self-assessment", "knowledge"):
        reader.error(("kind",), "must be self-assessment or knowledge")
        kind = None
    knowledge = kind == "knowledge"
    course = reader.require(data, (), "course", str, optional=not knowledge)
    if course is not None:
        reader.slug(course, ("course",))
    module = reader.require(data, (), "module", str, optional=True)
    if module is not None:
        reader.slug(module, ("module",))
    instructions = reader.text(data, (), "instructions", max_len=4000)
    max_attempts = reader.integer(data, (), "max_attempts", 1, 1000, optional=True)
    cooldown = reader.integer(data, (), "cooldown_minutes", 0, 60 * 24 * 30, optional=True) or 0
    pass_percent = reader.integer(data, (), "pass_percent", 1, 100, optional=not knowledge)
    if not knowledge and data.get("pass_percent") is not None:
        reader.error(("pass_percent",), "only knowledge checks have a pass mark")
    shuffle = data.get("shuffle", knowledge)
    if not isinstance(shuffle, bool):
        reader.error(("shuffle",), "must be true or false")
        shuffle = knowledge
    questions = _questions(reader, data, knowledge)
    definition: dict[str, Any] = {
        "title": title,
        "kind": kind,
        "questions": questions or [],
        "pass_percent": pass_percent,
    }
    if kind == "self-assessment" and questions:
        bands = _bands(reader, data.get("bands"), ("bands",), questions, None)
        definition["bands"] = bands or []
        definition["scales"] = _scales(reader, data, questions)
    elif knowledge:
        for key in ("bands", "scales"):
            if key in data:
                reader.error((key,), "knowledge checks have no bands or scales")
    if None in (title, kind, instructions) or not questions:
        return None
    return QuizData(
        path.stem,
        title,
        kind,
        course,
        module,
        instructions,
        max_attempts,
        cooldown,
        pass_percent,
        shuffle,
        definition,
        reader.rel,
    )


def _questions(reader: Reader, data: dict, knowledge: bool) -> list[dict] | None:
    raw = reader.require(data, (), "questions", list)
    if raw is None:
        return None
    if not raw:
        reader.error(("questions",), "needs at least one question")
        return None
    out, ids, ok = [], set(), True
    for i, q in enumerate(raw):
        path = ("questions", i)
        if not isinstance(q, dict):
            reader.error(path, "must be a mapping")
            ok = False
            continue
        allowed = {"id", "type", "text", "options", "module", "scale", "reverse"}
        allowed |= {"answer", "explanation"} if knowledge else set()
        reader.unknown_keys(q, path, allowed)
        qid = reader.require(q, path, "id", (str, int))
        qid = str(qid) if qid is not None else None
        if qid is not None:
            if not SLUG_RE.match(qid):
                reader.error((*path, "id"), f"{qid!r} is not a valid id (lowercase letters, digits, hyphens)")
            elif qid in ids:
                reader.error((*path, "id"), f"duplicate question id '{qid}'")
            ids.add(qid)
        qtype = reader.require(q, path, "type", str)
        if qtype is not None and qtype not in QUESTION_TYPES:
            reader.error((*path, "type"), f"unknown type '{qtype}' ({', '.join(QUESTION_TYPES)})")
            qtype = None
        if qtype == "agree-disagree" and knowledge:
            reader.error((*path, "type"), "agree-disagree statements belong to self-assessments")
        text = reader.text(q, path, "text", max_len=2000)
        options = _options(reader, q, path, qtype, knowledge)
        question: dict[str, Any] = {"id": qid, "type": qtype, "text": text, "options": options or []}
        module = reader.require(q, path, "module", str, optional=True)
        if module is not None and reader.slug(module, (*path, "module")):
            question["module"] = module
        if not knowledge:
            scale = reader.require(q, path, "scale", str, optional=True)
            if scale is not None:
                question["scale"] = scale
            reverse = q.get("reverse", False)
            if not isinstance(reverse, bool):
                reader.error((*path, "reverse"), "must be true or false")
            question["reverse"] = reverse is True
        else:
            _answer(reader, q, path, qtype, options, question)
        if None in (qid, qtype, text) or options is None:
            ok = False
        out.append(question)
    return out if ok else None


def _options(reader: Reader, q: dict, path: tuple, qtype: str | None, knowledge: bool) -> list[dict] | None:
    if qtype == "true-false" and "options" not in q:
        return [dict(o) for o in TRUE_FALSE_OPTIONS]
    raw = reader.require(q, path, "options", list)
    if raw is None:
        return None
    if len(raw) < 2:
        reader.error((*path, "options"), "needs at least two options")
        return None
    options, keys, ok = [], set(), True
    for j, opt in enumerate(raw):
        opath = (*path, "options", j)
        if not isinstance(opt, dict):
            reader.error(opath, "must be a mapping {key, text" + ("}" if knowledge else ", score}"))
            ok = False
            continue
        reader.unknown_keys(opt, opath, {"key", "text"} | (set() if knowledge else {"score"}))
        key = reader.require(opt, opath, "key", (str, bool, int))
        key = {True: "Y", False: "N"}.get(key, key) if isinstance(key, bool) else key
        key = str(key) if key is not None else None
        text = reader.text(opt, opath, "text", max_len=1000)
        if key is not None:
            if key in keys:
                reader.error((*opath, "key"), f"duplicate option key '{key}'")
            keys.add(key)
        option: dict[str, Any] = {"key": key, "text": text}
        if not knowledge:
            score = reader.require(opt, opath, "score", int)
            if score is None:
                ok = False
            option["score"] = score
        if key is None or text is None:
            ok = False
        options.append(option)
    if qtype == "agree-disagree" and [o["key"] for o in options] != ["Y", "N"]:
        reader.error((*path, "options"), "agree-disagree questions have exactly the options Y and N, in that order")
        ok = False
    if qtype == "true-false" and sorted(keys) != ["F", "T"]:
        reader.error((*path, "options"), "true-false questions have the options T and F (or omit options)")
        ok = False
    return options if ok else None


def _answer(
    reader: Reader, q: dict, path: tuple, qtype: str | None, options: list[dict] | None, question: dict
) -> None:
    answer = q.get("answer")
    if isinstance(answer, (str, bool)):
        answer = [answer]
    if not isinstance(answer, list) or not answer:
        reader.error((*path, "answer"), "required: a list of option keys, e.g. [B]")
        return
    answer = [("T" if a else "F") if isinstance(a, bool) else str(a) for a in answer]
    keys = {o["key"] for o in options or []}
    for key in answer:
        if options is not None and key not in keys:
            reader.error((*path, "answer"), f"'{key}' is not one of the options ({', '.join(sorted(keys))})")
    if len(set(answer)) != len(answer):
        reader.error((*path, "answer"), "lists an option twice")
    if qtype in ("single", "true-false") and len(answer) != 1:
        reader.error((*path, "answer"), f"a {qtype} question has exactly one answer")
    explanation = reader.text(q, path, "explanation", max_len=2000)
    question["answer"] = sorted(answer)
    question["explanation"] = explanation or ""


def score_range(questions: list[dict]) -> list[int]:
    """Every reachable total of a set of scored questions (reverse items mirror)."""
    reachable = {0}
    for q in questions:
        scores = [o["score"] for o in q["options"] if isinstance(o.get("score"), int)]
        if not scores:
            continue
        reachable = {t + s for t in reachable for s in set(scores)}
    return sorted(reachable)


def _bands(reader: Reader, raw: Any, path: tuple, questions: list[dict], scale: str | None) -> list[dict] | None:
    if not isinstance(raw, list) or not raw:
        reader.error(path, "required: a list of bands {key, min, max, title, text}")
        return None
    bands, ok = [], True
    for i, band in enumerate(raw):
        bpath = (*path, i)
        if not isinstance(band, dict):
            reader.error(bpath, "must be a mapping")
            ok = False
            continue
        reader.unknown_keys(band, bpath, {"key", "min", "max", "title", "text"})
        key = reader.require(band, bpath, "key", str)
        lo = reader.require(band, bpath, "min", int)
        hi = reader.require(band, bpath, "max", int)
        title = reader.text(band, bpath, "title")
        text = reader.text(band, bpath, "text", max_len=4000)
        if None in (key, lo, hi, title, text):
            ok = False
            continue
        if lo > hi:
            reader.error(bpath, f"min {lo} is greater than max {hi}")
            ok = False
        bands.append({"key": key, "min": lo, "max": hi, "title": title, "text": text, "_i": i})
    if not ok:
        return None
    keys = [b["key"] for b in bands]
    for i, band in enumerate(bands):
        if keys.count(band["key"]) > 1 and keys.index(band["key"]) != i:
            reader.error((*path, band["_i"], "key"), f"duplicate band key '{band['key']}'")
    scored = [q for q in questions if scale is None or q.get("scale") == scale]
    totals = score_range(scored)
    ordered = sorted(bands, key=lambda b: b["min"])
    for prev, band in zip(ordered, ordered[1:], strict=False):
        if band["min"] <= prev["max"]:
            reader.error((*path, band["_i"]), f"overlaps band '{prev['key']}' ({prev['min']}–{prev['max']})")
        elif band["min"] > prev["max"] + 1:
            reader.error((*path, band["_i"]), f"gap: totals {prev['max'] + 1}–{band['min'] - 1} have no band")
    if totals and ordered:
        if ordered[0]["min"] > totals[0]:
            reader.error((*path, ordered[0]["_i"], "min"), f"the lowest reachable total {totals[0]} has no band")
        if ordered[-1]["max"] < totals[-1]:
            reader.error((*path, ordered[-1]["_i"], "max"), f"the highest reachable total {totals[-1]} has no band")
    for band in bands:
        band.pop("_i")
    return bands


def _scales(reader: Reader, data: dict, questions: list[dict]) -> dict[str, Any]:
    names = {q["scale"] for q in questions if q.get("scale")}
    raw = data.get("scales")
    if raw is None:
        if names:
            reader.error(("scales",), f"questions name scales ({', '.join(sorted(names))}) but no scales are defined")
        return {}
    if not isinstance(raw, dict):
        reader.error(("scales",), "must be a mapping of scale name to {title, bands}")
        return {}
    out = {}
    for name, spec in raw.items():
        spath = ("scales", name)
        if name not in names:
            reader.error(spath, "no question uses this scale")
        if not isinstance(spec, dict):
            reader.error(spath, "must be a mapping {title, bands}")
            continue
        title = reader.text(spec, spath, "title")
        bands = _bands(reader, spec.get("bands"), (*spath, "bands"), questions, name)
        out[name] = {"title": title, "bands": bands or []}
    for name in names - set(raw):
        reader.error(("scales",), f"scale '{name}' is used by questions but not defined")
    return out


def load_rubric(path: Path, root: Path, problems: list[Problem]) -> RubricData | None:
    """Read one rubric file."""
    reader = Reader(path, root, problems)
    if not SLUG_RE.match(path.stem):
        problems.append(Problem(reader.rel, f"rubric file name '{path.stem}' is not a slug"))
        return None
    text = _read_text(path, root, problems)
    if text is None:
        return None
    data = reader.parse(text)
    if not isinstance(data, dict):
        if data is not None or not any(p.path == reader.rel for p in problems):
            problems.append(Problem(reader.rel, "must be a mapping of fields", 1))
        return None
    reader.unknown_keys(data, (), {"title", "description", "criteria"})
    title = reader.text(data, (), "title")
    description = reader.text(data, (), "description", optional=True, max_len=1000)
    raw = reader.require(data, (), "criteria", list)
    criteria, keys, ok = [], set(), raw is not None and bool(raw)
    if raw is not None and not raw:
        reader.error(("criteria",), "needs at least one criterion")
    for i, crit in enumerate(raw or []):
        cpath = ("criteria", i)
        if not isinstance(crit, dict):
            reader.error(cpath, "must be a mapping {key, title, levels}")
            ok = False
            continue
        reader.unknown_keys(crit, cpath, {"key", "title", "description", "levels", "observable"})
        observable = _observable(reader, crit, cpath)
        key = reader.require(crit, cpath, "key", str)
        if key is not None:
            if not SLUG_RE.match(key):
                reader.error((*cpath, "key"), f"{key!r} is not a slug")
            if key in keys:
                reader.error((*cpath, "key"), f"duplicate criterion key '{key}'")
            keys.add(key)
        ctitle = reader.text(crit, cpath, "title")
        levels = reader.require(crit, cpath, "levels", list)
        parsed = []
        if levels is not None and len(levels) < 2:
            reader.error((*cpath, "levels"), "needs at least two levels")
            ok = False
        for j, level in enumerate(levels or []):
            lpath = (*cpath, "levels", j)
            if not isinstance(level, dict):
                reader.error(lpath, "must be a mapping {points, title, text}")
                ok = False
                continue
            reader.unknown_keys(level, lpath, {"points", "title", "text"})
            points = reader.integer(level, lpath, "points", 0, 100)
            ltitle = reader.text(level, lpath, "title")
            ltext = reader.text(level, lpath, "text", max_len=1000)
            if None in (points, ltitle, ltext):
                ok = False
                continue
            if parsed and points <= parsed[-1]["points"]:
                reader.error((*lpath, "points"), "points must increase from one level to the next")
            parsed.append({"points": points, "title": ltitle, "text": ltext})
        if None in (key, ctitle, levels):
            ok = False
        criterion = {"key": key, "title": ctitle, "description": crit.get("description") or "", "levels": parsed}
        if observable is not None:
            criterion["observable"] = observable
        criteria.append(criterion)
    if not ok or title is None:
        return None
    definition = {"title": title, "description": description or "", "criteria": criteria}
    return RubricData(path.stem, title, definition, reader.rel)


def _observable(reader: Reader, crit: dict, path: tuple) -> list[str] | None:
    """A criterion's optional ``observable`` list: the channels on which a grader can see it."""
    if "observable" not in crit:
        return None
    value = crit["observable"]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        reader.error((*path, "observable"), f"must be a non-empty list of channels ({', '.join(CHANNELS)})")
        return None
    for i, channel in enumerate(value):
        if channel not in CHANNELS:
            reader.error((*path, "observable", i), f"unknown channel '{channel}' ({', '.join(CHANNELS)})")
        elif value.index(channel) != i:
            reader.error((*path, "observable", i), f"channel '{channel}' is listed twice")
    return [v for v in CHANNELS if v in value]


GLOSSARY_FILE = "glossary.yaml"


def load_glossary(path: Path, root: Path, problems: list[Problem]) -> list[GlossaryTermData]:
    """Read ``courses/glossary.yaml``: ``terms:`` a list of {slug, term, definition} in display order."""
    reader = Reader(path, root, problems)
    text = _read_text(path, root, problems)
    if text is None:
        return []
    data = reader.parse(text)
    if not isinstance(data, dict):
        if data is not None or not any(p.path == reader.rel for p in problems):
            problems.append(Problem(reader.rel, "must be a mapping with a list of terms under 'terms'", 1))
        return []
    reader.unknown_keys(data, (), {"terms"})
    raw = reader.require(data, (), "terms", list)
    terms: list[GlossaryTermData] = []
    slugs: set[str] = set()
    names: set[str] = set()
    for i, item in enumerate(raw or []):
        tpath = ("terms", i)
        if not isinstance(item, dict):
            reader.error(tpath, "must be a mapping {slug, term, definition}")
            continue
        reader.unknown_keys(item, tpath, {"slug", "term", "definition"})
        slug = reader.require(item, tpath, "slug", str)
        term = reader.text(item, tpath, "term", max_len=80)
        definition = reader.text(item, tpath, "definition", max_len=2000)
        if slug is not None and reader.slug(slug, (*tpath, "slug")):
            if slug in slugs:
                reader.error((*tpath, "slug"), f"duplicate term slug '{slug}'")
            slugs.add(slug)
        if term is not None:
            if term in names:
                reader.error((*tpath, "term"), f"duplicate term '{term}'")
            names.add(term)
        if None not in (slug, term, definition):
            terms.append(GlossaryTermData(slug, term, definition, i, reader.line_of(tpath), reader.rel))
    if raw is not None and not raw:
        reader.error(("terms",), "needs at least one term")
    return terms


def load_content(root: Path) -> tuple[Content, list[Problem]]:
    """Read every course, quiz and rubric under ``root``; return content and problems."""
    problems: list[Problem] = []
    content = Content()
    courses_dir, quizzes_dir = root / "courses", root / "quizzes"
    if not courses_dir.is_dir():
        problems.append(Problem("courses", "folder is missing"))
    else:
        for folder in sorted(courses_dir.iterdir()):
            if folder.is_dir():
                course = load_course(folder, root, problems)
                if course:
                    content.courses.append(course)
            elif folder.name == GLOSSARY_FILE:
                content.glossary = load_glossary(folder, root, problems)
            elif folder.name not in ("README.md",):
                problems.append(Problem(str(folder.relative_to(root)), "unexpected file: courses are folders"))
    if not quizzes_dir.is_dir():
        problems.append(Problem("quizzes", "folder is missing"))
    else:
        for path in sorted(quizzes_dir.iterdir()):
            if path.is_dir():
                if path.name != "rubrics":
                    problems.append(Problem(str(path.relative_to(root)), "unexpected folder (only rubrics/)"))
                continue
            if path.suffix not in (".yaml", ".yml"):
                if path.name != "README.md":
                    problems.append(Problem(str(path.relative_to(root)), "unexpected file: quizzes are <slug>.yaml"))
                continue
            quiz = load_quiz(path, root, problems)
            if quiz:
                content.quizzes.append(quiz)
        rubrics_dir = quizzes_dir / "rubrics"
        if rubrics_dir.is_dir():
            for path in sorted(rubrics_dir.iterdir()):
                if path.suffix not in (".yaml", ".yml"):
                    problems.append(Problem(str(path.relative_to(root)), "unexpected file: rubrics are <slug>.yaml"))
                    continue
                rubric = load_rubric(path, root, problems)
                if rubric:
                    content.rubrics.append(rubric)
    return content, problems
