"""JSON API for role-play: cards (no partner brief), written submissions, the caller's submissions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.roleplay.models import Submission
from tests import factories
from tests.conftest import PASSWORD
from tests.test_roleplay import RESPONSE, grade_post, login, only_submission, people

API = "/api/v1"


def token_headers(client, user) -> dict:
    """Bearer headers for a user."""
    response = client.post(f"{API}/auth/token", json={"username": user.username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


@pytest.fixture
def trainee_headers(client):
    trainee, instructor = people()
    return trainee, instructor, token_headers(client, trainee)


def test_cards_are_listed_and_filtered(client, trainee_headers):
    _, _, headers = trainee_headers
    body = client.get(f"{API}/roleplays", headers=headers).get_json()
    assert body["total"] == 1
    assert body["items"][0] == {
        "slug": "demo-card",
        "title": "测试角色扮演",
        "summary": None,
        "course": "demo-course",
        "difficulty": "basic",
        "minutes": 10,
        "roles": {"trainee": "客服代表", "partner": "客户"},
        "pass_percent": 60,
    }
    assert client.get(f"{API}/roleplays?difficulty=advanced", headers=headers).get_json()["total"] == 0
    assert client.get(f"{API}/roleplays?course=demo-course", headers=headers).get_json()["total"] == 1
    assert client.get(f"{API}/roleplays?course=nope", headers=headers).get_json()["total"] == 0
    assert client.get(f"{API}/roleplays?difficulty=hard", headers=headers).status_code == 400


def test_card_detail_has_rubric_but_never_the_partner_brief(client, trainee_headers):
    _, _, headers = trainee_headers
    response = client.get(f"{API}/roleplays/demo-card", headers=headers)
    body = response.get_json()
    assert response.status_code == 200
    assert "安抚客户并提出方案" in body["task_html"]
    assert (body["rubric"]["max_points"], body["rubric"]["pass_mark"]) == (10, 6)
    assert [c["key"] for c in body["rubric"]["criteria"]] == ["calm-first", "solution"]
    assert "已经修过两次" not in response.get_data(as_text=True)
    assert "partner_html" not in body
    assert client.get(f"{API}/roleplays/nope", headers=headers).status_code == 404


def test_unassigned_trainee_cannot_open_or_submit(client):
    loner = factories.make_user("api-loner", roles=["trainee"])
    headers = token_headers(client, loner)
    assert client.get(f"{API}/roleplays", headers=headers).get_json()["total"] == 0
    assert client.get(f"{API}/roleplays/demo-card", headers=headers).status_code == 403
    assert (
        client.post(f"{API}/roleplays/demo-card/submissions", json={"response": "x"}, headers=headers).status_code
        == 403
    )
    assert count() == 0


def test_submit_a_written_response(client, trainee_headers):
    trainee, _, headers = trainee_headers
    response = client.post(f"{API}/roleplays/demo-card/submissions", json={"response": RESPONSE}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "submitted" and body["response"] == RESPONSE and body["card"]["slug"] == "demo-card"
    submission = only_submission()
    assert submission.trainee_id == trainee.id and submission.rubric_version_id is not None


def test_draft_then_submit_and_waiting_is_409(client, trainee_headers):
    _, _, headers = trainee_headers
    url = f"{API}/roleplays/demo-card/submissions"
    assert client.post(url, json={"response": "草稿", "submit": False}, headers=headers).get_json()["status"] == "draft"
    assert client.post(url, json={"response": RESPONSE}, headers=headers).get_json()["status"] == "submitted"
    conflict = client.post(url, json={"response": "再改"}, headers=headers)
    assert conflict.status_code == 409 and conflict.get_json()["errors"]
    assert only_submission().response_text == RESPONSE


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (None, 400),
        ({"text": "x"}, 400),
        ({"response": 5}, 400),
        ({"response": "x", "submit": "yes"}, 400),
        ({"response": "   "}, 422),
        ({"response": "长" * 20001}, 422),
    ],
)
def test_bad_bodies_store_nothing(client, trainee_headers, body, status):
    _, _, headers = trainee_headers
    url = f"{API}/roleplays/demo-card/submissions"
    response = client.post(url, json=body, headers=headers) if body is not None else client.post(url, headers=headers)
    assert response.status_code == status
    assert response.get_json()["errors"]
    assert count() == 0


def test_only_trainees_submit(client, trainee_headers):
    _, instructor, _ = trainee_headers
    headers = token_headers(client, instructor)
    response = client.post(f"{API}/roleplays/demo-card/submissions", json={"response": RESPONSE}, headers=headers)
    assert response.status_code == 403
    assert count() == 0


def test_my_submissions_show_feedback_once_graded(client, trainee_headers, count_queries):
    trainee, instructor, headers = trainee_headers
    client.post(f"{API}/roleplays/demo-card/submissions", json={"response": RESPONSE}, headers=headers)
    body = client.get(f"{API}/me/submissions", headers=headers).get_json()
    assert body["items"][0]["status"] == "submitted" and body["items"][0]["criteria"] == []
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 1}, comments={"solution": "再具体些"})
    item = client.get(f"{API}/me/submissions", headers=headers).get_json()["items"][0]
    assert (item["status"], item["total"], item["max_points"], item["passed"]) == ("graded", 7, 10, True)
    assert item["criteria"][1] == {
        "key": "solution",
        "title": "提出方案",
        "level": "做到",
        "points": 3,
        "comment": "再具体些",
    }
    other, _ = people(trainee_name="学员乙")
    assert client.get(f"{API}/me/submissions", headers=token_headers(client, other)).get_json()["total"] == 0
    trainee_id = trainee.id
    db.session.expunge_all()
    with count_queries() as few:
        client.get(f"{API}/me/submissions", headers=headers)
    for _ in range(3):
        client.post(f"{API}/roleplays/demo-card/submissions", json={"response": "新的一次"}, headers=headers)
        grade_post(client, only_latest(trainee_id), "grade", {"calm-first": 1, "solution": 1})
    db.session.expunge_all()
    with count_queries() as many:
        assert client.get(f"{API}/me/submissions", headers=headers).get_json()["total"] == 4
    assert many() == few()


def only_latest(trainee_id: int) -> Submission:
    """The trainee's newest submission."""
    db.session.expire_all()
    return db.session.scalars(
        select(Submission).where(Submission.trainee_id == trainee_id).order_by(Submission.id.desc())
    ).first()
