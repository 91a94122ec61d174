"""Sign-in, throttling, deactivation, password change and account administration."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Cohort, CohortMember, Department, User
from app.extensions import db
from tests.conftest import PASSWORD, make_config


def login(client, username, password=PASSWORD, **kwargs):
    """Post the login form."""
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def test_login_and_logout(client, make_user):
    make_user("alice", name="爱丽丝")
    response = login(client, "alice")
    assert response.status_code == 302
    assert "爱丽丝" in client.get("/dashboard").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_username_is_case_and_space_insensitive(client, make_user):
    make_user("bob")
    assert login(client, " BoB ").status_code == 302


def test_wrong_password_shows_clear_message(client, make_user):
    make_user("carol")
    page = login(client, "carol", "wrong-password").get_data(as_text=True)
    assert "用户名或密码不正确" in page


def test_password_is_hashed(app, make_user):
    user = make_user("dave")
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_failures_slow_the_account_and_address_pair_not_the_account(app, client, make_user):
    make_user("erin")
    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        login(client, "erin", "nope-nope", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    # That address must now wait before trying again, even with the right password …
    response = login(client, "ERIN", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert "登录失败次数过多，请 1 秒后再试" in response.get_data(as_text=True)
    # … while the account's owner, elsewhere, is not locked out.
    assert login(client, "erin", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 302


def test_many_failures_from_one_address_space_out_its_attempts(app, client, make_user):
    make_user("frank")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit - 1):
        login(client, f"ghost{i}", "nope-nope", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    login(client, "ghost-last", "nope-nope", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    response = login(client, "frank", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) <= app.config["LOGIN_ADDRESS_DELAY_SECONDS"]
    assert login(client, "frank", environ_base={"REMOTE_ADDR": "10.0.0.10"}).status_code == 302


def test_an_office_behind_one_address_survives_a_few_typos(app, client, make_user):
    """Ten colleagues share one NAT address; each mistypes once — nobody there is slowed down."""
    assert app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] > app.config["LOGIN_FREE_FAILURES"]
    staff = [make_user(f"clerk{n}") for n in range(10)]
    for person in staff:
        login(client, person.username, "typo-typo", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    response = login(client, staff[0].username, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert response.status_code == 302


def test_deactivated_user_loses_access_on_next_request(client, app, make_user):
    user = make_user("gina")
    login(client, "gina")
    assert client.get("/dashboard").status_code == 200
    from app.accounts.services import deactivate_user

    deactivate_user(user)
    assert client.get("/dashboard").status_code == 302
    assert "已停用" in login(client, "gina").get_data(as_text=True)


def test_change_password(client, make_user):
    make_user("hank")
    login(client, "hank")
    bad = client.post(
        "/account/password", data={"current": "wrong", "new": "a-new-pass-99", "confirm": "a-new-pass-99"}
    )
    assert "当前密码不正确" in bad.get_data(as_text=True)
    common = client.post(
        "/account/password", data={"current": PASSWORD, "new": "password123", "confirm": "password123"}
    )
    assert "太常见" in common.get_data(as_text=True)
    short = client.post("/account/password", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert "8" in short.get_data(as_text=True)
    ok = client.post(
        "/account/password", data={"current": PASSWORD, "new": "a-new-pass-99", "confirm": "a-new-pass-99"}
    )
    assert ok.status_code == 302
    assert client.get("/dashboard").status_code == 200  # this session survives
    client.post("/logout")
    assert login(client, "hank").status_code == 200
    assert login(client, "hank", "a-new-pass-99").status_code == 302


def test_password_change_ends_other_sessions(app, make_user):
    make_user("ivy")
    first, second = app.test_client(), app.test_client()
    login(first, "ivy")
    login(second, "ivy")
    first.post("/account/password", data={"current": PASSWORD, "new": "fresh-pass-77", "confirm": "fresh-pass-77"})
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302


def test_open_redirect_is_refused(client, make_user):
    make_user("jack")
    response = login(client, "jack", query_string={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_csrf_is_enforced_on_forms(make_user):
    from app import create_app
    from tests import factories
    from tests.conftest import TEST_CONTENT

    app = create_app(make_config(WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        factories.load_content(TEST_CONTENT)
        client = app.test_client()
        assert login(client, "nobody").status_code == 400
        assert client.post("/logout").status_code in (400, 302)


# --- administration ---------------------------------------------------------------------------


def test_admin_creates_user_with_roles_and_department(client, login_as):
    login_as("admin")
    db.session.add(Department(name="呼叫中心"))
    db.session.commit()
    dept = db.session.scalar(select(Department))
    response = client.post(
        "/admin/users/new",
        data={
            "username": "Zhang.San",
            "name": "张三",
            "password": "start-pass-11",
            "roles": ["trainee", "instructor"],
            "department_id": dept.id,
            "employee_no": "E001",
            "email": "zs@example.com",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zhang.san"))
    assert user.roles == {"trainee", "instructor"} and user.department.name == "呼叫中心"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "", "name": "x", "password": "start-pass-11", "roles": ["trainee"]}, "请输入用户名"),
        ({"username": "<script>", "name": "x", "password": "start-pass-11", "roles": ["trainee"]}, "用户名只能包含"),
        ({"username": "ok", "name": "x", "password": "start-pass-11", "roles": []}, "至少选择一个角色"),
        ({"username": "ok", "name": "x", "password": "start-pass-11", "roles": ["king"]}, "invalid-feedback"),
        ({"username": "ok", "name": "x" * 81, "password": "start-pass-11", "roles": ["trainee"]}, "80"),
        ({"username": "ok", "name": "x", "password": "123456", "roles": ["trainee"]}, "至少需要 8 个字符"),
        (
            {"username": "ok", "name": "x", "password": "start-pass-11", "roles": ["trainee"], "email": "bad"},
            "邮箱格式不正确",
        ),
    ],
)
def test_admin_user_form_rejects_bad_input_and_stores_nothing(client, login_as, data, message):
    login_as("admin")
    before = db.session.scalar(select(db.func.count()).select_from(User))
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422  # the form comes back with what to fix
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == before


def test_admin_user_list_escapes_names(client, login_as, make_user):
    login_as("admin")
    make_user("evil", name="<script>alert(1)</script>")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_admin_edits_roles_and_deactivates(client, login_as, make_user):
    login_as("admin")
    user = make_user("kate", roles=["trainee"])
    response = client.post(
        f"/admin/users/{user.id}",
        data={"username": "kate", "name": "凯特", "roles": ["hr"], "department_id": 0, "active": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.roles == {"hr"} and user.name == "凯特"
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    db.session.refresh(user)
    assert user.active is False


def test_admin_cannot_remove_own_admin_role(client, login_as):
    admin = login_as("admin")
    client.post(
        f"/admin/users/{admin.id}", data={"username": admin.username, "name": "x", "roles": ["trainee"], "active": "y"}
    )
    db.session.refresh(admin)
    assert "admin" in admin.roles


def test_services_refuse_an_admin_locking_themselves_out(app, make_user):
    """The rule lives in the service, so every caller (page, command, import) keeps it."""
    from app.accounts import services
    from app.core.domain import http_status

    admin = make_user("root", roles=["admin"])
    other = make_user("peer", roles=["admin"])
    profile = {"name": "x", "email": None, "employee_no": None, "position": None, "department_id": None}
    with pytest.raises(services.SelfLockoutError) as refused:
        services.update_user(admin, **profile, roles=["trainee"], active=True, actor=admin)
    assert isinstance(refused.value, services.AccountError) and http_status(refused.value) == 403
    with pytest.raises(services.SelfLockoutError):
        services.update_user(admin, **profile, roles=["admin"], active=False, actor=admin)
    with pytest.raises(services.SelfLockoutError):
        services.set_roles(admin, {"trainee"}, actor=admin)
    with pytest.raises(services.SelfLockoutError, match="不能停用自己的账号"):
        services.deactivate_user(admin, actor=admin)
    db.session.rollback()
    db.session.refresh(admin)
    assert admin.roles == {"admin"} and admin.active
    services.update_user(admin, **profile, roles=["admin", "hr"], active=True, actor=admin)  # keeping admin is fine
    services.update_user(other, **profile, roles=["trainee"], active=True, actor=admin)  # another admin: allowed
    services.deactivate_user(other, actor=admin)
    assert other.roles == {"trainee"} and not other.active


def test_admin_cannot_deactivate_themselves_on_the_page(client, login_as):
    admin = login_as("admin")
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


def test_departments_create_rename_delete(client, login_as, make_user):
    login_as("admin")
    client.post("/admin/departments", data={"name": "门店销售部"})
    dept = db.session.scalar(select(Department).where(Department.name == "门店销售部"))
    assert dept is not None
    dup = client.post("/admin/departments", data={"name": "门店销售部"})
    assert "已存在" in dup.get_data(as_text=True)
    client.post(f"/admin/departments/{dept.id}/rename", data={"name": "销售一部"})
    db.session.refresh(dept)
    assert dept.name == "销售一部"
    make_user("lee", department="销售一部")
    client.post(f"/admin/departments/{dept.id}/delete")
    assert db.session.get(Department, dept.id) is not None  # not empty: kept


def test_cohort_members_and_course_assignment(client, login_as, make_user):
    login_as("admin")
    make_user("mia", roles=["trainee"])
    make_user("teach", roles=["instructor"])
    client.post("/admin/cohorts", data={"name": "一期班"})
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "一期班"))
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"username": "mia", "role": "trainee"})
    client.post(f"/admin/cohorts/{cohort.id}/members", data={"username": "teach", "role": "instructor"})
    wrong = client.post(
        f"/admin/cohorts/{cohort.id}/members", data={"username": "mia", "role": "instructor"}, follow_redirects=True
    )
    assert "没有该角色" in wrong.get_data(as_text=True)
    members = db.session.scalars(select(CohortMember).where(CohortMember.cohort_id == cohort.id)).all()
    assert sorted((m.user.username, m.role) for m in members) == [("mia", "trainee"), ("teach", "instructor")]
    from tests.factories import course

    client.post(f"/admin/cohorts/{cohort.id}/assign", data={"course_id": course().id, "due_date": "2026-12-31"})
    page = client.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert "测试课程" in page


def test_a_refused_password_on_the_edit_form_saves_nothing_else(client, login_as, make_user):
    login_as("admin")
    target = make_user("half-written", name="原名")
    response = client.post(
        f"/admin/users/{target.id}",
        data={
            "username": "half-written",
            "name": "新名",
            "roles": ["trainee"],
            "active": "y",
            "password": "qwertyuiop",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="password"' in page and 'aria-invalid="true"' in page
    db.session.refresh(target)
    assert target.name == "原名"  # the profile change waits for a password the policy accepts
