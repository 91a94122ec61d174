"""Assignment rules: department and/or position → course, applied at once to current people and to each newcomer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import importer
from app.accounts import services as accounts
from app.accounts.models import Department, User
from app.completion.models import CourseCompletion
from app.core.audit import AuditEvent
from app.extensions import db
from app.learning import rules
from app.learning import services as learning
from app.learning.models import Assignment, AssignmentRule, Course, Enrolment
from tests import factories

TODAY = date.today()
STORE = "门店部"


def dept(name: str = STORE) -> Department:
    """A department by name (created if needed)."""
    department = accounts.get_or_create_department(name)
    db.session.commit()
    return department


def rule_rows(rule_id: int | None = None) -> set[tuple[int, int, date | None]]:
    """(user, course, due) of the assignments rules made (of one rule), fresh from the database."""
    db.session.expire_all()
    query = select(Assignment.user_id, Assignment.course_id, Assignment.due_date).where(Assignment.rule_id.is_not(None))
    if rule_id is not None:
        query = query.where(Assignment.rule_id == rule_id)
    return {tuple(row) for row in db.session.execute(query)}


def enrolled(user: User) -> dict[int, date | None]:
    """The person's stored enrolments: course id → due date."""
    db.session.expire_all()
    query = select(Enrolment.course_id, Enrolment.due_date).where(Enrolment.user_id == user.id)
    return {course: due for course, due in db.session.execute(query)}


def make_rule(department: str | None = STORE, position: str | None = None, days: int = 14, course=None, by=None):
    """Create a rule through the service; return it."""
    by = by or factories.make_user(f"hr{factories.next_id()}", roles=["hr"])
    department_id = dept(department).id if department else None
    rule, _ = learning.create_rule(
        department_id=department_id,
        position=position,
        course_id=(course or factories.course()).id,
        due_days=days,
        by=by,
    )
    return rule


@pytest.fixture
def second_course(app) -> Course:
    """A second live course."""
    course = Course(slug="second-course", title="第二门课", position=9)
    db.session.add(course)
    db.session.commit()
    return course


# --- the rule applies to current people at once ---------------------------------------------------


def test_a_new_rule_assigns_every_current_active_match_at_once(app, make_user):
    course = factories.course()
    ann = make_user("ann", department=STORE)
    bob = make_user("bob", department=STORE, roles=["instructor"])
    gone = make_user("gone", department=STORE)
    accounts.deactivate_user(gone)
    make_user("out", department="总部")
    hr = make_user("hr1", roles=["hr"])

    rule, assigned = learning.create_rule(
        department_id=dept().id, position=None, course_id=course.id, due_days=14, by=hr
    )

    due = TODAY + timedelta(days=14)
    assert assigned == 2
    assert rule_rows(rule.id) == {(ann.id, course.id, due), (bob.id, course.id, due)}
    assert enrolled(ann) == {course.id: due}
    assert enrolled(gone) == {}  # inactive people are not assigned
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rule.created"))
    assert event.target_type == "assignment_rules" and event.target_id == rule.id
    assert event.details["assigned"] == 2 and event.details["department"] == STORE


def test_creating_a_rule_runs_the_same_statements_for_5_and_50_people(app, make_user, count_queries):
    course = factories.course()
    hr = make_user("hr1", roles=["hr"])
    counts = []
    for n, name in ((5, "甲部"), (50, "乙部")):
        department = dept(name)
        for _ in range(n):
            db.session.add(User(username=f"u{factories.next_id()}", name="x", password_hash="x", department=department))
        db.session.commit()
        with count_queries() as statements:
            _, assigned = learning.create_rule(
                department_id=department.id, position=None, course_id=course.id, due_days=7, by=hr
            )
        assert assigned == n
        counts.append(statements())
    assert counts[0] == counts[1]


# --- people who join, move or change position: at once, in the transaction of the change ----------


def test_a_new_person_gets_the_course_in_the_transaction_that_creates_them(app, make_user):
    course = factories.course()
    make_rule(days=10)
    # not committed: nothing yet, and a rollback leaves nothing behind
    accounts.create_user("temp", "临时", factories.PASSWORD, department=STORE, commit=False)
    db.session.rollback()
    assert rule_rows() == set()

    new = make_user("new", department=STORE)  # one service call, one commit
    assert rule_rows() == {(new.id, course.id, TODAY + timedelta(days=10))}
    assert enrolled(new) == {course.id: TODAY + timedelta(days=10)}


