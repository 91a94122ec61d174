"""Content loader and validation: valid content loads; each kind of problem is reported clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.content.validate import check, errors_only
from tests.conftest import TEST_CONTENT


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of the test content."""
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, target)
    return target


def problems_of(root: Path) -> list[str]:
    """Error messages (as text) for a content folder."""
    return [str(p) for p in errors_only(check(root)[1])]


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file, failing if the old text is absent."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_valid_content_loads_into_dataclasses():
    content, problems = check(TEST_CONTENT)
    assert errors_only(problems) == []
    course = content.courses[0]
    assert course.slug == "demo-course" and [m.slug for m in course.modules] == ["first-steps", "second-steps"]
    assert course.modules[0].objectives == ["说出第一步的要点"]
    assert course.cards[0].sections["partner"].startswith("客户很生气")
    quiz = {q.slug: q for q in content.quizzes}
    assert quiz["demo-check"].definition["questions"][2]["options"] == [
        {"key": "T", "text": "正确"},
        {"key": "F", "text": "错误"},
    ]
    assert quiz["demo-check"].shuffle is True and quiz["demo-self"].shuffle is False


COURSE = "courses/demo-course/course.md"
MODULE = "courses/demo-course/01-first-steps.md"
CARD = "courses/demo-course/roleplays/demo-card.md"
SELF = "quizzes/demo-self.yaml"
CHECK = "quizzes/demo-check.yaml"
RUBRIC = "quizzes/rubrics/demo-rubric.yaml"

CASES = [
    # (file, old, new, expected fragment of the message)
    (COURSE, "title: 测试课程\n", "", f"{COURSE}:2: title: required field is missing"),
    (COURSE, "order: 1", "order: first", f"{COURSE}:4: order: must be an integer"),
    (COURSE, "quizzes: [demo-check]", "quizzes: [no-such-quiz]", "quiz 'no-such-quiz' does not exist"),
    (COURSE, "roleplays: [demo-card]", "roleplays: [ghost-card]", "role-play card 'ghost-card' does not exist"),
    (COURSE, "audience: 测试人员", "audience: [unclosed", f"{COURSE}:6: invalid YAML"),
    (COURSE, "summary:", "sumary:", "sumary: unknown field"),
    (MODULE, "minutes: 5", "minutes: 500", f"{MODULE}:3: minutes: must be between 1 and 60"),
    (MODULE, "objectives:\n  - 说出第一步的要点", "objectives: []", "objectives: needs at least one objective"),
    (MODULE, "1. 你会怎么做？\n:::", "1. 你会怎么做？", f"{MODULE}:15: box opened with ':::' is never closed"),
    (MODULE, "[开始自测](/quizzes/demo-self)", "[开始自测](/quizzes/missing)", "link to /quizzes/missing"),
    (CARD, "difficulty: basic", "difficulty: expert", f"{CARD}:3: difficulty: must be basic, intermediate or advanced"),
    (CARD, "rubric: demo-rubric", "rubric: nope", "rubric 'nope' does not exist"),
    (CARD, "## 你的任务", "## 任务", "sections must be exactly"),
    (SELF, "max: 3, title: 较低", "max: 2, title: 较低", "gap: totals 3–3 have no band"),
    (SELF, "min: 4, max: 6", "min: 3, max: 6", "overlaps band 'low'"),
    (SELF, "min: 4, max: 6", "min: 4, max: 5", "the highest reachable total 6 has no band"),
    (SELF, "id: q2", "id: q1", "duplicate question id 'q1'"),
    (SELF, "{key: C, text: 否, score: 1}", "{key: C, text: 否, score: many}", "score: must be an integer"),
    (
        SELF,
        "{key: N, text: 与自己不一致, score: 0}",
        "{key: X, text: 与自己不一致, score: 0}",
        "exactly the options Y and N",
    ),
    (CHECK, "answer: [A]\n", "answer: [Z]\n", "'Z' is not one of the options"),
    (CHECK, "answer: [T]", "answer: [T, F]", "a true-false question has exactly one answer"),
    (CHECK, "type: multiple", "type: essay", "unknown type 'essay'"),
    (CHECK, "pass_percent: 80\n", "", "pass_percent: required field is missing"),
    (RUBRIC, "{points: 4, title: 做到", "{points: 1, title: 做到", "points must increase"),
    (RUBRIC, "key: solution", "key: calm-first", "duplicate criterion key 'calm-first'"),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), CASES, ids=[c[3][:40] for c in CASES])
def test_each_problem_is_reported_with_file_and_place(content_dir, file, old, new, expected):
    edit(content_dir / file, old, new)
    messages = problems_of(content_dir)
    assert any(expected in m for m in messages), messages


def test_invalid_yaml_reports_only_the_syntax_error(content_dir):
    edit(content_dir / COURSE, "audience: 测试人员", "audience: [unclosed")
    messages = [m for m in problems_of(content_dir) if m.startswith(COURSE)]
    assert len(messages) == 1 and "invalid YAML" in messages[0]


def test_every_problem_is_reported_not_just_the_first(content_dir):
    edit(content_dir / COURSE, "order: 1", "order: x")
    edit(content_dir / CARD, "difficulty: basic", "difficulty: hard")
    edit(content_dir / CHECK, "answer: [A]\n", "answer: [Q]\n")
    messages = problems_of(content_dir)
    assert len(messages) >= 3
    assert {m.split(":")[0] for m in messages} >= {COURSE, CARD, CHECK}


def test_unexpected_files_and_bad_names(content_dir):
    (content_dir / "courses/demo-course/notes.txt").write_text("x", encoding="utf-8")
    (content_dir / "courses/Bad_Course").mkdir()
    (content_dir / "quizzes/broken.yaml").write_bytes(b"\xff\xfe bad")
    messages = problems_of(content_dir)
    assert any("notes.txt: unexpected file" in m for m in messages)
    assert any("'Bad_Course' is not a slug" in m for m in messages)
    assert any("broken.yaml: file is not valid UTF-8" in m for m in messages)


def test_missing_front_matter(content_dir):
    path = content_dir / MODULE
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "", 1), encoding="utf-8")
    assert any("missing front matter" in m for m in problems_of(content_dir))


def test_duplicate_card_slug_across_courses(content_dir):
    other = content_dir / "courses/other-course"
    shutil.copytree(content_dir / "courses/demo-course", other)
    edit(other / "course.md", "order: 1", "order: 2")
    assert any("card slug 'demo-card' is used in more than one course" in m for m in problems_of(content_dir))
