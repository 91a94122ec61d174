"""Audit log: every administrative action leaves one event with its actor; the admin page lists them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import importer
from app.accounts import services as accounts
from app.accounts.models import Department, User
from app.core import audit
from app.core.audit import AuditEvent
from app.extensions import db
from app.learning.models import Assignment
from tests import factories
from tests.test_roleplay import grade_post, hand_in, login, only_submission, people


def events(action: str | None = None) -> list[AuditEvent]:
    """Stored events (of one action), oldest first."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    db.session.expire_all()
    return list(db.session.scalars(query))


def test_record_refuses_unknown_actions(app):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("user.teleported")


def test_admin_account_actions_are_recorded_with_actor_and_address(client, login_as):
    admin = login_as("admin")
    client.post(
        "/admin/users/new", data={"username": "zoe", "name": "佐伊", "password": "start-pass-11", "roles": ["trainee"]}
    )
    zoe = db.session.scalar(select(User).where(User.username == "zoe"))
    client.post(
        f"/admin/users/{zoe.id}",
        data={
            "username": "zoe",
            "name": "佐伊",
            "roles": ["instructor", "trainee"],
            "active": "y",
            "password": "reset-pass-22",
        },
    )
    client.post(f"/admin/users/{zoe.id}/deactivate")
    client.post(f"/admin/users/{zoe.id}", data={"username": "zoe", "name": "佐伊", "roles": ["trainee"], "active": "y"})
    actions = [(e.action, e.target_type, e.target_id) for e in events() if e.target_id == zoe.id]
    assert actions == [
        ("user.created", "users", zoe.id),
        ("user.roles_changed", "users", zoe.id),
        ("user.password_set", "users", zoe.id),
        ("user.deactivated", "users", zoe.id),
        ("user.roles_changed", "users", zoe.id),
        ("user.reactivated", "users", zoe.id),
    ]
    changed = events("user.roles_changed")
    assert changed[0].details == {"username": "zoe", "added": ["instructor"], "removed": []}
    assert changed[1].details == {"username": "zoe", "added": [], "removed": ["instructor"]}
    assert {(e.actor_id, e.address) for e in events() if e.target_id == zoe.id} == {(admin.id, "127.0.0.1")}


def test_saving_a_user_without_changes_records_nothing(client, login_as, make_user):
    login_as("admin")
    user = make_user("quiet", roles=["trainee"])
    before = len(events())
    client.post(
        f"/admin/users/{user.id}", data={"username": "quiet", "name": "quiet", "roles": ["trainee"], "active": "y"}
    )
    assert len(events()) == before


def test_departments_and_cohort_memberships_are_recorded(client, login_as, make_user):
    login_as("admin")
    client.post("/admin/departments", data={"name": "客服部"})
    dept = db.session.scalar(select(Department))
    client.post(f"/admin/departments/{dept.id}/rename", data={"name": "客户服务部"})
    client.post(f"/admin/departments/{dept.id}/delete")
    client.post("/admin/cohorts", data={"name": "三期班"})
    cohort = accounts.get_or_create_cohort("三期班")
    make_user("mia", roles=["trainee"])
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"username": "MIA", "role": "trainee"})
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"username": "mia", "role": "trainee"})  # no change
    member = cohort.members[0]
    client.post(f"/admin/cohorts/{cohort.id}/members/{member.id}/remove")
    recorded = [(e.action, e.details) for e in events() if not e.action.startswith("user.")]
    assert recorded == [
        ("department.created", {"name": "客服部"}),
        ("department.renamed", {"from": "客服部", "to": "客户服务部"}),
        ("department.deleted", {"name": "客户服务部"}),
        ("cohort.created", {"name": "三期班"}),
        ("cohort.member_added", {"cohort": "三期班", "username": "mia", "role": "trainee"}),
        ("cohort.member_removed", {"cohort": "三期班", "username": "mia", "role": "trainee"}),
    ]


def test_a_refused_action_records_nothing(client, login_as):
    login_as("admin")
    client.post("/admin/departments", data={"name": "甲"})
    client.post("/admin/departments", data={"name": "乙"})
    first = db.session.scalar(select(Department).where(Department.name == "甲"))
    client.post(f"/admin/departments/{first.id}/rename", data={"name": "乙"})  # taken
    assert [e.action for e in events() if e.action != "user.created"] == ["department.created", "department.created"]


def test_command_line_actions_have_no_actor(runner):
    result = runner.invoke(args=["users", "create", "cli-admin", "--role", "admin"], input="sturdy-pass-31\n")
    assert result.exit_code == 0, result.output
    (event,) = events("user.created")
    assert event.actor_id is None and event.address is None
    assert event.details == {"username": "cli-admin", "roles": ["admin"]}


def test_an_applied_import_records_its_counts(client, login_as):
    hr = login_as("hr")
    importer.apply("工号,姓名,部门,角色\nS1,甲,客服部,学员\nS2,乙,客服部,讲师\n".encode(), actor=hr)
    importer.apply("工号,姓名,部门\nS1,甲,客服部\nS2,乙,培训部\n".encode(), actor=hr)
    imports = events("staff.imported")
    assert [e.details for e in imports] == [
        {"created": 2, "updated": 0, "unchanged": 0, "deactivated": 0, "reactivated": 0, "invited": 0},
        {"created": 0, "updated": 1, "unchanged": 1, "deactivated": 0, "reactivated": 0, "invited": 0},
    ]
    assert [e.details["username"] for e in events("user.created")][1:] == ["s1", "s2"]  # after the HR login


