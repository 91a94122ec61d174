"""Walk every route of the URL map as an anonymous visitor and as every role.

A new route that forgets its access check fails here: anonymous visitors must be sent to the login
page (or get 401 from the API) unless the route is on the public list below, and no role may crash a
route with guessed ids.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.api.auth import issue_token

# Endpoints anyone may reach without signing in, and why.
PUBLIC = {
    "static",  # CSS/JS
    "core.index",  # redirects to the login page
    "core.healthz",  # load balancer health check
    "core.set_locale",  # language switch before signing in
    "accounts.login",
    "accounts.invitation",  # an invitation link: the token in it is the credential (single use, expiring)
    "offline.service_worker",  # the service worker script (no personal data)
    "offline.manifest",  # the web app manifest (browsers fetch it without cookies)
    "offline.offline_page",  # the "needs a connection" page the service worker keeps (no personal data)
}
PUBLIC_PREFIXES = (
    "api.document",  # the OpenAPI description is public
    "api.create_token",  # obtaining a token needs no token
    "reports.verify",  # certificate verification page is public by design
)
# Endpoints open to any signed-in user: each view checks the object itself (own work, an assigned
# course, a taught cohort, a certificate of one's own or of someone HR follows).
SIGNED_IN = {
    "accounts.change_password",
    "accounts.logout",
    "reports.home",
    "learning.catalogue",
    "learning.course",
    "learning.module",
    "learning.complete",
    "learning.glossary",
    "assessments.index",
    "assessments.quiz",
    "assessments.start",
    "assessments.take",
    "assessments.take_post",
    "assessments.autosave",
    "assessments.result",
    "roleplay.library",
    "roleplay.card",
    "roleplay.submission",
    "roleplay.audio",
    "roleplay.partner_brief",  # the signed-in partner or a grading instructor (tests/test_grading_live_session.py)
    "notifications.index",
    "notifications.open_notification",
    "notifications.read_all",
    "reports.transcript",
    "reports.certificate",
    "reports.transcript_pdf",  # the same check as reports.transcript (tests/test_transcript_pdf.py)
    "certificate_register.mine",  # a person's own certificates (tests/test_certificate_lifecycle.py)
    "jobs.index",  # a person's own jobs (tests/test_jobs.py)
    "jobs.job",  # a job: its starter, or its audience role; others 404 (tests/test_jobs.py)
    "jobs.status",
    "jobs.download",
}
ROLES = ("trainee", "instructor", "hr", "manager", "admin")


def _value(argument: str, converter: str) -> str:
    return "999999" if converter in ("IntegerConverter", "IdConverter") else "no-such-thing"


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule, with guessed argument values."""
    out = []
    for rule in app.url_map.iter_rules():
        rule: Rule
        values = {arg: _value(arg, type(rule._converters[arg]).__name__) for arg in rule.arguments}
        if rule.endpoint == "static":
            values = {"filename": "css/app.css"}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


def is_public(endpoint: str) -> bool:
    """Whether an endpoint is meant to be reachable without signing in."""
    return endpoint in PUBLIC or endpoint.startswith(PUBLIC_PREFIXES)


def test_every_route_requires_sign_in_unless_public(app, client):
    found = routes(app)
    assert len(found) > 20
    failures = []
    for endpoint, method, url in found:
        if is_public(endpoint):
            continue
        response = client.open(url, method=method)
        if url.startswith("/api/"):
            ok = response.status_code == 401
        else:
            ok = response.status_code == 302 and "/login" in response.headers.get("Location", "")
        if not ok:
            failures.append(f"{method} {url} ({endpoint}) → {response.status_code}")
    assert not failures, "routes reachable without signing in:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_no_route_crashes_for_any_role(app, client, login_as, role):
    login_as(role)
    failures = []
    for endpoint, method, url in routes(app):
        if endpoint in ("accounts.logout",):
            continue
        response = client.open(url, method=method)
        if response.status_code >= 500:
            failures.append(f"{method} {url} ({endpoint}) → {response.status_code}")
    assert not failures, "\n".join(failures)


def test_trainee_cannot_reach_staff_pages(app, client, login_as):
    login_as("trainee")
    staff_prefixes = ("/admin", "/grading", "/hr", "/reports", "/results")
    failures = []
    for endpoint, method, url in routes(app):
        if url.startswith(staff_prefixes) and method == "GET":
            status = client.get(url).status_code
            if status not in (403, 404):
                failures.append(f"GET {url} ({endpoint}) → {status}")
    assert not failures, "\n".join(failures)


def required_roles(app, endpoint: str) -> tuple[str, ...] | None:
    """The roles a view's ``role_required`` decorator allows (None when it has none)."""
    return getattr(app.view_functions[endpoint], "required_roles", None)


def test_every_route_is_classified(app):
    """A new route must be public, token-checked (API), role-restricted, or listed as open to any signed-in user."""
    unclassified = sorted(
        {
            endpoint
            for endpoint, _method, _url in routes(app)
            if not is_public(endpoint)
            and not endpoint.startswith("api.")
            and required_roles(app, endpoint) is None
            and endpoint not in SIGNED_IN
        }
    )
    assert not unclassified, "routes without a role check or a place in SIGNED_IN: " + ", ".join(unclassified)
    assert {endpoint for endpoint, _method, _url in routes(app)} >= SIGNED_IN, "SIGNED_IN names a route that is gone"


@pytest.mark.parametrize("role", ROLES)
def test_role_restricted_routes_refuse_every_other_role(app, client, login_as, role):
    login_as(role)
    failures = []
    checked = 0
    for endpoint, method, url in routes(app):
        allowed = required_roles(app, endpoint)
        if allowed is None or role in allowed:
            continue
        checked += 1
        status = client.open(url, method=method).status_code
        if status != 403:
            failures.append(f"{method} {url} ({endpoint}) → {status}, expected 403 for {role}")
    assert checked > 5
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_no_api_route_crashes_for_any_role_with_a_token(app, client, make_user, role):
    user = make_user(f"api-{role}", roles=[role])
    secret, _row = issue_token(user)
    headers = {"Authorization": f"Bearer {secret}"}
    failures = []
    for endpoint, method, url in routes(app):
        if not url.startswith("/api/") or endpoint == "api.delete_token":
            continue
        response = client.open(url, method=method, headers=headers, json={})
        if response.status_code >= 500 or response.status_code == 401:
            failures.append(f"{method} {url} ({endpoint}) → {response.status_code}")
        if response.status_code >= 400:
            assert response.is_json and response.get_json()["errors"], url
    assert not failures, "\n".join(failures)
    if role not in ("hr", "manager"):  # a manager's token sees their departments' people
        assert client.get("/api/v1/reports/completion", headers=headers).status_code == 403
