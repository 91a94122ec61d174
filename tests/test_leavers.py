"""Leavers in the staff import: the optional 状态 column (在职/离职, active/left) deactivates and reactivates people."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts import importer
from app.accounts.models import User, UserSession
from app.assessments.models import Attempt
from app.completion.models import CourseCompletion
from app.core.audit import AuditEvent
from app.extensions import db
from app.learning.models import ModuleProgress
from tests import factories, quizkit

CHECK_RIGHT = {"k1": "A", "k2": ["A", "C"], "k3": "T"}
HEADER = "工号,姓名,部门,状态\n"


def csv(*rows: str) -> bytes:
    """A staff file with the 状态 column."""
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def count(model, *where) -> int:
    """Rows of a table (matching ``where``)."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def hr(app, make_user):
    """Who imports: HR (grants trainee and instructor only)."""
    return make_user("hr1", roles=["hr"])


@pytest.fixture
def worker(app, make_user):
    """A trainee with an employee number, assigned the demo course."""
    user = make_user("l1", roles=["trainee"], name="李离", department="客服部", employee_no="L1")
    factories.assign(user=user)
    return user


def test_leaving_deactivates_ends_sessions_and_keeps_every_record(app, client, worker, hr):
    client.post("/login", data={"username": "l1", "password": factories.PASSWORD})
    assert client.post("/courses/demo-course/first-steps/complete").status_code == 302
    quizkit.take_paper(client, "demo-check", CHECK_RIGHT)
    history = (
        count(ModuleProgress, ModuleProgress.user_id == worker.id),
        count(Attempt, Attempt.user_id == worker.id),
        count(CourseCompletion, CourseCompletion.user_id == worker.id),
    )
    assert all(history), history
    assert client.get("/dashboard").status_code == 200

    checked = importer.preview(csv("L1,李离,客服部,离职"), actor=hr)
    assert checked.ok and [row.deactivates for row in checked.rows] == [True]
    assert checked.rows[0].action == "update" and "离职：停用账号" in checked.rows[0].changes
    db.session.expire_all()
    assert db.session.get(User, worker.id).active  # the preview writes nothing

    result = importer.apply(csv("L1,李离,客服部,离职"), actor=hr)
    assert result.deactivated == 1 and result.updated == 1
    db.session.expire_all()
    user = db.session.get(User, worker.id)
    assert not user.active
    assert count(UserSession, UserSession.user_id == worker.id, UserSession.revoked_at.is_(None)) == 0
    response = client.get("/dashboard")  # the leaver's cookie stops working at once
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert (
        count(ModuleProgress, ModuleProgress.user_id == worker.id),
        count(Attempt, Attempt.user_id == worker.id),
        count(CourseCompletion, CourseCompletion.user_id == worker.id),
    ) == history
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivated"))
    assert event.actor_id == hr.id and event.details["source"] == "import"
    signed = client.post("/login", data={"username": "l1", "password": factories.PASSWORD})
    assert "已停用" in signed.get_data(as_text=True)

    again = importer.preview(csv("L1,李离,客服部,离职"), actor=hr)
    assert again.rows[0].action == "unchanged"  # re-importing the same file changes nothing


def test_active_reactivates_when_the_importer_could_grant_the_roles(app, worker, hr, make_user):
    worker.active = False
    boss = make_user("a1", roles=["admin"], employee_no="A1", department="客服部", name="老板")
    boss.active = False
    db.session.commit()
    checked = importer.preview(csv("L1,李离,客服部,在职", "A1,老板,客服部,active"), actor=hr)
    assert not checked.ok
    assert checked.rows[0].problems == [] and "在职：重新启用账号" in checked.rows[0].changes
    assert "无权管理" in checked.rows[1].problems[0]
    with pytest.raises(importer.StaffFileError):
        importer.apply(csv("L1,李离,客服部,在职", "A1,老板,客服部,active"), actor=hr)
    db.session.expire_all()
    assert not db.session.get(User, worker.id).active  # nothing written
    result = importer.apply(csv("L1,李离,客服部,在职"), actor=hr)
    assert result.reactivated == 1
    db.session.expire_all()
    assert db.session.get(User, worker.id).active
    assert count(AuditEvent, AuditEvent.action == "user.reactivated") == 1


def test_hr_cannot_mark_an_admin_or_themselves_as_left(app, worker, hr, make_user):
    make_user("a1", roles=["admin"], employee_no="A1", department="客服部", name="老板")
    hr.employee_no = "H1"
    db.session.commit()
    checked = importer.preview(csv("A1,老板,客服部,离职", "H1,hr1,客服部,left", "L1,李离,客服部,离职"), actor=hr)
    assert [bool(row.problems) for row in checked.rows] == [True, True, False]
    assert "无权管理" in checked.rows[0].problems[0] and "自己" in checked.rows[1].problems[0]
    with pytest.raises(importer.StaffFileError):
        importer.apply(csv("A1,老板,客服部,离职", "L1,李离,客服部,离职"), actor=hr)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))) == 0


@pytest.mark.parametrize("value", ["辞职", "yes", "=1+1", "<script>x</script>", "离职" * 20, "0"])
def test_an_invalid_status_is_a_row_problem_and_nothing_is_written(app, worker, hr, value):
    checked = importer.preview(csv(f"L1,李离,客服部,{value}", "N1,新人,客服部,在职"), actor=hr)
    assert not checked.ok and len(checked.bad_rows) == 1
    assert any("在职 或 离职" in p or "状态超过" in p for p in checked.bad_rows[0].problems)
    with pytest.raises(importer.StaffFileError):
        importer.apply(csv(f"L1,李离,客服部,{value}", "N1,新人,客服部,在职"), actor=hr)
    assert count(User, User.employee_no == "N1") == 0


def test_a_leaver_without_an_account_is_skipped_and_english_words_work(app, hr, worker):
    result = importer.apply(csv("N1,新人,客服部,active", "N2,走了,客服部,LEFT", "L1,李离,客服部,"), actor=hr)
    assert [a.employee_no for a in result.created] == ["N1"]
    assert count(User, User.employee_no == "N2") == 0
    db.session.expire_all()
    assert db.session.get(User, worker.id).active  # an empty cell changes nothing


def test_the_preview_page_shows_the_leavers(app, client, login_as, worker):
    login_as("hr")
    data = {"file": (__import__("io").BytesIO(csv("L1,李离,客服部,离职", "N2,走了,客服部,离职")), "staff.csv")}
    page = client.post("/hr/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "离职停用 1 人" in page and "leaver" in page and "跳过离职 1" in page
    assert "状态" in client.get("/hr/import").get_data(as_text=True)  # the column table documents it
    assert "状态" in importer.sample_csv().splitlines()[0]