def test_a_failed_import_records_nothing(app, make_user):
    hr = make_user("hr", roles=["hr"])
    make_user("s7", roles=["trainee"])  # takes the username the new account would get
    with pytest.raises(importer.StaffFileError):
        importer.apply("工号,姓名,部门\nS7,甲,客服部\n".encode(), actor=hr)
    assert events("staff.imported") == [] and len(events("user.created")) == 2


def test_assignments_and_bulk_changes_are_recorded(client, login_as, make_user):
    hr = login_as("hr")
    make_user("pat", roles=["trainee"], employee_no="P9")
    due = date.today() + timedelta(days=10)
    client.post(
        "/hr/assignments", data={"course_id": factories.course().id, "due_date": due.isoformat(), "people": "P9"}
    )
    (assigned,) = events("course.assigned")
    assert assigned.details == {"course": "demo-course", "to": "pat", "due_date": due.isoformat()}
    assert assigned.actor_id == hr.id and assigned.target_type == "assignments"
    row = db.session.scalar(select(Assignment))
    client.post("/hr/assignments/bulk", data={"bulk-action": "remove", "ids": [row.id]})
    (changed,) = events("assignments.changed")
    assert changed.details == {"action": "remove", "ids": [row.id], "due_date": ""}


def test_waivers_are_recorded(client, login_as):
    trainee, _ = people()
    hr = login_as("hr")
    course = factories.course()
    client.post(
        f"/reports/trainees/{trainee.id}/courses/{course.id}/waive",
        data={"kind": "roleplay", "slug": "demo-card", "reason": "已参加线下演练"},
    )
    (waived,) = events("completion.waived")
    assert waived.actor_id == hr.id and (waived.target_type, waived.target_id) == ("users", trainee.id)
    assert waived.details["reason"] == "已参加线下演练" and waived.details["slug"] == "demo-card"


def test_grades_regrades_and_returns_are_recorded_but_draft_saves_are_not(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    submission = only_submission()
    login(client, instructor)
    assert grade_post(client, submission, "save").status_code == 302
    assert not [e for e in events() if e.action.startswith("roleplay.")]
    grade_post(client, only_submission(), "return", overall="请补充解决方案")
    login(client, trainee)
    hand_in(client)
    assert only_submission().status == "resubmitted"
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 2})
    grade_post(client, only_submission(), "grade", {"calm-first": 0, "solution": 0})
    recorded = [e for e in events() if e.action.startswith("roleplay.")]
    assert [e.action for e in recorded] == ["roleplay.returned", "roleplay.graded", "roleplay.regraded"]
    assert {(e.actor_id, e.target_type, e.target_id) for e in recorded} == {
        (instructor.id, "roleplay_submissions", submission.id)
    }
    assert recorded[1].details["passed"] is True and recorded[2].details["passed"] is False


# --- the admin page ----------------------------------------------------------------------------


@pytest.fixture
def logbook(app, make_user):
    """An admin, an HR person and a few events by each."""
    admin = make_user("root", roles=["admin"], name="管理员甲")
    hr = make_user("people", roles=["hr"], name="人事乙")
    for index in range(3):
        db.session.add(AuditEvent(actor_id=admin.id, action="cohort.created", details={"name": f"班组{index}"}))
    db.session.add(AuditEvent(actor_id=hr.id, action="completion.waived", details={"reason": "<script>x</script>"}))
    db.session.add(
        AuditEvent(
            actor_id=admin.id,
            action="user.roles_changed",
            target_type="users",
            target_id=hr.id,
            details={"added": ["hr", "instructor"]},
        )
    )
    db.session.commit()
    return admin, hr


def test_only_admins_see_the_audit_page(client, login_as, logbook):
    for role in ("trainee", "instructor", "hr"):
        login_as(role)
        assert client.get("/admin/audit").status_code == 403
    client.post("/logout")
    assert client.get("/admin/audit").status_code == 302


def test_audit_page_lists_filters_and_escapes(client, logbook):
    login(client, logbook[0])
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("创建班组") >= 3 and "豁免要求" in page and "人事乙" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    hr = logbook[1]
    assert f'href="/admin/users/{hr.id}">账号 #{hr.id}</a>' in page and "hr、instructor" in page
    waived = client.get("/admin/audit?action=completion.waived").get_data(as_text=True)
    assert "人事乙" in waived and "班组0" not in waived
    by_admin = client.get("/admin/audit?actor=ROOT").get_data(as_text=True)
    assert "班组2" in by_admin and "&lt;script&gt;" not in by_admin
    assert "班组0" in client.get("/admin/audit?action=bogus").get_data(as_text=True)  # unknown filter ignored


def test_audit_page_is_paginated_with_a_fixed_number_of_queries(app, client, logbook, count_queries):
    admin, hr = logbook
    login(client, admin)

    def queries() -> int:
        with count_queries() as n:
            assert client.get("/admin/audit").status_code == 200
        return n()

    few = queries()
    for index in range(60):
        db.session.add(
            AuditEvent(actor_id=(admin, hr)[index % 2].id, action="user.created", details={"username": str(index)})
        )
    db.session.commit()
    assert queries() == few
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("<tr>") == app.config["PER_PAGE"] + 1 < total  # header row + one page
    assert "page=2" in page
