"""Role-play web flows: library, card, self-score, submission, grading, conflicts, versions, live, notifications."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import Cohort
from app.core import signals
from app.extensions import db
from app.notifications.models import Notification
from app.roleplay import services
from app.roleplay.models import (
    RoleplayCard,
    Rubric,
    SelfScore,
    Submission,
    SubmissionEvent,
)
from tests import factories
from tests.conftest import PASSWORD, TEST_CONTENT

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 200
INSTRUCTOR_KINDS = ("roleplay.arrived", "roleplay.came-back")  # the instructors' notices of work handed in
RESPONSE = "客户：你们的电脑又坏了！\n我：赵先生，非常抱歉，您一定很着急。我今天下午3点前给您送备用机。"


def card(slug: str = "demo-card") -> RoleplayCard:
    """A loaded card by slug."""
    return db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == slug))


def people(cohort: str = "c1", trainee_name: str = "学员甲"):
    """A trainee and an instructor of one cohort that has the demo course assigned."""
    n = factories.next_id()
    trainee = factories.make_user(f"trainee{n}", roles=["trainee"], cohort=cohort, name=trainee_name)
    instructor = factories.make_user(f"teacher{n}", roles=["instructor"], cohort=cohort, name=f"讲师{n}")
    factories.assign(cohort=cohort)
    return trainee, instructor


def login(client, user) -> None:
    """Sign the test client in as the user."""
    client.post("/logout")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def hand_in(
    client,
    text: str = RESPONSE,
    *,
    button: str = "submit",
    audio: tuple[bytes, str] | None = None,
    slug: str = "demo-card",
):
    """Post the trainee's response form (submit or save)."""
    data: dict = {"response": text, button: "1"}
    if audio is not None:
        data["audio"] = (io.BytesIO(audio[0]), audio[1])
    return client.post(f"/roleplays/{slug}/submission", data=data, content_type="multipart/form-data")


def grade_post(
    client,
    submission: Submission,
    action: str = "grade",
    levels: dict | None = None,
    *,
    version: int | None = None,
    overall: str = "总体不错",
    comments: dict | None = None,
):
    """Post the grading form."""
    data = {"version": str(submission.version_id if version is None else version), "action": action, "overall": overall}
    for key, value in (levels if levels is not None else {"calm-first": 2, "solution": 1}).items():
        data[f"level-{key}"] = str(value)
    for key, value in (comments or {}).items():
        data[f"comment-{key}"] = value
    return client.post(f"/grading/{submission.id}", data=data)


def only_submission() -> Submission:
    """The single submission in the database."""
    db.session.expire_all()
    return db.session.scalars(select(Submission)).one()


# --- library and card page ---------------------------------------------------------------------------


def test_library_lists_assigned_cards_with_filters(client):
    trainee, _ = people()
    login(client, trainee)
    page = client.get("/roleplays").get_data(as_text=True)
    assert "测试角色扮演" in page and "测试课程" in page
    assert "测试角色扮演" not in client.get("/roleplays?difficulty=advanced").get_data(as_text=True)
    assert "测试角色扮演" in client.get("/roleplays?difficulty=basic").get_data(as_text=True)


def test_library_hides_cards_of_unassigned_courses(client, make_user):
    loner = make_user("loner", roles=["trainee"])
    login(client, loner)
    assert "测试角色扮演" not in client.get("/roleplays").get_data(as_text=True)
    assert client.get("/roleplays/demo-card").status_code == 403


def test_card_page_shows_sections_and_rubric_but_not_partner_brief(client):
    trainee, _ = people()
    login(client, trainee)
    page = client.get("/roleplays/demo-card").get_data(as_text=True)
    for text in ("背景说明", "安抚客户并提出方案", "是否先处理心情", "10 分钟", "先处理心情", "复述并认可感受"):
        assert text in page
    assert "满分 10 分，6 分及以上为通过" in page
    assert "已经修过两次" not in page  # the partner brief
    assert "/roleplays/demo-card/partner" in page


def test_partner_view_shows_brief_to_trainees_and_instructors_only(client, make_user):
    trainee, instructor = people()
    for user in (trainee, instructor):
        login(client, user)
        assert "已经修过两次" in client.get("/roleplays/demo-card/partner").get_data(as_text=True)
    login(client, make_user("hr1", roles=["hr"]))
    assert client.get("/roleplays/demo-card/partner").status_code == 403
    assert client.get("/roleplays/nope/partner").status_code in (403, 404)


