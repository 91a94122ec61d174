"""Invitation links: single use, expiring, replaced by a new one, only for people the sender could grant; e-mail."""

from __future__ import annotations

import io
import re
import smtplib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts import credentials, importer, invitations
from app.accounts.models import Invitation, User, UserSession
from app.core.audit import AuditEvent
from app.extensions import db

CHOSEN = "chosen-by-me-2024x"


def path_of(url: str) -> str:
    """The path of a link (outside a request, links are PUBLIC_URL plus the path)."""
    return urlsplit(url).path


def link_on(page: str) -> str:
    """The invitation path shown once on the sender's page."""
    match = re.search(r'id="invite-link" readonly value="https?://[^/"]+(/invite/[^"]+)"', page)
    assert match, page[-3000:]
    return match.group(1)


@pytest.fixture
def newcomer(app, make_user):
    """A trainee who has never chosen a password."""
    user = make_user("newbie", roles=["trainee"], name="牛新", must_change_password=True)
    return user


def invite(client, user_id: int, *, as_hr: bool = False):
    """Post the invite button of the admin (or HR) list."""
    return client.post(f"/hr/people/{user_id}/invite" if as_hr else f"/admin/users/{user_id}/invite")


def test_happy_path_choose_a_password_and_be_signed_in(app, client, login_as, make_user, newcomer, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    boss = login_as(make_user("boss", roles=["admin"]))
    page = invite(client, newcomer.id)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "只显示这一次" in text
    path = link_on(text)
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalar(select(Invitation).where(Invitation.user_id == newcomer.id))
    assert stored.token_hash == invitations.token_hash(token) and token not in stored.token_hash
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.invited"))
    assert event.actor_id == boss.id and event.target_id == newcomer.id
    client.post("/logout")

    form = client.get(path)
    assert form.status_code == 200 and "牛新" in form.get_data(as_text=True)
    weak = client.post(path, data={"password": "password1", "confirm": "password1"})
    assert weak.status_code == 422 and "太常见" in weak.get_data(as_text=True)
    mismatch = client.post(path, data={"password": CHOSEN, "confirm": CHOSEN + "x"})
    assert mismatch.status_code == 422
    done = client.post(path, data={"password": CHOSEN, "confirm": CHOSEN})
    assert done.status_code == 302
    assert client.get("/dashboard").status_code == 200  # signed in, not sent to change the password again
    db.session.expire_all()
    user = db.session.get(User, newcomer.id)
    assert user.check_password(CHOSEN) and not user.must_change_password
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "user.invitation_accepted")) == 1

    client.post("/logout")
    again = client.get(path)
    assert again.status_code == 410 and "已经使用过" in again.get_data(as_text=True)
    replay = client.post(path, data={"password": "another-one-55x", "confirm": "another-one-55x"})
    assert replay.status_code == 410
    db.session.expire_all()
    assert db.session.get(User, newcomer.id).check_password(CHOSEN)


def test_expired_unknown_and_overlong_links(app, client, make_user, newcomer):
    path = path_of(invitations.issue(newcomer, actor=None).url)
    stored = db.session.scalar(select(Invitation).where(Invitation.user_id == newcomer.id))
    stored.expires_at -= timedelta(hours=app.config["INVITATION_HOURS"] + 1)
    db.session.commit()
    expired = client.get(path)
    assert expired.status_code == 410 and "已过期" in expired.get_data(as_text=True)
    assert client.post(path, data={"password": CHOSEN, "confirm": CHOSEN}).status_code == 410
    for bad in ("/invite/nope", "/invite/" + "x" * 5000, "/invite/%3Cscript%3E", "/invite/" + "é" * 40):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert "无效" in response.get_data(as_text=True) and "<script>" not in response.get_data(as_text=True)
        assert client.post(bad, data={"password": CHOSEN, "confirm": CHOSEN}).status_code == 404
    assert client.get("/invite/%00x").status_code == 404  # a NUL never reaches the database


def test_the_default_lifetime_is_configurable(app, make_user, newcomer, monkeypatch):
    assert app.config["INVITATION_HOURS"] == 72
    monkeypatch.setitem(app.config, "INVITATION_HOURS", 5)
    issued = invitations.issue(newcomer, actor=None)
    stored = db.session.scalar(select(Invitation).where(Invitation.user_id == newcomer.id))
    assert timedelta(hours=4, minutes=59) < stored.expires_at - stored.created_at <= timedelta(hours=5)
    assert issued.expires_at == stored.expires_at


def test_re_inviting_replaces_the_older_link(app, client, newcomer):
    first = path_of(invitations.issue(newcomer, actor=None).url)
    second = path_of(invitations.issue(newcomer, actor=None).url)
    old = client.get(first)
    assert old.status_code == 410 and "取代" in old.get_data(as_text=True)
    assert client.post(first, data={"password": CHOSEN, "confirm": CHOSEN}).status_code == 410
    assert client.post(second, data={"password": CHOSEN, "confirm": CHOSEN}).status_code == 302