def test_moving_in_or_changing_position_assigns_due_from_the_move(app, make_user, monkeypatch):
    course = factories.course()
    early = TODAY - timedelta(days=20)
    monkeypatch.setattr(rules, "today", lambda: early)  # the rule started 20 days ago
    old = make_user("old", department=STORE)
    by_dept = make_rule(days=30)
    by_position = make_rule(department=None, position="导购", days=5)
    monkeypatch.setattr(rules, "today", lambda: TODAY)
    assert rule_rows(by_dept.id) == {(old.id, course.id, early + timedelta(days=30))}

    mover = make_user("mover", department="总部")
    accounts.update_user(
        mover, name="mover", email=None, employee_no=None, position=None, department_id=dept().id,
        roles=["trainee"], active=True,
    )  # fmt: skip
    assert rule_rows(by_dept.id) == {
        (old.id, course.id, early + timedelta(days=30)),
        (mover.id, course.id, TODAY + timedelta(days=30)),
    }

    seller = make_user("seller", department="总部")
    seller.position = "  导购 "  # matched after trimming
    db.session.commit()
    assert rule_rows(by_position.id) == {(seller.id, course.id, TODAY + timedelta(days=5))}
    assert enrolled(seller) == {course.id: TODAY + timedelta(days=5)}

    seller.position = "导购员"  # not the same position: matched exactly
    db.session.commit()
    assert rule_rows(by_position.id) == set()


def test_an_imported_new_hire_gets_the_course(app, make_user):
    course = factories.course()
    rule = make_rule(days=21)
    admin = make_user("admin1", roles=["admin"])
    importer.apply("工号,姓名,部门,岗位\nN001,新员工,门店部,导购\nN002,别人,总部,导购\n".encode(), actor=admin)
    hired = db.session.scalar(select(User).where(User.employee_no == "N001"))
    assert rule_rows(rule.id) == {(hired.id, course.id, TODAY + timedelta(days=21))}


def test_leaving_the_scope_removes_the_rule_assignment_but_keeps_completion_records(app, make_user):
    course = factories.course()
    rule = make_rule()
    done = make_user("done", department=STORE)
    todo = make_user("todo", department=STORE)
    db.session.add(CourseCompletion(user_id=done.id, course_id=course.id, status="complete"))
    db.session.commit()
    for person in (done, todo):
        person.department = dept("总部")
    db.session.commit()
    assert rule_rows(rule.id) == set()
    assert enrolled(todo) == {}
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1  # the record stays


def test_a_personal_assignment_is_not_duplicated_and_departments_merge(app, make_user):
    course = factories.course()
    own = make_user("own", department=STORE)
    factories.assign(user=own, due_date=TODAY + timedelta(days=3))
    other = make_user("other", department=STORE)
    learning.assign_course(course, department=dept(), due_date=TODAY + timedelta(days=2))
    rule = make_rule(days=14)
    assert rule_rows(rule.id) == {(other.id, course.id, TODAY + timedelta(days=14))}  # not for "own"
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.user_id == own.id)) == 1
    assert enrolled(other) == {course.id: TODAY + timedelta(days=2)}  # one enrolment, the earliest due date
    # HR's personal assignment to someone the rule reached is a separate, own row (not the rule's)
    learning.assign_course(course, user=other, due_date=TODAY + timedelta(days=1))
    assert rule_rows(rule.id) == {(other.id, course.id, TODAY + timedelta(days=14))}
    assert enrolled(other) == {course.id: TODAY + timedelta(days=1)}


def test_inactive_people_are_not_assigned_and_reactivation_assigns_them(app, make_user):
    course = factories.course()
    sleeper = make_user("sleeper", department="总部")
    accounts.deactivate_user(sleeper)
    rule = make_rule()
    sleeper.department = dept()
    db.session.commit()
    assert rule_rows(rule.id) == set()
    sleeper.active = True
    db.session.commit()
    assert rule_rows(rule.id) == {(sleeper.id, course.id, TODAY + timedelta(days=14))}