def test_unknown_card_is_404(client):
    trainee, _ = people()
    login(client, trainee)
    assert client.get("/roleplays/no-such-card").status_code == 404


# --- self-scores --------------------------------------------------------------------------------------


def test_self_score_is_private_and_repeatable(client):
    trainee, instructor = people()
    login(client, trainee)
    for levels in ({"calm-first": 2, "solution": 2}, {"calm-first": 1, "solution": 0}):
        response = client.post("/roleplays/demo-card/self-score", data={f"level-{k}": v for k, v in levels.items()})
        assert response.status_code == 302
    scores = db.session.scalars(select(SelfScore).order_by(SelfScore.id)).all()
    assert [s.total for s in scores] == [10, 2]
    page = client.get("/roleplays/demo-card").get_data(as_text=True)
    assert "10 / 10 分" in page and "2 / 10 分" in page
    other, _ = people(trainee_name="学员乙")
    login(client, other)
    assert "10 / 10 分" not in client.get("/roleplays/demo-card").get_data(as_text=True)
    login(client, instructor)
    assert client.post("/roleplays/demo-card/self-score", data={"level-calm-first": 0}).status_code == 403


def test_self_score_needs_every_criterion(client):
    trainee, _ = people()
    login(client, trainee)
    response = client.post("/roleplays/demo-card/self-score", data={"level-calm-first": "1"}, follow_redirects=True)
    assert "请为每一项评分标准选择一个等级" in response.get_data(as_text=True)
    response = client.post("/roleplays/demo-card/self-score", data={"level-calm-first": "9", "level-solution": "0"})
    assert db.session.scalar(select(func.count()).select_from(SelfScore)) == 0


# --- submissions --------------------------------------------------------------------------------------


def test_draft_then_submit(client):
    trainee, _ = people()
    login(client, trainee)
    assert hand_in(client, "草稿内容", button="save").status_code == 302
    submission = only_submission()
    assert submission.status == "draft" and submission.rubric_version_id is None
    page = client.get("/roleplays/demo-card").get_data(as_text=True)
    assert "草稿内容" in page and "草稿" in page
    assert hand_in(client, RESPONSE).status_code == 302
    submission = only_submission()
    assert submission.status == "submitted"
    assert submission.response_text == RESPONSE
    assert submission.rubric_version_id == card().rubric.current_version_id
    assert submission.submitted_at is not None
    actions = db.session.scalars(select(SubmissionEvent.action).order_by(SubmissionEvent.id)).all()
    assert actions == ["save", "submit"]
    assert "正在等待讲师批改" in client.get("/roleplays/demo-card").get_data(as_text=True)


def test_submit_needs_text_and_stores_nothing(client):
    trainee, _ = people()
    login(client, trainee)
    response = hand_in(client, "   ")
    assert response.status_code == 400
    assert "请先写下你的书面回应" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_cannot_change_while_waiting(client):
    trainee, _ = people()
    login(client, trainee)
    hand_in(client)
    response = hand_in(client, "改一下", button="save")
    assert response.status_code == 400
    assert "等待讲师批改" in response.get_data(as_text=True)
    assert only_submission().response_text == RESPONSE


def test_only_trainees_submit(client):
    _, instructor = people()
    login(client, instructor)
    assert hand_in(client).status_code == 403


def test_my_submissions_lists_own_only(client):
    trainee, _ = people()
    login(client, trainee)
    hand_in(client)
    assert "测试角色扮演" in client.get("/submissions").get_data(as_text=True)
    other, _ = people(trainee_name="学员乙")
    login(client, other)
    assert "测试角色扮演" not in client.get("/submissions").get_data(as_text=True)


# --- grading --------------------------------------------------------------------------------------------


def test_queue_lists_waiting_work_of_taught_cohorts_oldest_first(client):
    first, instructor = people()
    second, _ = people(trainee_name="学员乙")
    outsider, other_instructor = people("c2", trainee_name="外班学员")
    for user in (second, first, outsider):
        login(client, user)
        hand_in(client)
    login(client, instructor)
    page = client.get("/grading").get_data(as_text=True)
    assert page.index("学员乙") < page.index("学员甲")
    assert "外班学员" not in page
    nav = client.get("/dashboard").get_data(as_text=True)
    assert 'id="grading-count">2<' in nav
    login(client, other_instructor)
    assert 'id="grading-count">1<' in client.get("/dashboard").get_data(as_text=True)


