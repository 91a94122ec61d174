"""The notification model and the registry of message kinds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utcnow
from app.extensions import db

# kind -> lazily translated text with %(name)s placeholders; filled by services.register_kinds().
MESSAGES: dict[str, Any] = {}


class Notification(db.Model):
    """An in-app message to one user: a kind, its parameters and a link."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(300), default="/")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def message(self) -> str:
        """The text in the current language, with its parameters filled in."""
        return str(MESSAGES.get(self.kind, self.kind)) % self.params
