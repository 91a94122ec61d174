"""Cross-file checks: references between courses, quizzes, cards, rubrics and the glossary.

One small function per rule. :func:`cross_check` runs the course rules on each course (and the card
rules on each of its cards), then the glossary rule, then the quiz rules on each quiz, so problems come
out grouped by file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.assessments.enums import QuizKind
from app.content.loader import CardData, Content, CourseData, Problem, QuizData, load_content
from app.content.render import glossary_links, internal_links


@dataclass
class Index:
    """What the rules look things up in: courses, quizzes, rubric criteria, card slugs, link targets."""

    courses: dict[str, CourseData]
    quizzes: dict[str, QuizData]
    criteria: dict[str, list[dict]]
    cards: Counter[str]
    orders: Counter[int]
    targets: set[str]

    @classmethod
    def of(cls, content: Content) -> Index:
        """Index a loaded content folder."""
        courses = {c.slug: c for c in content.courses}
        quizzes = {q.slug: q for q in content.quizzes}
        cards = Counter(card.slug for c in content.courses for card in c.cards)
        targets = (
            {f"/courses/{s}" for s in courses} | {f"/quizzes/{s}" for s in quizzes} | {f"/roleplays/{s}" for s in cards}
        )
        criteria = {r.slug: r.definition["criteria"] for r in content.rubrics}
        return cls(courses, quizzes, criteria, cards, Counter(c.order for c in content.courses), targets)


CourseRule = Callable[[CourseData, Index], list[Problem]]
CardRule = Callable[[CardData, Index], list[Problem]]
QuizRule = Callable[[QuizData, Index], list[Problem]]


def cross_check(content: Content) -> list[Problem]:
    """Check every reference between files; return the problems found."""
    index = Index.of(content)
    problems: list[Problem] = []
    for course in content.courses:
        for course_rule in COURSE_RULES:
            problems += course_rule(course, index)
        for card in course.cards:
            for card_rule in CARD_RULES:
                problems += card_rule(card, index)
        problems += _links(course, index)
    problems += _glossary_problems(content)
    for quiz in content.quizzes:
        for quiz_rule in QUIZ_RULES:
            problems += quiz_rule(quiz, index)
    return problems


# --- courses -------------------------------------------------------------------------------------


def _unique_order(course: CourseData, index: Index) -> list[Problem]:
    """Two courses with the same ``order`` sort arbitrarily (a warning)."""
    if index.orders[course.order] <= 1:
        return []
    return [Problem(course.path, f"order {course.order} is used by more than one course", field="order", warning=True)]


def _completion_modules(course: CourseData, index: Index) -> list[Problem]:
    """``completion.modules`` names modules of this course."""
    slugs = course.completion.get("modules")
    if not isinstance(slugs, list):
        return []
    modules = {m.slug for m in course.modules}
    return [
        Problem(course.path, f"module '{slug}' does not exist in this course", field="completion.modules")
        for slug in slugs
        if slug not in modules
    ]


def _completion_quizzes(course: CourseData, index: Index) -> list[Problem]:
    """``completion.quizzes`` names existing knowledge checks."""
    problems = []
    for slug in course.completion.get("quizzes", []):
        if slug not in index.quizzes:
            problems.append(Problem(course.path, f"quiz '{slug}' does not exist", field="completion.quizzes"))
        elif index.quizzes[slug].kind != QuizKind.KNOWLEDGE:
            problems.append(
                Problem(
                    course.path,
                    f"quiz '{slug}' is a self-assessment; completion needs knowledge checks",
                    field="completion.quizzes",
                )
            )
    return problems


def _completion_roleplays(course: CourseData, index: Index) -> list[Problem]:
    """``completion.roleplays`` names existing cards."""
    return [
        Problem(course.path, f"role-play card '{slug}' does not exist", field="completion.roleplays")
        for slug in course.completion.get("roleplays", [])
        if slug not in index.cards
    ]


def _links(course: CourseData, index: Index) -> list[Problem]:
    """Every internal link of the course introduction, its modules and its cards has a target."""
    texts = [(course.path, course.intro)] + [(m.path, m.body) for m in course.modules]
    texts += [(card.path, text) for card in course.cards for text in card.sections.values()]
    return [
        Problem(path, f"link to {link}: no such course, quiz or card")
        for path, text in texts
        for link in internal_links(text)
        if link not in index.targets
    ]


COURSE_RULES: tuple[CourseRule, ...] = (_unique_order, _completion_modules, _completion_quizzes, _completion_roleplays)


# --- cards ---------------------------------------------------------------------------------------


def _unique_card(card: CardData, index: Index) -> list[Problem]:
    """Card slugs are unique across all courses."""
    if index.cards[card.slug] <= 1:
        return []
    return [Problem(card.path, f"card slug '{card.slug}' is used in more than one course")]


def _card_rubric(card: CardData, index: Index) -> list[Problem]:
    """A card's rubric exists, and the card's channel fits its criteria."""
    if card.rubric not in index.criteria:
        return [Problem(card.path, f"rubric '{card.rubric}' does not exist in quizzes/rubrics/", field="rubric")]
    return _channel_problems(card, index.criteria[card.rubric])


CARD_RULES: tuple[CardRule, ...] = (_unique_card, _card_rubric)


# --- quizzes -------------------------------------------------------------------------------------


def _quiz_course(quiz: QuizData, index: Index) -> list[Problem]:
    """A quiz's ``course`` exists."""
    if quiz.course and quiz.course not in index.courses:
        return [Problem(quiz.path, f"course '{quiz.course}' does not exist", field="course")]
    return []


def _quiz_module(quiz: QuizData, index: Index) -> list[Problem]:
    """A quiz's ``module`` is a module of its course."""
    course = index.courses.get(quiz.course) if quiz.course else None
    if quiz.module and course and quiz.module not in {m.slug for m in course.modules}:
        return [Problem(quiz.path, f"module '{quiz.module}' does not exist in course '{quiz.course}'", field="module")]
    return []


def _question_modules(quiz: QuizData, index: Index) -> list[Problem]:
    """A question's ``module`` is a module of the quiz's course (so the quiz must name one)."""
    course = index.courses.get(quiz.course) if quiz.course else None
    modules = {m.slug for m in course.modules} if course else set()
    problems = []
    for i, question in enumerate(quiz.definition["questions"]):
        module = question.get("module")
        if module and course is None:
            message = "a question names a module but the quiz names no course"
        elif module and module not in modules:
            message = f"module '{module}' does not exist in course '{quiz.course}'"
        else:
            continue
        problems.append(Problem(quiz.path, message, field=f"questions[{i}].module"))
    return problems


def _knowledge_length(quiz: QuizData, index: Index) -> list[Problem]:
    """Knowledge checks should have at least 10 questions (a warning)."""
    if quiz.kind == QuizKind.KNOWLEDGE and len(quiz.definition["questions"]) < 10:
        return [
            Problem(quiz.path, "knowledge checks should have at least 10 questions", field="questions", warning=True)
        ]
    return []


QUIZ_RULES: tuple[QuizRule, ...] = (_quiz_course, _quiz_module, _question_modules, _knowledge_length)


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
