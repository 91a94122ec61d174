"""Revoking a waiver: HR only, object checks, CSRF, audit record, recompute (complete → in progress)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.completion import services
from app.completion.models import Certificate, Waiver
from app.core.audit import AuditEvent
from app.extensions import db
from tests import factories
from tests.test_completion import grade_roleplay, read_all, record, states, take_quiz


@pytest.fixture
def hr(app, make_user):
    """An HR user."""
    return make_user("hr1", roles=["hr"], name="人事甲")


@pytest.fixture
def waiver(trainee, hr) -> Waiver:
    """The trainee read every module and passed the quiz; HR waived the role-play, completing the course."""
    read_all(trainee)
    take_quiz(trainee)
    item = services.waive(trainee, factories.course(), "roleplay", "demo-card", "已参加线下演练", hr)
    assert record(trainee).status == "complete"
    return item


def url(waiver_id: int, user_id: int, course_id: int) -> str:
    """The revoke route for a waiver id under a user and course."""
    return f"/reports/trainees/{user_id}/courses/{course_id}/waivers/{waiver_id}/revoke"


def revoke_url(waiver: Waiver) -> str:
    """The revoke route of a waiver, with its own user and course."""
    return url(waiver.id, waiver.user_id, waiver.course_id)


def waiver_count() -> int:
    """How many waivers are stored."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Waiver))


