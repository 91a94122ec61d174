"""Hostile but ordinary input never gives a 500: page numbers, ids and control characters, web and API."""

from __future__ import annotations

import inspect
import re
import sys

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from app.accounts.models import Cohort, Department, User
from app.api.auth import issue_token
from app.assessments.models import Attempt
from app.core.forms import BaseForm, NoControlCharacters
from app.core.pagination import MAX_INT, paginate, paginate_rows
from app.extensions import db
from app.learning import services as learning_services
from app.reports import queries as report_queries
from app.roleplay.models import Submission
from tests import factories
from tests.conftest import PASSWORD

API = "/api/v1"

# Every paginated page and API list, with a URL that reaches it (see the completeness test below).
WEB_LISTS = {
    "admin.users": "/admin/users",
    "staff.people": "/hr/people",
    "admin.departments": "/admin/departments",
    "admin.cohorts": "/admin/cohorts",
    "admin.audit_log": "/admin/audit",
    "admin.throttles": "/admin/throttles",
    "assessments.index": "/quizzes",
    "assessments.quiz": "/quizzes/demo-self",
    "assessments.results": "/results",
    "roleplay.library": "/roleplays",
    "roleplay.my_submissions": "/submissions",
    "roleplay.queue": "/grading",
    "notifications.index": "/notifications",
    "reports.dashboard": "/reports",
    "reports.roleplays": "/reports/roleplays",
    "assignments.index": "/hr/assignments",
    "rules.index": "/hr/rules",
    "rules.edit": "/hr/rules/1",  # the rule made by ``everyone``
    "jobs.index": "/jobs",
    "certificate_register.register": "/hr/certificates",
}
API_LISTS = {
    "api.list_quizzes": f"{API}/quizzes",
    "api.my_attempts": f"{API}/me/attempts",
    "api.list_roleplays": f"{API}/roleplays",
    "api.my_submissions": f"{API}/me/submissions",
    "api.completion_report": f"{API}/reports/completion",
}
HOSTILE_PAGES = [
    "page=922337203685477581",
    "page=99999999999999999999999",
    f"page={2**63}",
    "page=-1",
    "page=0",
    "page=abc",
    "page=1e9",
    "page=",
    "page=1&page=2",
    "page=%EF%BC%91",
    "page=%C2%B2",
    "per_page=null",
    "per_page=0",
    f"per_page={10**20}",
    "per_page=-5",
    "per_page=1&per_page=2",
]
# Ids in filters: too large for a database integer, not ASCII digits, negative.
HOSTILE_IDS = ["99999999999999999999", "%C2%B2", "-1", "1.5", f"{2**31}"]
FILTERED = [
    "/roleplays?course={}",
    "/grading?cohort={}&course={}&card={}",
    "/results?cohort={}&quiz={}",
    "/reports?department={}&cohort={}&course={}",
    "/reports/roleplays?course={}&department={}",
    "/hr/assignments?course={}",
    "/reports/export.csv?course={}&cohort={}&department={}",
    API + "/reports/completion?course={}&cohort={}&department={}",
]


@pytest.fixture
def everyone(app):
    """One person with every role, in cohort c1 (assigned the demo course), signed in on the web."""
    user = factories.make_user(
        "all-roles", roles=["trainee", "instructor", "hr", "admin"], cohort="c1", department="门店销售部", name="全能"
    )
    factories.assign(cohort="c1")
    rule, _ = learning_services.create_rule(  # rule 1, matching nobody (its page lists its people)
        department_id=None, position="无人岗位", course_id=factories.course().id, due_days=30, by=user
    )
    assert rule.id == 1
    return user


