"""Time helpers: timezone-aware UTC everywhere."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time in UTC without tzinfo (stored naive, always UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)
