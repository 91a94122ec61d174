"""Server-side sign-in sessions and sign-in throttling."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import Row, Select, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import LoginFailure, LoginThrottle, User, UserSession
from app.core import audit
from app.core.time import utcnow
from app.extensions import db

SESSION_KEY = "sid"
TOUCH_EVERY = timedelta(minutes=5)
MUST_CHANGE_MESSAGE = _l("这是别人为你设置的初始密码：请先在网页上登录并设置自己的新密码，然后再获取访问令牌。")
# What a person who must change their password may still reach: signing out, the change itself, the files
# every page needs and the installable app's files. Everything else (every page, every POST) sends them there.
PASSWORD_CHANGE_OPEN = frozenset(
    {"accounts.logout", "accounts.change_password", "static", "offline.service_worker", "offline.manifest"}
    | {"offline.offline_page", "core.set_locale"}
)


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
    def require_password_change() -> Any:
        # A password someone else chose is one-time: nothing but the change (and signing out) until it is replaced.
        if (
            request.endpoint not in PASSWORD_CHANGE_OPEN
            and request.blueprint != "api"  # bearer tokens, which such a person cannot get (authenticate)
            and current_user.is_authenticated
            and current_user.must_change_password
        ):
            if request.method == "GET":
                flash(str(_l("请先设置你自己的新密码，然后才能继续使用。")), "warning")
            return redirect(url_for("accounts.change_password"))
        return None

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


# --- throttling -------------------------------------------------------------------------------
#
# Guessing is slowed, never blocked outright (docs/security.md, "Sign-in throttling and password
# policy"). Failures count per (account, address) pair: after LOGIN_FREE_FAILURES in a row the pair
# waits 1 s, 2 s, 4 s … (at most LOGIN_MAX_DELAY_SECONDS) after each failure. Two ceilings slow the
# attacks that spread over pairs, and spare the addresses an account has lately signed in from:
# an account with many failures from all addresses makes an unknown address that fails on it wait
# the longest delay; an address with many failures on all accounts is spaced (a few seconds) on the
# accounts it does not know. An address without failures on an account is never kept from trying it.


class SignIn(NamedTuple):
    """What a sign-in attempt gave: the user, or an error and, when refused untried, the seconds to wait."""

    user: User | None
    error: str | None
    retry_after: int = 0


@dataclass(frozen=True)
class Throttle:
    """The throttling facts for one (account, address) pair at one moment."""

    now: datetime
    pair: LoginThrottle | None
    pair_failures: int  # failures in a row within the window (0 after a quiet window)
    account_failures: int  # failures of the account within the window, from every address
    address_failures: int  # failures from the address within the window, on every account
    address_last_failure: datetime | None
    known: bool  # the account signed in from this address lately: the ceilings leave the pair alone

    @property
    def account_hot(self) -> bool:
        """Whether the account is past its ceiling (a guessing attack spread over many addresses)."""
        return self.account_failures >= current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] and not self.known

    @property
    def address_hot(self) -> bool:
        """Whether the address is past its ceiling (spraying passwords over accounts, or a busy NAT)."""
        return self.address_failures >= current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] and not self.known

    @property
    def next_allowed(self) -> datetime | None:
        """The earliest moment the pair may try (None: now)."""
        limits = []
        if self.pair is not None and self.pair_failures and self.pair.last_failure_at is not None:
            limits.append(self.pair.next_allowed_at)
            if self.account_hot:
                limits.append(self.pair.last_failure_at + timedelta(seconds=pair_delay(self.pair_failures, hot=True)))
        if self.address_hot and self.address_last_failure is not None:
            limits.append(self.address_last_failure + timedelta(seconds=address_delay(self.address_failures)))
        return max((limit for limit in limits if limit is not None), default=None)

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait before the pair may try (0: it may try now)."""
        moment = self.next_allowed
        return 0 if moment is None or moment <= self.now else math.ceil((moment - self.now).total_seconds())


def pair_delay(failures: int, *, hot: bool = False) -> int:
    """Seconds a pair waits after its ``failures``-th failure in a row (``hot``: the account is past its ceiling)."""
    free, longest = current_app.config["LOGIN_FREE_FAILURES"], current_app.config["LOGIN_MAX_DELAY_SECONDS"]
    if failures <= 0 or (failures < free and not hot):
        return 0
    return longest if hot else min(2 ** min(failures - free, 30), longest)


