"""Who may see a submission, play its audio, grade it (guessing ids reveals nothing)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.roleplay.models import Submission
from tests import factories
from tests.test_roleplay import MP3, RESPONSE, hand_in, login, only_submission, people

VIEWERS = ("owner", "classmate", "instructor", "other_instructor", "hr", "admin", "anonymous")

# expected status per viewer: view page, audio, grading page, grading POST
TABLE = {
    "owner": (200, 200, 403, 403),
    "classmate": (404, 404, 403, 403),
    "instructor": (200, 200, 200, 302),
    "other_instructor": (404, 404, 404, 404),
    "hr": (200, 403, 403, 403),
    "admin": (200, 403, 403, 403),
    "anonymous": (302, 302, 302, 302),
}


@pytest.fixture
def world(client):
    """A submitted response with audio and one user per viewer kind."""
    owner, instructor = people()
    classmate = factories.make_user("classmate", roles=["trainee"], cohort="c1")
    _, other_instructor = people("c2", trainee_name="外班学员")
    users = {
        "owner": owner,
        "classmate": classmate,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "hr": factories.make_user("hr-person", roles=["hr"]),
        "admin": factories.make_user("admin-person", roles=["admin"]),
    }
    login(client, owner)
    hand_in(client, RESPONSE, audio=(MP3, "a.mp3"))
    client.post("/logout")
    return users, only_submission()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_access_table(client, world, viewer):
    users, submission = world
    if viewer != "anonymous":
        login(client, users[viewer])
    sid = submission.id
    grading = {"version": str(submission.version_id), "action": "save", "overall": "", "level-calm-first": "1"}
    got = (
        client.get(f"/submissions/{sid}").status_code,
        client.get(f"/submissions/{sid}/audio").status_code,
        client.get(f"/grading/{sid}").status_code,
        client.post(f"/grading/{sid}", data=grading).status_code,
    )
    assert got == TABLE[viewer]


@pytest.mark.parametrize("viewer", ["owner", "instructor", "hr"])
def test_unknown_ids_are_404(client, world, viewer):
    users, submission = world
    login(client, users[viewer])
    missing = submission.id + 1000
    assert client.get(f"/submissions/{missing}").status_code == 404
    assert client.get(f"/submissions/{missing}/audio").status_code == 404


def test_refusals_reveal_nothing(client, world):
    users, submission = world
    login(client, users["classmate"])
    real, fake = f"/submissions/{submission.id}", f"/submissions/{submission.id + 1000}"
    page = client.get(real).get_data(as_text=True)
    assert "测试角色扮演" not in page and RESPONSE[:5] not in page
    assert page.replace(real, "<path>") == client.get(fake).get_data(as_text=True).replace(fake, "<path>")


def test_hr_sees_grades_but_not_audio(client, world):
    users, submission = world
    login(client, users["instructor"])
    client.post(
        f"/grading/{submission.id}",
        data={
            "version": str(submission.version_id),
            "action": "grade",
            "level-calm-first": "2",
            "level-solution": "2",
            "overall": "",
        },
    )
    login(client, users["hr"])
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "10 / 10 分" in page and "通过" in page
    assert f"/submissions/{submission.id}/audio" not in page and "<audio" not in page


def test_drafts_are_private_to_the_trainee(client, world):
    users, _ = world
    classmate, instructor = users["classmate"], users["instructor"]
    login(client, classmate)
    hand_in(client, "同学的草稿", button="save")
    draft = db.session.scalars(select(Submission).where(Submission.trainee_id == classmate.id)).one()
    assert draft.status == "draft"
    login(client, instructor)
    assert client.get(f"/submissions/{draft.id}").status_code == 404
    assert client.get(f"/grading/{draft.id}").status_code == 404
    assert f'data-submission="{draft.id}"' not in client.get("/grading?status=all").get_data(as_text=True)
    login(client, users["hr"])
    assert client.get(f"/submissions/{draft.id}").status_code == 404