# --- editing, pausing, resuming, deleting ---------------------------------------------------------


def test_edit_pause_resume_and_delete(app, make_user, second_course):
    course = factories.course()
    ann = make_user("ann", department=STORE)
    bob = make_user("bob", department="总部")
    rule = make_rule(days=14)
    assert rule_rows(rule.id) == {(ann.id, course.id, TODAY + timedelta(days=14))}

    result = learning.update_rule(rule, department_id=dept("总部").id, position=None, course_id=course.id, due_days=3)
    assert (result.added, result.removed) == ([bob.id], 1)
    assert rule_rows(rule.id) == {(bob.id, course.id, TODAY + timedelta(days=3))}

    learning.update_rule(rule, department_id=dept("总部").id, position=None, course_id=second_course.id, due_days=3)
    assert rule_rows(rule.id) == {(bob.id, second_course.id, TODAY + timedelta(days=3))}

    learning.pause_rule(rule)
    cat = make_user("cat", department="总部")  # a paused rule assigns nobody
    assert rule_rows(rule.id) == {(bob.id, second_course.id, TODAY + timedelta(days=3))}
    with pytest.raises(learning.RuleConflict):
        learning.pause_rule(rule)
    learning.resume_rule(rule)
    assert rule_rows(rule.id) == {
        (bob.id, second_course.id, TODAY + timedelta(days=3)),
        (cat.id, second_course.id, TODAY + timedelta(days=3)),
    }

    assert learning.delete_rule(rule, keep=True) == 2
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 0
    kept = db.session.scalars(select(Assignment).where(Assignment.course_id == second_course.id)).all()
    assert {(a.user_id, a.rule_id) for a in kept} == {(bob.id, None), (cat.id, None)}  # now personal ones
    assert second_course.id in enrolled(bob)

    other = make_rule(department="总部", course=course, days=1)
    assert learning.delete_rule(other, keep=False) == 2
    assert rule_rows() == set()
    assert course.id not in enrolled(bob)
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("rule.%"))))
    assert actions == {"rule.created", "rule.changed", "rule.paused", "rule.resumed", "rule.deleted"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"department_id": None, "position": "   "}, "请至少选择一个部门或填写一个岗位"),
        ({"due_days": 3651}, "0 到 3650"),
        ({"due_days": -1}, "0 到 3650"),
        ({"due_days": 10**20}, "0 到 3650"),
        ({"course_id": 99999}, "在用的课程"),
        ({"department_id": 99999}, "找不到这个部门"),
        ({"position": "x" * 81}, "最多 80 个字符"),
        ({"position": "导\x00购"}, "控制字符"),
    ],
)
def test_the_service_refuses_bad_rules_and_writes_nothing(app, make_user, fields, error):
    hr = make_user("hr1", roles=["hr"])
    values = {"department_id": dept().id, "position": None, "course_id": factories.course().id, "due_days": 7}
    with pytest.raises(learning.RuleError, match=error):
        learning.create_rule(**{**values, **fields}, by=hr)
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 0


def test_a_duplicate_or_archived_course_rule_is_refused(app, make_user):
    make_rule(position=" 导购 ")
    with pytest.raises(learning.RuleConflict):
        make_rule(position="导购")
    course = factories.course()
    course.archived = True
    db.session.commit()
    with pytest.raises(learning.RuleError):
        make_rule(position="店长", course=course)


# --- the pages ------------------------------------------------------------------------------------


def form(department_id: int | str = 0, position: str = "", course_id: int | str = "", due_days: object = 14) -> dict:
    """The rule form's fields."""
    return {"department_id": department_id, "position": position, "course_id": course_id, "due_days": due_days}


