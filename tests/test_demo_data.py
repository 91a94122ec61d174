"""Generated data at scale (``flask demo --size``): promised counts, consistency with the rooms' rules, idempotence."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from app import demo_data
from app.accounts.models import CohortMember, User, UserRole
from app.assessments import queries as assessment_queries
from app.assessments.models import Attempt
from app.assessments.scoring import on_paper
from app.assessments.services import score
from app.completion import services as completion
from app.completion.models import Certificate, CourseCompletion
from app.extensions import db
from app.roleplay import scoring
from app.roleplay.models import CriterionScore, Submission
from tests import factories
from tests.conftest import TEST_CONTENT

ROOT = Path(__file__).resolve().parent.parent


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _completions() -> dict:
    return {
        (r.user_id, r.course_id): (r.status, r.done, r.total, r.items, r.completed_at)
        for r in db.session.scalars(select(CourseCompletion))
    }


def test_a_small_data_set_has_the_promised_people_and_groups(app):
    result = demo_data.generate("T", 30, seed="test")
    assert result.created and result.counts["users"] == 30 + 1 + 1  # trainees, one instructor (2 cohorts), one HR
    trainees = select(UserRole.user_id).where(UserRole.role == "trainee")
    assert _count(User, User.username.like("t-t%"), User.id.in_(trainees)) == 30
    assert (
        _count(
            User, User.username == "t-i0001", User.id.in_(select(UserRole.user_id).where(UserRole.role == "instructor"))
        )
        == 1
    )
    assert (
        _count(User, User.username == "t-hr01", User.id.in_(select(UserRole.user_id).where(UserRole.role == "hr"))) == 1
    )
    memberships = db.session.execute(
        select(CohortMember.user_id, func.count()).where(CohortMember.role == "trainee").group_by(CohortMember.user_id)
    ).all()
    assert len(memberships) == 30 and all(n == 1 for _, n in memberships)
    assert _count(CohortMember, CohortMember.role == "instructor") == 2
    assert result.counts["attempts"] > 0 and result.counts["roleplay_submissions"] > 0
    assert result.counts["course_completions"] > 0 and result.counts["module_progress"] > 0
    assert factories.make_user("after-the-bulk-insert").id > 0  # sequences moved past the explicit ids


def test_completion_records_are_what_the_completion_room_recomputes(app):
    demo_data.generate("T", 40, seed="test")
    generated = _completions()
    certificates = _count(Certificate)
    assert {status for status, *_ in generated.values()} == {"complete", "in_progress"}
    completion.recompute_all()
    assert _completions() == generated
    assert _count(Certificate) == certificates == sum(1 for s, *_ in generated.values() if s == "complete")


def test_attempts_and_grades_are_scored_as_the_services_score_them(app):
    demo_data.generate("T", 30, seed="test")
    attempts = db.session.scalars(select(Attempt)).all()
    assert attempts
    for attempt in attempts:
        answers = assessment_queries.answers_of(attempt.id)
        definition = on_paper(attempt.version.definition, attempt.order)  # a pooled quiz: the drawn paper
        assert set(answers) == {q["id"] for q in definition["questions"]}
        expected = score(definition, answers)
        assert (attempt.score, attempt.percent, attempt.passed, attempt.band_key) == (
            expected["score"],
            expected["percent"],
            expected["passed"],
            expected["band_key"],
        )
    graded = db.session.scalars(select(Submission).where(Submission.status == "graded")).all()
    assert graded
    for submission in graded:
        points = db.session.scalars(select(CriterionScore.points).where(CriterionScore.submission_id == submission.id))
        assert submission.total == sum(points)
        assert submission.passed == scoring.passed(submission.total, submission.max_points, submission.pass_percent)
    assert _count(Submission, Submission.status == "submitted") > 0  # the grading queue has work


def test_generated_accounts_sign_in_and_see_their_pages(app, client):
    demo_data.generate("T", 30, seed="test")
    for username, path, text in (
        ("t-hr01", "/reports", "华东区"),
        ("t-i0001", "/grading", ""),
        ("t-t00001", "/dashboard", ""),
    ):
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": demo_data.PASSWORD})
        assert response.status_code == 302, username
        page = client.get(path)
        assert page.status_code == 200 and text in page.get_data(as_text=True)


def test_a_size_already_present_is_not_added_twice(app):
    demo_data.generate("T", 20, seed="test")
    before = _count(User), _count(Attempt), _count(CourseCompletion)
    again = demo_data.generate("T", 20, seed="test")
    assert not again.created and "nothing was added" in again.summary()
    assert (_count(User), _count(Attempt), _count(CourseCompletion)) == before


def test_the_same_seed_makes_the_same_people_and_history(app):
    first = demo_data.generate("A", 15, seed="same")
    second = demo_data.generate("B", 15, seed="same")
    names = [
        db.session.scalars(select(User.name).where(User.username.like(f"{p}-t%")).order_by(User.username)).all()
        for p in ("a", "b")
    ]
    assert names[0] == names[1] and len(names[0]) == 15
    shared = {"departments", "assignments"}  # departments and their assignments exist once for both
    assert {k: v for k, v in first.counts.items() if k not in shared} == {
        k: v for k, v in second.counts.items() if k not in shared
    }


def test_no_content_is_refused_clearly(app):
    from app.learning.models import Course

    db.session.execute(Course.__table__.update().values(archived=True))
    db.session.commit()
    with pytest.raises(demo_data.DemoDataError, match="no courses"):
        demo_data.generate("T", 5)


def _flask(args: list[str], url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url, "CONTENT_DIR": str(TEST_CONTENT)}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_flask_demo_size_s_builds_100_trainees_quickly_and_only_once(empty_database):
    assert _flask(["db", "upgrade"], empty_database).returncode == 0
    engine = create_engine(empty_database)
    started = time.perf_counter()
    first = _flask(["demo", "--size", "S"], empty_database)
    elapsed = time.perf_counter() - started
    assert first.returncode == 0, first.stderr
    assert "Data set S: 100 trainees" in first.stdout and demo_data.PASSWORD in first.stdout
    assert elapsed < 30
    with engine.connect() as conn:
        trainees = conn.scalar(select(func.count()).select_from(User).where(User.username.like("s-t%")))
        attempts = conn.scalar(select(func.count()).select_from(Attempt))
    assert trainees == 100 and attempts > 50
    second = _flask(["demo", "--size", "s"], empty_database)
    assert second.returncode == 0 and "already in this database" in second.stdout
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Attempt)) == attempts
    engine.dispose()
