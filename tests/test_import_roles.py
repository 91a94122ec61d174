"""Staff import and roles: nobody grants through the import a role they could not grant on the admin pages.

HR gives only 学员 and 讲师; 人事 and 管理员 are given by an admin. A row asking for more is a problem on
that row (nothing is written), the preview shows each existing person's added roles, and the audit log
names who changed whose roles.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.accounts import importer, services
from app.accounts.models import ROLES, User
from app.core.audit import AuditEvent
from app.extensions import db

HEADER = "工号,姓名,部门,角色\n"


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def upload(client, data: bytes):
    return client.post("/hr/import", data={"file": (io.BytesIO(data), "staff.csv")}, content_type="multipart/form-data")


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def events(*actions: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)))


def person(employee_no: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.employee_no == employee_no))


GRANT_MESSAGES = {
    "管理员": ("人事无权授予管理员角色", "HR may not grant the administrator role"),
    "admin": ("人事无权授予管理员角色", "HR may not grant the administrator role"),
    "人事": ("人事无权授予人事角色", "HR may not grant the HR role"),
    "hr": ("人事无权授予人事角色", "HR may not grant the HR role"),
}


# The one rule ------------------------------------------------------------------------------------------


def test_grantable_roles_is_the_admin_pages_rule(app, make_user):
    assert services.grantable_roles(make_user("a", roles=["admin"])) == set(ROLES)
    assert services.grantable_roles(make_user("h", roles=["hr"])) == {"trainee", "instructor"}
    assert services.grantable_roles(make_user("ha", roles=["hr", "admin"])) == set(ROLES)
    assert services.grantable_roles(make_user("i", roles=["instructor"])) == set()
    assert services.grantable_roles(make_user("t", roles=["trainee"])) == set()
    assert services.grantable_roles(None) == set()
    assert "manager" in services.grantable_roles(make_user("a2", roles=["admin"]))  # only an admin grants 经理


def test_the_services_refuse_a_grant_the_actor_may_not_make(app, make_user):
    hr = make_user("hr1", roles=["hr"])
    trainee = make_user("t1", roles=["trainee"])
    with pytest.raises(services.AccountError, match="人事无权授予管理员角色"):
        services.set_roles(trainee, {"trainee", "admin"}, actor=hr)
    with pytest.raises(services.AccountError, match="人事无权授予人事角色"):
        services.create_user("x1", "X", "sturdy-pass-31", ["hr"], actor=hr)
    with pytest.raises(services.AccountError, match="人事无权授予人事角色"):
        services.update_user(
            trainee,
            name="t",
            email=None,
            employee_no=None,
            position=None,
            department_id=None,
            roles=["hr"],
            active=True,
            actor=hr,
        )
    db.session.rollback()
    assert person_roles("t1") == {"trainee"}
    services.set_roles(trainee, {"trainee", "instructor"}, actor=hr)  # what HR may give
    assert person_roles("t1") == {"trainee", "instructor"}


def person_roles(username: str) -> set[str]:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username)).roles


# HR through the pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["管理员", "admin", "人事", "hr"])
def test_hr_cannot_grant_admin_or_hr_and_nothing_is_written(client, login_as, word):
    login_as("hr")
    before, audit_before = user_count(), len(events(*_all_actions()))
    preview = upload(client, csv("N1,新人甲,客服部,学员", f"N2,新人乙,客服部,{word}"))
    assert preview.status_code == 422  # the file cannot be imported as it is
    page = preview.get_data(as_text=True)
    assert "导入预览" in page
    assert GRANT_MESSAGES[word][0] in page
    assert "确认导入" not in page
    assert "有问题 1" in page
    response = client.post("/hr/import/confirm", follow_redirects=True)  # a background job: its page
    assert response.status_code == 200 and 'role="alert"' in response.get_data(as_text=True)
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert user_count() == before
    assert len(events(*_all_actions())) == audit_before  # no audit row either
    assert "<code>" not in response.get_data(as_text=True)  # no one-time password shown


def _all_actions() -> tuple[str, ...]:
    from app.core.audit import ACTIONS

    return tuple(ACTIONS)


@pytest.mark.parametrize("word", ["管理员", "人事"])
def test_the_problem_is_named_in_english_too(client, login_as, word):
    login_as("hr")
    client.post("/locale", data={"locale": "en"})
    page = upload(client, csv(f"N2,新人乙,客服部,{word}")).get_data(as_text=True)
    assert GRANT_MESSAGES[word][1] in page
    assert GRANT_MESSAGES[word][0] not in page


def test_an_existing_trainee_reimported_as_admin_stays_a_trainee(client, login_as, make_user):
    make_user("e1", roles=["trainee"], employee_no="E1", department="客服部", name="老学员")
    login_as("hr")
    page = upload(client, csv("E1,老学员,客服部,admin")).get_data(as_text=True)
    assert "人事无权授予管理员角色" in page and "确认导入" not in page
    client.post("/hr/import/confirm", follow_redirects=True)
    assert person("E1").roles == {"trainee"}
    assert events("user.roles_changed", "staff.imported") == []


def test_hr_import_of_a_bad_role_among_good_rows_writes_nothing(app, make_user):
    hr = make_user("hr1", roles=["hr"])
    make_user("e1", roles=["trainee"], employee_no="E1", department="客服部", name="老学员")
    before = user_count()
    data = csv("E1,老学员,客服部,讲师", "N1,新人甲,客服部,学员", "N2,新人乙,客服部,学员、管理员")
    checked = importer.preview(data, actor=hr)
    assert [row.line for row in checked.bad_rows] == [4]
    assert checked.bad_rows[0].problems == ["人事无权授予管理员角色"]
    with pytest.raises(importer.StaffFileError, match="1 行存在问题"):
        importer.apply(data, actor=hr)
    assert user_count() == before
    assert person("E1").roles == {"trainee"}


def test_hr_can_still_import_trainees_and_instructors(client, login_as, make_user):
    make_user("e1", roles=["trainee"], employee_no="E1", department="客服部", name="老学员")
    login_as("hr")
    page = upload(
        client, csv("E1,老学员,客服部,讲师", "N1,新人甲,客服部,学员", "N2,新人乙,客服部,讲师", "N3,新人丙,客服部,")
    ).get_data(as_text=True)
    assert "确认导入" in page and "有问题 0" in page
    result = client.post("/hr/import/confirm", follow_redirects=True).get_data(as_text=True)
    assert "新建 3 人，更新 1 人" in result
    assert person("E1").roles == {"trainee", "instructor"}
    assert (person("N1").roles, person("N2").roles, person("N3").roles) == ({"trainee"}, {"instructor"}, {"trainee"})


def test_a_role_the_person_already_holds_is_not_a_grant(app, make_user):
    hr = make_user("hr1", roles=["hr"])
    make_user("boss", roles=["admin"], employee_no="B1", department="客服部", name="老板")
    checked = importer.preview(csv("B1,老板,客服部,管理员"), actor=hr)
    assert checked.ok and checked.rows[0].action == "unchanged"


def test_only_an_admin_imports_the_manager_role(app, make_user):
    hr = make_user("hr1", roles=["hr"])
    admin = make_user("a1", roles=["admin", "hr"])
    for text in ("M1,店长,门店,经理", "M1,店长,门店,manager"):
        checked = importer.preview(csv(text), actor=hr)
        assert checked.rows[0].problems == ["人事无权授予经理角色"]
        assert not checked.ok
    checked = importer.preview(csv("M1,店长,门店,经理"), actor=admin)
    assert checked.ok and checked.rows[0].roles == ["manager"]


# An admin may grant any role ---------------------------------------------------------------------------


def test_an_admin_importing_hr_and_admin_succeeds(app, make_user):
    admin = make_user("a1", roles=["admin"])
    make_user("e1", roles=["trainee"], employee_no="E1", department="客服部", name="老学员")
    result = importer.apply(csv("N1,新人事,人力资源部,人事", "E1,老学员,客服部,管理员"), actor=admin)
    assert [a.employee_no for a in result.created] == ["N1"]
    assert person("N1").roles == {"hr"}
    assert person("E1").roles == {"trainee", "admin"}
    assert [(c.employee_no, c.added, c.removed) for c in result.role_changes] == [("E1", ["admin"], [])]


def test_an_admin_imports_hr_through_the_pages(client, login_as, make_user):
    login_as(make_user("boss", roles=["admin", "hr"]))
    page = upload(client, csv("N1,新人事,人力资源部,人事")).get_data(as_text=True)
    assert "确认导入" in page
    assert "新建 1 人" in client.post("/hr/import/confirm", follow_redirects=True).get_data(as_text=True)
    assert person("N1").roles == {"hr"}


# The preview and the result show role changes; the audit log names who made them ------------------------


def test_preview_and_result_show_each_existing_persons_added_roles(client, login_as, make_user):
    make_user("e1", roles=["trainee"], employee_no="E1", department="客服部", name="老学员")
    make_user("e2", roles=["trainee"], employee_no="E2", department="客服部", name="老学员乙")
    login_as("hr")
    page = upload(client, csv("E1,老学员,客服部,讲师", "E2,老学员乙,培训部,学员")).get_data(as_text=True)
    assert "角色：+讲师" in page
    assert "角色变化 1 人" in page
    assert page.count("角色：+") == 1  # E2 changes department only
    result = client.post("/hr/import/confirm", follow_redirects=True).get_data(as_text=True)
    assert 'id="role-changes"' in result and "+讲师" in result


def test_the_audit_log_has_one_role_change_per_person_naming_the_actor(client, login_as, make_user):
    e1 = make_user("e1", roles=["trainee"], employee_no="E1", department="客服部", name="老学员")
    make_user("e2", roles=["trainee"], employee_no="E2", department="客服部", name="老学员乙")
    hr = login_as("hr")
    upload(client, csv("E1,老学员,客服部,讲师", "E2,老学员乙,培训部,学员", "N1,新人甲,客服部,讲师"))
    client.post("/hr/import/confirm", follow_redirects=True)
    changes = events("user.roles_changed")
    new = person("N1")
    assert [(e.actor_id, e.target_type, e.target_id) for e in changes] == [
        (hr.id, "users", e1.id),
        (hr.id, "users", new.id),
    ]
    assert changes[0].details == {"username": "e1", "added": ["instructor"], "removed": [], "source": "import"}
    assert changes[1].details == {"username": "n1", "added": ["instructor"], "removed": [], "source": "import"}
    (summary,) = events("staff.imported")
    assert summary.actor_id == hr.id


def test_the_actor_is_recorded_outside_a_request_too(app, make_user):
    admin = make_user("a1", roles=["admin"])
    make_user("e1", roles=["trainee"], employee_no="E1", department="客服部", name="老学员")
    importer.apply(csv("E1,老学员,客服部,人事"), actor=admin)
    (change,) = events("user.roles_changed")
    assert change.actor_id == admin.id and change.details["added"] == ["hr"]
