"""Attempt limits hold when one person sends several submissions at the same moment (real threads, real database)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app import create_app
from app.assessments import services
from app.assessments.models import Attempt, Quiz
from app.extensions import db
from tests import factories
from tests.conftest import TEST_CONTENT, make_config

ANSWERS = {"k1": "B", "k2": ["B"], "k3": "F"}  # wrong: a failed attempt leaves the next one allowed


@pytest.fixture
def shared_app(empty_database, tmp_path):
    """An app on a database file (or PostgreSQL database) that several threads can use at once."""
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=empty_database, UPLOAD_DIR=str(tmp_path)))
    with app.app_context():
        db.create_all()
        factories.load_content(TEST_CONTENT)
        user = factories.make_user("racer", cohort="c1")
        factories.assign(cohort="c1")
        user_id = user.id
        db.session.remove()
    yield app, user_id
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _race(app, user_id: int, senders: int, send) -> list[str]:
    """Release ``senders`` threads at once, thread ``i`` calling ``send(i, user, quiz)``; return 'ok' or the error of each."""
    barrier, outcomes, lock = threading.Barrier(senders), [], threading.Lock()

    def one(index: int) -> None:
        with app.app_context():
            from app.accounts.models import User

            user = db.session.get(User, user_id)
            quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "demo-check"))
            barrier.wait()
            try:
                send(index, user, quiz)
                outcome = "ok"
            except services.AttemptError as error:
                outcome = str(error)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _submitted(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Attempt).where(Attempt.user_id == user_id, Attempt.status == "submitted")
        )


def test_simultaneous_api_submissions_never_exceed_the_limit(shared_app):
    app, user_id = shared_app  # demo-check allows 2 attempts
    outcomes = _race(app, user_id, 6, lambda _i, user, quiz: services.submit_answers(user, quiz, ANSWERS))
    assert len(outcomes) == 6
    assert outcomes.count("ok") == 2
    assert all("次作答机会" in outcome for outcome in outcomes if outcome != "ok")
    assert _submitted(app, user_id) == 2


def test_an_open_attempt_and_api_submissions_at_once_never_exceed_the_limit(shared_app):
    app, user_id = shared_app
    with app.app_context():
        from app.accounts.models import User

        user = db.session.get(User, user_id)
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "demo-check"))
        attempt = services.start_or_resume(user, quiz)
        services.replace_answers(attempt, ANSWERS)
        services.submit_answers(user, quiz, ANSWERS)  # one attempt left
        attempt_id = attempt.id
        db.session.remove()

    def send(index, user, quiz):
        if index == 0:  # the open attempt, submitted from the quiz page
            attempt = services.submit(db.session.get(Attempt, attempt_id))
            if attempt.status != "submitted":
                raise AssertionError("the open attempt was not submitted")
            return attempt
        return services.submit_answers(user, quiz, ANSWERS)

    outcomes = _race(app, user_id, 4, send)
    assert outcomes.count("ok") == 1
    assert _submitted(app, user_id) == 2