def test_queue_filters(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    demo = card()
    assert "学员甲" in client.get(f"/grading?card={demo.id}").get_data(as_text=True)
    assert "学员甲" not in client.get(f"/grading?card={demo.id + 999}").get_data(as_text=True)
    assert "学员甲" in client.get(f"/grading?course={demo.course_id}").get_data(as_text=True)
    assert "学员甲" not in client.get("/grading?status=graded").get_data(as_text=True)
    people("c2", trainee_name="外班学员")
    c1, c2 = (db.session.scalar(select(Cohort).where(Cohort.name == name)) for name in ("c1", "c2"))
    assert "学员甲" in client.get(f"/grading?cohort={c1.id}").get_data(as_text=True)
    assert "学员甲" not in client.get(f"/grading?cohort={c2.id}").get_data(as_text=True)  # not taught


def test_grading_page_shows_card_response_rubric_and_assistant(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client, "非常抱歉，这是常有的事。", audio=(MP3, "me.mp3"))
    submission = only_submission()
    login(client, instructor)
    page = client.get(f"/grading/{submission.id}").get_data(as_text=True)
    assert "已经修过两次" in page  # instructors see the partner brief
    assert "复述并认可感受" in page and "给出两个可选方案并确认" in page
    assert f"/submissions/{submission.id}/audio" in page
    assert 'data-rule="apology" data-count="1"' in page
    assert 'data-rule="commonplace" data-count="1"' in page
    assert '<mark class="rpl-mark rpl-mark-warn"' in page


def test_grade_computes_total_pass_and_notifies(client, app):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    submission = only_submission()
    received = []

    def listener(sender, **kwargs):
        received.append((sender.id, kwargs))

    signals.submission_graded.connect(listener)
    try:
        login(client, instructor)
        response = grade_post(
            client,
            submission,
            "grade",
            {"calm-first": 2, "solution": 1},
            comments={"calm-first": "共情到位"},
            overall="方案还可以更具体",
        )
    finally:
        signals.submission_graded.disconnect(listener)
    assert response.status_code == 302
    submission = only_submission()
    assert submission.status == "graded"
    assert (submission.total, submission.max_points, submission.passed) == (7, 10, True)
    assert submission.grader_id == instructor.id
    assert received == [
        (
            submission.id,
            {"user_id": trainee.id, "card_id": submission.card_id, "course_id": card().course_id, "passed": True},
        )
    ]
    note = db.session.scalars(select(Notification).where(Notification.kind.not_in(INSTRUCTOR_KINDS))).one()
    assert note.user_id == trainee.id and "通过" in note.message
    login(client, trainee)
    assert 'id="notification-count">1<' in client.get("/dashboard").get_data(as_text=True)
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "7 / 10 分" in page and "共情到位" in page and "方案还可以更具体" in page and "给出具体时间的方案" in page
    assert client.post(f"/notifications/{note.id}/open").headers["Location"].endswith(f"/submissions/{submission.id}")
    assert 'id="notification-count"' not in client.get("/dashboard").get_data(as_text=True)


def test_grade_below_pass_mark_fails(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 1, "solution": 1})  # 2 + 3 = 5 < 6
    submission = only_submission()
    assert (submission.total, submission.passed) == (5, False)
    assert (
        "未通过"
        in db.session.scalars(select(Notification).where(Notification.kind.not_in(INSTRUCTOR_KINDS))).one().message
    )


def test_grade_needs_every_criterion_and_stores_nothing(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    before = only_submission()
    response = grade_post(client, before, "grade", {"calm-first": 2})
    assert response.status_code == 400
    assert "请为每一项评分标准选择等级" in response.get_data(as_text=True)
    after = only_submission()
    assert after.status == "submitted" and after.version_id == before.version_id and not after.scores
    assert grade_post(client, after, "grade", {"calm-first": 2, "solution": 7}).status_code == 400
    assert only_submission().status == "submitted"


def test_return_resubmit_and_grade_again(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    response = grade_post(client, only_submission(), "return", {}, overall="")
    assert response.status_code == 400 and "写明需要修改的地方" in response.get_data(as_text=True)
    assert grade_post(client, only_submission(), "return", {}, overall="请补上时间承诺").status_code == 302
    assert only_submission().status == "returned"
    assert (
        "退回修改"
        in db.session.scalars(select(Notification).where(Notification.kind.not_in(INSTRUCTOR_KINDS))).one().message
    )
    login(client, trainee)
    page = client.get("/roleplays/demo-card").get_data(as_text=True)
    assert "请补上时间承诺" in page
    hand_in(client, RESPONSE + "\n我：明天上午10点前回复您。")
    assert only_submission().status == "resubmitted"
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 2})
    submission = only_submission()
    assert submission.status == "graded" and submission.total == 10
    actions = db.session.scalars(select(SubmissionEvent.action).order_by(SubmissionEvent.id)).all()
    assert actions == ["submit", "returned", "resubmit", "graded"]


