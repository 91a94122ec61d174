"""The role-play library marks the cards a course requires and shows the trainee's own state on each."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.roleplay import queries
from app.roleplay.models import RoleplayCard, Submission
from tests import factories


def card() -> RoleplayCard:
    """The demo course's card (its completion rules require it)."""
    return db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == "demo-card"))


def add(user, status: str, **values) -> Submission:
    """A submission of the demo card."""
    row = Submission(trainee_id=user.id, card_id=card().id, status=status, response_text="回应", **values)
    db.session.add(row)
    db.session.commit()
    return row


def my_state(page: str) -> str:
    """The trainee's state on the demo card, as the page marks it."""
    return re.search(r'class="small mt-2 rpl-mine" data-state="(\w+)"', page).group(1)


def test_required_cards_are_marked_and_the_trainee_sees_their_state(client, login_as):
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    page = client.get("/roleplays").get_data(as_text=True)
    assert "rpl-required" in page and "必修" in page
    assert my_state(page) == "todo" and "未开始" in page
    add(user, "returned")
    assert my_state(client.get("/roleplays").get_data(as_text=True)) == "returned"
    add(user, "graded", total=2, max_points=8, passed=False, graded_at=utcnow())
    page = client.get("/roleplays").get_data(as_text=True)
    assert my_state(page) == "failed" and "2 / 8 分" in page
    add(user, "graded", total=7, max_points=8, passed=True, graded_at=utcnow())
    add(user, "draft")  # practising again after passing: the card stays passed
    assert my_state(client.get("/roleplays").get_data(as_text=True)) == "passed"


def test_staff_see_required_marks_without_a_state(client, login_as):
    login_as("instructor")
    page = client.get("/roleplays").get_data(as_text=True)
    assert "rpl-required" in page and "rpl-mine" not in page


def test_card_states_and_required_slugs_read_one_person(app, make_user):
    first = make_user("s1", roles=["trainee"])
    second = make_user("s2", roles=["trainee"])
    add(first, "graded", total=7, max_points=8, passed=True, graded_at=utcnow())
    add(second, "submitted", submitted_at=utcnow())
    assert {k: v.state for k, v in queries.card_states(first.id, [card().id]).items()} == {card().id: "passed"}
    assert {k: v.state for k, v in queries.card_states(second.id, [card().id]).items()} == {card().id: "waiting"}
    assert queries.card_states(first.id, []) == {}
    assert queries.required_slugs([factories.course()]) == {"demo-card"}
