"""GET /api/v1/reports/completion: HR tokens only, paginated, filterable, fixed query count, documented."""

from __future__ import annotations

import pytest

from app.api.auth import issue_token
from tests.test_reports import YESTERDAY, people, populate, progressed  # noqa: F401  (fixtures)

URL = "/api/v1/reports/completion"


def headers_for(user) -> dict:
    token, _ = issue_token(user)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def hr(make_user):
    return make_user("api-hr", roles=["hr"])


def test_hr_gets_every_enrolment_with_its_checklist(client, hr, progressed):  # noqa: F811
    body = client.get(URL, headers=headers_for(hr)).get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 3)
    by_no = {item["user"]["employee_no"]: item for item in body["items"]}
    done = by_no["A001"]
    assert done["status"] == "complete" and done["overdue"] is False
    assert done["completed_at"].endswith("Z") and (done["done"], done["total"]) == (4, 4)
    assert done["course"]["title"] == "测试课程" and done["due_date"] == YESTERDAY.isoformat()
    quiz = next(i for i in done["items"] if i["kind"] == "quiz")
    assert quiz == {
        "kind": "quiz",
        "slug": "demo-check",
        "title": "测试知识检测",
        "state": "done",
        "score": 100,
        "max": None,
    }
    idle = by_no["A003"]
    assert idle["status"] == "not_started" and idle["overdue"] is True
    assert [i["state"] for i in idle["items"]] == ["todo"] * 4 and idle["completed_at"] is None


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("status=complete", ["A001"]),
        ("status=overdue", ["A002", "A003"]),
        ("q=陈静", ["A003"]),
        ("status=nonsense", ["A001", "A002", "A003"]),
    ],
)
def test_filters_like_the_dashboard(client, hr, progressed, query, numbers):  # noqa: F811
    body = client.get(f"{URL}?{query}", headers=headers_for(hr)).get_json()
    assert sorted(i["user"]["employee_no"] for i in body["items"]) == numbers


def test_pagination(client, hr, app):
    populate(25)
    body = client.get(f"{URL}?per_page=10&page=3", headers=headers_for(hr)).get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (3, 10, 25, 5)
    refused = client.get(f"{URL}?per_page=1000", headers=headers_for(hr))
    assert refused.status_code == 400 and refused.get_json()["errors"]  # the documented maximum is 100


@pytest.mark.parametrize("role", ["trainee", "instructor", "admin"])
def test_other_roles_get_403(client, make_user, role):
    user = make_user(f"api-{role}", roles=[role])
    response = client.get(URL, headers=headers_for(user))
    assert response.status_code == 403
    assert response.get_json() == {"errors": ["只有人事和经理可以查看完成情况报表。"]}


def test_no_token_is_401(client):
    response = client.get(URL)
    assert response.status_code == 401 and "errors" in response.get_json()


def test_query_count_is_fixed_at_10_and_1000_trainees(client, hr, count_queries):
    populate(10)
    headers = headers_for(hr)
    client.get(URL, headers=headers)  # warm up: same session state before each measured call
    with count_queries() as small:
        assert client.get(URL, headers=headers).status_code == 200
    populate(990, cohort="bigger")
    client.get(URL, headers=headers)
    with count_queries() as large:
        body = client.get(URL, headers=headers).get_json()
    assert body["total"] == 1000
    assert 0 < small() == large()


def test_described_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/reports/completion"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"page", "per_page", "department", "cohort", "course", "status", "due_before", "q"}
    assert "CompletionItem" in document["components"]["schemas"]
