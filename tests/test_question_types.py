"""The question-type registry owns the types: the loader, the API, the docs and the recipe agree with it.

Every registered type is accepted by the loader where its ``kinds`` allow it and refused elsewhere,
a name that is not registered is refused; the OpenAPI ``type`` enum, the type table and the YAML
comment of docs/content-spec.md (and README.md), and the list in CONTRIBUTING.md's recipe name exactly
the registered types.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.assessments import question_types
from app.assessments.enums import QuizKind
from app.assessments.question_types import REGISTRY, question_type
from app.content.loader import Problem, load_quiz

ROOT = Path(__file__).resolve().parents[1]
NAMES = question_types.names()


def quiz_file(root: Path, kind: QuizKind, name: str, *, omit_options: bool = False) -> Path:
    """A one-question quiz of ``kind`` with a question of type ``name``, valid as far as the type goes."""
    handler = question_type(name)
    keys = list(handler.option_keys) or ["A", "B"]
    knowledge = kind == QuizKind.KNOWLEDGE
    question: dict = {"id": "q1", "type": name, "text": "题目"}
    if not omit_options:
        question["options"] = [
            {"key": key, "text": f"选项{key}"} | ({} if knowledge else {"score": i}) for i, key in enumerate(keys)
        ]
    data: dict = {"title": "测验", "kind": str(kind), "instructions": "说明", "questions": [question]}
    if knowledge:
        question.update(answer=keys[: handler.answers[0]], explanation="见模块")
        data.update(course="demo-course", pass_percent=80)
    else:
        data["bands"] = [{"key": "all", "min": 0, "max": len(keys), "title": "全部", "text": "说明"}]
    path = root / "quizzes" / f"{kind}-{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def load(path: Path, root: Path) -> tuple[object, list[Problem]]:
    problems: list[Problem] = []
    return load_quiz(path, root, problems), problems


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", list(QuizKind), ids=str)
def test_the_loader_accepts_each_type_where_it_belongs(tmp_path, kind, name):
    quiz, problems = load(quiz_file(tmp_path, kind, name), tmp_path)
    if kind in question_type(name).kinds:
        assert [str(p) for p in problems] == []
        assert quiz is not None and quiz.definition["questions"][0]["type"] == name
    else:  # the one problem (which blocks loading) is that the type does not belong here
        assert [p.message for p in problems] == [question_type(name).kind_problem(kind)]


@pytest.mark.parametrize("name", [n for n in NAMES if question_type(n).default_options])
def test_a_type_with_default_options_may_omit_them(tmp_path, name):
    kind = question_type(name).kinds[-1]
    quiz, problems = load(quiz_file(tmp_path, kind, name, omit_options=True), tmp_path)
    assert problems == [] and quiz is not None
    assert quiz.definition["questions"][0]["options"] == question_type(name).supplied_options()


@pytest.mark.parametrize("name", [n for n in NAMES if question_type(n).option_keys])
def test_a_type_with_fixed_options_refuses_others(tmp_path, name):
    handler = question_type(name)
    path = quiz_file(tmp_path, handler.kinds[0], name)
    text = path.read_text(encoding="utf-8").replace(f"key: {handler.option_keys[0]}", "key: Z")
    path.write_text(text, encoding="utf-8")
    quiz, problems = load(path, tmp_path)
    assert quiz is None
    assert handler.options_problem(["Z", *handler.option_keys[1:]]) in [p.message for p in problems]


def test_an_unregistered_type_is_refused_naming_the_registered_ones(tmp_path):
    path = quiz_file(tmp_path, QuizKind.KNOWLEDGE, "single")
    path.write_text(path.read_text(encoding="utf-8").replace("type: single", "type: essay"), encoding="utf-8")
    quiz, problems = load(path, tmp_path)
    assert quiz is None
    assert f"unknown type 'essay' ({', '.join(NAMES)})" in [p.message for p in problems]


def test_the_api_enum_is_the_registry(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["components"]["schemas"]["Question"]["properties"]["type"]["enum"] == NAMES
    assert document["components"]["schemas"]["Quiz"]["properties"]["kind"]["enum"] == [k.value for k in QuizKind]


def test_the_content_spec_table_is_generated_from_the_registry():
    spec = (ROOT / "docs" / "content-spec.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- question-types:begin -->\n(.*?)\n<!-- question-types:end -->", spec, re.S)
    assert match, "docs/content-spec.md lost its question-type table markers"
    assert match.group(1) == question_types.markdown_table(), (
        "docs/content-spec.md: replace the question-type table with\n" + question_types.markdown_table()
    )
    documented = re.findall(r"^\| `([a-z-]+)` \|", match.group(1), re.M)[1:]  # after the header
    assert documented == NAMES


DOCUMENTS = ["README.md", "CONTRIBUTING.md", *(f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md")))]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_document_keeps_its_own_list_of_types(document):
    """A list of types in a quiz example (``type: single  # a | b | c``) must be the registry's."""
    text = (ROOT / document).read_text(encoding="utf-8")
    for comment in re.findall(r"^\s*type: [\w-]+\s+#(.*\|.*)$", text, re.M):
        assert [word.strip() for word in comment.split("|")] == NAMES, f"{document}: {comment}"


def test_the_recipe_agrees_with_the_registry():
    """CONTRIBUTING.md's recipe points at the registry, names every knob a type has and nothing else."""
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    recipe = guide.split("### Add a question type", 1)[1].split("\n### ", 1)[0]
    assert "app/assessments/question_types.py" in recipe
    for gone in ("app/content/loader", "app/api/quizzes.py", "QUESTION_TYPES"):
        assert gone not in recipe, f"the recipe still sends people to {gone}"
    knobs = {
        name
        for name, value in vars(question_types.QuestionType).items()
        if not name.startswith("_") and (not callable(value) or name in ("normalise", "from_form"))
    }
    named = set(re.findall(r"`([a-z_]+)(?:\(\))?`", recipe))
    assert knobs - named == set(), f"the recipe does not mention {sorted(knobs - named)}"
    type_like = {word for word in re.findall(r"`([a-z]+(?:-[a-z]+)+)`", recipe)}
    assert type_like <= set(NAMES), f"the recipe names types that are not registered: {type_like - set(NAMES)}"


def test_registry_entries_are_complete():
    for name, cls in REGISTRY.items():
        handler = cls()
        assert handler.name == name and handler.label.message and handler.summary and handler.kinds
        assert handler.template.startswith("assessments/")
        assert (ROOT / "app" / "templates" / handler.template).is_file()
        assert set(handler.kinds) <= set(QuizKind)
