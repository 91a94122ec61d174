"""The manager role (经理): departments set by an admin only, reports, exports and the API of their people only."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts import managers, services
from app.accounts.models import Department, ManagerDepartment, User
from app.api.auth import issue_token
from app.core.audit import AuditEvent
from app.core.domain import InvalidInput, NotAllowed
from app.extensions import db
from tests import factories

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def team(app, make_user):
    """A manager of 门店 and 售后; a person in each, one in 客服中心 (not theirs); all assigned, due yesterday."""
    manager = make_user("boss", roles=["manager"], name="王经理")
    store = make_user("store1", department="门店", name="门店小李", employee_no="S001")
    after = make_user("after1", department="售后", name="售后小赵", employee_no="A001")
    other = make_user("other1", department="客服中心", name="客服小周", employee_no="C001")
    for person in (store, after, other):
        factories.assign(user=person, due_date=YESTERDAY)
    managers.set_departments(manager, [store.department_id, after.department_id], actor=None)
    return {"manager": manager, "store": store, "after": after, "other": other}


def test_a_manager_sees_only_their_departments_on_the_dashboard(client, login_as, team):
    login_as(team["manager"])
    page = client.get("/reports").get_data(as_text=True)
    assert "门店小李" in page and "售后小赵" in page
    assert "客服小周" not in page
    assert "只显示你负责的部门：售后、门店。" in page
    overdue = client.get("/reports?status=overdue").get_data(as_text=True)
    assert "客服小周" not in overdue and "门店小李" in overdue
    # the department filter offers only theirs; another department is refused
    assert '<option value="{}"'.format(team["other"].department_id) not in page
    assert client.get(f"/reports?department={team['other'].department_id}").status_code == 403
    mine = client.get(f"/reports?department={team['store'].department_id}").get_data(as_text=True)
    assert "门店小李" in mine and "售后小赵" not in mine


def test_a_manager_reads_the_transcript_of_their_people_only(client, login_as, team):
    login_as(team["manager"])
    assert client.get(f"/reports/trainees/{team['store'].id}").status_code == 200
    outsider = client.get(f"/reports/trainees/{team['other'].id}")
    assert outsider.status_code == 403 and "客服小周" not in outsider.get_data(as_text=True)


def test_a_manager_exports_only_their_people(client, login_as, team, count_queries):
    login_as(team["manager"])
    response = client.get("/reports/export.csv")
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = {row[1] for row in rows[1:]}
    assert names == {"门店小李", "售后小赵"}
    # the same filters HR uses: a department that is not theirs gives an empty file, not its people
    other = client.get(f"/reports/export.csv?department={team['other'].department_id}").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(other)))) == 1
    book = load_workbook(io.BytesIO(client.get("/reports/export.xlsx").get_data()), read_only=True)
    cells = {str(c) for row in book.active.iter_rows(values_only=True) for c in row if c}
    assert "门店小李" in cells and "客服小周" not in cells
    # a fixed number of queries whatever the number of people
    with count_queries() as few:
        client.get("/reports/export.csv").get_data()
    for i in range(5):
        factories.assign(user=factories.make_user(f"more{i}", department="门店"), due_date=YESTERDAY)
    with count_queries() as many:
        client.get("/reports/export.csv").get_data()
    assert many() == few()


def test_hr_still_exports_everyone(client, login_as, team):
    login_as("hr")
    text = client.get("/reports/export.csv").get_data().decode("utf-8-sig")
    assert {"门店小李", "售后小赵", "客服小周"} <= {row[1] for row in csv.reader(io.StringIO(text))}


def test_the_report_api_gives_a_manager_their_people_only(client, team, make_user):
    token, _ = issue_token(team["manager"])
    body = client.get("/api/v1/reports/completion", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {item["user"]["name"] for item in body["items"]} == {"门店小李", "售后小赵"} and body["total"] == 2
    hr_token, _ = issue_token(make_user("api-hr", roles=["hr"]))
    everyone = client.get("/api/v1/reports/completion", headers={"Authorization": f"Bearer {hr_token}"}).get_json()
    assert everyone["total"] == 3


def test_a_manager_without_departments_sees_nobody(client, login_as, team, make_user):
    login_as(make_user("newboss", roles=["manager"]))
    page = client.get("/reports").get_data(as_text=True)
    assert "门店小李" not in page and "你还没有负责的部门" in page
    text = client.get("/reports/export.csv").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1


def test_the_managers_home_links_to_their_team(client, login_as, team):
    login_as(team["manager"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "我的团队" in page and 'href="/reports"' in page
    assert f'href="/reports?department={team["store"].department_id}"' in page and "售后" in page


def test_hr_only_pages_stay_closed_to_a_manager(client, login_as, team):
    login_as(team["manager"])
    for url in ("/hr/import", "/hr/assignments", "/admin/users"):
        assert client.get(url).status_code == 403, url


# Only an admin makes someone a manager or sets their departments ----------------------------------------


def test_only_an_admin_grants_the_manager_role(app, make_user):
    hr = make_user("hr1", roles=["hr"])
    admin = make_user("a1", roles=["admin"])
    person = make_user("p1")
    with pytest.raises(services.AccountError, match="人事无权授予经理角色"):
        services.set_roles(person, {"trainee", "manager"}, actor=hr)
    services.set_roles(person, {"trainee", "manager"}, actor=admin)
    assert person.roles == {"trainee", "manager"}
    with pytest.raises(services.AccountError, match="人事无权授予经理角色"):  # nor take it away
        services.set_roles(person, {"trainee"}, actor=hr)


def test_hr_cannot_import_a_manager(client, login_as):
    login_as("hr")
    data = "工号,姓名,部门,角色\nM1,店长,门店,经理\n".encode()
    response = client.post(
        "/hr/import", data={"file": (io.BytesIO(data), "staff.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "人事无权授予经理角色" in response.get_data(as_text=True)


def test_the_admin_user_form_offers_the_manager_role_to_admins_only(client, login_as, make_user):
    person = make_user("p1", department="门店")
    login_as("admin")
    form = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert 'value="manager"' in form and "经理" in form
    response = client.post(
        f"/admin/users/{person.id}",
        data={"username": "p1", "name": "p1", "roles": ["trainee", "manager"], "department_id": person.department_id},
    )
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.roles == {"trainee", "manager"}
    assert "设置经理负责的部门" in client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    login_as("hr")
    assert client.post(f"/admin/users/{person.id}", data={"roles": ["manager"]}).status_code == 403


def test_only_an_admin_sets_a_managers_departments(app, make_user):
    manager = make_user("m1", roles=["manager"])
    store = services.get_or_create_department("门店")
    db.session.commit()
    with pytest.raises(NotAllowed):
        managers.set_departments(manager, [store.id], actor=make_user("hr1", roles=["hr"]))
    with pytest.raises(NotAllowed):
        managers.set_departments(manager, [store.id], actor=manager)
    assert managers.departments(manager.id) == []
    with pytest.raises(InvalidInput, match="不是经理"):
        managers.set_departments(make_user("t1"), [store.id], actor=make_user("a1", roles=["admin"]))


def test_the_admin_page_sets_departments_and_audits(client, login_as, make_user):
    manager = make_user("m1", roles=["manager"], name="李经理")
    store = services.get_or_create_department("门店")
    after = services.get_or_create_department("售后")
    db.session.commit()
    admin = login_as("admin")
    page = client.get(f"/admin/users/{manager.id}/departments")
    assert page.status_code == 200 and "李经理 负责的部门" in page.get_data(as_text=True)
    response = client.post(f"/admin/users/{manager.id}/departments", data={"departments": [store.id, after.id]})
    assert response.status_code == 302
    assert {d.name for d in managers.departments(manager.id)} == {"门店", "售后"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "manager.departments_set"))
    assert event.actor_id == admin.id and event.target_id == manager.id
    assert sorted(event.details["added"]) == ["售后", "门店"] and event.details["removed"] == []
    client.post(f"/admin/users/{manager.id}/departments", data={"departments": [after.id]})
    assert [d.name for d in managers.departments(manager.id)] == ["售后"]
    # a forged id is refused with a message and changes nothing
    refused = client.post(f"/admin/users/{manager.id}/departments", data={"departments": ["999999"]})
    assert refused.status_code == 422 and [d.name for d in managers.departments(manager.id)] == ["售后"]
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    # someone who is not a manager: a clear message, nothing stored
    person = make_user("t1")
    refused = client.post(f"/admin/users/{person.id}/departments", data={"departments": [store.id]})
    assert refused.status_code == 422 and "不是经理" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ManagerDepartment).where(ManagerDepartment.user_id == person.id)) is None


def test_hr_cannot_set_a_managers_departments_through_the_page(client, login_as, make_user):
    manager = make_user("m1", roles=["manager"])
    store = services.get_or_create_department("门店")
    db.session.commit()
    login_as("hr")
    assert client.post(f"/admin/users/{manager.id}/departments", data={"departments": [store.id]}).status_code == 403
    assert managers.departments(manager.id) == []


def test_deleting_a_department_forgets_its_managers(app, make_user):
    manager = make_user("m1", roles=["manager"])
    store = services.get_or_create_department("门店")
    db.session.commit()
    managers.set_departments(manager, [store.id], actor=None)
    services.delete_department(db.session.get(Department, store.id))
    assert managers.departments(manager.id) == []


def test_the_users_command_creates_a_manager_following_their_department(runner):
    result = runner.invoke(
        args=["users", "create", "boss", "--role", "manager", "--department", "门店"], input="Quiet-river-4821\n"
    )
    assert result.exit_code == 0, result.output
    boss = db.session.scalar(select(User).where(User.username == "boss"))
    assert boss.roles == {"manager"} and [d.name for d in managers.departments(boss.id)] == ["门店"]
