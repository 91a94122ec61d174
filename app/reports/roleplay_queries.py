"""Read-only queries for HR's list of role-play submissions (drafts stay private to the trainee)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, defer, joinedload, lazyload, load_only

from app.accounts.models import Department, User
from app.core.pagination import parse_int
from app.extensions import db
from app.learning.models import Course
from app.roleplay.enums import SubmissionStatus
from app.roleplay.models import STATUSES, RoleplayCard, Submission

# Every state HR may see and filter by: everything but drafts.
STATES = tuple(s for s in STATUSES if s != SubmissionStatus.DRAFT)


@dataclass
class RoleplayFilters:
    """The list's filters; ``errors`` names the query-string values that were not valid and were ignored."""

    state: str | None = None
    course_id: int | None = None
    department_id: int | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, str], course_ids: set[int], department_ids: set[int]) -> RoleplayFilters:
        """Read and check the filters against the known states, courses and departments."""
        filters = cls()
        state = str(args.get("state") or "")
        if state in STATES:
            filters.state = state
        elif state:
            filters.errors.append(str(_l("状态")))
        for key, known, label, attribute in (
            ("course", course_ids, _l("课程"), "course_id"),
            ("department", department_ids, _l("部门"), "department_id"),
        ):
            value = str(args.get(key) or "")
            if parse_int(value) in known:
                setattr(filters, attribute, int(value))
            elif value:
                filters.errors.append(str(label))
        return filters

    def as_args(self) -> dict[str, Any]:
        """The valid filters as query-string arguments (empty ones left out)."""
        values = {"state": self.state, "course": self.course_id, "department": self.department_id}
        return {key: value for key, value in values.items() if value}


def submissions(filters: RoleplayFilters) -> Select:
    """Handed-in submissions with trainee, department, card and grader loaded, newest first."""
    query = (
        select(Submission)
        .join(User, User.id == Submission.trainee_id)
        .join(RoleplayCard, RoleplayCard.id == Submission.card_id)
        .where(Submission.status.in_(STATES))
        .options(
            contains_eager(Submission.trainee).lazyload(User.role_rows),
            contains_eager(Submission.card).options(
                load_only(RoleplayCard.title, RoleplayCard.course_id), lazyload(RoleplayCard.rubric)
            ),
            joinedload(Submission.grader).lazyload(User.role_rows),
            lazyload(Submission.rubric_version),
            defer(Submission.response_text),
            defer(Submission.overall_comment),
        )
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
    )
    if filters.state:
        query = query.where(Submission.status == filters.state)
    if filters.course_id:
        query = query.where(RoleplayCard.course_id == filters.course_id)
    if filters.department_id:
        query = query.where(User.department_id == filters.department_id)
    return query


def course_choices() -> list[Course]:
    """Courses that have role-play cards (archived ones last), for the course filter."""
    with_cards = select(RoleplayCard.course_id)
    return list(
        db.session.scalars(
            select(Course).where(Course.id.in_(with_cards)).order_by(Course.archived, Course.position, Course.id)
        )
    )


def department_choices() -> list[Department]:
    """Every department by name, for the department filter."""
    return list(db.session.scalars(select(Department).order_by(Department.name)))
