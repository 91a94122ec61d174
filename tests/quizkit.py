"""Helpers for the assessment tests: extra quiz files on top of the test content, and the web steps."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlalchemy import select

from app.assessments.models import Attempt, Quiz
from app.extensions import db
from tests import factories
from tests.conftest import TEST_CONTENT

# A pooled, timed knowledge check: each paper has two 甲组 questions and one multiple-choice question.
POOL = "demo-pool"
POOL_QUIZ = """\
title: 抽题限时检测
kind: knowledge
course: demo-course
instructions: 每次抽 3 题，限时 10 分钟。
pass_percent: 60
review: after-pass
time_limit: 10
cooldown_minutes: 10
draw:
  - {tag: 甲组, count: 2}
  - {type: multiple, count: 1}
questions:
  - {id: p1, type: single, tags: [甲组], module: first-steps, text: 甲组第一题,
     options: [{key: A, text: 甲一对}, {key: B, text: 甲一错}], answer: [A], explanation: 见模块「第一步」：甲一解析。}
  - {id: p2, type: single, tags: [甲组], module: second-steps, text: 甲组第二题,
     options: [{key: A, text: 甲二错}, {key: B, text: 甲二对}], answer: [B], explanation: 见模块「第二步」：甲二解析。}
  - {id: p3, type: true-false, tags: [甲组], module: first-steps, text: 甲组第三题, answer: [T],
     explanation: 见模块「第一步」：甲三解析。}
  - {id: p4, type: single, tags: [甲组], module: second-steps, text: 甲组第四题,
     options: [{key: A, text: 甲四对}, {key: B, text: 甲四错}], answer: [A], explanation: 见模块「第二步」：甲四解析。}
  - {id: p5, type: multiple, tags: [乙组], module: second-steps, text: 乙组第五题,
     options: [{key: A, text: 乙五甲}, {key: B, text: 乙五乙}, {key: C, text: 乙五丙}], answer: [A, C],
     explanation: 见模块「第二步」：乙五解析。}
  - {id: p6, type: multiple, tags: [乙组], module: first-steps, text: 乙组第六题,
     options: [{key: A, text: 乙六甲}, {key: B, text: 乙六乙}, {key: C, text: 乙六丙}], answer: [B, C],
     explanation: 见模块「第一步」：乙六解析。}
"""
RIGHT = {"p1": "A", "p2": "B", "p3": "T", "p4": "A", "p5": ["A", "C"], "p6": ["B", "C"]}
WRONG = {"p1": "B", "p2": "A", "p3": "F", "p4": "B", "p5": ["B"], "p6": ["A"]}
# What only a full review shows: the right options' texts, the explanations, the "right answer" row.
SECRETS = ("甲一对", "甲二对", "甲四对", "乙五甲", "乙五丙", "乙六乙", "乙六丙", "见模块「", ">正确答案<", "解析</dt>")


def load_with(tmp_path: Path, **quizzes: str) -> Path:
    """Copy the test content, add or replace quiz files (slug=yaml text), load it; return the folder."""
    content = tmp_path / "content"
    if not content.exists():
        shutil.copytree(TEST_CONTENT, content)
    for slug, text in quizzes.items():
        (content / "quizzes" / f"{slug.replace('_', '-')}.yaml").write_text(text, encoding="utf-8")
    factories.load_content(content)
    return content


def quiz(slug: str) -> Quiz:
    """A loaded quiz by slug."""
    return db.session.scalar(select(Quiz).where(Quiz.slug == slug))


def start(client, slug: str) -> int:
    """Start (or resume) an attempt on the web; return its id."""
    response = client.post(f"/quizzes/{slug}/start")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.search(rf"/quizzes/{slug}/attempts/(\d+)$", response.headers["Location"])
    assert match, (response.headers["Location"], client.get(response.headers["Location"]).get_data(as_text=True)[:2000])
    return int(match.group(1))


def paper(attempt_id: int) -> list[str]:
    """The question ids of an attempt's paper, in its order."""
    return list(db.session.get(Attempt, attempt_id).order["questions"])


def post_form(client, slug: str, attempt_id: int, answers: dict, action: str = "submit"):
    """Post the take form with these answers."""
    data = {"action": action, **{f"answer-{qid}": value for qid, value in answers.items()}}
    return client.post(f"/quizzes/{slug}/attempts/{attempt_id}", data=data)


def autosave(client, slug: str, attempt_id: int, question: str, value):
    """Save one answer as the page's script does."""
    return client.post(f"/quizzes/{slug}/attempts/{attempt_id}/answer", json={"question": question, "value": value})


def take_paper(client, slug: str, answers: dict) -> Attempt:
    """Start an attempt and submit the given answer for each question of its paper."""
    attempt_id = start(client, slug)
    response = post_form(client, slug, attempt_id, {q: answers[q] for q in paper(attempt_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def age(attempt: Attempt, **delta) -> None:
    """Move an attempt into the past (started, deadline and submitted times)."""
    from datetime import timedelta

    shift = timedelta(**delta)
    attempt.started_at -= shift
    if attempt.deadline_at:
        attempt.deadline_at -= shift
    if attempt.submitted_at:
        attempt.submitted_at -= shift
    db.session.commit()
