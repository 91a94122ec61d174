"""Idempotency-Key on API writes: a retried quiz or role-play submission stores nothing twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.assessments import services as quiz_services
from app.assessments.models import Attempt, Quiz
from app.core import idempotency
from app.core.idempotency import IdempotencyRecord
from app.extensions import db
from app.roleplay.models import Submission
from tests import factories
from tests.conftest import PASSWORD
from tests.test_attempt_limits import shared_app  # noqa: F401  (the same database-file app, used as a fixture)
from tests.test_roleplay import RESPONSE, people

API = "/api/v1"
WRONG = {"k1": "B", "k2": ["B"], "k3": "F"}
RIGHT = {"k1": "A", "k2": ["A", "C"], "k3": "T"}


def token_headers(client, user, key: str | None = None) -> dict:
    """Bearer headers for a user, with an Idempotency-Key when given."""
    response = client.post(f"{API}/auth/token", json={"username": user.username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def attempts() -> int:
    return db.session.scalar(select(func.count(Attempt.id)))


@pytest.fixture
def trainee(app):
    user = factories.make_user("idem-trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


def post_attempt(client, headers, answers=WRONG):
    return client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": answers}, headers=headers)


def test_a_repeated_key_answers_with_the_first_result_and_stores_one_attempt(client, trainee):
    headers = token_headers(client, trainee)
    first = post_attempt(client, {**headers, "Idempotency-Key": "retry-1"})
    again = post_attempt(client, {**headers, "Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert attempts() == 1


def test_without_a_key_each_post_is_a_new_attempt(client, trainee):
    headers = token_headers(client, trainee)
    assert post_attempt(client, headers).status_code == 201
    assert post_attempt(client, headers).status_code == 201
    assert attempts() == 2


def test_a_replay_is_answered_even_when_no_attempt_is_left(client, trainee):
    headers = token_headers(client, trainee)  # demo-check allows 2 attempts
    assert post_attempt(client, {**headers, "Idempotency-Key": "a"}).status_code == 201
    last = post_attempt(client, {**headers, "Idempotency-Key": "b"})
    assert last.status_code == 201
    again = post_attempt(client, {**headers, "Idempotency-Key": "b"})
    assert again.status_code == 201 and again.get_json()["id"] == last.get_json()["id"]
    assert post_attempt(client, {**headers, "Idempotency-Key": "c"}).status_code == 409
    assert attempts() == 2


def test_a_key_reused_for_another_body_is_refused_and_stores_nothing(client, trainee):
    headers = {**token_headers(client, trainee), "Idempotency-Key": "same"}
    assert post_attempt(client, headers, WRONG).status_code == 201
    response = post_attempt(client, headers, RIGHT)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"][0]
    assert attempts() == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "tab\there", "中文键"])
def test_a_malformed_key_is_400_and_stores_nothing(client, trainee, key):
    response = post_attempt(client, {**token_headers(client, trainee), "Idempotency-Key": key})
    assert response.status_code == 400
    assert response.get_json()["errors"]
    assert attempts() == 0


def test_keys_belong_to_one_user(client, trainee):
    other = factories.make_user("idem-other", cohort="c1")
    assert post_attempt(client, token_headers(client, trainee, "shared")).status_code == 201
    response = post_attempt(client, token_headers(client, other, "shared"))
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert attempts() == 2


def test_a_key_older_than_a_day_is_forgotten(client, trainee):
    headers = token_headers(client, trainee, "old")
    assert post_attempt(client, headers).status_code == 201
    db.session.scalar(select(IdempotencyRecord)).created_at -= idempotency.KEEP + timedelta(minutes=1)
    db.session.commit()
    response = post_attempt(client, headers)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert attempts() == 2


def test_a_failed_request_does_not_use_up_its_key(client, trainee):
    headers = token_headers(client, trainee, "fix-and-retry")
    bad = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": {"k1": "A"}}, headers=headers)
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count(IdempotencyRecord.id))) == 0
    # the corrected request is a different body: a new key is not needed because nothing was stored
    assert post_attempt(client, headers).status_code == 201
    assert attempts() == 1


def test_a_repeated_roleplay_submission_is_stored_once(client):
    trainee, _ = people()
    headers = token_headers(client, trainee, "card-1")
    body = {"response": RESPONSE, "submit": True}
    first = client.post(f"{API}/roleplays/demo-card/submissions", json=body, headers=headers)
    again = client.post(f"{API}/roleplays/demo-card/submissions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count(Submission.id))) == 1
    plain = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
    assert client.post(f"{API}/roleplays/demo-card/submissions", json=body, headers=plain).status_code == 409


def test_the_openapi_document_names_the_header(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    for path in ("/quizzes/{slug}/attempts", "/roleplays/{slug}/submissions"):
        names = [p.get("name") for p in spec["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in names


def test_simultaneous_retries_with_one_key_store_one_attempt(shared_app):  # noqa: F811  (the imported fixture)
    app, user_id = shared_app
    key = idempotency.RequestKey(user_id, "burst", "POST /api/v1/quizzes/demo-check/attempts", "h" * 64)
    barrier, outcomes, lock = threading.Barrier(5), [], threading.Lock()

    def one() -> None:
        with app.app_context():
            from app.accounts.models import User

            user = db.session.get(User, user_id)
            quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "demo-check"))
            barrier.wait()
            try:
                outcome = str(quiz_services.submit_answers(user, quiz, WRONG, key).id)
            except idempotency.Replayed as done:
                outcome = f"replay:{done.resource_id}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stored = [o for o in outcomes if not o.startswith("replay:")]
    assert len(outcomes) == 5 and len(stored) == 1
    assert all(o == f"replay:{stored[0]}" for o in outcomes if o.startswith("replay:"))
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_the_partner_brief_follows_the_card_access_rule(client, login_as):
    trainee, _ = people()
    outsider = factories.make_user("no-course-trainee", roles=["trainee"])
    login_as(outsider)
    assert client.get("/roleplays/demo-card").status_code == 403
    assert client.get("/roleplays/demo-card/partner").status_code == 403
    login_as(trainee)
    assert client.get("/roleplays/demo-card/partner").status_code == 200
    assert client.get("/roleplays/no-such-card/partner").status_code == 404
