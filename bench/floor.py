"""The floor: the platform with no-op routes, to measure what signing in costs before any page work.

Served by ``bench.run --floor`` next to the platform and hello-world (same gunicorn settings, same
database). Each route answers "ok" and reads nothing more than its check needs: nothing, the signed-in
session (cookie, as every page), the same check written by hand as one raw SQL query, or the bearer
token (as every API call). Never deployed.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request, session
from flask_login import login_required

from app import create_app as create_platform
from app.accounts.auth import SESSION_KEY, session_key
from app.api.auth import token_required
from app.core.time import utcnow
from app.extensions import db

RAW_CHECK = (
    "SELECT u.id FROM users u JOIN user_sessions s ON s.user_id = u.id"
    " WHERE u.id = {p} AND s.id = {p} AND u.session_version = {p} AND u.active"
    " AND s.revoked_at IS NULL AND s.created_at > {p} AND s.last_seen > {p}"
)


def anonymous() -> str:
    """No check at all: the platform's middleware, hooks and security headers only."""
    return "ok"


@login_required
def signed_in() -> str:
    """The server-side sign-in check every page makes (one statement), nothing else."""
    return "ok"


def raw_signed_in() -> tuple[str, int]:
    """The sign-in check of ``load_user`` written by hand: one DBAPI query, no ORM, no Flask-Login."""
    try:
        user_id, version = (int(part) for part in str(session.get("_user_id", "")).split(":", 1))
    except ValueError:
        return "", 401
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return "", 401
    now = utcnow()
    born_after = now - current_app.permanent_session_lifetime
    seen_after = now - timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    with db.engine.connect() as conn:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        row = conn.exec_driver_sql(
            RAW_CHECK.format(p=mark), (user_id, session_key(secret), version, born_after, seen_after)
        ).first()
    return ("ok", 200) if row else ("", 401)


@token_required
def token() -> str:
    """The bearer-token check every API call makes (one statement), nothing else."""
    return "ok"


def _not_for_raw(hook: object) -> object:
    """Leave the raw route out of a before-request hook that would load the person through the ORM."""

    def wrapped() -> object:
        return None if request.endpoint == "floor_raw_signed_in" else hook()

    return wrapped


def create_app(config: dict | None = None) -> Flask:
    """The platform plus the no-op routes (gunicorn target ``bench.floor:create_app()``)."""
    app = create_platform(config)
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks[:] = [_not_for_raw(h) if h.__name__ == "touch_session" else h for h in hooks]
    app.add_url_rule("/bench/floor/anonymous", "floor_anonymous", anonymous)
    app.add_url_rule("/bench/floor/signed-in", "floor_signed_in", signed_in)
    app.add_url_rule("/bench/floor/raw-signed-in", "floor_raw_signed_in", raw_signed_in)
    app.add_url_rule("/bench/floor/token", "floor_token", token)
    return app
