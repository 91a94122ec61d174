"""Read ``courses/`` and ``quizzes/`` into plain dataclasses (no Flask, no database).

One module per kind of file: :mod:`.common` (Problem, the YAML Reader, front matter), :mod:`.courses`
(course.md and modules), :mod:`.cards` (role-play cards), :mod:`.quizzes` (quizzes; the rules of each
question type come from :mod:`app.assessments.question_types`), :mod:`.rubrics`, :mod:`.glossary`,
and :mod:`.folders` (the walk over a content folder: :func:`load_content`). Every problem is reported
with its file and line or field path; the callers load nothing when any exists.
"""

from __future__ import annotations

from app.content.loader.cards import CARD_FIELDS, CARD_SECTIONS, CardData, load_card
from app.content.loader.common import CHANNELS, SLUG_RE, Problem, Reader, split_front_matter
from app.content.loader.courses import CourseData, ModuleData, load_course, load_module
from app.content.loader.folders import Content, load_content
from app.content.loader.glossary import GLOSSARY_FILE, GlossaryTermData, load_glossary
from app.content.loader.quizzes import QuizData, load_quiz, score_range
from app.content.loader.rubrics import RubricData, load_rubric

__all__ = [
    "CARD_FIELDS",
    "CARD_SECTIONS",
    "CHANNELS",
    "GLOSSARY_FILE",
    "SLUG_RE",
    "CardData",
    "Content",
    "CourseData",
    "GlossaryTermData",
    "ModuleData",
    "Problem",
    "QuizData",
    "Reader",
    "RubricData",
    "load_card",
    "load_content",
    "load_course",
    "load_glossary",
    "load_module",
    "load_quiz",
    "load_rubric",
    "score_range",
    "split_front_matter",
]
