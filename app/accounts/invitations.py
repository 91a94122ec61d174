"""Invitation links: a single-use, expiring link with which a person chooses their own password.

The token travels only in the link (``/invite/<token>``); the database keeps its SHA-256
(``Invitation.token_hash``). A new invitation for the same person revokes the older ones; accepting
one sets the password (the password policy applies), clears ``must_change_password``, ends the
person's other sessions and marks the link used, once. Links expire after ``INVITATION_HOURS``
(default 72). Who may invite whom is the rule of :func:`app.accounts.services.manage_problem`: only
people whose every role the inviter could grant. E-mail goes out through the ``invitations_issued``
signal (the notifications room sends it when SMTP is configured); otherwise the link is shown once
to the person who sent it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.accounts import services
from app.accounts.models import Invitation, User
from app.core.domain import DomainError
from app.core.signals import invitations_issued
from app.core.time import utcnow
from app.core.urls import path_for
from app.extensions import db

log = logging.getLogger(__name__)

DEFAULT_HOURS = 72
MAX_TOKEN_LENGTH = 128


class LinkState(StrEnum):
    """What an invitation link is now."""

    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"
    INACTIVE = "inactive"


class InvitationGone(DomainError):
    """The link cannot be used (unknown, expired, used, replaced, or the account is deactivated)."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(GONE_MESSAGES[state])
        self.state = state


GONE_MESSAGES = {
    LinkState.UNKNOWN: _l("这个邀请链接无效。请检查链接是否完整，或联系人事重新发送邀请。"),
    LinkState.EXPIRED: _l("这个邀请链接已过期。请联系人事重新发送邀请。"),
    LinkState.USED: _l("这个邀请链接已经使用过了。如果忘记了密码，请联系人事或管理员。"),
    LinkState.REPLACED: _l("这个邀请链接已被新的邀请取代，请使用最新收到的链接。"),
    LinkState.INACTIVE: _l("该账号已停用，请联系管理员。"),
}


@dataclass(frozen=True)
class Issued:
    """An invitation just made: the link (shown or sent once) and who it is for."""

    user_id: int
    name: str
    username: str
    employee_no: str
    email: str
    url: str
    expires_at: datetime


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a link's token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    """The full link for a token (outside a request: PUBLIC_URL plus the path)."""
    if has_request_context():
        return url_for("accounts.invitation", token=token, _external=True)
    return str(current_app.config.get("PUBLIC_URL") or "").rstrip("/") + path_for("accounts.invitation", token=token)


def issue(user: User, *, actor: User | None, commit: bool = True) -> Issued:
    """Make a new invitation link for ``user`` (older open links stop working); audited.

    ``actor`` must be able to grant every role ``user`` holds (None: the platform).
    """
    problem = services.manage_problem(actor, user)
    if problem:
        raise services.NotManageable(problem)
    if not user.active:
        raise services.AccountError(str(_l("%(name)s 的账号已停用，请先重新启用再发送邀请。", name=user.name)))
    now = utcnow()
    if user.id is not None:
        db.session.execute(
            update(Invitation)
            .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
    token = secrets.token_urlsafe(32)
    hours = int(current_app.config.get("INVITATION_HOURS") or DEFAULT_HOURS)
    invitation = Invitation(
        user=user,
        token_hash=token_hash(token),
        created_by_id=actor.id if actor else None,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(invitation)
    services.record_as(
        actor, "user.invited", user, {"username": user.username, "expires_at": invitation.expires_at.isoformat()}
    )
    issued = Issued(
        user.id,
        user.name,
        user.username,
        user.employee_no or "",
        user.email or "",
        invitation_url(token),
        invitation.expires_at,
    )
    if commit:
        db.session.commit()
    return issued


def send(issued: list[Issued], *, actor: User | None = None) -> set[int]:
    """E-mail the links of people with an address (after the commit); return the ids of those e-mailed.

    The notifications room listens to ``invitations_issued`` and sends when SMTP is configured; with no
    listener or no SMTP, nobody is e-mailed and the caller shows the links once instead.
    """
    payload = [
        {"user_id": i.user_id, "name": i.name, "email": i.email, "url": i.url, "expires_at": i.expires_at}
        for i in issued
        if i.email
    ]
    if not payload:
        return set()
    sent: set[int] = set()
    for _receiver, result in invitations_issued.send(actor, invitations=payload):
        sent.update(result or ())
    return sent


def lookup(token: str) -> tuple[Invitation | None, LinkState]:
    """The invitation of a link's token and what it is now (open, unknown, expired, used, replaced)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None, LinkState.UNKNOWN
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None:
        return None, LinkState.UNKNOWN
    if invitation.used_at is not None:
        return invitation, LinkState.USED
    if invitation.revoked_at is not None:
        return invitation, LinkState.REPLACED
    if invitation.expires_at <= utcnow():
        return invitation, LinkState.EXPIRED
    if not invitation.user.active:
        return invitation, LinkState.INACTIVE
    return invitation, LinkState.OPEN


def accept(token: str, password: str) -> User:
    """Use a link: set the person's own password (policy applies), once; end their other sessions. Commits."""
    invitation, state = lookup(token)
    if invitation is None or state is not LinkState.OPEN:
        raise InvitationGone(state)
    user = invitation.user
    services.check_new_password(user, password)
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    if claimed != 1:  # a second tab or a replay got there first
        db.session.rollback()
        raise InvitationGone(LinkState.USED)
    user.set_password(password)
    user.must_change_password = False
    services.end_all_sessions(user)
    services.record_as(user, "user.invitation_accepted", user, {"username": user.username})
    db.session.commit()
    log.info("invitation accepted", extra={"user_id": user.id})
    return user
