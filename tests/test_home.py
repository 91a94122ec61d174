"""The home page: a trainee's to-do list (overdue first), news and courses; a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from app.completion.models import Certificate
from app.core.time import utcnow
from app.extensions import db
from app.learning.models import Course, Module, ModuleProgress
from app.reports import home
from app.roleplay.models import RoleplayCard, Submission
from tests import factories


def extra_course(slug: str = "extra", modules: int = 3, position: int = 5) -> Course:
    """A second course with modules only (its completion rules require every module)."""
    course = Course(slug=slug, title=f"另一门课 {slug}", summary="s", completion={}, position=position)
    db.session.add(course)
    db.session.flush()
    db.session.add_all(
        [
            Module(course_id=course.id, slug=f"m{i}", position=i, title=f"{slug} 模块 {i}", body_html="")
            for i in range(modules)
        ]
    )
    db.session.commit()
    return course


def card() -> RoleplayCard:
    """The demo course's role-play card."""
    return db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == "demo-card"))


def submission(user, status: str, **values) -> Submission:
    """A submission of the demo card in a given state."""
    row = Submission(trainee_id=user.id, card_id=card().id, status=status, response_text="回应", **values)
    db.session.add(row)
    db.session.commit()
    return row


def todo_kinds(page: str) -> list[str]:
    """The kinds of the to-do items, in page order."""
    return re.findall(r'data-kind="(\w+)"', page)


def test_to_dos_list_every_missing_requirement_with_links_overdue_first(client, login_as):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1", due_date=date.today() - timedelta(days=2))
    extra_course()
    factories.assign("extra", user=user, due_date=date.today() + timedelta(days=10))
    page = client.get("/dashboard").get_data(as_text=True)
    # the overdue course's next module, quiz and role-play come first, then the course due later
    assert todo_kinds(page) == ["module", "quiz", "roleplay", "module"]
    assert page.index("/courses/demo-course/first-steps") < page.index("/quizzes/demo-check")
    assert page.index("/quizzes/demo-check") < page.index("/roleplays/demo-card") < page.index("/courses/extra/m0")
    assert "3 项已逾期" in page and page.count("todo-overdue") >= 3
    assert "还有 2 个模块未读" in page and "还有 3 个模块未读" in page
    assert 'id="resume"' not in page  # nothing read yet: nothing to continue


def test_progress_counts_every_requirement_and_continue_points_at_the_next_module(client, login_as):
    login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    client.post("/courses/demo-course/first-steps/complete")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'value="25"' in page and "已完成 1 / 4 项要求" in page
    resume = re.search(r'<a class="card resume-card[^>]*href="([^"]+)"[^>]*id="resume"', page)
    assert resume and resume.group(1) == "/courses/demo-course/second-steps"
    assert todo_kinds(page) == ["quiz", "roleplay"]  # the module to continue is not listed twice


def test_returned_role_play_replaces_its_due_item_and_links_to_the_answer_box(client, login_as):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    submission(user, "returned", overall_comment="请补上道歉")
    page = client.get("/dashboard").get_data(as_text=True)
    assert todo_kinds(page) == ["returned", "module", "quiz"]
    assert "/roleplays/demo-card#my-work" in page and "请按讲师的意见修改后重新提交" in page


def test_waiting_role_play_is_no_to_do_and_new_grades_and_certificates_are_news(client, login_as):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    submission(user, "submitted", submitted_at=utcnow())
    assert "roleplay" not in todo_kinds(client.get("/dashboard").get_data(as_text=True))

    graded = submission(user, "graded", total=6, max_points=8, passed=True, graded_at=utcnow())
    old = submission(user, "graded", total=2, max_points=8, passed=False, graded_at=utcnow() - timedelta(days=60))
    cert = Certificate(
        code="ABCD-EFGH-JKLM-NPQR",
        user_id=user.id,
        course_id=factories.course().id,
        recipient_name=user.name,
        course_title="测试课程",
    )
    db.session.add(cert)
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"/submissions/{graded.id}" in page and "6 / 8 分" in page
    assert f"/submissions/{old.id}" not in page  # older than two weeks: not news
    assert f"/certificates/{cert.id}.pdf" in page and "获得结业证书：测试课程" in page


def test_staff_see_no_to_do_list(client, login_as):
    login_as("hr")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "我的待办" not in page and "人事工作台" in page


def test_home_query_count_does_not_grow_with_courses(client, login_as, count_queries):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1", due_date=date.today())
    submission(user, "returned")
    submission(user, "graded", total=6, max_points=8, passed=True, graded_at=utcnow())
    client.post("/courses/demo-course/first-steps/complete")
    with count_queries() as one_course:
        client.get("/dashboard")
    for n in range(3):
        course = extra_course(f"extra{n}", position=10 + n)
        factories.assign(course.slug, user=user, due_date=date.today() + timedelta(days=n))
        db.session.add(ModuleProgress(user_id=user.id, module_id=course.modules[0].id))
    db.session.commit()
    with count_queries() as four_courses:
        page = client.get("/dashboard").get_data(as_text=True)
    assert page.count("course-card") == 4
    assert four_courses() == one_course()


def test_trainee_home_reads_only_its_own_person(app, make_user):
    first = make_user("h1", roles=["trainee"], cohort="c1")
    second = make_user("h2", roles=["trainee"], cohort="c1")
    factories.assign(cohort="c1")
    submission(second, "returned")
    assert [t.kind for t in home.trainee_home(first).todos] == ["module", "quiz", "roleplay"]
    assert [t.kind for t in home.trainee_home(second).todos] == ["returned", "module", "quiz"]
