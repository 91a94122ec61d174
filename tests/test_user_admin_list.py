"""The people list (admins: /admin/users, HR: /hr/people): filters, pages, bulk deactivation, CSV/XLSX exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts.models import Department, User, UserSession
from app.core.audit import AuditEvent
from app.extensions import db
from tests import factories


def people_on(page: str) -> list[str]:
    """The usernames listed in the table, in order."""
    body = page.split('id="people"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>\s*<td>.*?</td>\s*<td>(?:<a [^>]+>)?([^<]+)", body, re.S)


@pytest.fixture
def staff(app, make_user):
    """Two departments of trainees, an instructor, one deactivated and one who must change their password."""
    for i in range(3):
        make_user(f"sales{i}", department="销售部", name=f"销售{i}")
    make_user("care0", department="客服部", name="客服零")
    make_user("teach", roles=["instructor"], department="客服部")
    gone = make_user("gone", department="客服部")
    gone.active = False
    make_user("fresh", department="销售部", must_change_password=True)
    db.session.commit()
    return {d.name: d.id for d in db.session.scalars(select(Department))}


def test_filters_by_department_role_and_status(client, login_as, make_user, staff):
    login_as(make_user("boss", roles=["admin"]))
    page = lambda **args: people_on(client.get("/admin/users", query_string=args).get_data(as_text=True))  # noqa: E731
    assert page(department=staff["销售部"]) == ["fresh", "sales0", "sales1", "sales2"]
    assert page(role="instructor") == ["teach"]
    assert page(status="inactive") == ["gone"]
    assert page(status="must_change") == ["fresh"]
    assert "boss" in page(status="active") and "gone" not in page(status="active")
    assert page(department=staff["客服部"], role="trainee", status="active") == ["care0"]
    assert page(q="销售1") == ["sales1"]
    # unknown values mean "any", never an error
    for args in ({"role": "<script>"}, {"status": "x" * 500}, {"department": "abc"}, {"department": "9" * 40}):
        response = client.get("/admin/users", query_string=args)
        assert response.status_code == 200 and "<script>" not in response.get_data(as_text=True).split("<main")[1]
    assert client.get("/admin/users?q=a%00b").status_code == 400  # control characters: the app-wide refusal


def test_pages_and_a_fixed_number_of_queries(app, client, login_as, make_user, count_queries):
    login_as(make_user("boss", roles=["admin"]))
    for i in range(5):
        make_user(f"p{i:02d}", department=f"部{i % 2}", roles=["trainee", "instructor"] if i % 2 else ["trainee"])
    with count_queries() as few:
        assert client.get("/admin/users").status_code == 200
    for i in range(5, 40):
        make_user(f"p{i:02d}", department=f"部{i % 3}", roles=["trainee", "instructor"] if i % 2 else ["trainee"])
    with count_queries() as many:
        first = client.get("/admin/users?role=trainee").get_data(as_text=True)
    assert many() <= few() + 1  # +1: the role filter's subquery is in the same statements; nothing per person
    assert len(people_on(first)) == app.config["PER_PAGE"]
    second = client.get("/admin/users?role=trainee&page=2").get_data(as_text=True)
    assert people_on(second)[0] == "p20" and "role=trainee" in second.split('aria-label="分页"', 1)[1]
    with count_queries() as export:
        assert client.get("/admin/users/export.csv").status_code == 200
    with count_queries() as export_xlsx:
        assert client.get("/admin/users/export.xlsx").status_code == 200
    assert export() <= 6 and export_xlsx() <= 6


def test_exports_follow_the_filters(client, login_as, make_user, staff):
    login_as(make_user("boss", roles=["admin"]))
    make_user("evil", department="销售部", name='=HYPERLINK("x")')
    response = client.get(f"/admin/users/export.csv?department={staff['销售部']}")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["用户名", "姓名", "工号", "部门", "岗位", "邮箱", "角色", "状态", "须修改密码", "最近登录"]
    assert [row[0] for row in rows[1:]] == ["evil", "fresh", "sales0", "sales1", "sales2"]
    assert rows[1][1].startswith("'=")  # a formula-like cell is neutralised
    assert rows[2][6:9] == ["学员", "启用", "是"]
    book = load_workbook(io.BytesIO(client.get("/admin/users/export.xlsx?status=inactive").data))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "用户名" and sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert [row[0] for row in values[1:]] == ["gone"] and values[1][7] == "已停用"
    assert client.get("/admin/users/export.pdf").status_code == 404


def test_bulk_deactivation_confirms_then_deactivates_audits_and_ends_sessions(app, client, login_as, make_user, staff):
    victim = db.session.scalar(select(User).where(User.username == "sales0"))
    other = app.test_client()
    other.post("/login", data={"username": "sales0", "password": factories.PASSWORD})
    assert other.get("/dashboard").status_code == 200
    boss = login_as(make_user("boss", roles=["admin"]))
    ids = [victim.id, db.session.scalar(select(User.id).where(User.username == "sales1"))]
    confirm = client.post("/admin/users/deactivate", data={"user_ids": ids, "role": "trainee"})
    assert confirm.status_code == 200 and "确定停用 2 人" in confirm.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))) == 1  # only "gone"
    done = client.post("/admin/users/deactivate", data={"user_ids": ids, "confirmed": "1", "role": "trainee"})
    assert done.status_code == 302 and "role=trainee" in done.headers["Location"]
    db.session.expire_all()
    assert not any(db.session.get(User, i).active for i in ids)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.deactivated")).all()
    assert sorted(e.target_id for e in events) == sorted(ids) and all(e.actor_id == boss.id for e in events)
    live = select(func.count()).select_from(UserSession).where(UserSession.user_id == victim.id)
    assert db.session.scalar(live.where(UserSession.revoked_at.is_(None))) == 0
    assert other.get("/dashboard").status_code == 302


def test_bulk_deactivation_refuses_oneself_and_people_one_could_not_grant(client, login_as, make_user, staff):
    admin = make_user("admin2", roles=["admin"])
    hr = login_as(make_user("hr1", roles=["hr"]))
    trainee = db.session.scalar(select(User).where(User.username == "sales0"))
    for ids in ([trainee.id, admin.id], [hr.id]):
        page = client.post("/hr/people/deactivate", data={"user_ids": ids})
        assert page.status_code == 403 and "没有停用任何人" in page.get_data(as_text=True)
        forced = client.post("/hr/people/deactivate", data={"user_ids": ids, "confirmed": "1"}, follow_redirects=True)
        assert "无权管理" in forced.get_data(as_text=True) or "自己" in forced.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, trainee.id).active and db.session.get(User, admin.id).active
    listing = client.get("/hr/people").get_data(as_text=True)
    assert f'value="{admin.id}" form="bulk-form"' not in listing and f'value="{trainee.id}" form="bulk-form"' in listing
    assert "/admin/users/" not in listing.split('id="people"')[1]  # HR gets no edit links
    done = client.post("/hr/people/deactivate", data={"user_ids": [trainee.id], "confirmed": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, trainee.id).active


@pytest.mark.parametrize(
    "ids", [[], ["abc"], ["-1"], ["99999999999999999999"], ["999999"], ["<script>"], [str(i) for i in range(1, 600)]]
)
def test_hostile_bulk_input_writes_nothing(client, login_as, make_user, staff, ids):
    login_as(make_user("boss", roles=["admin"]))
    response = client.post("/admin/users/deactivate", data={"user_ids": ids, "confirmed": "1"}, follow_redirects=True)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))) == 1


def test_bulk_deactivation_needs_the_csrf_token(app, client, login_as, make_user, staff):
    login_as(make_user("boss", roles=["admin"]))
    victim = db.session.scalar(select(User.id).where(User.username == "sales0"))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/admin/users/deactivate", data={"user_ids": [victim], "confirmed": "1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (302, 400)
    db.session.expire_all()
    assert db.session.get(User, victim).active


def test_who_may_open_which_list(client, login_as, make_user, staff):
    login_as(make_user("hr1", roles=["hr"]))
    assert client.get("/hr/people").status_code == 200
    assert client.get("/hr/people/export.csv").status_code == 200
    assert client.get("/admin/users").status_code == 403
    login_as("trainee")
    for url in ("/hr/people", "/hr/people/export.xlsx", "/admin/users/export.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post("/hr/people/deactivate", data={"user_ids": ["1"], "confirmed": "1"}).status_code == 403
