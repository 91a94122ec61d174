"""Run an API write under the request's Idempotency-Key: a repeat answers with the first result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.api import error
from app.core import idempotency
from app.extensions import db

T = TypeVar("T")
REPLAY_HEADER = "Idempotent-Replayed"


def write_once(
    user: User, write: Callable[[idempotency.RequestKey | None], T], replay: Callable[[int], Any]
) -> tuple[T | None, Any]:
    """``(write(key), None)``, or ``(None, response)`` for a replay or a refused key."""
    try:
        key = idempotency.request_key(user.id)
    except idempotency.IdempotencyError as failure:
        return None, error(400, str(failure))
    try:
        return write(key), None
    except idempotency.IdempotencyError as failure:
        return None, error(422, str(failure))
    except idempotency.Replayed as done:
        return None, _replayed(replay(done.resource_id))
    except IntegrityError:  # the same key sent at the same moment: the other request stored its result
        db.session.rollback()
        record = idempotency.find(key) if key is not None else None
        if record is None:
            raise
        return None, _replayed(replay(record.resource_id))


def _replayed(result: Any) -> Any:
    body, status = result if isinstance(result, tuple) else (result, 200)
    response: Response = body
    response.headers[REPLAY_HEADER] = "true"
    return response, status
