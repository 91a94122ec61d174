"""HR's list of role-play submissions: access, drafts hidden, columns, filters, bad input, pages, query count."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User, UserRole
from app.extensions import db
from app.roleplay.models import RoleplayCard, Submission
from tests import factories

START = datetime(2024, 5, 1, 9, 0)


def card() -> RoleplayCard:
    """The test content's role-play card (course demo-course)."""
    return db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == "demo-card"))


def person(username: str, name: str, role: str = "trainee", department: str | None = None) -> User:
    """A user inserted directly (no password hashing), optionally in a department."""
    dept = accounts.get_or_create_department(department) if department else None
    user = User(username=username, name=name, password_hash="x", department_id=dept.id if dept else None)
    db.session.add(user)
    db.session.flush()
    db.session.add(UserRole(user_id=user.id, role=role))
    return user


def submission(trainee: User, status: str, n: int = 0, grader: User | None = None, **values) -> Submission:
    """A submission of demo-card in a given state, handed in ``n`` hours after START (none for drafts)."""
    graded = status == "graded"
    row = Submission(
        trainee_id=trainee.id,
        card_id=card().id,
        status=status,
        response_text="先安抚客户。",
        submitted_at=None if status == "draft" else START + timedelta(hours=n),
        grader_id=grader.id if grader else None,
        total=12 if graded else None,
        max_points=16 if graded else None,
        pass_percent=60 if graded else None,
        passed=True if graded else None,
        graded_at=START + timedelta(hours=n + 1) if graded else None,
        **values,
    )
    db.session.add(row)
    return row


def populate(count: int, start: int = 0) -> None:
    """``count`` graded submissions, each by its own trainee in its own department, graded by its own instructor."""
    for n in range(start, start + count):
        trainee = person(f"bulk-t{n}", f"批量学员{n:03d}", department=f"部门{n:03d}")
        grader = person(f"bulk-g{n}", f"讲师{n:03d}", role="instructor", department=f"讲师部门{n:03d}")
        submission(trainee, "graded", n, grader)
    db.session.commit()


@pytest.fixture
def sample(app):
    """Four trainees in two departments: graded, waiting, returned, and a draft that HR must never see."""
    grader = person("teacher", "王老师", role="instructor")
    people = {
        "graded": person("t-graded", "李已评", department="呼叫中心"),
        "submitted": person("t-waiting", "赵待评", department="门店销售部"),
        "returned": person("t-returned", "钱退回", department="门店销售部"),
        "draft": person("t-draft", "孙草稿", department="呼叫中心"),
    }
    submission(people["graded"], "graded", 3, grader)
    submission(people["submitted"], "submitted", 2)
    submission(people["returned"], "returned", 1, grader, overall_comment="请补充方案")
    submission(people["draft"], "draft")
    db.session.commit()
    return people


def rows(html: str) -> list[str]:
    """The table rows of the list, in order."""
    return re.findall(r'<tr data-submission="\d+">(.*?)</tr>', html, flags=re.S)


def names(html: str) -> list[str]:
    """Trainee names in list order."""
    return [re.search(r"(李已评|赵待评|钱退回|孙草稿|批量学员\d+)", row).group(1) for row in rows(html)]


# Access --------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/reports/roleplays")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["trainee", "instructor"])
def test_trainees_and_instructors_are_refused(client, login_as, sample, role):
    login_as(role)
    assert client.get("/reports/roleplays").status_code == 403


def test_the_list_is_read_only(client, login_as, sample):
    login_as("hr")
    assert client.post("/reports/roleplays").status_code == 405


def test_hr_sees_every_handed_in_submission_newest_first_without_drafts(client, login_as, sample):
    login_as("hr")
    response = client.get("/reports/roleplays")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert names(html) == ["李已评", "赵待评", "钱退回"]
    assert "孙草稿" not in html
    draft = db.session.scalar(select(Submission).where(Submission.status == "draft"))
    assert f'data-submission="{draft.id}"' not in html


def test_columns(client, login_as, sample):
    login_as("hr")
    html = client.get("/reports/roleplays").get_data(as_text=True)
    graded, waiting, returned = rows(html)
    trainee = sample["graded"]
    item = db.session.scalar(select(Submission).where(Submission.trainee_id == trainee.id))
    assert f'href="/reports/trainees/{trainee.id}"' in graded
    assert "呼叫中心" in graded
    assert factories.course().title in graded
    assert card().title in graded and f'href="/submissions/{item.id}"' in graded
    assert "已评分" in graded
    assert "12 / 16 分" in graded and "通过" in graded
    assert "王老师" in graded
    assert "已提交" in waiting and "分" not in re.sub(r"<th.*?</th>", "", waiting) and "王老师" not in waiting
    assert "退回修改" in returned and "王老师" in returned and "门店销售部" in returned


def test_admin_sees_the_list_without_transcript_links(client, login_as, sample):
    login_as("admin")
    response = client.get("/reports/roleplays")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert names(html) == ["李已评", "赵待评", "钱退回"]
    assert "/reports/trainees/" not in html


