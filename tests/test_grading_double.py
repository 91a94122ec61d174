"""Double marking: the seeded sample, blind second grades, moderation, who may do what, what the trainee sees."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.core import signals
from app.extensions import db
from app.notifications.models import Notification
from app.roleplay import marking
from app.roleplay.models import Mark, RubricVersion, Submission, SubmissionEvent
from tests import factories
from tests.test_roleplay import RESPONSE, card, grade_post, hand_in, login, only_submission, people


def ask_double_marking(share: int = 100, **settings) -> None:
    """Give the demo card's current rubric version a double_marking setting (as its file would)."""
    version = db.session.get(RubricVersion, card().rubric.current_version_id)
    version.definition = {**version.definition, "double_marking": {"share": share, **settings}}
    db.session.commit()


@pytest.fixture
def team(client):
    """A trainee with a double-marked submission and three instructors of their cohort (A, B, C)."""
    ask_double_marking()
    trainee, a = people()
    b = factories.make_user("teacher-b", roles=["instructor"], cohort="c1", name="讲师乙")
    c = factories.make_user("teacher-c", roles=["instructor"], cohort="c1", name="讲师丙")
    login(client, trainee)
    hand_in(client, RESPONSE)
    return trainee, a, b, c, only_submission()


def test_draw_is_seeded_stored_and_near_the_share():
    assert marking.drawn("k", 7, 0) is False and marking.drawn("k", 7, 100) is True
    assert all(marking.drawn("k", i, 10) == marking.drawn("k", i, 10) for i in range(50))
    hits = Counter(marking.drawn("secret", i, 10) for i in range(1, 2001))
    assert 150 <= hits[True] <= 250  # 10 % of 2000, give or take sampling noise
    assert Counter(marking.drawn("other", i, 10) for i in range(1, 2001)) != hits  # keyed by the secret


def test_rubric_share_decides_at_hand_in_and_is_stored(client):
    trainee, _ = people()
    login(client, trainee)
    hand_in(client, RESPONSE)
    assert only_submission().double_mark is False  # no double_marking in the rubric
    event = db.session.scalars(select(SubmissionEvent).where(SubmissionEvent.action == "submit")).one()
    assert event.details["double_mark"] is False


def test_blind_second_grade_then_agreement_settles(client, team):
    trainee, a, b, _c, submission = team
    assert submission.double_mark is True
    login(client, a)
    page = client.get(f"/grading/{submission.id}").get_data(as_text=True)
    assert 'data-stage="first"' in page
    grade_post(
        client,
        submission,
        levels={"calm-first": 2, "solution": 1},
        overall="甲的总评FIRSTSECRET",
        comments={"calm-first": "甲的评语CALMSECRET"},
    )
    item = only_submission()
    assert item.status == "submitted" and item.total is None and item.scores == []
    assert item.overall_comment == ""
    assert (
        client.post(
            f"/grading/{item.id}",
            data={"version": item.version_id, "action": "grade", "level-calm-first": "0", "level-solution": "0"},
        ).status_code
        == 403
    )

    login(client, b)
    for url in (f"/grading/{item.id}", f"/submissions/{item.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "CALMSECRET" not in page and "FIRSTSECRET" not in page
        assert " checked" not in page and "总分 10" not in page
    assert 'data-stage="second"' in client.get(f"/grading/{item.id}").get_data(as_text=True)
    draft = client.post(f"/grading/{item.id}/draft", data={"version": item.version_id, "level-calm-first": "1"})
    assert draft.status_code == 200 and draft.get_json()["total"] == 2  # B's own draft only
    assert "SECRET" not in draft.get_data(as_text=True)

    graded: list[dict] = []

    def listener(sender, **kw):
        graded.append(kw)

    signals.submission_graded.connect(listener)
    try:
        grade_post(client, item, levels={"calm-first": 2, "solution": 2}, overall="乙的总评")
    finally:
        signals.submission_graded.disconnect(listener)
    item = only_submission()
    # A chose (2, 1) = 4 + 3 = 7 points, B (2, 2) = 4 + 6 = 10: the totals differ by 3 (the default gap) → moderation
    assert item.status == "submitted" and graded == []
    assert 'data-stage="moderation"' in client.get(f"/grading/{item.id}").get_data(as_text=True)


def test_marks_within_the_gaps_settle_on_the_first_grade(client, team):
    trainee, a, b, _c, submission = team
    login(client, a)
    grade_post(client, submission, levels={"calm-first": 2, "solution": 1}, comments={"calm-first": "甲评"})
    graded: list[dict] = []
    signals.submission_graded.connect(lambda sender, **kw: graded.append(kw), weak=False)
    login(client, b)
    grade_post(client, only_submission(), levels={"calm-first": 1, "solution": 1}, overall="乙评")  # 7 vs 5
    signals.submission_graded.receivers.clear()
    item = only_submission()
    assert item.status == "graded" and item.total == 7 and item.grader_id == a.id and item.passed is True
    assert graded and graded[0]["passed"] is True and graded[0]["user_id"] == trainee.id
    marks = db.session.scalars(select(Mark).order_by(Mark.id)).all()
    assert [(m.role, m.total) for m in marks] == [("first", 7), ("second", 5)]
    # the trainee sees the final grade only, and one notification
    login(client, trainee)
    page = client.get(f"/submissions/{item.id}").get_data(as_text=True)
    assert "甲评" in page and "乙评" not in page and "双评记录" not in page
    assert (
        db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == trainee.id)) == 1
    )
    # staff see all marks once settled
    login(client, b)
    page = client.get(f"/submissions/{item.id}").get_data(as_text=True)
    assert "双评记录" in page and "乙评" in page and "甲评" in page


