"""Reading progress, dashboard, course and module pages."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.learning.models import ModuleProgress
from tests import factories


def test_course_page_lists_modules_with_status_and_minutes(client, login_as):
    login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    page = client.get("/courses/demo-course").get_data(as_text=True)
    assert "第一步" in page and "第二步" in page
    assert "5 分钟" in page and "8 分钟" in page
    assert page.count("未完成") == 2


def test_module_page_shows_content_objectives_and_navigation(client, login_as):
    login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    page = client.get("/courses/demo-course/first-steps").get_data(as_text=True)
    assert "说出第一步的要点" in page
    assert '<table class="table table-bordered table-sm">' in page
    assert "/courses/demo-course/second-steps" in page  # next
    assert "<script>alert" not in page and "<img" not in page and 'href="javascript' not in page


def test_mark_complete_is_post_only_and_idempotent(client, login_as):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    assert client.get("/courses/demo-course/first-steps/complete").status_code == 405
    response = client.post("/courses/demo-course/first-steps/complete")
    assert response.headers["Location"].endswith("/courses/demo-course/second-steps")
    client.post("/courses/demo-course/first-steps/complete")
    count = db.session.scalar(select(func.count()).select_from(ModuleProgress).where(ModuleProgress.user_id == user.id))
    assert count == 1
    dashboard = client.get("/dashboard").get_data(as_text=True)
    # the course requires two modules, a quiz and a role-play: one of four requirements is done
    assert 'value="25"' in dashboard and "已完成 1 / 4 项要求" in dashboard


def test_progress_survives_logout(client, login_as):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    client.post("/courses/demo-course/first-steps/complete")
    client.post("/logout")
    login_as(user)
    assert 'value="25"' in client.get("/dashboard").get_data(as_text=True)


def test_unassigned_trainee_cannot_open_course(client, login_as):
    login_as("trainee")
    assert client.get("/courses/demo-course").status_code == 403
    assert client.get("/courses/demo-course/first-steps").status_code == 403
    assert client.post("/courses/demo-course/first-steps/complete").status_code == 403


def test_unknown_course_and_module_are_404(client, login_as):
    login_as("instructor")
    assert client.get("/courses/nope").status_code == 404
    assert client.get("/courses/demo-course/nope").status_code == 404


def test_department_assignment_reaches_people_who_join_later(client, login_as, make_user):
    from app.accounts.services import get_or_create_department
    from app.learning.services import assign_course

    dept = get_or_create_department("呼叫中心")
    db.session.commit()
    assign_course(factories.course(), department=dept)
    login_as("trainee", department="呼叫中心")
    assert "测试课程" in client.get("/dashboard").get_data(as_text=True)


def test_dashboard_query_count_is_fixed(client, login_as, count_queries, app):
    from app.content.loader import CourseData, ModuleData  # noqa: F401  (documented dataclasses)

    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    with count_queries() as one_course:
        client.get("/dashboard")
    # A second course with modules read must not add queries.
    from app.learning.models import Course, Module

    extra = Course(slug="extra", title="另一门课", summary="s", completion={})
    db.session.add(extra)
    db.session.flush()
    db.session.add_all(
        [Module(course_id=extra.id, slug=f"m{i}", position=i, title=f"M{i}", body_html="") for i in range(5)]
    )
    db.session.commit()
    factories.assign("extra", cohort="c1")
    for module in extra.modules[:3]:
        db.session.add(ModuleProgress(user_id=user.id, module_id=module.id))
    db.session.commit()
    with count_queries() as two_courses:
        page = client.get("/dashboard").get_data(as_text=True)
    assert "另一门课" in page and 'value="60"' in page
    assert two_courses() == one_course()


def test_content_reload_archives_and_keeps_progress(client, login_as, tmp_path):
    import shutil

    from app.learning.models import Module
    from tests.conftest import TEST_CONTENT

    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    client.post("/courses/demo-course/second-steps/complete")
    root = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, root)
    (root / "courses/demo-course/02-second-steps.md").unlink()
    factories.load_content(root)
    module = db.session.scalar(select(Module).where(Module.slug == "second-steps"))
    assert module.archived is True
    assert (
        db.session.scalar(select(func.count()).select_from(ModuleProgress).where(ModuleProgress.user_id == user.id))
        == 1
    )
    page = client.get("/courses/demo-course").get_data(as_text=True)
    assert "/courses/demo-course/second-steps" not in page
    factories.load_content(TEST_CONTENT)
    db.session.refresh(module)
    assert module.archived is False


def test_bulk_assignment_services_write_and_only_learning_signals(app, make_user):
    """HR's bulk assignment lives in learning's services: one transaction, then learning's signal per assignment."""
    from datetime import date, timedelta

    import pytest

    from app.core.signals import assignment_changed
    from app.learning import services
    from app.learning.models import Assignment, Enrolment

    ann = make_user("ann")
    bob = make_user("bob")
    course = factories.course()
    sent = []
    with assignment_changed.connected_to(lambda sender, **_: sent.append(sender.id)):
        made = services.assign_many(
            course, departments=[], cohorts=[], people=services.find_people("ANN, bob"), due_date=None, by=bob
        )
        assert sorted(sent) == sorted(a.id for a in made) and len(made) == 2
        assert {r.user_id for r in db.session.scalars(select(Enrolment))} == {ann.id, bob.id}
        soon = date.today() + timedelta(days=3)
        assert services.change_many(made[:1], "due", soon) == 1
        assert services.change_many(made[1:], "remove", None) == 1
    assert [a.due_date for a in db.session.scalars(select(Assignment))] == [soon]
    assert {r.user_id for r in db.session.scalars(select(Enrolment))} == {made[0].user_id}
    with pytest.raises(services.AssignError, match="nobody"):
        services.find_people("nobody")
    with pytest.raises(services.AssignError):
        services.change_many([], "remove", None)
    with pytest.raises(services.AssignError):
        services.assign_many(course, departments=[], cohorts=[], people=[], due_date=None, by=bob)