def test_only_people_whose_roles_the_sender_could_grant(app, client, login_as, make_user, newcomer):
    other_admin = make_user("admin2", roles=["admin"])
    colleague = make_user("hr2", roles=["hr"])
    hr = login_as(make_user("hr1", roles=["hr"]))
    assert invite(client, newcomer.id, as_hr=True).status_code == 200  # a trainee: HR could grant that
    for person in (other_admin, colleague, hr):
        response = invite(client, person.id, as_hr=True)
        assert response.status_code == 303, person.username
        shown = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "无权管理" in shown or "不能对自己的账号" in shown
    assert invite(client, newcomer.id).status_code == 403  # the admin page is for admins
    assert invite(client, 999999, as_hr=True).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.user_id != newcomer.id)) == 0
    login_as("trainee")
    assert invite(client, newcomer.id, as_hr=True).status_code == 403
    assert hr.has_role("hr")


def test_a_deactivated_person_cannot_be_invited_nor_use_an_old_link(app, client, login_as, make_user, newcomer):
    path = path_of(invitations.issue(newcomer, actor=None).url)
    newcomer.active = False
    db.session.commit()
    assert client.get(path).status_code == 410
    login_as(make_user("boss", roles=["admin"]))
    assert invite(client, newcomer.id).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1


class FakeSMTP:
    """Collects what would be sent."""

    sent: list[tuple[str, str, str]] = []

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ehlo(self):
        return None

    def has_extn(self, name):
        return False

    def login(self, user, password):
        return None

    def send_message(self, message):
        FakeSMTP.sent.append((message["To"], message["Subject"], message.get_content()))


def test_with_smtp_the_link_is_emailed_and_not_shown(app, client, login_as, make_user, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.test")
    person = make_user("mailme", roles=["trainee"], email="mailme@example.com", name="邮件人")
    login_as(make_user("boss", roles=["admin"]))
    page = invite(client, person.id).get_data(as_text=True)
    assert "mailme@example.com" in page and 'id="invite-link"' not in page
    ((to, subject, body),) = FakeSMTP.sent
    assert to == "mailme@example.com" and "设置你的密码" in subject
    path = re.search(r"https?://[^/\s]+(/invite/\S+)", body).group(1)
    assert client.get(path).status_code == 200


def test_without_smtp_nobody_is_emailed(app, make_user, newcomer, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    person = make_user("nomail", email="nomail@example.com")
    assert invitations.send([invitations.issue(person, actor=None)]) == set()
    assert FakeSMTP.sent == []


def test_the_import_can_invite_instead_of_handing_out_passwords(app, client, make_user, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    hr = make_user("hr1", roles=["hr"])
    result = importer.apply("工号,姓名,部门\nV1,邀请甲,客服部\nV2,邀请乙,客服部\n".encode(), actor=hr, invite=True)
    assert result.invited and all(a.password == "" and "/invite/" in a.invitation_url for a in result.created)
    sheet = importer.store_credentials(result, owner=hr)
    book = load_workbook(io.BytesIO(credentials.take(sheet.id, actor=hr)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "用户名", "工号", "邀请链接")
    assert {row[3] for row in rows[1:]} == {a.invitation_url for a in result.created}
    path = path_of(result.created[0].invitation_url)
    assert client.post(path, data={"password": CHOSEN, "confirm": CHOSEN}).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_someone_elses_link_opened_while_signed_in_changes_only_its_owner(app, client, login_as, make_user, newcomer):
    path = path_of(invitations.issue(newcomer, actor=None).url)
    other = login_as(make_user("other", roles=["trainee"]))
    page = client.get(path).get_data(as_text=True)
    assert "牛新" in page and "newbie" in page  # it says whose account the link sets
    assert client.post(path, data={"password": CHOSEN, "confirm": CHOSEN}).status_code == 302
    assert client.get("/account/password").status_code == 200
    me = client.get("/dashboard")
    assert me.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, other.id).check_password("correct-horse-42")  # the signed-in person is untouched
    assert db.session.get(User, newcomer.id).check_password(CHOSEN)
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == other.id)).all()
    assert all(s.revoked_at is not None for s in sessions)  # their session on this browser ended


def test_an_import_run_as_a_job_e_mails_its_invitations(app, client, login_as, make_user, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.test")
    login_as(make_user("hr1", roles=["hr"]))
    data = "工号,姓名,部门,邮箱\nJ1,邮件甲,客服部,j1@example.com\nJ2,无邮件乙,客服部,\n".encode()
    client.post("/hr/import", data={"file": (io.BytesIO(data), "staff.csv")}, content_type="multipart/form-data")
    response = client.post("/hr/import/confirm", data={"invite": "y"}, follow_redirects=True)
    assert response.status_code == 200
    invited = [to for to, subject, _body in FakeSMTP.sent if "设置你的密码" in subject]
    assert invited == ["j1@example.com"]  # once, only who has an address (HR also gets "import done")
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 2
