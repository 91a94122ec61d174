"""Staff import: encodings and XLSX, every kind of bad row, all-or-nothing, re-import, the HR pages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.accounts import importer
from app.accounts.models import Cohort, CohortMember, Department, User
from app.extensions import db

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "staff.csv").read_text(encoding="utf-8")
BAD = (DATA / "staff_bad.csv").read_bytes()


def xlsx(text: str) -> bytes:
    """The same table as an .xlsx file (工号 written as numbers where they look like numbers)."""
    book = Workbook()
    sheet = book.active
    for line in text.strip().splitlines():
        sheet.append([int(cell) if cell.isdigit() else (cell or None) for cell in line.split(",")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    """Users, departments, cohorts, memberships."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) for model in (User, Department, Cohort, CohortMember)
    )


@pytest.fixture
def admin(app, make_user):
    """Who imports in these tests: an admin may grant every role of the sample file (人事 included)."""
    return make_user("importer", roles=["admin", "hr"])


def snapshot() -> list[tuple]:
    """Everything an import may change, to prove a second run changes nothing."""
    db.session.expire_all()
    users = db.session.scalars(select(User).order_by(User.id)).all()
    return [(u.username, u.name, u.email, u.position, u.department_id, sorted(u.roles), u.password_hash) for u in users]


@pytest.mark.parametrize(
    "data",
    [GOOD.encode("utf-8"), GOOD.encode("utf-8-sig"), GOOD.encode("gbk"), GOOD.encode("gb18030"), xlsx(GOOD)],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030", "xlsx"],
)
def test_every_encoding_reads_the_same_rows(app, data, admin):
    preview = importer.preview(data, actor=admin)
    assert preview.ok
    assert [(r.employee_no, r.name, r.department, r.roles, r.cohort) for r in preview.rows] == [
        ("S1001", "王芳", "门店销售部", ["trainee"], "新员工一期"),
        ("S1002", "李强", "呼叫中心", ["trainee"], "新员工一期"),
        ("S1003", "赵敏", "培训部", ["instructor"], "新员工一期"),
        ("S1004", "周杰", "人力资源部", ["hr"], ""),
    ]
    assert [r.action for r in preview.rows] == ["create"] * 4


def test_xlsx_numbers_become_plain_employee_numbers(app, admin):
    preview = importer.preview(xlsx("工号,姓名,部门\n10086,甲,门店销售部\n"), actor=admin)
    assert preview.rows[0].employee_no == "10086"


def test_every_kind_of_bad_row_is_listed_and_nothing_is_written(app, make_user, admin):
    make_user("hr", roles=["hr"])
    before = counts()
    preview = importer.preview(BAD, actor=admin)
    problems = {row.line: " ".join(row.problems) for row in preview.bad_rows}
    assert "缺少姓名" in problems[2]
    assert "缺少部门" in problems[3]
    assert "未知角色：老板" in problems[4]
    assert "邮箱「not-an-email」格式不正确" in problems[5]
    assert "工号 B2004 与第 5 行重复" in problems[6]
    assert "工号「B 2006」格式不正确" in problems[7]
    assert "既不是学员也不是讲师" in problems[8]
    assert "用户名 hr 已被另一个账号使用" in problems[9]
    assert 10 not in problems  # the one good row
    assert preview.ignored_columns == ["序号"]
    assert not preview.ok
    with pytest.raises(importer.StaffFileError, match="8 行存在问题"):
        importer.apply(BAD, actor=admin)
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的"),
        ("姓名,部门\n张三,门店\n".encode(), "缺少这些列：工号"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "不支持旧版 .xls"),
        ("工号,姓名,部门\n".encode("utf-16"), "无法识别文件编码"),
        (b"PK\x03\x04not really a zip", "无法读取这个 Excel 文件"),
    ],
    ids=["empty", "missing-column", "xls", "utf-16", "broken-xlsx"],
)
def test_unreadable_files_get_a_clear_message(app, data, message, admin):
    with pytest.raises(importer.StaffFileError, match=message):
        importer.preview(data, actor=admin)


def test_apply_creates_people_with_departments_cohorts_and_one_time_passwords(app, client, admin):
    result = importer.apply(GOOD.encode("gbk"), actor=admin)
    assert [a.username for a in result.created] == ["s1001", "s1002", "s1003", "s1004"]
    wang = db.session.scalar(select(User).where(User.employee_no == "S1001"))
    assert (wang.name, wang.department.name, wang.position, wang.email) == (
        "王芳",
        "门店销售部",
        "导购",
        "wangfang@example.com",
    )
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "新员工一期"))
    roles = {(m.user.employee_no, m.role) for m in cohort.members}
    assert roles == {("S1001", "trainee"), ("S1002", "trainee"), ("S1003", "instructor")}
    password = result.created[0].password
    assert re.fullmatch(r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}", password)
    assert len({a.password for a in result.created}) == 4
    response = client.post("/login", data={"username": "S1001", "password": password})
    assert response.status_code == 302


