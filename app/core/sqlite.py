"""SQLite settings for file databases: write-ahead logging, so readers and the one writer do not wait for each other."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from app.extensions import db

WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes of -wal file kept after a checkpoint (a bulk load can grow it far more)
# How long a writer waits for the one write lock before "database is locked" (Python's default is 5 s).
# Long writes (a staff import) are cut into transactions of about JOBS_CHUNK_SECONDS (app/core/jobs.py), so
# a wait is short; the margin covers a slow disk or a busy machine.
BUSY_TIMEOUT_MS = 15_000


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def init_app(app: Flask) -> None:
    """Switch SQLite file databases to WAL on every new connection (when ``SQLITE_WAL`` is on)."""
    if not app.config.get("SQLITE_WAL", True):
        return
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
                event.listen(engine, "connect", _pragmas)