def test_disagreement_needs_a_third_instructor_who_decides(client, team):
    trainee, a, b, c, submission = team
    login(client, a)
    grade_post(client, submission, levels={"calm-first": 2, "solution": 2}, overall="甲：很好")
    login(client, b)
    grade_post(client, only_submission(), levels={"calm-first": 0, "solution": 0}, overall="乙：不行")
    item = only_submission()
    assert item.status == "submitted"
    notified = db.session.scalars(select(Notification.user_id).where(Notification.kind == "roleplay.moderation")).all()
    assert notified == [c.id]
    for grader in (a, b):  # neither grader may moderate
        login(client, grader)
        assert grade_post(client, item, levels={"calm-first": 1, "solution": 1}).status_code == 403
        page = client.get(f"/grading/{item.id}").get_data(as_text=True)
        assert "甲：很好" not in page or grader == a
        assert 'value="grade"' not in page
    login(client, c)
    page = client.get(f"/grading/{item.id}").get_data(as_text=True)
    assert "甲：很好" in page and "乙：不行" in page  # the moderator sees both marks
    grade_post(client, item, levels={"calm-first": 1, "solution": 1}, overall="丙：裁定")
    item = only_submission()
    assert item.status == "graded" and item.total == 5 and item.grader_id == c.id and item.passed is False
    assert item.overall_comment == "丙：裁定"
    roles = db.session.scalars(select(Mark.role).order_by(Mark.id)).all()
    assert roles == ["first", "second", "moderator"]
    actions = db.session.scalars(select(SubmissionEvent.action).order_by(SubmissionEvent.id)).all()
    assert actions[-4:] == ["mark-first", "mark-second", "mark-moderator", "graded"]


def test_outsiders_cannot_mark_and_return_only_before_any_mark(client, team):
    trainee, a, b, _c, submission = team
    _, outsider = people("c2", trainee_name="外班学员")
    login(client, outsider)
    assert grade_post(client, submission).status_code == 404
    login(client, trainee)
    assert grade_post(client, submission).status_code == 403
    login(client, a)
    returned = grade_post(client, submission, "return", levels={}, overall="请补充道歉")
    assert returned.status_code == 302 and only_submission().status == "returned"
    login(client, trainee)
    hand_in(client, RESPONSE + "\n我：再次向您道歉。")
    item = only_submission()
    assert item.status == "resubmitted" and item.double_mark is True  # the draw stays
    login(client, a)
    grade_post(client, item, levels={"calm-first": 2, "solution": 2})
    login(client, b)
    response = grade_post(client, only_submission(), "return", levels={}, overall="再改")
    assert response.status_code == 400 and "不能再退回" in response.get_data(as_text=True)


def test_live_with_an_observer_is_always_double_marked(client):
    trainee, a = people()
    login(client, a)
    response = client.post(
        "/grading/live", data={"card_id": card().id, "trainee_id": trainee.id, "partner": "外部搭档", "observer": "y"}
    )
    assert response.status_code == 302
    assert only_submission().double_mark is True
    db.session.query(Submission).delete()
    db.session.commit()
    client.post("/grading/live", data={"card_id": card().id, "trainee_id": trainee.id, "partner": "外部搭档"})
    assert only_submission().double_mark is False


def test_queue_shows_stages_without_a_query_per_row(client, team, count_queries):
    trainee, a, b, _c, submission = team
    login(client, a)
    grade_post(client, submission, levels={"calm-first": 2, "solution": 1})
    client.get("/grading?status=all")
    with count_queries() as few:
        page = client.get("/grading?status=all").get_data(as_text=True)
    assert 'data-stage="second"' in page and "双评：待第二评" in page
    for n in range(4):  # more double-marked work of other trainees
        other = factories.make_user(f"more{n}", roles=["trainee"], cohort="c1", name=f"学员{n}")
        login(client, other)
        hand_in(client, RESPONSE)
    login(client, a)
    client.get("/grading?status=all")
    with count_queries() as many:
        page = client.get("/grading?status=all").get_data(as_text=True)
    assert page.count("rpl-double-badge") == 5
    assert many() == few()
