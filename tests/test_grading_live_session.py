"""Live class mode: pick card and class, score pair after pair, credited partners, the partner-brief link."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import Cohort
from app.extensions import db
from app.roleplay.models import Submission
from tests import factories
from tests.test_roleplay import card, grade_post, login, only_submission, people


def classroom():
    """An instructor, two trainees of the class (c1) and the cohort."""
    service, instructor = people(trainee_name="甲学员")
    partner = factories.make_user("partner1", roles=["trainee"], cohort="c1", name="乙学员")
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "c1"))
    return instructor, service, partner, cohort


def test_session_scores_pair_after_pair(client):
    instructor, service, partner, cohort = classroom()
    login(client, instructor)
    assert "开始上课" in client.get("/grading/live/session").get_data(as_text=True)
    url = f"/grading/live/session?card={card().id}&cohort={cohort.id}"
    page = client.get(url).get_data(as_text=True)
    assert "甲学员" in page and "乙学员" in page and "未演练" in page
    response = client.post(url, data={"trainee_id": service.id, "partner_id": partner.id})
    assert response.status_code == 302 and f"session={cohort.id}" in response.location
    item = only_submission()
    assert item.live and item.partner_id == partner.id and item.partner_name == "乙学员"
    page = client.get(response.location).get_data(as_text=True)
    assert 'data-minutes="10"' in page and "rpl-observe" in page and "sticky-bottom" in page
    assert "<svg" in page and "/roleplays/partner/" in page  # the partner's link and QR code
    graded = grade_post(client, item, levels={"calm-first": 2, "solution": 1})
    # grade_post posts to /grading/<id> without the session; the form's action carries it:
    assert f"/grading/{item.id}?session={cohort.id}" in page
    assert graded.status_code == 302
    db.session.query(Submission).delete()
    db.session.commit()
    client.post(url, data={"trainee_id": partner.id, "partner_id": 0, "partner": "外部来宾"})
    item = only_submission()
    response = client.post(
        f"/grading/{item.id}?session={cohort.id}",
        data={"version": item.version_id, "action": "grade", "level-calm-first": "1", "level-solution": "1"},
    )
    assert response.status_code == 302 and response.location.endswith(
        f"/grading/live/session?card={card().id}&cohort={cohort.id}"
    )
    assert item.partner_id is None and only_submission().partner_name == "外部来宾"
    assert "5 / 10 分" in client.get(url).get_data(as_text=True)


def test_session_refuses_other_classes_and_bad_pairs(client):
    instructor, service, partner, cohort = classroom()
    _, outsider_teacher = people("c2", trainee_name="外班学员")
    login(client, outsider_teacher)
    assert client.get(f"/grading/live/session?card={card().id}&cohort={cohort.id}").status_code == 404
    login(client, instructor)
    url = f"/grading/live/session?card={card().id}&cohort={cohort.id}"
    same = client.post(url, data={"trainee_id": service.id, "partner_id": service.id})
    assert same.status_code == 400 and "搭档不能是扮演服务人员的学员本人" in same.get_data(as_text=True)
    outsider = db.session.scalar(select(Submission)) or None
    assert outsider is None
    long = client.post(url, data={"trainee_id": service.id, "partner_id": 0, "partner": "名" * 81})
    assert long.status_code == 400 and "搭档姓名不能超过 80 个字" in long.get_data(as_text=True)
    bad = client.post(url, data={"trainee_id": 999999, "partner_id": 0})
    assert bad.status_code == 400
    assert db.session.scalar(select(Submission)) is None


def test_partner_link_opens_for_the_partner_and_instructors_only(client, make_user):
    instructor, service, partner, cohort = classroom()
    login(client, instructor)
    client.post(
        f"/grading/live/session?card={card().id}&cohort={cohort.id}",
        data={"trainee_id": service.id, "partner_id": partner.id},
    )
    page = client.get(f"/grading/{only_submission().id}").get_data(as_text=True)
    link = re.search(r'href="(?:http://localhost)?(/roleplays/partner/[^"]+)"', page).group(1)
    assert "已经修过两次" in client.get(link).get_data(as_text=True)  # the grading instructor
    login(client, partner)
    assert "已经修过两次" in client.get(link).get_data(as_text=True)
    login(client, service)  # the trainee playing the service role
    assert client.get(link).status_code == 403
    assert client.get("/roleplays/demo-card/partner").status_code == 403  # nor the card's own partner view, meanwhile
    login(client, make_user("someone", roles=["trainee"], cohort="c1"))
    assert client.get(link).status_code == 403
    assert client.get(link[:-3] + "xyz").status_code == 404  # a mangled token
    client.post("/logout")
    assert client.get(link).status_code == 302  # sign in first
