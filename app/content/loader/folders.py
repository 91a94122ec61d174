"""The content folder as a whole: walk ``courses/`` and ``quizzes/`` and read every file into :class:`Content`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.content.loader.common import Problem
from app.content.loader.courses import CourseData, load_course
from app.content.loader.glossary import GLOSSARY_FILE, GlossaryTermData, load_glossary
from app.content.loader.quizzes import QuizData, load_quiz
from app.content.loader.rubrics import RubricData, load_rubric


@dataclass
class Content:
    """Everything read from a content folder."""

    courses: list[CourseData] = field(default_factory=list)
    quizzes: list[QuizData] = field(default_factory=list)
    rubrics: list[RubricData] = field(default_factory=list)
    glossary: list[GlossaryTermData] = field(default_factory=list)


def load_content(root: Path) -> tuple[Content, list[Problem]]:
    """Read every course, quiz and rubric under ``root``; return content and problems."""
    problems: list[Problem] = []
    content = Content()
    courses_dir, quizzes_dir = root / "courses", root / "quizzes"
    if not courses_dir.is_dir():
        problems.append(Problem("courses", "folder is missing"))
    else:
        _read_courses(courses_dir, root, content, problems)
    if not quizzes_dir.is_dir():
        problems.append(Problem("quizzes", "folder is missing"))
    else:
        _read_quizzes(quizzes_dir, root, content, problems)
        if (quizzes_dir / "rubrics").is_dir():
            _read_rubrics(quizzes_dir / "rubrics", root, content, problems)
    return content, problems


def _read_courses(folder: Path, root: Path, content: Content, problems: list[Problem]) -> None:
    """``courses/``: one folder per course, and the glossary."""
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            course = load_course(path, root, problems)
            if course:
                content.courses.append(course)
        elif path.name == GLOSSARY_FILE:
            content.glossary = load_glossary(path, root, problems)
        elif path.name not in ("README.md",):
            problems.append(Problem(str(path.relative_to(root)), "unexpected file: courses are folders"))


def _read_quizzes(folder: Path, root: Path, content: Content, problems: list[Problem]) -> None:
    """``quizzes/``: one YAML file per quiz (and the rubrics/ folder, read by :func:`_read_rubrics`)."""
    for path in sorted(folder.iterdir()):
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


def _read_rubrics(folder: Path, root: Path, content: Content, problems: list[Problem]) -> None:
    """``quizzes/rubrics/``: one YAML file per rubric."""
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml"):
            problems.append(Problem(str(path.relative_to(root)), "unexpected file: rubrics are <slug>.yaml"))
            continue
        rubric = load_rubric(path, root, problems)
        if rubric:
            content.rubrics.append(rubric)