def test_regrade_is_kept_in_history(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 1, "solution": 1})
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 2}, overall="复核后提高")
    events = db.session.scalars(select(SubmissionEvent).order_by(SubmissionEvent.id)).all()
    assert [(e.action, e.details.get("total")) for e in events] == [("submit", None), ("graded", 5), ("regraded", 10)]
    assert events[-1].actor_id == instructor.id
    page = client.get(f"/grading/{only_submission().id}").get_data(as_text=True)
    assert "修改评分" in page and "复核后提高" in page


def test_graded_trainee_may_start_a_new_attempt(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 0, "solution": 0})
    login(client, trainee)
    assert "再练一次" in client.get("/roleplays/demo-card").get_data(as_text=True)
    hand_in(client, "第二次")
    statuses = db.session.scalars(select(Submission.status).order_by(Submission.id)).all()
    assert statuses == ["graded", "submitted"]


# --- concurrent saves -------------------------------------------------------------------------------


def test_second_grader_sees_conflict_instead_of_overwriting(client, make_user):
    trainee, first = people()
    second = make_user("second-teacher", roles=["instructor"], cohort="c1", name="李老师")
    login(client, trainee)
    hand_in(client)
    loaded = only_submission().version_id  # both graders open the page at this version
    login(client, first)
    assert (
        grade_post(
            client, only_submission(), "save", {"calm-first": 2}, version=loaded, comments={"calm-first": "第一位"}
        ).status_code
        == 302
    )
    login(client, second)
    response = grade_post(
        client,
        only_submission(),
        "grade",
        {"calm-first": 0, "solution": 0},
        version=loaded,
        comments={"calm-first": "第二位"},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "保存冲突" in page and first.name in page and "第一位" in page and "第二位" in page
    submission = only_submission()
    assert submission.status == "submitted"
    assert submission.scores[0].comment == "第一位"
    # Saving again from the conflict page (it carries the new version) is a deliberate overwrite.
    assert f'value="{submission.version_id}"' in page
    assert grade_post(client, submission, "grade", {"calm-first": 0, "solution": 0}).status_code == 302
    assert only_submission().total == 0


def test_autosave_returns_new_version_and_409_on_conflict(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    submission = only_submission()
    loaded = submission.version_id
    data = {"version": str(loaded), "level-calm-first": "1", "overall": ""}
    first = client.post(f"/grading/{submission.id}/draft", data=data)
    assert first.status_code == 200
    assert first.json["version"] == loaded + 1 and first.json["total"] == 2
    stale = client.post(f"/grading/{submission.id}/draft", data=data)
    assert stale.status_code == 409
    assert stale.json["conflict"]["by"] == instructor.name
    assert only_submission().status == "submitted"


def test_version_column_catches_a_race_after_the_check(app, client):
    """Another transaction commits between our read and our write: the flush is refused, nothing is lost."""
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    submission = only_submission()
    loaded = submission.version_id
    db.session().expire_on_commit = False  # keep our stale copy in memory across the other commit
    try:
        db.session.execute(
            update(Submission.__table__)
            .where(Submission.__table__.c.id == submission.id)
            .values(version_id=loaded + 1, overall_comment="别人的评语")
        )
        db.session.commit()
        assert submission.version_id == loaded
        with app.test_request_context(), pytest.raises(services.ConflictError):
            services.save_grading(
                instructor,
                submission,
                action="save",
                expected_version=loaded,
                levels={"calm-first": 1},
                comments={},
                overall="我的评语",
            )
    finally:
        db.session().expire_on_commit = True
    assert only_submission().overall_comment == "别人的评语"


# --- rubric versions ------------------------------------------------------------------------------------


def _reload_with_changed_rubric(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, root)
    path = root / "quizzes" / "rubrics" / "demo-rubric.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{points: 6,", "{points: 8,"), encoding="utf-8")
    factories.load_content(root)