def test_hr_creates_edits_pauses_resumes_and_deletes_on_the_pages(app, client, login_as, make_user):
    course = factories.course()
    ann = make_user("ann", department=STORE, employee_no="A001", name="安安")
    login_as("hr")
    page = client.get("/hr/rules")
    assert page.status_code == 200 and "分配规则" in page.get_data(as_text=True)
    response = client.post("/hr/rules", data=form(dept().id, "", course.id, 14), follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已为 1 人分配" in text
    rule = db.session.scalar(select(AssignmentRule))
    detail = client.get(f"/hr/rules/{rule.id}").get_data(as_text=True)
    assert "安安" in detail and "已分配 1 人" in detail

    assignments = client.get("/hr/assignments").get_data(as_text=True)
    assert f"规则：{STORE}" in assignments  # where the assignment came from

    response = client.post(f"/hr/rules/{rule.id}", data=form(dept().id, "导购", course.id, 30), follow_redirects=True)
    assert "取消 1 人" in response.get_data(as_text=True)  # ann has no position: out of scope now
    assert rule_rows(rule.id) == set()
    assert client.post(f"/hr/rules/{rule.id}/pause").status_code == 302
    assert db.session.get(AssignmentRule, rule.id).active is False
    assert client.post(f"/hr/rules/{rule.id}/resume").status_code == 302
    ask = client.get(f"/hr/rules/{rule.id}/delete")
    assert ask.status_code == 200 and "保留" in ask.get_data(as_text=True)
    assert client.post(f"/hr/rules/{rule.id}/delete", data={"keep": "remove"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 0
    assert ann.id  # the person stays


def test_admin_may_and_others_may_not(app, client, login_as, make_user):
    rule = make_rule()
    login_as("admin")
    assert client.get("/hr/rules").status_code == 200
    assert client.get(f"/hr/rules/{rule.id}").status_code == 200
    for role in ("trainee", "instructor"):
        login_as(role)
        for url in ("/hr/rules", f"/hr/rules/{rule.id}", f"/hr/rules/{rule.id}/delete"):
            assert client.get(url).status_code == 403
        assert client.post(f"/hr/rules/{rule.id}/pause").status_code == 403
        assert client.post(f"/hr/rules/{rule.id}/delete", data={"keep": "remove"}).status_code == 403
        assert client.post("/hr/rules", data=form(dept().id, "", factories.course().id)).status_code == 403
    client.post("/logout")
    assert client.get("/hr/rules").status_code == 302  # to sign-in
    assert db.session.get(AssignmentRule, rule.id).active is True


def test_hostile_input_on_the_pages(app, client, login_as):
    course = factories.course()
    login_as("hr")
    cases = [
        (form(dept().id, "", course.id, "99999999999999999999999"), "0 到 3650"),
        (form(dept().id, "", course.id, "abc"), None),
        (form(0, "", course.id, 14), "请至少选择一个部门或填写一个岗位"),
        (form(987654, "", course.id, 14), None),  # someone's made-up department id
        (form(dept().id, "", 987654, 14), None),  # a course that does not exist
        (form(dept().id, "", "", 14), None),
        (form(dept().id, "导\x1b购", course.id, 14), "控制字符"),
    ]
    for data, message in cases:
        response = client.post("/hr/rules", data=data)
        assert response.status_code == 422, data
        if message:
            assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 0

    response = client.post("/hr/rules", data=form(0, "<script>alert(1)</script>", course.id, 14), follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert client.post("/hr/rules", data=form(0, "<script>alert(1)</script>", course.id, 14)).status_code == 409
    assert client.get("/hr/rules/987654").status_code == 404
    assert client.post("/hr/rules/987654/pause").status_code == 404
    assert client.post("/hr/rules/99999999999999999999/delete").status_code == 404


def test_csrf_is_required(app, client, login_as):
    login_as("hr")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/hr/rules", data=form(dept().id, "", factories.course().id)).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 0


def test_rule_pages_run_a_fixed_number_of_statements(app, client, login_as, make_user, count_queries):
    login_as("hr")
    counts = []
    for n in (2, 12):
        for i in range(n):
            make_rule(department=f"部门{n}-{i}", days=1)
        rule = make_rule(department=f"大部门{n}")
        for _ in range(n):
            make_user(department=f"大部门{n}")
        with count_queries() as listing:
            assert client.get("/hr/rules").status_code == 200
        with count_queries() as detail:
            assert client.get(f"/hr/rules/{rule.id}").status_code == 200
        with count_queries() as assignments:
            assert client.get("/hr/assignments").status_code == 200
        counts.append((listing(), detail(), assignments()))
    assert counts[0] == counts[1]
