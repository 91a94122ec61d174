"""The shared pattern of versioned content: a row per quiz or rubric, and immutable snapshots of it.

A snapshot is identified by the SHA-256 digest of its definition; loading unchanged content finds the
same digest and makes no new version, so results and grades keep the version they were made with.
``app.content.sync`` writes both kinds through one loop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utcnow


class VersionSnapshot:
    """Columns of every immutable content version: its definition, the digest that names it, when it came."""

    digest: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