def revoked_events() -> list[AuditEvent]:
    """Audit events of revoked waivers."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "completion.waiver_revoked")))


# Service -------------------------------------------------------------------------------------------


def test_revoking_deletes_the_waiver_and_the_course_is_no_longer_complete(trainee, hr, waiver):
    row = services.revoke_waiver(waiver, hr, "  误操作  ")
    assert row.status == "in_progress"
    assert waiver_count() == 0
    fresh = record(trainee)
    assert fresh.status == "in_progress"
    assert fresh.completed_at is None
    assert states(fresh)["roleplay:demo-card"] == "todo"
    assert fresh.done == fresh.total - 1
    (event,) = revoked_events()
    assert (event.target_type, event.target_id) == ("users", trainee.id)
    assert event.details["slug"] == "demo-card" and event.details["kind"] == "roleplay"
    assert event.details["waiver_reason"] == "已参加线下演练"
    assert event.details["waived_by"] == "hr1" and event.details["revoked_by"] == "hr1"
    assert event.details["reason"] == "误操作"


def test_revoking_the_waiver_revokes_the_certificate_with_the_reason(client, trainee, hr, waiver):
    code = db.session.scalar(select(Certificate.code).where(Certificate.user_id == trainee.id))
    assert code
    services.revoke_waiver(waiver, hr, "误操作")
    assert record(trainee).status == "in_progress"
    db.session.expire_all()
    cert = db.session.scalar(select(Certificate).where(Certificate.code == code))
    assert cert.status == "revoked" and cert.revoked_at is not None
    assert "豁免被撤销" in cert.revoked_reason and "误操作" in cert.revoked_reason
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "已于" in page and "被撤销" in page and "这是一张有效的结业证书" not in page
    assert "误操作" not in page and "豁免" not in page  # the reason stays private


def test_revoking_a_waiver_of_an_item_done_since_keeps_the_course_complete(app, trainee, hr, waiver, make_user):
    grader = make_user("teacher", roles=["instructor"], cohort="c1")
    grade_roleplay(app, trainee, grader)
    assert states(record(trainee))["roleplay:demo-card"] == "done"
    services.revoke_waiver(waiver, hr)
    assert record(trainee).status == "complete"
    assert waiver_count() == 0


def test_revoking_twice_is_refused(trainee, hr, waiver):
    stale = db.session.get(Waiver, waiver.id)
    services.revoke_waiver(waiver, hr)
    with pytest.raises(services.CompletionError, match="已被撤销"):
        services.revoke_waiver(stale, hr)
    assert len(revoked_events()) == 1


def test_a_too_long_reason_is_refused_and_nothing_changes(trainee, hr, waiver):
    with pytest.raises(services.CompletionError, match="不能超过 500"):
        services.revoke_waiver(waiver, hr, "长" * 501)
    assert waiver_count() == 1
    assert record(trainee).status == "complete"
    assert revoked_events() == []


# Route: happy path ---------------------------------------------------------------------------------


def test_transcript_offers_revocation_to_hr_only(client, login_as, trainee, hr, waiver, make_user):
    login_as(hr)
    page = client.get(f"/reports/trainees/{trainee.id}").get_data(as_text=True)
    assert "撤销豁免" in page
    assert revoke_url(waiver) in page
    login_as(make_user("teacher", roles=["instructor"], cohort="c1"))
    response = client.get(f"/reports/trainees/{trainee.id}")
    assert response.status_code == 200
    assert revoke_url(waiver) not in response.get_data(as_text=True)
    login_as(trainee)
    response = client.get(f"/reports/trainees/{trainee.id}")
    assert response.status_code == 200
    assert revoke_url(waiver) not in response.get_data(as_text=True)


def test_hr_revokes_through_the_transcript(client, login_as, trainee, hr, waiver):
    login_as(hr)
    course = factories.course()
    response = client.post(revoke_url(waiver), data={"reason": "线下演练记录有误"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/reports/trainees/{trainee.id}#course-{course.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已撤销豁免，课程完成情况已更新。" in page
    assert revoke_url(waiver) not in page
    assert "没有豁免记录" in page
    assert waiver_count() == 0
    assert record(trainee).status == "in_progress"
    (event,) = revoked_events()
    assert event.actor_id == hr.id and event.details["reason"] == "线下演练记录有误"


def test_the_reason_is_optional(client, login_as, trainee, hr, waiver):
    login_as(hr)
    response = client.post(revoke_url(waiver), follow_redirects=True)
    assert "已撤销豁免" in response.get_data(as_text=True)
    assert waiver_count() == 0
    assert record(trainee).status == "in_progress"


def test_a_too_long_reason_is_refused_through_the_form(client, login_as, trainee, hr, waiver):
    login_as(hr)
    response = client.post(revoke_url(waiver), data={"reason": "长" * 501}, follow_redirects=True)
    assert "撤销原因不能超过 500 个字" in response.get_data(as_text=True)
    assert waiver_count() == 1
    assert record(trainee).status == "complete"


def test_revocation_is_on_the_audit_page(client, login_as, trainee, hr, waiver):
    login_as(hr)
    client.post(revoke_url(waiver), data={"reason": "重新评估"})
    login_as("admin")
    page = client.get("/admin/audit?action=completion.waiver_revoked").get_data(as_text=True)
    assert "撤销豁免" in page and "重新评估" in page


# Route: access, object checks, methods, CSRF ----------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, waiver):
    response = client.post(revoke_url(waiver))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert waiver_count() == 1


@pytest.mark.parametrize("role", ["trainee", "instructor", "admin"])
def test_other_roles_are_refused(client, login_as, trainee, waiver, role):
    login_as(role, cohort="c1")
    response = client.post(revoke_url(waiver))
    assert response.status_code == 403
    assert waiver_count() == 1
    assert record(trainee).status == "complete"


def test_the_trainee_cannot_revoke_their_own_waiver(client, login_as, trainee, waiver):
    login_as(trainee)
    assert client.post(revoke_url(waiver)).status_code == 403
    assert waiver_count() == 1


def test_someone_elses_waiver_id_is_404(client, login_as, trainee, hr, waiver, make_user):
    other = make_user("t2", roles=["trainee"], cohort="c1")
    login_as(hr)
    course_id = factories.course().id
    assert client.post(url(waiver.id, other.id, course_id)).status_code == 404
    assert client.post(url(waiver.id, trainee.id, course_id + 1000)).status_code == 404
    assert client.post(url(waiver.id + 1000, trainee.id, course_id)).status_code == 404
    assert waiver_count() == 1
    assert record(trainee).status == "complete"


def test_a_revoked_waiver_is_gone(client, login_as, hr, waiver):
    login_as(hr)
    assert client.post(revoke_url(waiver)).status_code == 302
    assert client.post(revoke_url(waiver)).status_code == 404


def test_get_does_not_revoke(client, login_as, trainee, hr, waiver):
    login_as(hr)
    assert client.get(revoke_url(waiver)).status_code == 405
    assert waiver_count() == 1
    assert record(trainee).status == "complete"


def test_post_without_csrf_token_fails(app, client, login_as, trainee, hr, waiver):
    login_as(hr)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(revoke_url(waiver), data={"reason": "没有令牌"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert waiver_count() == 1
    assert record(trainee).status == "complete"