def address_delay(failures: int) -> int:
    """Seconds between attempts from an address past its ceiling on accounts it does not know."""
    ceiling = current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    if failures < ceiling:
        return 0
    return min(2 ** min(failures - ceiling, 30), current_app.config["LOGIN_ADDRESS_DELAY_SECONDS"])


def window_start(now: datetime) -> datetime:
    """The oldest failure that still counts."""
    return now - timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def failures_since(username: str, address: str, since: datetime) -> tuple[int, int, datetime | None]:
    """Failures since ``since`` of the account and of the address, and the address's latest failure."""
    rows = db.session.execute(
        select(
            func.count().filter(LoginFailure.username == username),
            func.count().filter(LoginFailure.address == address),
            func.max(LoginFailure.created_at).filter(LoginFailure.address == address),
        ).where(
            LoginFailure.created_at >= since,
            or_(LoginFailure.username == username, LoginFailure.address == address),
        )
    ).one()
    return int(rows[0] or 0), int(rows[1] or 0), rows[2]


def throttle_state(username: str, address: str) -> Throttle:
    """Read the throttling facts for an attempt on ``username`` from ``address`` now."""
    key, address, now = normalise_username(username)[:64], address[:64], utcnow()
    since = window_start(now)
    pair = db.session.scalar(
        select(LoginThrottle).where(LoginThrottle.username == key, LoginThrottle.address == address)
    )
    by_account, by_address, address_last = failures_since(key, address, since)
    known_since = now - timedelta(days=current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"])
    in_a_row, known = 0, False
    if pair is not None:
        in_a_row = pair.failures if pair.last_failure_at is not None and pair.last_failure_at >= since else 0
        known = pair.last_success_at is not None and pair.last_success_at >= known_since
    return Throttle(now, pair, in_a_row, by_account, by_address, address_last, known)


def _upsert_pair(username: str, address: str) -> None:
    """Make sure the pair has a row (two processes may race to create it: the second does nothing)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(LoginThrottle)
        .values(username=username, address=address, failures=0)
        .on_conflict_do_nothing(index_elements=["username", "address"])
    )


def record_failure(username: str, address: str, state: Throttle) -> LoginFailure | None:
    """Count a failure for the pair before its password is checked (a success takes it back).

    Counting first, with a compare-and-set on the pair's run of failures, keeps a burst of parallel
    requests from all slipping through one open moment: only the first is tried, the others are
    refused. Returns the failure, or None when another attempt of the pair got there first. Commits.
    """
    key, address, now = normalise_username(username)[:64], address[:64], state.now
    _upsert_pair(key, address)
    failures = state.pair_failures + 1
    hot = state.account_failures + 1 >= current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] and not state.known
    delay = pair_delay(failures, hot=hot)
    claimed = db.session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.username == key,
            LoginThrottle.address == address,
            LoginThrottle.failures == (state.pair.failures if state.pair is not None else 0),
        )
        .values(
            failures=failures, last_failure_at=now, next_allowed_at=now + timedelta(seconds=delay) if delay else None
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    if claimed != 1:
        db.session.rollback()
        return None
    failure = LoginFailure(username=key, address=address, created_at=now)
    db.session.add(failure)
    since = window_start(now)
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < since))
    known_since = now - timedelta(days=current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"])
    db.session.execute(  # forget pairs with nothing left to remember (the table stays small)
        delete(LoginThrottle)
        .where(
            or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at < since),
            or_(LoginThrottle.next_allowed_at.is_(None), LoginThrottle.next_allowed_at < now),
            or_(LoginThrottle.last_success_at.is_(None), LoginThrottle.last_success_at < known_since),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return failure


def record_success(username: str, address: str, failure: LoginFailure) -> None:
    """The pair proved itself: take back the attempt's failure, clear its run, remember the address."""
    key, address = normalise_username(username)[:64], address[:64]
    db.session.execute(delete(LoginFailure).where(LoginFailure.id == failure.id))
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.username == key, LoginThrottle.address == address)
        .values(failures=0, last_failure_at=None, next_allowed_at=None, last_success_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def wait_message(seconds: int) -> str:
    """The refusal shown when a pair must wait."""
    return str(_l("登录失败次数过多，请 %(seconds)d 秒后再试。", seconds=seconds))


# --- the administrators' view ----------------------------------------------------------------


@dataclass(frozen=True)
class FailureTally:
    """Failures within the window of one account or one address, for the throttle page."""

    key: str  # the username or the address
    failures: int
    others: int  # distinct addresses (for an account) or accounts (for an address)
    last_failure: datetime
    over_ceiling: bool
    next_allowed: datetime | None  # an address past its ceiling: when unknown accounts may next try from it


def throttled_pairs() -> Select:
    """Pairs with failures in the window or a wait still running, the latest first (to paginate)."""
    now = utcnow()
    return (
        select(LoginThrottle)
        .where(or_(LoginThrottle.last_failure_at >= window_start(now), LoginThrottle.next_allowed_at > now))
        .order_by(LoginThrottle.last_failure_at.desc(), LoginThrottle.id)
    )


def failure_tallies(by: str, limit: int = 20) -> list[FailureTally]:
    """The accounts (``by="username"``) or addresses (``by="address"``) with the most failures in the window."""
    now = utcnow()
    column, other = (
        (LoginFailure.username, LoginFailure.address)
        if by == "username"
        else (LoginFailure.address, LoginFailure.username)
    )
    ceiling = current_app.config[
        "LOGIN_MAX_FAILURES_PER_ACCOUNT" if by == "username" else "LOGIN_MAX_FAILURES_PER_ADDRESS"
    ]
    rows = db.session.execute(
        select(column, func.count(), func.count(other.distinct()), func.max(LoginFailure.created_at))
        .where(LoginFailure.created_at >= window_start(now))
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(limit)
    ).all()
    tallies = []
    for key, failures, others, last in rows:
        wait = address_delay(failures) if by == "address" else 0
        moment = last + timedelta(seconds=wait) if wait else None
        tallies.append(
            FailureTally(key, failures, others, last, failures >= ceiling, moment if moment and moment > now else None)
        )
    return tallies


def clear_throttles(username: str | None = None, address: str | None = None) -> int:
    """Forget the failures of an account, an address or a pair (an administrator's decision); audited. Commits."""
    key = normalise_username(username or "")[:64] or None
    address = (address or "").strip()[:64] or None
    if key is None and address is None:
        raise ValueError("name an account, an address or both")
    failure_filter, pair_filter = [], []
    if key is not None:
        failure_filter.append(LoginFailure.username == key)
        pair_filter.append(LoginThrottle.username == key)
    if address is not None:
        failure_filter.append(LoginFailure.address == address)
        pair_filter.append(LoginThrottle.address == address)
    removed = db.session.scalar(select(func.count()).select_from(LoginFailure).where(*failure_filter)) or 0
    db.session.execute(delete(LoginFailure).where(*failure_filter))
    db.session.execute(
        update(LoginThrottle)
        .where(*pair_filter)
        .values(failures=0, last_failure_at=None, next_allowed_at=None)
        .execution_options(synchronize_session=False)
    )
    audit.record("login.throttle_cleared", None, {"username": key or "", "address": address or "", "failures": removed})
    db.session.commit()
    return removed


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(username: str, password: str, address: str, *, interactive: bool = False) -> SignIn:
    """Check credentials with throttling; return the user, or an error (and the seconds to wait if refused).

    A person whose password was chosen by someone else (``must_change_password``) is only let in by an
    ``interactive`` caller, the sign-in page, which sends them to change it; API tokens are refused.
    """
    key = normalise_username(username)
    state = throttle_state(key, address)
    if state.retry_after:
        return SignIn(None, wait_message(state.retry_after), state.retry_after)
    failure = record_failure(key, address, state)
    if failure is None:  # a parallel attempt of the same pair is being tried right now
        return SignIn(None, wait_message(1), 1)
    user = db.session.scalar(select(User).where(User.username == key))
    if user is None:  # take as long as a wrong password, so timing does not reveal who has an account
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    if user is None or not user.check_password(password):
        return SignIn(None, str(_l("用户名或密码不正确。")))
    record_success(key, address, failure)
    if not user.active:
        db.session.commit()
        return SignIn(None, str(_l("该账号已停用，请联系管理员。")))
    if user.must_change_password and not interactive:
        db.session.commit()
        return SignIn(None, str(MUST_CHANGE_MESSAGE))
    if user.has_generated_password_hash:  # a generated password's quick hash: store the slow kind now
        user.set_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return SignIn(user, None)
