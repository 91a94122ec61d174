"""The source document's two self-tests, loaded from quizzes/: web form and API agree with its tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from app.content.loader import load_quiz
from app.content.sync import sync
from app.content.validate import check, errors_only
from tests.conftest import PASSWORD, TEST_CONTENT

ROOT = Path(__file__).parents[1]


@pytest.fixture
def real_self_tests(app):
    """The test content plus the real first-impression and empathy quizzes (without their course)."""
    content, problems = check(TEST_CONTENT)
    assert not errors_only(problems)
    for slug in ("first-impression", "empathy"):
        found: list = []
        data = load_quiz(ROOT / "quizzes" / f"{slug}.yaml", ROOT, found)
        assert data is not None and not found, found
        content.quizzes.append(dataclasses.replace(data, course=None))
    sync(content)


def first_impression(a: int, b: int, c: int) -> dict[str, str]:
    keys = ["A"] * a + ["B"] * b + ["C"] * c
    return {f"q{i + 1}": key for i, key in enumerate(keys)}


def empathy(agreed: int) -> dict[str, str]:
    return {f"q{i}": "Y" if i <= agreed else "N" for i in range(1, 14)}


# (slug, answers, total, band key, band title) — the document's scoring tables.
TABLE = [
    ("first-impression", first_impression(12, 0, 0), 60, "good", "你给别人的印象非常好"),
    ("first-impression", first_impression(9, 0, 3), 48, "good", "你给别人的印象非常好"),
    ("first-impression", first_impression(8, 1, 3), 46, "average", "你给别人的印象一般"),
    ("first-impression", first_impression(0, 6, 6), 24, "average", "你给别人的印象一般"),
    ("first-impression", first_impression(0, 5, 7), 22, "poor", "你给别人的印象差"),
    ("first-impression", first_impression(0, 0, 12), 12, "poor", "你给别人的印象差"),
    ("empathy", empathy(13), 13, "good", "你敏感而有爱心，善于体察对方"),
    ("empathy", empathy(12), 12, "good", "你敏感而有爱心，善于体察对方"),
    ("empathy", empathy(11), 11, "average", "你能体会对方的情感，但可能存在偏差"),
    ("empathy", empathy(8), 8, "average", "你能体会对方的情感，但可能存在偏差"),
    ("empathy", empathy(7), 7, "poor", "你的体察能力较差"),
    ("empathy", empathy(0), 0, "poor", "你的体察能力较差"),
]


@pytest.mark.parametrize(("slug", "answers", "total", "band", "title"), TABLE)
def test_web_form_and_api_give_the_documents_result(
    client, login_as, real_self_tests, slug, answers, total, band, title
):
    user = login_as("trainee")
    response = client.post(f"/quizzes/{slug}/start")
    attempt_path = response.headers["Location"]
    data = {"action": "submit", **{f"answer-{q}": key for q, key in answers.items()}}
    result_path = client.post(attempt_path, data=data).headers["Location"]
    page = client.get(result_path).get_data(as_text=True)
    assert f'<span id="result-score">{total}</span>' in page
    assert f'data-band="{band}">{title}</h2>' in page

    token = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}).get_json()
    api = client.post(
        f"/api/v1/quizzes/{slug}/attempts",
        json={"answers": answers},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert api.status_code == 201
    body = api.get_json()
    assert (body["score"], body["band"], body["passed"]) == (total, {"key": band, "title": title}, None)
    assert body["max_score"] == (60 if slug == "first-impression" else 13)
    web = client.get("/api/v1/me/attempts", headers={"Authorization": f"Bearer {token['token']}"}).get_json()
    assert [(a["score"], a["band"]) for a in web["items"]] == [(total, body["band"])] * 2


def test_the_real_self_tests_are_open_to_every_trainee_when_they_name_no_course(client, login_as, real_self_tests):
    login_as("trainee")
    page = client.get("/quizzes").get_data(as_text=True)
    assert "第一印象自我测试" in page and "同理心自我测试" in page
    assert "测试自评" not in page  # a course quiz needs the course assigned
