"""Statuses and kinds are enums: no bare status string is compared or assigned in app/.

The fixed words of the rooms — submission, attempt and completion statuses, the report's status filter,
quiz kinds, checklist item kinds and states, card difficulties, reminder kinds — are ``StrEnum``s
(a member *is* its string, so stored values, JSON and templates are unchanged). This scan reads the
syntax tree of every module under app/ and fails on a string constant equal to one of their values
that is compared (``==``, ``!=``, ``in``), assigned (also as a ``status=``/``kind=``/… keyword
argument, a dict value or a tuple member) or returned. The enum definitions themselves are skipped; migrations live outside app/.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import pytest

from app.assessments.enums import AttemptStatus, QuizKind
from app.completion.enums import CompletionStatus, ItemKind, ItemState, ReminderKind
from app.reports.queries import ReportStatus
from app.roleplay.enums import Difficulty, SubmissionStatus

ROOT = Path(__file__).resolve().parents[1]
ENUMS: tuple[type[StrEnum], ...] = (
    SubmissionStatus,
    AttemptStatus,
    CompletionStatus,
    ReportStatus,
    QuizKind,
    ItemKind,
    ItemState,
    Difficulty,
    ReminderKind,
)
VALUES = {member.value for enum in ENUMS for member in enum}
KEYWORDS = {"status", "kind", "state", "difficulty", "default", "from_status", "to_status"}  # assigned by keyword
# Strings that are equal to a status value but mean something else, by file and value.
ALLOWED: dict[str, set[str]] = {
    "app/accounts/auth.py": {"basic"},  # Flask-Login's session_protection, not a card difficulty
    "app/content/loader/quizzes.py": {"module"},  # the YAML field `module:`, not a checklist item kind
}


def _constants(node: ast.AST | None) -> list[ast.Constant]:
    """The string constants of an expression that stands for a value (itself, or inside a literal collection)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [c for element in node.elts for c in _constants(element)]
    if isinstance(node, ast.Dict):  # the values: keys are usually field names ({"quiz": ..., "done": 3})
        return [c for value in node.values for c in _constants(value)]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [c for value in node.values for c in _constants(value)]
    return []


def _is_enum_class(node: ast.ClassDef) -> bool:
    return any(isinstance(base, ast.Name) and base.id in ("StrEnum", "Enum") for base in node.bases)


def bare_statuses(path: Path, relative: str | None = None) -> list[str]:
    """``file:line: 'value'`` for every bare status string compared, assigned or returned in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and _is_enum_class(c) for n in ast.walk(c)}
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                found += _constants(operand)
        elif (
            isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Return)
            or isinstance(node, ast.keyword)
            and node.arg in KEYWORDS
        ):
            found += _constants(node.value)
    relative = relative or path.relative_to(ROOT).as_posix()
    allowed = ALLOWED.get(relative, set())
    return sorted(
        {f"{relative}:{c.lineno}: {c.value!r}" for c in found if c.value in VALUES and c.value not in allowed},
        key=lambda line: (line.split(":")[0], int(line.split(":")[1]), line),
    )


MODULES = sorted((ROOT / "app").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_bare_status_strings(path):
    assert bare_statuses(path) == [], "use the enums (app/*/enums.py, reports.queries.ReportStatus)"


def test_the_scan_finds_a_bare_status(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'x = y.status == "graded"\nSubmission(status="draft")\nKINDS = ("module", "quiz")\n'
        "class S(StrEnum):\n    A = 'graded'\nf(field='module')\n",
        encoding="utf-8",
    )
    assert bare_statuses(sample, "app/sample.py") == [
        "app/sample.py:1: 'graded'",
        "app/sample.py:2: 'draft'",
        "app/sample.py:3: 'module'",
        "app/sample.py:3: 'quiz'",
    ]
