"""The API behaves as /api/v1/openapi.json says: Schemathesis generates calls from the document.

Every operation gets valid and invalid inputs (Schemathesis' coverage and fuzzing phases, derandomised
so CI is repeatable and quick) through the WSGI interface, with a seeded trainee's bearer token (and an
HR token for the reports). Each response must not be a server error and must match the document:
a documented status code, content type and body schema.
"""

from __future__ import annotations

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from app.api.auth import issue_token
from app.assessments.models import Attempt
from app.extensions import db
from tests import factories

API = "/api/v1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Real slugs of the test content, so that generated calls also reach the success paths.
SLUGS = {"/quizzes/{slug}": ["demo-check", "demo-self"], "/roleplays/{slug}": ["demo-card"]}


@pytest.fixture
def people(app) -> dict:
    """A trainee of cohort c1 (assigned the demo course) and an HR account, as users."""
    trainee = factories.make_user("schema-trainee", cohort="c1", department="门店销售部")
    factories.assign(cohort="c1")
    return {"trainee": trainee, "hr": factories.make_user("schema-hr", roles=["hr"])}


@pytest.fixture
def tokens(people) -> dict:
    """Bearer tokens of the seeded trainee and HR account."""
    return {role: issue_token(user)[0] for role, user in people.items()}


@pytest.fixture
def api_schema(app, people):
    """The API's own document, loaded through the WSGI interface, with real slugs mixed into the generated ones."""
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        slugs = next((v for k, v in SLUGS.items() if context.operation.path.startswith(k)), None)
        if not slugs or "slug" not in (path_parameters or {}):
            return st.just(path_parameters)
        return st.sampled_from([path_parameters["slug"], *slugs]).map(lambda slug: {**path_parameters, "slug": slug})

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_matches_its_document(case, people, tokens):
    if case.method.upper() == "DELETE" and case.path == "/auth/token":
        token = issue_token(people["trainee"])[0]  # revoke a throw-away token, not the one the other calls use
    else:
        token = tokens["hr" if case.path.startswith("/reports") else "trainee"]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def _request_schema(document: dict, name: str):
    """A validator for a component schema of the document (references resolved against the document)."""
    return jsonschema_rs.validator_for(
        {**document["components"]["schemas"][name], "components": document["components"]}
    )


def test_the_document_refuses_the_bodies_the_endpoints_refuse(client, tokens):
    document = client.get(f"{API}/openapi.json").get_json()
    attempt = _request_schema(document, "AttemptRequest")
    assert not attempt.is_valid({"answers": {}})
    assert attempt.is_valid({"answers": {"k1": "A"}})
    headers = {"Authorization": f"Bearer {tokens['trainee']}"}
    response = client.post(f"{API}/quizzes/demo-check/attempts", json={"answers": {}}, headers=headers)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    page = next(p for p in document["paths"]["/quizzes"]["get"]["parameters"] if p["name"] == "per_page")
    assert (page["schema"]["minimum"], page["schema"]["maximum"]) == (1, 100)
    for per_page in (0, 101):
        assert client.get(f"{API}/quizzes?per_page={per_page}", headers=headers).status_code == 400


def test_every_operation_documents_the_refusals_every_call_may_get(client):
    document = client.get(f"{API}/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "400" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "422" in operation["responses"], (method, path)
