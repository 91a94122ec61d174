"""Session loading and sign-in throttling."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy import func, or_, select

from app.accounts.models import LoginFailure, User
from app.core.time import utcnow
from app.extensions import db


def normalise_username(username: str) -> str:
    """Fold case and spaces so throttling and lookup cannot be bypassed by variants."""
    return "".join(username.split()).lower()


def init_login(manager: LoginManager) -> None:
    """Configure Flask-Login: a session names a user id and a session version."""
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
        user = db.session.get(User, user_id)
        if user is None or not user.active or user.session_version != version:
            return None
        return user


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
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    by_user, by_address = failures_since(normalise_username(username), address)
    return by_user >= limit or by_address >= limit


def record_failure(username: str, address: str) -> None:
    """Remember a failed sign-in."""
    db.session.add(LoginFailure(username=normalise_username(username)[:64], address=address[:64]))
    db.session.commit()


def authenticate(username: str, password: str, address: str) -> tuple[User | None, str | None]:
    """Check credentials with throttling; return the user or an error message."""
    key = normalise_username(username)
    if is_throttled(key, address):
        minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
        return None, str(_l("登录失败次数过多，请 %(minutes)d 分钟后再试。", minutes=minutes))
    user = db.session.scalar(select(User).where(User.username == key))
    if user is None or not user.check_password(password):
        record_failure(key, address)
        return None, str(_l("用户名或密码不正确。"))
    if not user.active:
        return None, str(_l("该账号已停用，请联系管理员。"))
    user.last_login_at = utcnow()
    db.session.commit()
    return user, None
