"""Calibration: an admin sets anchors with a reference grade; instructors grade them and see harsher or milder."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.roleplay.models import Anchor, CalibrationMark
from tests import factories
from tests.test_roleplay import RESPONSE, grade_post, hand_in, login, only_submission, people


def graded_submission(client):
    """A graded submission (levels 2 and 1) and its instructor."""
    trainee, instructor = people()
    login(client, trainee)
    hand_in(client, RESPONSE)
    login(client, instructor)
    grade_post(client, only_submission(), levels={"calm-first": 2, "solution": 1})
    return trainee, instructor, only_submission()


def test_admin_sets_anchor_instructor_sees_harsher_and_milder(client):
    trainee, instructor, item = graded_submission(client)
    admin = factories.make_user("boss", roles=["admin"])
    login(client, admin)
    assert "设为校准样本" in client.get(f"/submissions/{item.id}").get_data(as_text=True)
    page = client.get(f"/grading/anchors/{item.id}").get_data(as_text=True)
    assert 'id="lv-calm-first-2" value="2" autocomplete="off" checked' in page  # prefilled with the final grade
    response = client.post(
        f"/grading/anchors/{item.id}", data={"level-calm-first": "1", "level-solution": "1", "note": "典型的中等回应"}
    )
    assert response.status_code == 302
    anchor = db.session.scalars(select(Anchor)).one()
    assert anchor.levels == {"calm-first": 1, "solution": 1}

    other = factories.make_user("teacher-z", roles=["instructor"], cohort="c9", name="别班讲师")
    login(client, other)  # any instructor may calibrate: the page shows the response, never the trainee
    listing = client.get("/grading/calibration").get_data(as_text=True)
    assert "开始校准" in listing
    page = client.get(f"/grading/calibration/{anchor.id}").get_data(as_text=True)
    assert trainee.name not in page and "赵先生" in page
    assert (
        client.post(
            f"/grading/calibration/{anchor.id}", data={"level-calm-first": "0", "level-solution": "2"}
        ).status_code
        == 302
    )
    result = client.get(f"/grading/calibration/{anchor.id}").get_data(as_text=True)
    assert "偏严 1 级" in result and "偏宽 1 级" in result and "典型的中等回应" in result
    assert "再做一次" in client.get("/grading/calibration").get_data(as_text=True)


def test_calibration_needs_every_level_and_the_right_roles(client):
    _trainee, instructor, item = graded_submission(client)
    response = client.post(f"/grading/anchors/{item.id}", data={"level-calm-first": "1", "level-solution": "1"})
    assert response.status_code == 403  # instructors cannot set anchors
    admin = factories.make_user("boss", roles=["admin"])
    login(client, admin)
    bad = client.post(
        f"/grading/anchors/{item.id}", data={"level-calm-first": "1", "level-solution": "1", "note": "x" * 1001}
    )
    assert bad.status_code == 400 and "说明不能超过 1000 个字" in bad.get_data(as_text=True)
    bad = client.post(f"/grading/anchors/{item.id}", data={"level-calm-first": "1", "note": "<script>x</script>"})
    assert bad.status_code == 400 and "请为每一项评分标准选择一个等级" in bad.get_data(as_text=True)
    assert "<script>x</script>" not in bad.get_data(as_text=True)
    assert client.post("/grading/anchors/999999", data={}).status_code == 404
    client.post(f"/grading/anchors/{item.id}", data={"level-calm-first": "1", "level-solution": "1"})
    anchor = db.session.scalars(select(Anchor)).one()
    assert client.get(f"/grading/calibration/{anchor.id}").status_code == 403  # admins set, instructors calibrate
    login(client, instructor)
    bad = client.post(f"/grading/calibration/{anchor.id}", data={"level-calm-first": "9", "level-solution": "1"})
    assert bad.status_code == 400 and "请为每一项评分标准选择一个等级" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CalibrationMark)) == 0
    assert client.get("/grading/calibration/999999").status_code == 404
    trainee = factories.make_user("someone", roles=["trainee"], cohort="c1")
    login(client, trainee)
    assert client.get("/grading/calibration").status_code == 403
    assert client.post(f"/grading/calibration/{anchor.id}", data={"level-calm-first": "1"}).status_code == 403


def test_csrf_is_required(app, client):
    _trainee, _instructor, item = graded_submission(client)
    admin = factories.make_user("boss", roles=["admin"])
    login(client, admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/grading/anchors/{item.id}", data={"level-calm-first": "1", "level-solution": "1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Anchor)) == 0
