"""What every content reader shares: :class:`Problem`, the YAML :class:`Reader` with line numbers and
field paths, front matter, and the checks of a Markdown body's ``:::`` boxes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CHANNELS = ("face-to-face", "phone", "written")  # where a role-play happens; what a rubric criterion needs
BOXES = ("case", "tip", "warning")


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


def either(values: Iterable[str]) -> str:
    """``a, b or c`` (for messages listing the allowed values)."""
    words = list(values)
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split ``---`` front matter from the body; return (yaml, body, body's first line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None, text, 1


def read_text(path: Path, root: Path, problems: list[Problem]) -> str | None:
    """A file's text without a byte-order mark (None, with a problem, when it is not UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(str(path.relative_to(root)), "file is not valid UTF-8"))
        return None
    return text.lstrip("\ufeff")


def read_front(path: Path, root: Path, problems: list[Problem]) -> tuple[Reader, dict | None, str, int]:
    """Read a Markdown file's front matter: (reader, fields or None, body, the body's first line)."""
    reader = Reader(path, root, problems, line_offset=1)
    text = read_text(path, root, problems)
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
    check_boxes(reader, body, body_line)
    return reader, data or {}, body, body_line


def check_boxes(reader: Reader, body: str, first_line: int) -> None:
    """Report unknown ``::: name`` boxes and boxes that are never closed."""
    depth, opened = 0, 0
    for number, line in enumerate(body.splitlines(), start=first_line):
        stripped = line.strip()
        if stripped.startswith(":::"):
            name = stripped[3:].strip()
            if name:
                if name.split(" ", 1)[0] not in BOXES:
                    reader.problems.append(
                        Problem(reader.rel, f"unknown box '{name.split(' ', 1)[0]}' (case, tip, warning)", number)
                    )
                depth, opened = depth + 1, number
            elif depth:
                depth -= 1
    if depth:
        reader.problems.append(Problem(reader.rel, "box opened with ':::' is never closed", opened))
