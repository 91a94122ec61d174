"""JSON API v1: bearer tokens, quizzes, scored attempts, the caller's attempts."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api.models import ApiToken
from app.assessments.models import Attempt, Quiz
from app.extensions import db
from tests import factories
from tests.conftest import PASSWORD

API = "/api/v1"
CHECK_RIGHT = {"k1": "A", "k2": ["A", "C"], "k3": "T"}


def get_token(client, username: str, password: str = PASSWORD):
    return client.post(f"{API}/auth/token", json={"username": username, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def trainee(app):
    """A trainee (not signed in on the web) whose cohort is assigned the demo course."""
    user = factories.make_user("api-trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


@pytest.fixture
def headers(client, trainee) -> dict:
    """Authorization headers for the trainee."""
    return bearer(get_token(client, trainee.username).get_json()["token"])


def attempts() -> int:
    return db.session.scalar(select(func.count(Attempt.id)))


def walk_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in walk_keys(v)}
    return set()


# --- tokens --------------------------------------------------------------------------------------


def test_a_token_is_issued_and_only_its_hash_is_stored(client, trainee):
    response = get_token(client, "API-Trainee")  # usernames fold case, as on the login page
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"token", "expires_at"} and body["expires_at"].endswith("Z")
    row = db.session.scalar(select(ApiToken))
    assert row.user_id == trainee.id
    assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest() != body["token"]
    assert client.get(f"{API}/me/attempts", headers=bearer(body["token"])).status_code == 200


@pytest.mark.parametrize("body", [None, {}, {"username": "x"}, {"username": "x", "password": 3}, ["x", "y"]])
def test_token_request_needs_username_and_password(client, trainee, body):
    response = client.post(f"{API}/auth/token", json=body) if body is not None else client.post(f"{API}/auth/token")
    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_wrong_password_is_401_then_throttled_like_the_login_page(app, client, trainee):
    limit = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(limit - 1):
        response = get_token(client, trainee.username, "wrong-password")
        assert response.status_code == 401
        assert response.get_json() == {"errors": ["用户名或密码不正确。"]}
    client.post("/login", data={"username": trainee.username, "password": "wrong-again"})  # the web counts too
    response = get_token(client, trainee.username)  # even the right password is refused from here for a second
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert "登录失败次数过多" in response.get_json()["errors"][0]
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_calls_without_a_valid_token_are_401(client, trainee, headers):
    for extra in ({}, {"Authorization": "Basic abc"}, bearer("not-a-token"), {"Authorization": "Bearer "}):
        response = client.get(f"{API}/quizzes", headers=extra)
        assert response.status_code == 401
        assert response.get_json()["errors"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401(client, trainee, headers):
    db.session.scalar(select(ApiToken)).expires_at -= timedelta(days=365)
    db.session.commit()
    assert client.get(f"{API}/quizzes", headers=headers).status_code == 401


def test_a_revoked_token_is_401(client, trainee, headers):
    assert client.delete(f"{API}/auth/token", headers=headers).status_code == 204
    assert db.session.scalar(select(ApiToken)).revoked_at is not None
    assert client.get(f"{API}/quizzes", headers=headers).status_code == 401
    assert client.delete(f"{API}/auth/token", headers=headers).status_code == 401


def test_a_deactivated_user_is_403(client, trainee, headers):
    trainee.active = False
    db.session.commit()
    response = client.get(f"{API}/quizzes", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["errors"]


def test_unknown_api_paths_answer_json(client):
    response = client.get(f"{API}/nothing-here")
    assert response.status_code == 404
    assert "errors" in response.get_json()


# --- quizzes -------------------------------------------------------------------------------------


def test_quizzes_are_listed_with_pagination(client, headers):
    body = client.get(f"{API}/quizzes", headers=headers).get_json()
    assert {q["slug"] for q in body["items"]} == {"demo-self", "demo-check"}
    assert (body["page"], body["total"]) == (1, 2)
    check = next(q for q in body["items"] if q["slug"] == "demo-check")
    assert check == {
        "slug": "demo-check",
        "title": "测试知识检测",
        "kind": "knowledge",
        "course": "demo-course",
        "question_count": 3,
        "max_attempts": 2,
        "cooldown_minutes": 0,
        "pass_percent": 80,
        "time_limit_minutes": None,
        "review": "after-pass",
        "start_required": False,
    }
    first = client.get(f"{API}/quizzes?per_page=1", headers=headers).get_json()
    second = client.get(f"{API}/quizzes?per_page=1&page=2", headers=headers).get_json()
    assert len(first["items"]) == len(second["items"]) == 1 and first["per_page"] == 1
    assert first["items"][0]["slug"] != second["items"][0]["slug"]


def test_quizzes_of_unassigned_courses_are_not_visible(client, app):
    factories.make_user("loner", cohort="c9")
    headers = bearer(get_token(client, "loner").get_json()["token"])
    assert client.get(f"{API}/quizzes", headers=headers).get_json()["total"] == 0
    assert client.get(f"{API}/quizzes/demo-check", headers=headers).status_code == 404
    response = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": CHECK_RIGHT}, headers=headers)
    assert response.status_code == 404
    assert attempts() == 0


def test_a_knowledge_check_is_sent_without_answers_explanations_or_scores(client, headers):
    body = client.get(f"{API}/quizzes/demo-check", headers=headers).get_json()
    assert [q["id"] for q in body["questions"]] == ["k1", "k2", "k3"]
    assert body["questions"][2]["options"] == [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]
    assert body["instructions"] == "选择正确答案。"
    assert not walk_keys(body) & {"answer", "explanation", "score"}
    assert "见模块" not in str(body)
    missing = client.get(f"{API}/quizzes/nope", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["errors"]


def test_self_assessment_detail_has_no_option_scores(client, headers):
    body = client.get(f"{API}/quizzes/demo-self", headers=headers).get_json()
    assert body["questions"][1] == {
        "id": "q2",
        "type": "agree-disagree",
        "text": "第二题陈述",
        "options": [{"key": "Y", "text": "与自己一致"}, {"key": "N", "text": "与自己不一致"}],
    }
    assert "score" not in walk_keys(body)


# --- attempts ------------------------------------------------------------------------------------


def test_a_self_assessment_attempt_is_scored_and_stored(client, headers, trainee):
    response = client.post(
        f"{API}/quizzes/demo-self/attempts", json={"answers": {"q1": "B", "q2": "Y"}}, headers=headers
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "score": 4,
        "max_score": 6,
        "percent": 66,
        "band": {"key": "high", "title": "较高"},
        "passed": None,
    }
    attempt = db.session.get(Attempt, body["id"])
    assert (attempt.user_id, attempt.status, attempt.score) == (trainee.id, "submitted", 4)


def test_a_knowledge_attempt_reports_passed(client, headers):
    body = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": CHECK_RIGHT}, headers=headers).get_json()
    assert (body["score"], body["max_score"], body["percent"], body["band"], body["passed"]) == (3, 3, 100, None, True)
    body = client.post(
        f"{API}/quizzes/demo-check/attempts", json={"answers": {**CHECK_RIGHT, "k2": ["A"]}}, headers=headers
    ).get_json()
    assert (body["score"], body["percent"], body["passed"]) == (2, 66, False)


def test_invalid_answers_are_422_with_every_problem_listed_and_nothing_stored(client, headers):
    answers = {"k1": "Z", "k2": "A", "nope": "A"}  # unknown option, wrong type, unknown question, k3 missing
    response = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": answers}, headers=headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert len(errors) == 4
    text = " ".join(errors)
    assert "nope" in text and "没有选项 Z" in text and "k2：多选题的答案应为选项列表" in text and "（k3）未作答" in text
    assert attempts() == 0


@pytest.mark.parametrize(
    "answers",
    [
        {"k1": ["A"], "k2": ["A"], "k3": "T"},
        {"k1": "A", "k2": [], "k3": "T"},
        {"k1": "A", "k2": ["A", "A"], "k3": "T"},
        {"k1": 1, "k2": ["A"], "k3": True},
        ["A", "B"],
    ],
)
def test_wrongly_typed_answers_are_422(client, headers, answers):
    response = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": answers}, headers=headers)
    assert response.status_code == 422
    assert attempts() == 0


@pytest.mark.parametrize("body", [None, {}, {"answer": {}}, "answers"])
def test_a_malformed_body_is_400(client, headers, body):
    kwargs = {"json": body} if body is not None else {"data": "not json"}
    response = client.post(f"{API}/quizzes/demo-check/attempts", headers=headers, **kwargs)
    assert response.status_code == 400
    assert attempts() == 0


def test_attempt_limit_is_409_and_stores_nothing(client, headers):
    for _ in range(2):
        assert (
            client.post(
                f"{API}/quizzes/demo-check/attempts", json={"answers": CHECK_RIGHT}, headers=headers
            ).status_code
            == 201
        )
    response = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": CHECK_RIGHT}, headers=headers)
    assert response.status_code == 409
    assert response.get_json() == {"errors": ["你已用完本测验的 2 次作答机会。"]}
    assert attempts() == 2


def test_cooldown_is_409(client, headers):
    db.session.scalar(select(Quiz).where(Quiz.slug == "demo-self")).cooldown_minutes = 10
    db.session.commit()
    payload = {"answers": {"q1": "A", "q2": "N"}}
    assert client.post(f"{API}/quizzes/demo-self/attempts", json=payload, headers=headers).status_code == 201
    response = client.post(f"{API}/quizzes/demo-self/attempts", json=payload, headers=headers)
    assert response.status_code == 409 and "10 分钟" in response.get_json()["errors"][0]


def test_the_api_is_exempt_from_csrf_but_the_web_is_not(app, client, headers):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": CHECK_RIGHT}, headers=headers)
        assert response.status_code == 201
        assert client.post("/quizzes/demo-check/start", headers=headers).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_bearer_tokens_do_not_sign_in_to_the_web(client, headers):
    response = client.get("/quizzes", headers=headers)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the caller's attempts -----------------------------------------------------------------------


def test_me_attempts_lists_only_the_callers_attempts_newest_first(client, headers, login_as):
    client.post(f"{API}/quizzes/demo-self/attempts", json={"answers": {"q1": "C", "q2": "N"}}, headers=headers)
    client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": CHECK_RIGHT}, headers=headers)
    other = factories.make_user("someone-else", cohort="c1")
    other_headers = bearer(get_token(client, other.username).get_json()["token"])
    client.post(f"{API}/quizzes/demo-self/attempts", json={"answers": {"q1": "A", "q2": "Y"}}, headers=other_headers)
    body = client.get(f"{API}/me/attempts", headers=headers).get_json()
    assert body["total"] == 2 and body["page"] == 1
    newest, oldest = body["items"]
    assert newest["quiz"] == {"slug": "demo-check", "title": "测试知识检测", "kind": "knowledge"}
    assert (newest["passed"], newest["band"]) == (True, None)
    assert oldest["band"] == {"key": "low", "title": "较低"} and oldest["score"] == 1
    assert oldest["submitted_at"].endswith("Z")
    page2 = client.get(f"{API}/me/attempts?per_page=1&page=2", headers=headers).get_json()
    assert [a["id"] for a in page2["items"]] == [oldest["id"]] and page2["total"] == 2


def test_me_attempts_uses_a_fixed_number_of_queries(client, headers, count_queries):
    counts = []
    for _ in range(2):
        client.post(f"{API}/quizzes/demo-self/attempts", json={"answers": {"q1": "C", "q2": "N"}}, headers=headers)
        client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": CHECK_RIGHT}, headers=headers)
        with count_queries() as n:
            assert client.get(f"{API}/me/attempts", headers=headers).status_code == 200
        counts.append(n())
    assert counts[0] == counts[1]
