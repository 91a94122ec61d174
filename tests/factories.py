"""Builders for test data."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.content.sync import sync
from app.content.validate import check, errors_only
from app.extensions import db
from app.learning import services as learning
from app.learning.models import Course

PASSWORD = "correct-horse-42"
_ids = itertools.count(1)


def next_id() -> int:
    """A unique number for names."""
    return next(_ids)


def load_content(root: Path) -> None:
    """Validate and load a content folder (fails loudly on errors)."""
    content, problems = check(root)
    errors = errors_only(problems)
    assert not errors, "\n".join(map(str, errors))
    sync(content)


def make_user(
    username: str | None = None,
    roles: list[str] | tuple[str, ...] = ("trainee",),
    *,
    cohort: str | None = None,
    department: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    **kwargs,
) -> User:
    """Create a user (and cohort membership when ``cohort`` is given)."""
    username = username or f"user{next_id()}"
    user = accounts.create_user(username, name or username, password, list(roles), department=department, **kwargs)
    if cohort:
        group = accounts.get_or_create_cohort(cohort)
        for role in ("instructor", "trainee"):
            if role in roles:
                accounts.add_member(group, user, role, commit=False)
        db.session.commit()
    return user


def course(slug: str = "demo-course") -> Course:
    """A loaded course by slug."""
    return db.session.scalar(select(Course).where(Course.slug == slug))


def assign(course_slug: str = "demo-course", *, cohort: str | None = None, user: User | None = None, due_date=None):
    """Assign a course to a cohort (created if needed) or to a user."""
    target = {"cohort": accounts.get_or_create_cohort(cohort)} if cohort else {"user": user}
    return learning.assign_course(course(course_slug), due_date=due_date, **target)
