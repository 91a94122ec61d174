"""Cross-file checks: references between courses, quizzes, cards and rubrics."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from app.content.loader import Content, Problem, load_content
from app.content.render import glossary_links, internal_links


def cross_check(content: Content) -> list[Problem]:
    """Check every reference between files; return the problems found."""
    problems: list[Problem] = []
    courses = {c.slug: c for c in content.courses}
    quizzes = {q.slug: q for q in content.quizzes}
    rubrics = {r.slug for r in content.rubrics}
    criteria = {r.slug: r.definition["criteria"] for r in content.rubrics}
    cards = Counter(card.slug for c in content.courses for card in c.cards)
    targets = (
        {f"/courses/{s}" for s in courses} | {f"/quizzes/{s}" for s in quizzes} | {f"/roleplays/{s}" for s in cards}
    )

    orders = Counter(c.order for c in content.courses)
    for course in content.courses:
        if orders[course.order] > 1:
            problems.append(
                Problem(
                    course.path, f"order {course.order} is used by more than one course", field="order", warning=True
                )
            )
        module_slugs = {m.slug for m in course.modules}
        rules = course.completion
        if isinstance(rules.get("modules"), list):
            for slug in rules["modules"]:
                if slug not in module_slugs:
                    problems.append(
                        Problem(
                            course.path, f"module '{slug}' does not exist in this course", field="completion.modules"
                        )
                    )
        for slug in rules.get("quizzes", []):
            if slug not in quizzes:
                problems.append(Problem(course.path, f"quiz '{slug}' does not exist", field="completion.quizzes"))
            elif quizzes[slug].kind != "knowledge":
                problems.append(
                    Problem(
                        course.path,
                        f"quiz '{slug}' is a self-assessment; completion needs knowledge checks",
                        field="completion.quizzes",
                    )
                )
        for slug in rules.get("roleplays", []):
            if slug not in cards:
                problems.append(
                    Problem(course.path, f"role-play card '{slug}' does not exist", field="completion.roleplays")
                )
        texts = [(course.path, course.intro)] + [(m.path, m.body) for m in course.modules]
        for card in course.cards:
            if cards[card.slug] > 1:
                problems.append(Problem(card.path, f"card slug '{card.slug}' is used in more than one course"))
            if card.rubric not in rubrics:
                problems.append(
                    Problem(card.path, f"rubric '{card.rubric}' does not exist in quizzes/rubrics/", field="rubric")
                )
            else:
                problems += _channel_problems(card, criteria[card.rubric])
            texts += [(card.path, text) for text in card.sections.values()]
        for path, text in texts:
            for link in internal_links(text):
                if link not in targets:
                    problems.append(Problem(path, f"link to {link}: no such course, quiz or card"))
    problems += _glossary_problems(content)
    for quiz in content.quizzes:
        course = courses.get(quiz.course) if quiz.course else None
        if quiz.course and course is None:
            problems.append(Problem(quiz.path, f"course '{quiz.course}' does not exist", field="course"))
        modules = {m.slug for m in course.modules} if course else set()
        if quiz.module and course and quiz.module not in modules:
            problems.append(
                Problem(quiz.path, f"module '{quiz.module}' does not exist in course '{quiz.course}'", field="module")
            )
        for i, question in enumerate(quiz.definition["questions"]):
            module = question.get("module")
            if module and course is None:
                problems.append(
                    Problem(
                        quiz.path,
                        "a question names a module but the quiz names no course",
                        field=f"questions[{i}].module",
                    )
                )
            elif module and module not in modules:
                problems.append(
                    Problem(
                        quiz.path,
                        f"module '{module}' does not exist in course '{quiz.course}'",
                        field=f"questions[{i}].module",
                    )
                )
        if quiz.kind == "knowledge" and len(quiz.definition["questions"]) < 10:
            problems.append(
                Problem(
                    quiz.path, "knowledge checks should have at least 10 questions", field="questions", warning=True
                )
            )
    return problems


def _channel_problems(card, criteria: list[dict]) -> list[Problem]:
    """A card's channel must be declared once its rubric says where criteria are observable, and must fit each."""
    declared = [c for c in criteria if "observable" in c]
    if card.channel is None:
        if declared:
            return [
                Problem(
                    card.path,
                    f"required: rubric '{card.rubric}' declares where its criteria are observable",
                    field="channel",
                )
            ]
        return []
    return [
        Problem(
            card.path,
            f"rubric '{card.rubric}' criterion '{c['key']}' is not observable on a {card.channel} role-play "
            f"(observable: {', '.join(c['observable'])})",
            field="channel",
        )
        for c in declared
        if card.channel not in c["observable"]
    ]


def _glossary_problems(content: Content) -> list[Problem]:
    """Every ``/glossary#slug`` link in a course, module, card or glossary definition names a term."""
    terms = {t.slug for t in content.glossary}
    texts = []
    for course in content.courses:
        texts.append((course.path, course.intro, course.intro_line))
        texts += [(m.path, m.body, m.body_line) for m in course.modules]
        texts += [(card.path, card.body, card.body_line) for card in course.cards]
    texts += [(t.path, t.definition, None) for t in content.glossary]
    problems = []
    for path, text, first_line in texts:
        for anchor, offset in glossary_links(text):
            if anchor not in terms:
                line = first_line + offset if first_line is not None else None
                problems.append(
                    Problem(path, f"link to /glossary#{anchor}: no such term in courses/glossary.yaml", line)
                )
    return problems


def check(root: Path) -> tuple[Content, list[Problem]]:
    """Load and cross-check a content folder; return content and every problem."""
    content, problems = load_content(root)
    problems += cross_check(content)
    return content, problems


def errors_only(problems: list[Problem]) -> list[Problem]:
    """The problems that block loading (not warnings)."""
    return [p for p in problems if not p.warning]
