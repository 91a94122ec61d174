"""Idempotency keys for API writes: a retried request with the same key gets the first result.

A client sends ``Idempotency-Key: <1–200 printable ASCII characters>`` with a POST. The service that
does the write calls :func:`check` once it holds its lock (a stored key raises :class:`Replayed`)
and :func:`remember` in the same transaction as the write, so the key and what it created are stored
together or not at all; the unique (user, key) index turns a simultaneous duplicate into an
``IntegrityError`` that the API answers as a replay. Keys are kept for ``KEEP``; a key reused for a
different request (other path or body) is refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.domain import InvalidInput
from app.core.time import utcnow
from app.extensions import db

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")


class IdempotencyRecord(db.Model):
    """A key a user sent with a write, and the id of what that write created."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IdempotencyError(InvalidInput):
    """The key is malformed or was used for a different request; the message is for the client."""


@dataclass(frozen=True)
class RequestKey:
    """The key of one request, with what identifies the request it was sent with."""

    user_id: int
    key: str
    route: str
    body_hash: str


class Replayed(Exception):  # noqa: N818 (a signal to the caller, not a failure)
    """The request was already done; ``resource_id`` is what it created."""

    def __init__(self, resource_id: int) -> None:
        super().__init__(resource_id)
        self.resource_id = resource_id


def request_key(user_id: int) -> RequestKey | None:
    """The current request's key (None without the header); raises IdempotencyError when malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise IdempotencyError(str(_l("Idempotency-Key 应为 1–200 个可打印的 ASCII 字符。")))
    digest = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    return RequestKey(user_id, key, f"{request.method} {request.path}"[:200], digest)


def find(rk: RequestKey) -> IdempotencyRecord | None:
    """The stored record of this key (expired records are deleted and not returned)."""
    record = db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == rk.user_id, IdempotencyRecord.key == rk.key)
    )
    if record is not None and record.created_at < utcnow() - KEEP:
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
        return None
    return record


def check(rk: RequestKey | None) -> None:
    """Raise Replayed when this key was already used for this request, IdempotencyError for another."""
    if rk is None:
        return
    record = find(rk)
    if record is None:
        return
    if record.route != rk.route or record.body_hash != rk.body_hash:
        raise IdempotencyError(str(_l("这个 Idempotency-Key 已用于另一个请求，请为新的请求换一个键。")))
    raise Replayed(record.resource_id)


def remember(rk: RequestKey | None, resource_id: int) -> None:
    """Store the key with what the write created, in the caller's transaction."""
    if rk is not None:
        db.session.add(
            IdempotencyRecord(
                user_id=rk.user_id, key=rk.key, route=rk.route, body_hash=rk.body_hash, resource_id=resource_id
            )
        )
