"""The benchmark harness's pure parts: the exam burst's accounting and the percentiles it reports."""

from __future__ import annotations

import random

from bench import burst, common


def _ok(user_id: int, attempt_id: int, post_ms: float = 100.0) -> burst.Outcome:
    return burst.Outcome(user_id, 200, 201, attempt_id, get_ms=10.0, post_ms=post_ms, finished_s=post_ms / 1000)


def test_every_acknowledged_attempt_stored_whole_is_consistent():
    outcomes = [_ok(1, 11), _ok(2, 12), _ok(3, 13)]
    result = burst.account(outcomes, {11: 5, 12: 5, 13: 5}, questions=5)
    assert result.consistent
    assert (result.submitted, result.acknowledged, result.stored_attempts, result.stored_answers) == (3, 3, 3, 15)
    assert result.expected_answers == 15


def test_an_acknowledged_attempt_missing_from_the_database_is_lost():
    result = burst.account([_ok(1, 11), _ok(2, 12)], {11: 5}, questions=5)
    assert result.lost == [12] and not result.consistent


def test_an_attempt_stored_without_every_answer_is_incomplete():
    result = burst.account([_ok(1, 11), _ok(2, 12)], {11: 5, 12: 4}, questions=5)
    assert result.incomplete == [12] and result.stored_answers == 9 and not result.consistent


def test_an_error_reply_for_a_stored_attempt_is_reported_and_inconsistent():
    failed = burst.Outcome(2, 200, None, None, error="TimeoutError")
    result = burst.account([_ok(1, 11), failed], {11: 5, 12: 5}, questions=5)
    assert result.unacknowledged == [12] and result.acknowledged == 1 and result.submitted == 2
    assert not result.consistent


def test_an_error_without_a_stored_attempt_still_fails_the_burst():
    refused = burst.Outcome(2, 200, 500, None)
    result = burst.account([_ok(1, 11), refused], {11: 5}, questions=5)
    assert not (result.lost or result.incomplete or result.unacknowledged)
    assert not result.consistent  # 2 submitted, 1 stored


def test_the_summary_counts_errors_by_kind_and_reports_the_slowest_answer():
    outcomes = [_ok(i, 100 + i, post_ms=float(i)) for i in range(1, 101)]
    outcomes.append(burst.Outcome(999, 200, 500, None, get_ms=5.0, post_ms=50.0))
    outcomes.append(burst.Outcome(998, None, None, None, error="ConnectionResetError"))
    stored = {100 + i: 3 for i in range(1, 101)}
    report = burst.summarise(outcomes, burst.account(outcomes, stored, 3), "quiz", 3, stored_s=0.25)
    assert report.errors == 2
    assert report.error_kinds == {"GET 200 / POST 500": 1, "ConnectionResetError": 1}
    assert report.post_p50_ms == 50.5 and report.post_p95_ms == 95.0  # the 500 reply is not a stored answer
    assert report.last_answer_client_s == 0.1 and report.last_answer_stored_s == 0.25
    assert report.as_dict()["accounting"]["consistent"] is False


def test_percentiles_interpolate_and_tolerate_no_values():
    assert common.percentile([], 95) == 0.0
    assert common.percentile([7.0], 99) == 7.0
    assert common.percentile([1, 2, 3, 4], 50) == 2.5
    assert common.percentile(list(range(1, 101)), 95) == 95.05


def test_the_burst_answers_every_question_with_an_offered_option():
    questions = [
        {"id": "q1", "type": "single", "options": [{"key": "A"}, {"key": "B"}]},
        {"id": "q2", "type": "multiple", "options": [{"key": "A"}, {"key": "C"}]},
        {"id": "q3", "type": "true-false", "options": [{"key": "T"}, {"key": "F"}]},
    ]
    answers = burst.choose(questions, random.Random(1))
    assert answers["q1"] in ("A", "B") and answers["q3"] in ("T", "F")
    assert isinstance(answers["q2"], list) and set(answers["q2"]) <= {"A", "C"}


def test_the_floor_routes_make_exactly_the_checks_of_pages_and_api_calls(tmp_path):
    from sqlalchemy import event

    from app.api.auth import issue_token
    from app.extensions import db
    from bench import floor
    from tests import factories
    from tests.conftest import PASSWORD, make_config

    app = floor.create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'floor.sqlite'}"))
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        db.create_all()
        user = factories.make_user("floor-t1", roles=["trainee"])
        secret = issue_token(user)[0]
        db.session.commit()
        client = app.test_client()
        assert client.get("/bench/floor/anonymous").text == "ok"
        assert client.get("/bench/floor/signed-in").status_code == 302  # to the sign-in page
        assert client.get("/bench/floor/raw-signed-in").status_code == 401
        assert client.get("/bench/floor/token").status_code == 401
        assert client.get("/bench/floor/token", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/bench/floor/token", headers={"Authorization": f"Bearer {secret}"}).text == "ok"
        client.post("/login", data={"username": "floor-t1", "password": PASSWORD})
        assert client.get("/bench/floor/signed-in").text == "ok"
        statements.clear()
        assert client.get("/bench/floor/raw-signed-in").text == "ok"
        assert len(statements) == 1 and statements[0].startswith("SELECT u.id FROM users u")  # no ORM load
        with client.session_transaction() as cookie:
            kept = dict(cookie)
        client.post("/logout")
        assert client.get("/bench/floor/signed-in").status_code == 302
        with client.session_transaction() as cookie:  # a copied cookie of the ended session
            cookie.update(kept)
        assert client.get("/bench/floor/signed-in").status_code == 302
        assert client.get("/bench/floor/raw-signed-in").status_code == 401  # the hand-written check agrees