def test_generated_passwords_get_a_quick_hash_that_the_first_sign_in_replaces(
    app, client, monkeypatch, make_user, admin
):
    monkeypatch.setitem(
        app.config, "PASSWORD_HASH_METHOD", "pbkdf2:sha256:1500"
    )  # the slow kind, as scrypt in production
    result = importer.apply(GOOD.encode(), actor=admin)
    first, second = result.created[0], result.created[1]
    quick = app.config["GENERATED_PASSWORD_HASH_METHOD"] + "$"
    people = {
        u.username: u
        for u in db.session.scalars(select(User).where(User.username.in_([first.username, second.username])))
    }
    assert all(u.password_hash.startswith(quick) and u.has_generated_password_hash for u in people.values())
    assert client.post("/login", data={"username": first.username, "password": "wrong-password-1"}).status_code == 200
    db.session.expire_all()
    assert people[first.username].password_hash.startswith(quick)  # a failed sign-in changes nothing
    assert client.post("/login", data={"username": first.username, "password": first.password}).status_code == 302
    db.session.expire_all()
    signed_in = people[first.username]
    assert signed_in.password_hash.startswith("pbkdf2:sha256:1500$") and not signed_in.has_generated_password_hash
    assert signed_in.check_password(first.password)
    assert people[second.username].password_hash.startswith(quick)  # the others keep theirs until they sign in
    chosen = make_user("chosen", password="typed-by-hand-42")
    assert chosen.password_hash.startswith("pbkdf2:sha256:1500$")  # passwords people choose always get the slow kind


def test_reimporting_the_same_file_changes_nothing(app, admin):
    importer.apply(GOOD.encode(), actor=admin)
    before, numbers = snapshot(), counts()
    preview = importer.preview(xlsx(GOOD), actor=admin)
    assert [r.action for r in preview.rows] == ["unchanged"] * 4
    result = importer.apply(GOOD.encode("utf-8-sig"), actor=admin)
    assert (len(result.created), result.updated, result.unchanged) == (0, 0, 4)
    assert snapshot() == before
    assert counts() == numbers


def test_reimport_updates_only_what_differs_and_never_removes(app, admin):
    importer.apply(GOOD.encode(), actor=admin)
    wang = db.session.scalar(select(User).where(User.employee_no == "S1001"))
    password_hash = wang.password_hash
    changed = "工号,姓名,部门,岗位,邮箱,角色,班组\nS1001,王芳,呼叫中心,,,讲师,\n"
    preview = importer.preview(changed.encode(), actor=admin)
    assert preview.rows[0].action == "update"
    assert preview.rows[0].changes == ["部门", "角色：+讲师"]
    importer.apply(changed.encode(), actor=admin)
    db.session.expire_all()
    assert wang.department.name == "呼叫中心"
    assert wang.roles == {"trainee", "instructor"}
    assert (wang.position, wang.email) == ("导购", "wangfang@example.com")  # empty cells keep values
    assert wang.password_hash == password_hash
    assert db.session.scalar(select(func.count()).select_from(CohortMember).where(CohortMember.user_id == wang.id)) == 1


# The HR pages ------------------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "staff.csv"):
    return client.post("/hr/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_upload_previews_then_confirm_applies_and_shows_passwords_once(client, login_as, make_user):
    login_as(make_user("boss", roles=["hr", "admin"]))  # the file gives 人事 (S1004), which only an admin may grant
    page = upload(client, GOOD.encode("gbk")).get_data(as_text=True)
    assert "导入预览" in page and "新建 4" in page and "确认导入" in page
    assert counts()[0] == 1  # only the HR user: nothing written yet
    response = client.post("/hr/import/confirm", follow_redirects=True)  # the job runs inline in tests
    result = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "新建 4 人" in result
    assert response.headers["Cache-Control"] == "no-store"
    accounts = db.session.scalars(select(User).where(User.employee_no.is_not(None))).all()
    assert len(accounts) == 4
    assert "<code>" not in result and "data:text/csv" not in result  # no password on the page
    action = re.search(r'action="(/hr/import/credentials/[0-9a-f]+)"', result).group(1)
    sheet = load_workbook(io.BytesIO(client.post(action).data)).active
    passwords = {row[2]: row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(passwords) == 4 and all(user.check_password(passwords[user.employee_no]) for user in accounts)
    assert not any(pw in result for pw in passwords.values())
    assert client.post(action).status_code == 410  # once
    again = client.post("/hr/import/confirm", follow_redirects=True).get_data(as_text=True)
    assert "找不到待导入的文件" in again  # the upload is consumed: passwords cannot be shown again


def test_bad_file_preview_lists_problems_and_offers_no_confirmation(client, login_as):
    login_as("hr")
    page = upload(client, BAD).get_data(as_text=True)
    assert "缺少姓名" in page and "未知角色：老板" in page
    assert "确认导入" not in page
    before = counts()
    response = client.post("/hr/import/confirm", follow_redirects=True)  # the job fails, nothing written
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert counts() == before


def test_upload_refuses_other_file_types(client, login_as):
    login_as("hr")
    page = upload(client, b"hello", "notes.txt").get_data(as_text=True)
    assert "只支持 .csv 和 .xlsx 文件" in page


def test_unreadable_upload_is_explained(client, login_as):
    login_as("hr")
    page = upload(client, "姓名\n张三\n".encode()).get_data(as_text=True)
    assert "缺少这些列：工号、部门" in page


def test_sample_file_has_the_columns(client, login_as):
    login_as("hr")
    response = client.get("/hr/import/sample.csv")
    header = response.get_data().decode("utf-8-sig").splitlines()[0]
    assert header == "工号,姓名,部门,岗位,邮箱,角色,班组,状态"


def test_import_without_csrf_token_fails(app, client, login_as):
    login_as("hr")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        first = upload(client, GOOD.encode())
        second = client.post("/hr/import/confirm")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert "导入预览" not in first.get_data(as_text=True)
    assert second.status_code == 400
    assert counts()[0] == 1


def test_a_change_between_preview_and_apply_writes_nothing(app, make_user, admin):
    preview = importer.preview(GOOD.encode(), actor=admin)
    assert preview.ok
    make_user("s1004", roles=["trainee"])  # someone takes a username the file needs
    before = counts()
    with pytest.raises(importer.StaffFileError, match="1 行存在问题"):  # checked again before writing
        importer.apply(GOOD.encode(), actor=admin)
    assert counts() == before