@pytest.fixture
def web(client, everyone):
    """The test client signed in as ``everyone``."""
    assert client.post("/login", data={"username": everyone.username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def bearer(everyone) -> dict:
    """API headers of ``everyone`` (a trainee and HR)."""
    return {"Authorization": f"Bearer {issue_token(everyone)[0]}"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


# --- page numbers --------------------------------------------------------------------------------


PAGINATING = re.compile(r"\b(paginate|paginated|page_arg|page_args|paginate_rows)\(|\bqueries\.page\(")


def _reads_a_page_number(function) -> bool:
    """Whether a view, or a helper of its module that it calls, paginates."""
    source = inspect.getsource(function)
    module = sys.modules[function.__module__]
    helpers = [getattr(module, name, None) for name in re.findall(r"\b(_[a-z_]+)\(", source)]
    return bool(PAGINATING.search(source)) or any(
        inspect.isfunction(helper) and PAGINATING.search(inspect.getsource(helper)) for helper in helpers
    )


def test_the_lists_of_paginated_pages_are_complete(app):
    found = set()
    for endpoint, view in app.view_functions.items():
        if _reads_a_page_number(inspect.unwrap(view)):
            found.add(endpoint)
    assert found == set(WEB_LISTS) | set(API_LISTS)
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= found


@pytest.mark.parametrize("endpoint", sorted(WEB_LISTS))
def test_web_lists_answer_hostile_page_numbers_with_a_page(web, endpoint):
    for query in HOSTILE_PAGES:
        response = web.get(f"{WEB_LISTS[endpoint]}?{query}")
        assert response.status_code == 200, (query, text(response)[:300])


@pytest.mark.parametrize("endpoint", sorted(API_LISTS))
def test_api_lists_refuse_hostile_page_numbers_with_400(client, bearer, endpoint):
    for query in HOSTILE_PAGES:
        response = client.get(f"{API_LISTS[endpoint]}?{query}", headers=bearer)
        assert response.status_code == 400, (query, text(response)[:300])
        errors = response.get_json()["errors"]
        assert errors and all(isinstance(e, str) and e for e in errors)
        assert ("per_page" if "per_page" in query else "page") in errors[0]


@pytest.mark.parametrize("endpoint", sorted(API_LISTS))
def test_api_lists_accept_the_documented_range(client, bearer, endpoint):
    for query, page, per_page in (
        ("", 1, 20),
        ("page=1&per_page=100", 1, 100),
        (f"page={MAX_INT}&per_page=1", MAX_INT, 1),
    ):
        response = client.get(f"{API_LISTS[endpoint]}?{query}", headers=bearer)
        assert response.status_code == 200, (query, text(response)[:300])
        body = response.get_json()
        assert (body["page"], body["per_page"]) == (page, per_page)
    assert body["items"] == []  # a page past the end is empty, not an error


def test_a_web_page_past_the_end_shows_the_last_page(web, app):
    for n in range(app.config["PER_PAGE"] + 5):
        factories.make_user(f"zz-{n:02d}")  # sorted last: the last page holds zz-20 … zz-24
    for query in ("page=922337203685477581", "page=2", "page=3"):
        page = text(web.get(f"/admin/users?{query}"))
        assert "zz-24" in page and "zz-00" not in page, query
    first = text(web.get("/admin/users?page=abc"))
    assert "all-roles" in first and "zz-24" not in first


def test_paginate_clamps_to_the_last_page_or_takes_the_api_page_as_given(app, everyone):
    for n in range(45):
        factories.make_user(f"p-{n:02d}")
    query = select(User).order_by(User.username)
    for number, expected in (("922337203685477581", 3), ("99", 3), ("2", 2), ("-3", 1), ("x", 1)):
        with app.test_request_context(f"/?page={number}"):
            assert paginate(query).page == expected, number
    with app.test_request_context("/?page=99"):
        page = paginate(query, per_page=20, page=MAX_INT)
        assert (page.page, page.items) == (MAX_INT, [])


def test_report_pages_clamp_too(app, everyone):
    rows = select(User.id, User.username).order_by(User.id)
    assert paginate_rows(rows, 922337203685477581, 20).page == 1
    filters = report_queries.Filters()
    assert report_queries.page(filters, None, 922337203685477581, 20, total=41).page == 3
    assert report_queries.page(filters, None, MAX_INT * 10, 20).page == MAX_INT


# --- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", FILTERED)
def test_hostile_ids_in_filters_are_ignored(web, bearer, url):
    for value in HOSTILE_IDS:
        response = web.get(url.replace("{}", value), headers=bearer if url.startswith(API) else {})
        body = text(response)  # read streamed exports to the end
        assert response.status_code in (200, 404), (value, body[:300])


def test_ids_in_paths_beyond_a_database_integer_are_404(web, app):
    checked = 0
    for rule in app.url_map.iter_rules():
        numbers = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if not numbers:
            continue
        for huge in (2**31, 10**20, int("9" * 30)):
            url = rule.rule
            for name in rule.arguments:
                url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(huge) if name in numbers else "demo-course", url)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = web.open(url, method=method)
                assert response.status_code in (404, 405), (method, url, response.status_code)
                checked += 1
    assert checked > 20


def test_hostile_checkbox_ids_are_ignored(web):
    response = web.post(
        "/hr/assignments/bulk", data={"bulk-action": "remove", "ids": ["99999999999999999999", "²", "-1"]}
    )
    assert response.status_code in (302, 400)


# --- control characters --------------------------------------------------------------------------

CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\r"]


def test_every_form_refuses_control_characters_in_every_text_field(app):
    forms = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith("app."):
            forms.add(form)
    assert len(forms) > 15
    assert all(issubclass(form, BaseForm) for form in forms), [f for f in forms if not issubclass(f, BaseForm)]
    with app.test_request_context():
        for form_class in forms:
            for field in form_class(meta={"csrf": False}):
                if field.type in ("StringField", "TextAreaField", "PasswordField", "EmailField", "HiddenField"):
                    assert isinstance(field.validators[0], NoControlCharacters), (form_class, field.name)


@pytest.mark.parametrize("char", CONTROL)
def test_a_department_name_with_a_control_character_is_refused(web, char):
    response = web.post("/admin/departments", data={"name": f"客服{char}中心"})
    assert response.status_code == 422
    assert "「名称」不能包含控制字符。" in text(response)
    assert count(Department) == 1  # everyone's own department only


def test_a_department_rename_with_a_nul_is_refused(web):
    department = db.session.scalar(select(Department))
    response = web.post(f"/admin/departments/{department.id}/rename", data={"name": "新\x00名"}, follow_redirects=True)
    assert "「名称」不能包含控制字符。" in text(response)
    db.session.expire_all()
    assert db.session.scalar(select(Department.name)) == "门店销售部"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\n"])
def test_a_cohort_name_with_a_control_character_is_refused(web, char):
    response = web.post("/admin/cohorts", data={"name": f"新{char}班组", "description": "说明"})
    assert response.status_code == 422
    assert "「班组名称」不能包含控制字符。" in text(response)
    assert db.session.scalars(select(Cohort.name)).all() == ["c1"]


def test_a_cohort_description_keeps_newlines_and_tabs_but_not_nul(web):
    response = web.post("/admin/cohorts", data={"name": "夜班", "description": "第一行\r\n第二行\t缩进\n第三行"})
    assert response.status_code == 302
    assert (
        db.session.scalar(select(Cohort.description).where(Cohort.name == "夜班")) == "第一行\r\n第二行\t缩进\n第三行"
    )
    response = web.post("/admin/cohorts", data={"name": "早班", "description": "第一行\x00"})
    assert response.status_code == 422 and "「说明」不能包含控制字符。" in text(response)
    response = web.post("/admin/cohorts", data={"name": "早班", "description": "第一行\r第二行"})  # a lone CR
    assert response.status_code == 422
    assert count(Cohort) == 2


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x9b"])
def test_a_roleplay_response_with_a_control_character_is_refused(web, char):
    response = web.post("/roleplays/demo-card/submission", data={"response": f"客户：你好{char}", "save": "1"})
    assert response.status_code in (400, 422)
    assert "「书面回应」不能包含控制字符。" in text(response)
    assert count(Submission) == 0


def test_a_roleplay_response_keeps_newlines_and_tabs(web):
    response = web.post("/roleplays/demo-card/submission", data={"response": "客户：你好\r\n我：\t您好", "save": "1"})
    assert response.status_code == 302
    assert db.session.scalar(select(Submission.response_text)) == "客户：你好\n我：\t您好"  # the service folds CRLF


@pytest.mark.parametrize("field", ["name", "employee_no", "position", "email"])
def test_a_profile_field_with_a_nul_is_refused(web, everyone, field):
    other = factories.make_user("bob", name="鲍勃")
    before = (other.name, other.employee_no, other.position, other.email)
    data = {
        "username": "bob",
        "name": "鲍勃",
        "roles": ["trainee"],
        "department_id": "0",
        "active": "y",
        field: "x\x00y@example.com" if field == "email" else "鲍\x00勃",
    }
    response = web.post(f"/admin/users/{other.id}", data=data)
    assert response.status_code == 422, text(response)[:300]
    assert "不能包含控制字符。" in text(response)
    db.session.expire_all()
    assert (other.name, other.employee_no, other.position, other.email) == before


def test_a_sign_in_with_a_nul_is_refused_without_touching_the_database(client, everyone):
    response = client.post("/login", data={"username": "all-roles\x00", "password": PASSWORD})
    assert response.status_code == 422 and "「用户名」不能包含控制字符。" in text(response)
    response = client.post("/login", data={"username": "all-roles", "password": PASSWORD + "\x00"})
    assert response.status_code == 422 and "「密码」不能包含控制字符。" in text(response)


def test_raw_form_fields_no_form_declares_are_checked_too(web):
    started = web.post("/quizzes/demo-check/start")
    attempt_id = db.session.scalar(select(Attempt.id))
    assert started.status_code == 302 and attempt_id
    response = web.post(f"/quizzes/demo-check/attempts/{attempt_id}", data={"answer-k1": "A\x00"})
    assert response.status_code == 400
    assert "「answer-k1」不能包含控制字符。" in text(response)


@pytest.mark.parametrize(
    "url", ["/reports?q=%00", "/admin/users?q=a%00b", "/admin/audit?actor=%1b", "/roleplays?course=%00"]
)
def test_search_boxes_refuse_control_characters(web, url):
    response = web.get(url)
    assert response.status_code == 400
    assert "不能包含控制字符。" in text(response)


def test_control_characters_in_a_path_are_404(web, bearer, client):
    assert web.get("/quizzes/demo%00self").status_code == 404
    assert web.get("/roleplays/%1b").status_code == 404
    response = client.get(f"{API}/quizzes/demo%00check", headers=bearer)
    assert response.status_code == 404 and response.get_json()["errors"]


def test_api_query_strings_with_control_characters_are_400(client, bearer):
    response = client.get(f"{API}/reports/completion?q=%00", headers=bearer)
    assert response.status_code == 400
    assert response.get_json() == {"errors": ["「q」不能包含控制字符。"]}


@pytest.mark.parametrize(
    "body",
    [
        {"response": "客户：\x00你好"},
        {"response": "好", "extra": ["ok", {"deep": "\x1b[31m"}]},
        {"response": "\x7f"},
    ],
)
def test_api_json_bodies_with_control_characters_are_422_naming_the_field(client, bearer, body):
    response = client.post(f"{API}/roleplays/demo-card/submissions", json=body, headers=bearer)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors and all("不能包含控制字符" in e for e in errors)
    assert any(name in errors[0] for name in ("「response」", "「extra[1].deep」"))
    assert count(Submission) == 0


def test_api_json_keeps_newlines_and_tabs(client, bearer):
    body = {"response": "客户：你好\n我：\t您好\r\n", "submit": False}
    response = client.post(f"{API}/roleplays/demo-card/submissions", json=body, headers=bearer)
    assert response.status_code == 201
    assert response.get_json()["response"].startswith("客户：你好\n我：\t您好")


def test_api_json_keys_lone_surrogates_and_deep_nesting_are_refused(client, bearer):
    response = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": {"k1\x00": "A"}}, headers=bearer)
    assert response.status_code == 422 and response.get_json()["errors"] == ["「answers」不能包含控制字符。"]
    raw = '{"response": "\\ud800"}'
    response = client.post(
        f"{API}/roleplays/demo-card/submissions", data=raw, content_type="application/json", headers=bearer
    )
    assert response.status_code == 422
    response = client.post(f"{API}/auth/token", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["errors"]
    assert count(Submission) == count(Attempt) == 0


def test_api_sign_in_with_a_nul_is_422_not_a_database_error(client, everyone):
    response = client.post(f"{API}/auth/token", json={"username": "all-roles\x00", "password": PASSWORD})
    assert response.status_code == 422
    assert response.get_json()["errors"] == ["「username」不能包含控制字符。"]


def test_web_json_endpoints_answer_json(web):
    web.post("/quizzes/demo-check/start")
    attempt_id = db.session.scalar(select(Attempt.id))
    response = web.post(f"/quizzes/demo-check/attempts/{attempt_id}/answer", json={"question": "k1\x00", "value": "A"})
    assert response.status_code == 422 and response.get_json()["errors"]


# --- 405 -----------------------------------------------------------------------------------------


def test_a_405_carries_allow_on_the_api_and_the_web(client, web):
    response = client.put(f"{API}/quizzes")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    assert response.get_json()["errors"]
    response = web.delete("/admin/departments")
    assert response.status_code == 405 and {"GET", "POST"} <= set(response.headers["Allow"].split(", "))
