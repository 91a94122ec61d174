"""Bearer tokens: issue (throttled like the login page), check on every call, revoke."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.accounts import auth
from app.accounts.models import User
from app.api import api_bp, describe, error
from app.api.models import ApiToken
from app.core.signals import sessions_ended
from app.core.time import utcnow
from app.extensions import db

DEFAULT_TOKEN_DAYS = 30


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def iso(moment: datetime) -> str:
    """A stored UTC time as ISO 8601 with ``Z``."""
    return moment.isoformat(timespec="seconds") + "Z"


def issue_token(user: User) -> tuple[str, ApiToken]:
    """Create a token for a user; return the secret (shown once) and its stored row."""
    secret = secrets.token_urlsafe(32)
    days = current_app.config.get("API_TOKEN_DAYS", DEFAULT_TOKEN_DAYS)
    row = ApiToken(user_id=user.id, token_hash=hash_token(secret), expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.commit()
    return secret, row


def revoke_token(row: ApiToken) -> None:
    """Revoke a token now."""
    row.revoked_at = utcnow()
    db.session.commit()


@sessions_ended.connect
def revoke_user_tokens(user: User, **_: Any) -> None:
    """A password change or deactivation also revokes the user's API tokens (the caller commits)."""
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


def _unauthorised(message: str):
    response, status = error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status


def token_required(view: Callable) -> Callable:
    """Require ``Authorization: Bearer <token>``; set ``g.api_user`` and ``g.api_token``."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return _unauthorised(_("缺少访问令牌：请在 Authorization 头中发送 Bearer 令牌。"))
        found = db.session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == hash_token(secret.strip()))
            .options(joinedload(User.role_rows))
        ).first()
        if found is None or not found.ApiToken.is_valid(utcnow()):
            return _unauthorised(_("访问令牌无效、已过期或已撤销，请重新获取。"))
        row, user = found
        if not user.active:
            return error(403, _("该账号已停用，请联系管理员。"))
        g.api_user, g.api_token = user, row
        return view(*args, **kwargs)

    return wrapped


@api_bp.post("/auth/token")
def create_token():
    """Exchange a username and password for a bearer token."""
    data = request.get_json(silent=True)
    fields = ("username", "password")
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k] for k in fields):
        return error(400, _("请求体应为 JSON 对象，包含 username 和 password。"))
    address = request.remote_addr or "unknown"
    user, message, wait = auth.authenticate(data["username"], data["password"], address)
    if user is None:
        response, status = error(429 if wait else 401, message or "")
        if wait:
            response.headers["Retry-After"] = str(wait)
        return response, status
    secret, row = issue_token(user)
    return jsonify(token=secret, expires_at=iso(row.expires_at))


@api_bp.delete("/auth/token")
@token_required
def delete_token():
    """Revoke the token used for this call."""
    revoke_token(g.api_token)
    return "", 204


describe(
    {
        "/auth/token": {
            "post": {
                "tags": ["auth"],
                "summary": "Get a bearer token",
                "description": "Throttled like the sign-in page: after repeated failures of one "
                "account from one address that pair waits 1 s, 2 s, 4 s … (429 with Retry-After); "
                "other addresses are not kept out.",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}}},
                },
                "responses": {
                    "200": {
                        "description": "A new token",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}},
                    },
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "429": {"$ref": "#/components/responses/TooManyRequests"},
                },
            },
            "delete": {
                "tags": ["auth"],
                "summary": "Revoke the token used for this call",
                "responses": {
                    "204": {"description": "Revoked"},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                },
            },
        }
    },
    {
        "Credentials": {
            "type": "object",
            "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string", "format": "password"}},
        },
        "Token": {
            "type": "object",
            "required": ["token", "expires_at"],
            "properties": {"token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}},
        },
    },
)
