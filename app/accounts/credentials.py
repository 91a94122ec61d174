"""One-time credential sheets: the import's initial passwords or invitation links, downloaded once.

Nothing secret is shown on a page. An import that creates accounts stores one XLSX (columns 姓名,
用户名, 工号 and 初始密码 or 邀请链接; bold, frozen header) in a ``credential_sheets`` row, encrypted
(Fernet, with a key derived from SECRET_KEY), for ``CREDENTIAL_SHEET_HOURS`` (default 24). Only the
person who ran the import may download it, once: the download empties the row and is recorded in the
audit log; a second try, someone else's try or a late one gets a clear refusal. Expired rows are
removed whenever a sheet is stored.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import delete, update

from app.accounts import services
from app.accounts.models import CredentialSheet, User
from app.core.domain import DomainError, NotAllowed
from app.core.time import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

DEFAULT_HOURS = 24
HEADERS_PASSWORD = ("姓名", "用户名", "工号", "初始密码")
HEADERS_INVITATION = ("姓名", "用户名", "工号", "邀请链接")


@dataclass(frozen=True)
class Credential:
    """One person's line of the sheet: who, and their password or invitation link (or a note)."""

    name: str
    username: str
    employee_no: str
    secret: str


class SheetState(StrEnum):
    """Why a sheet cannot be downloaded."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    DOWNLOADED = "downloaded"


class SheetGone(DomainError):
    """The sheet is not there any more (never was, expired, or already downloaded)."""

    def __init__(self, state: SheetState, downloaded_at: datetime | None = None) -> None:
        super().__init__(GONE_MESSAGES[state])
        self.state = state
        self.downloaded_at = downloaded_at


GONE_MESSAGES = {
    SheetState.UNKNOWN: _l("找不到这份密码表。"),
    SheetState.EXPIRED: _l("这份密码表已过期并被删除。请为这些人发送邀请链接，或在用户管理页重新设置密码。"),
    SheetState.DOWNLOADED: _l(
        "这份密码表已经下载过一次，为安全起见不能再次下载。如有遗失，请为这些人发送邀请链接或重新设置密码。"
    ),
}


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"credential-sheets:" + secret).digest()))


def workbook_bytes(entries: list[Credential], *, invitations: bool) -> bytes:
    """The sheet as XLSX: 姓名, 用户名, 工号, 初始密码 (or 邀请链接); a bold, frozen header row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "邀请链接" if invitations else "初始密码"
    sheet.append(list(HEADERS_INVITATION if invitations else HEADERS_PASSWORD))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for entry in entries:
        row = [entry.name, entry.username, entry.employee_no, entry.secret]
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text: a leading '=' or a number-looking 工号 stays as written
    for letter, width in zip("ABCD", (14, 16, 14, 70 if invitations else 18), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def store(entries: list[Credential], *, owner: User, invitations: bool = False, commit: bool = True) -> CredentialSheet:
    """Keep the sheet (encrypted) for its one download by ``owner``; drop expired sheets."""
    now = utcnow()
    # Built before the first write: on SQLite the write lock is held from it to the commit.
    payload = _fernet().encrypt(workbook_bytes(entries, invitations=invitations))
    db.session.execute(delete(CredentialSheet).where(CredentialSheet.expires_at < now))
    hours = int(current_app.config.get("CREDENTIAL_SHEET_HOURS") or DEFAULT_HOURS)
    sheet = CredentialSheet(
        id=secrets.token_hex(16),
        owner_id=owner.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        people=len(entries),
        payload=payload,
    )
    db.session.add(sheet)
    if commit:
        db.session.commit()
    return sheet


def take(sheet_id: str, *, actor: User) -> bytes:
    """Hand the sheet to the person who ran the import, once; empty it and record the download. Commits."""
    sheet = db.session.get(CredentialSheet, sheet_id) if sheet_id.isalnum() and len(sheet_id) <= 32 else None
    if sheet is None:
        raise SheetGone(SheetState.UNKNOWN)
    if sheet.owner_id != actor.id:
        raise NotAllowed(str(_l("只有执行这次导入的人可以下载这份密码表。")))
    if sheet.downloaded_at is not None or sheet.payload is None:
        raise SheetGone(SheetState.DOWNLOADED, sheet.downloaded_at)
    if sheet.expires_at <= utcnow():
        raise SheetGone(SheetState.EXPIRED)
    payload = sheet.payload
    claimed = db.session.execute(
        update(CredentialSheet)
        .where(CredentialSheet.id == sheet.id, CredentialSheet.downloaded_at.is_(None))
        .values(downloaded_at=utcnow(), payload=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    if claimed != 1:  # a second click got there first
        db.session.rollback()
        raise SheetGone(SheetState.DOWNLOADED)
    try:
        data = _fernet().decrypt(payload)
    except InvalidToken as error:  # SECRET_KEY changed since the import: the sheet cannot be read any more
        db.session.rollback()
        raise SheetGone(SheetState.EXPIRED) from error
    services.record_as(actor, "staff.credentials_downloaded", None, {"sheet": sheet.id, "people": sheet.people})
    db.session.commit()
    db.session.expire(sheet)
    log.info("credential sheet downloaded", extra={"actor_id": actor.id, "people": sheet.people})
    return data