def test_rubric_change_makes_new_version_and_old_grades_keep_theirs(client, tmp_path):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 2})
    old = only_submission()
    old_version = old.rubric_version_id
    _reload_with_changed_rubric(tmp_path)
    rubric = db.session.scalar(select(Rubric).where(Rubric.slug == "demo-rubric"))
    assert rubric.current_version_id != old_version and rubric.current_version.max_points == 12
    graded = only_submission()
    assert (graded.rubric_version_id, graded.total, graded.max_points) == (old_version, 10, 10)
    page = client.get(f"/submissions/{graded.id}").get_data(as_text=True)
    assert "10 / 10 分" in page
    login(client, trainee)
    hand_in(client, "第二次")
    newest = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    assert newest.rubric_version_id == rubric.current_version_id


def test_submission_waiting_during_rubric_change_is_graded_on_its_pinned_version(client, tmp_path):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    pinned = only_submission().rubric_version_id
    _reload_with_changed_rubric(tmp_path)
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 2})
    submission = only_submission()
    assert (submission.rubric_version_id, submission.total, submission.max_points) == (pinned, 10, 10)


# --- live classroom mode --------------------------------------------------------------------------------


def test_live_mode_creates_and_grades_a_performance(client):
    trainee, instructor = people()
    login(client, instructor)
    page = client.get("/grading/live").get_data(as_text=True)
    assert "学员甲" in page and "测试角色扮演" in page
    response = client.post("/grading/live", data={"card_id": card().id, "trainee_id": trainee.id, "partner": "学员乙"})
    assert response.status_code == 302
    submission = only_submission()
    assert submission.live and submission.status == "submitted" and submission.partner_name == "学员乙"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "rpl-live" in page and 'value="return"' not in page
    assert grade_post(client, submission, "return", {}, overall="x").status_code == 400
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 1})
    submission = only_submission()
    assert submission.status == "graded" and submission.passed
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_live_mode_refuses_trainees_of_other_cohorts(client):
    _, instructor = people()
    outsider, _ = people("c2", trainee_name="外班学员")
    login(client, instructor)
    assert "外班学员" not in client.get("/grading/live").get_data(as_text=True)
    response = client.post("/grading/live", data={"card_id": card().id, "trainee_id": outsider.id})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


# --- notifications, nav, query counts, CSRF -----------------------------------------------------------


def test_notifications_belong_to_their_user(client):
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    grade_post(client, only_submission(), "grade", {"calm-first": 2, "solution": 2})
    note = db.session.scalars(select(Notification).where(Notification.kind.not_in(INSTRUCTOR_KINDS))).one()
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    login(client, trainee)
    assert "已评分" in client.get("/notifications").get_data(as_text=True)
    assert client.post("/notifications/read").status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None


def test_nav_links_by_role(client, make_user):
    trainee, instructor = people()
    login(client, trainee)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "角色扮演" in page and "/grading" not in page
    login(client, instructor)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/grading"' in page


@pytest.mark.parametrize("path", ["/roleplays", "/grading", "/submissions", "/notifications"])
def test_list_pages_use_a_fixed_number_of_queries(client, count_queries, path):
    trainee, instructor = people()
    user = instructor if path == "/grading" else trainee

    def measure() -> int:
        login(client, user)
        db.session.expire_all()
        with count_queries() as n:
            assert client.get(path).status_code == 200
        return n()

    for i in range(2):
        extra = factories.make_user(f"extra{i}-{factories.next_id()}", roles=["trainee"], cohort="c1")
        login(client, extra)
        hand_in(client)
    few = measure()
    for i in range(6):
        extra = factories.make_user(f"more{i}-{factories.next_id()}", roles=["trainee"], cohort="c1")
        login(client, extra)
        hand_in(client)
    login(client, trainee)
    hand_in(client)
    login(client, instructor)
    for submission in db.session.scalars(select(Submission).where(Submission.trainee_id == trainee.id)):
        grade_post(client, submission, "grade", {"calm-first": 1, "solution": 1})
    assert measure() == few


def test_post_without_csrf_token_is_refused(app, client):
    trainee, _ = people()
    login(client, trainee)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = hand_in(client)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
