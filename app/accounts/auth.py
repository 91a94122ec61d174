"""Server-side sign-in sessions and sign-in throttling."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from flask import Flask, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import Row, delete, func, or_, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import LoginFailure, User, UserSession
from app.core.time import utcnow
from app.extensions import db

SESSION_KEY = "sid"
TOUCH_EVERY = timedelta(minutes=5)


def normalise_username(username: str) -> str:
    """Fold case and spaces so throttling and lookup cannot be bypassed by variants."""
    return "".join(username.split()).lower()


def session_key(secret: str) -> str:
    """The ``user_sessions`` primary key for a cookie's secret (its SHA-256; the secret is never stored)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def init_login(app: Flask, manager: LoginManager) -> None:
    """Configure Flask-Login: the cookie names a user, a session version and a server-side session."""
    manager.login_view = "accounts.login"
    manager.login_message = _l("请先登录。")
    manager.login_message_category = "warning"
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(session_id: str) -> User | None:
        try:
            user_id, version = (int(part) for part in session_id.split(":", 1))
        except ValueError:
            return None
        secret = session.get(SESSION_KEY)
        if not isinstance(secret, str):
            return None
        row = db.session.execute(
            select(User, UserSession.created_at, UserSession.last_seen, UserSession.revoked_at)
            .join(UserSession, UserSession.user_id == User.id)
            .where(User.id == user_id, UserSession.id == session_key(secret))
            .options(joinedload(User.role_rows))
        ).first()
        if row is None or not row.User.active or row.User.session_version != version or not _live(row):
            return None
        g.session_seen = (session_key(secret), row.last_seen)
        return row.User

    @app.before_request
    def touch_session() -> None:
        # Load the user before the view runs, so the occasional last_seen write commits nothing else.
        if request.endpoint != "static" and current_user.is_authenticated:
            seen = g.get("session_seen")
            if seen is not None and utcnow() - seen[1] > TOUCH_EVERY:
                db.session.execute(update(UserSession).where(UserSession.id == seen[0]).values(last_seen=utcnow()))
                db.session.commit()


def _live(row: UserSession | Row) -> bool:
    """Whether a session (a row with its times) is neither revoked, nor too old, nor idle too long."""
    now = utcnow()
    return (
        row.revoked_at is None
        and now - row.created_at < current_app.permanent_session_lifetime
        and now - row.last_seen < timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    )


def start_session(user: User, address: str) -> None:
    """Sign the user in with a new server-side session and fresh cookie contents (keeps the language)."""
    locale = session.get("locale")
    session.clear()
    if locale and not user.locale:
        session["locale"] = locale
    now = utcnow()
    db.session.execute(  # clear away this person's ended sessions
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(
                UserSession.revoked_at.is_not(None),
                UserSession.created_at < now - current_app.permanent_session_lifetime,
                UserSession.last_seen < now - timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
            ),
        )
    )
    secret = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=session_key(secret), user_id=user.id, address=address[:64]))
    db.session.commit()
    session[SESSION_KEY] = secret
    login_user(user)


def end_session() -> None:
    """Revoke this browser's server-side session and sign out (a copied cookie stops working)."""
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str):
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == session_key(secret), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        db.session.commit()
    logout_user()
    session.clear()


def failures_since(username: str, address: str) -> tuple[int, int]:
    """Count recent failures for the account and for the address."""
    window = utcnow() - timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    rows = db.session.execute(
        select(
            func.count().filter(LoginFailure.username == username),
            func.count().filter(LoginFailure.address == address),
        ).where(
            LoginFailure.created_at >= window,
            or_(LoginFailure.username == username, LoginFailure.address == address),
        )
    ).one()
    return int(rows[0] or 0), int(rows[1] or 0)


def is_throttled(username: str, address: str) -> bool:
    """Whether sign-in is blocked for this account or this address."""
    by_user, by_address = failures_since(normalise_username(username), address)
    return (
        by_user >= current_app.config["LOGIN_MAX_FAILURES"]
        or by_address >= current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    )


def record_failure(username: str, address: str) -> None:
    """Remember a failed sign-in, and forget those too old to count (the table stays small)."""
    window = utcnow() - timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < window))
    db.session.add(LoginFailure(username=normalise_username(username)[:64], address=address[:64]))
    db.session.commit()


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(username: str, password: str, address: str) -> tuple[User | None, str | None]:
    """Check credentials with throttling; return the user or an error message."""
    key = normalise_username(username)
    if is_throttled(key, address):
        minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
        return None, str(_l("登录失败次数过多，请 %(minutes)d 分钟后再试。", minutes=minutes))
    user = db.session.scalar(select(User).where(User.username == key))
    if user is None:  # take as long as a wrong password, so timing does not reveal who has an account
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    if user is None or not user.check_password(password):
        record_failure(key, address)
        return None, str(_l("用户名或密码不正确。"))
    if not user.active:
        return None, str(_l("该账号已停用，请联系管理员。"))
    if user.has_generated_password_hash:  # a generated password's quick hash: store the slow kind now
        user.set_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user, None
