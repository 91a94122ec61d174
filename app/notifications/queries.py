"""Reads for notifications: a user's list and the unread count."""

from __future__ import annotations

from sqlalchemy import ScalarSelect, Select, func, select

from app.notifications.models import Notification


def for_user(user_id: int) -> Select:
    """The user's notifications, unread first, newest first."""
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.id.desc())
    )


def unread_count(user_id: int) -> ScalarSelect:
    """The number of unread notifications, as a scalar subquery (to combine with other counts in one query)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