def test_hr_navigation_links_to_the_list(client, login_as, sample):
    login_as("hr")
    assert 'href="/reports/roleplays"' in client.get("/reports").get_data(as_text=True)
    page = client.get("/reports/roleplays").get_data(as_text=True)
    assert re.search(r'class="nav-link active" href="/reports/roleplays"', page)


# Filters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [("graded", ["李已评"]), ("submitted", ["赵待评"]), ("returned", ["钱退回"]), ("resubmitted", [])],
)
def test_filter_by_state(client, login_as, sample, state, expected):
    login_as("hr")
    html = client.get("/reports/roleplays", query_string={"state": state}).get_data(as_text=True)
    assert names(html) == expected
    assert f'<option value="{state}" selected' in html


def test_filter_by_department(client, login_as, sample):
    login_as("hr")
    dept = sample["submitted"].department_id
    html = client.get("/reports/roleplays", query_string={"department": dept}).get_data(as_text=True)
    assert names(html) == ["赵待评", "钱退回"]


def test_filter_by_course(client, login_as, sample):
    login_as("hr")
    course_id = factories.course().id
    html = client.get("/reports/roleplays", query_string={"course": course_id}).get_data(as_text=True)
    assert names(html) == ["李已评", "赵待评", "钱退回"]
    assert f'<option value="{course_id}" selected' in html


@pytest.mark.parametrize(
    ("args", "label"),
    [
        ({"state": "draft"}, "状态"),
        ({"state": "bogus"}, "状态"),
        ({"course": "abc"}, "课程"),
        ({"course": "999999"}, "课程"),
        ({"department": "-1"}, "部门"),
        ({"department": "99999999999999999999"}, "部门"),
    ],
)
def test_bad_filters_are_ignored_and_said_so(client, login_as, sample, args, label):
    login_as("hr")
    response = client.get("/reports/roleplays", query_string=args)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"筛选条件无效，已忽略：{label}" in html
    assert names(html) == ["李已评", "赵待评", "钱退回"]
    assert "孙草稿" not in html


def test_valid_filters_show_no_warning(client, login_as, sample):
    login_as("hr")
    html = client.get("/reports/roleplays", query_string={"state": "graded"}).get_data(as_text=True)
    assert "筛选条件无效" not in html


@pytest.mark.parametrize("key", ["state", "course", "department", "page"])
def test_script_in_a_filter_value_is_not_echoed(client, login_as, sample, key):
    login_as("hr")
    response = client.get("/reports/roleplays", query_string={key: "<script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "<script" not in html.lower().replace('<script src="', "")
    # Only URL-encoded, in the language switch's return address.
    assert html.count("alert(1)") == html.count("%3Ealert(1)%3C")
    assert names(html) == ["李已评", "赵待评", "钱退回"]


# Pages ---------------------------------------------------------------------------------------------


def test_pages_keep_the_filters(client, login_as, app):
    populate(30)
    login_as("hr")
    first = client.get("/reports/roleplays", query_string={"state": "graded"}).get_data(as_text=True)
    assert len(rows(first)) == 20
    assert names(first)[0] == "批量学员029"
    assert "共 30 份提交。" in first
    assert (
        "/reports/roleplays?page=2&amp;state=graded" in first or "/reports/roleplays?state=graded&amp;page=2" in first
    )
    second = client.get("/reports/roleplays", query_string={"state": "graded", "page": 2}).get_data(as_text=True)
    assert names(second) == [f"批量学员{n:03d}" for n in range(9, -1, -1)]


@pytest.mark.parametrize("page", ["abc", "0", "-3", ""])
def test_a_bad_page_number_falls_back_to_the_first_page(client, login_as, app, page):
    populate(21)
    login_as("hr")
    response = client.get(f"/reports/roleplays?page={page}")
    assert response.status_code == 200
    assert names(response.get_data(as_text=True))[0] == "批量学员020"


def test_a_page_past_the_end_shows_the_last_page_not_an_error(client, login_as, sample):
    login_as("hr")
    response = client.get("/reports/roleplays?page=999")
    assert response.status_code == 200
    assert sorted(names(response.get_data(as_text=True))) == ["李已评", "赵待评", "钱退回"]


def test_query_count_is_the_same_for_2_and_30_submissions(client, login_as, count_queries, app):
    populate(2)
    login_as("hr")
    client.get("/reports/roleplays")  # warm up: same session state before each measured call
    with count_queries() as small:
        html = client.get("/reports/roleplays").get_data(as_text=True)
    assert len(rows(html)) == 2
    populate(28, start=2)
    client.get("/reports/roleplays")
    with count_queries() as large:
        html = client.get("/reports/roleplays").get_data(as_text=True)
    assert len(rows(html)) == 20
    assert "讲师029" in html and "部门029" in html
    assert 0 < small() == large()
