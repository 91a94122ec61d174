"""The import's one-time credential sheet: XLSX, encrypted at rest, downloaded once by who imported, audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts import credentials, importer
from app.accounts.models import CredentialSheet, User
from app.core.audit import AuditEvent
from app.extensions import db

STAFF = "工号,姓名,部门\nP1,潘一,客服部\nP2,=cmd|' /C calc'!A0,客服部\n".encode()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def imported(app, client, login_as, make_user):
    """HR imports two people and is signed in; returns (hr, result, sheet)."""
    hr = login_as(make_user("hr1", roles=["hr"]))
    result = importer.apply(STAFF, actor=hr)
    sheet = importer.store_credentials(result, owner=hr)
    return hr, result, sheet


def download(client, sheet_id: str):
    """Press the download button of the result page."""
    return client.post(f"/hr/import/credentials/{sheet_id}")


def test_the_sheet_downloads_once_as_xlsx_then_is_refused(client, imported):
    hr, result, sheet = imported
    stored = db.session.get(CredentialSheet, sheet.id)
    assert all(a.password.encode() not in stored.payload for a in result.created)  # encrypted at rest
    response = download(client, sheet.id)
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"] and response.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(response.data))
    sheet_rows = book.active
    rows = list(sheet_rows.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "用户名", "工号", "初始密码")
    assert all(cell.font.bold for cell in sheet_rows[1]) and sheet_rows.freeze_panes == "A2"
    by_no = {row[2]: row for row in rows[1:]}
    for account in result.created:
        assert by_no[account.employee_no] == (account.name, account.username, account.employee_no, account.password)
        user = db.session.scalar(select(User).where(User.username == account.username))
        assert user.check_password(account.password) and user.must_change_password
    assert sheet_rows["A3"].data_type == "s"  # the formula-looking name stays text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.credentials_downloaded"))
    assert event.actor_id == hr.id and event.details == {"sheet": sheet.id, "people": 2}
    db.session.expire_all()
    assert db.session.get(CredentialSheet, sheet.id).payload is None

    again = download(client, sheet.id)
    assert again.status_code == 410 and again.mimetype == "text/html"
    text = again.get_data(as_text=True)
    assert "已经下载过一次" in text and result.created[0].password not in text
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "staff.credentials_downloaded")) == 1


def test_only_who_ran_the_import_may_download(client, login_as, make_user, imported):
    _hr, _result, sheet = imported
    login_as(make_user("hr2", roles=["hr"]))
    refused = download(client, sheet.id)
    assert refused.status_code == 403 and "只有执行这次导入的人" in refused.get_data(as_text=True)
    login_as(make_user("boss", roles=["admin"]))
    assert download(client, sheet.id).status_code == 403  # not HR: the HR pages are closed
    login_as("trainee")
    assert download(client, sheet.id).status_code == 403
    db.session.expire_all()
    assert db.session.get(CredentialSheet, sheet.id).payload is not None  # still there for its owner


def test_unknown_hostile_and_expired_sheets(app, client, imported):
    _hr, _result, sheet = imported
    for bad in ("nope", "x" * 300, "%3Cscript%3E", "0" * 32):
        response = download(client, bad)
        assert response.status_code == 404, bad
        assert "找不到这份密码表" in response.get_data(as_text=True)
    stored = db.session.get(CredentialSheet, sheet.id)
    stored.expires_at -= timedelta(hours=app.config["CREDENTIAL_SHEET_HOURS"] + 1)
    db.session.commit()
    assert download(client, sheet.id).status_code == 410
    hr = db.session.scalar(select(User).where(User.username == "hr1"))
    credentials.store([credentials.Credential("甲", "a", "A", "pw")], owner=hr)  # storing drops expired sheets
    assert db.session.get(CredentialSheet, sheet.id) is None


def test_the_download_needs_a_post_with_a_csrf_token(app, client, imported):
    _hr, _result, sheet = imported
    assert client.get(f"/hr/import/credentials/{sheet.id}").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert download(client, sheet.id).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert download(client, sheet.id).status_code == 200


def test_an_import_without_new_people_has_no_sheet(app, make_user):
    hr = make_user("hr1", roles=["hr"])
    importer.apply(STAFF, actor=hr)
    again = importer.apply(STAFF, actor=hr)
    assert again.created == [] and importer.store_credentials(again, owner=hr) is None
