"""Sign-in throttling slows guessing without handing anyone a lever to lock accounts out.

Failures count per (account, address) pair with growing waits; the per-account and per-address
ceilings slow attacks spread over pairs, never block a correct password from an address without
failures. Time passes by moving the stored times into the past (``rewind``): no test sleeps.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts import auth
from app.accounts.models import LoginFailure, LoginThrottle
from app.api.models import ApiToken
from app.core.audit import AuditEvent
from app.extensions import db
from tests import factories
from tests.conftest import PASSWORD, make_config

API = "/api/v1"
ATTACKER, OWNER = "203.0.113.66", "198.51.100.20"


def rewind(seconds: float) -> None:
    """Move every stored sign-in time ``seconds`` into the past, as if that much time had gone by."""
    delta = timedelta(seconds=seconds)
    for failure in db.session.scalars(select(LoginFailure)):
        failure.created_at -= delta
    for pair in db.session.scalars(select(LoginThrottle)):
        for column in ("last_failure_at", "next_allowed_at", "last_success_at"):
            if getattr(pair, column) is not None:
                setattr(pair, column, getattr(pair, column) - delta)
    db.session.commit()


def login(client, username, password=PASSWORD, address=ATTACKER):
    """Post the login form from an address."""
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def token(client, username, password=PASSWORD, address=ATTACKER):
    """Ask the API for a token from an address."""
    return client.post(
        f"{API}/auth/token", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def pair(username: str, address: str) -> LoginThrottle | None:
    """The stored state of a pair, fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(
        select(LoginThrottle).where(LoginThrottle.username == username, LoginThrottle.address == address)
    )


def waited(response) -> int:
    """The seconds a refused page or API answer asks for (and checks they agree with Retry-After)."""
    assert response.status_code == 429
    body = " ".join(response.get_json()["errors"]) if response.is_json else response.get_data(as_text=True)
    seconds = int(re.search(r"请 (\d+) 秒后再试", body).group(1))
    assert response.headers["Retry-After"] == str(seconds)
    return seconds


def fail_until(client, username: str, address: str, failures: int, send=login) -> list[int]:
    """Fail from ``address`` until the pair has ``failures`` in a row, waiting whenever refused; return the waits."""
    waits = []
    done = 0
    while done < failures:
        response = send(client, username, "wrong-guess-1", address)
        if response.status_code == 429:
            waits.append(waited(response))
            rewind(waits[-1])
            continue
        assert response.status_code in (200, 401)
        done += 1
    return waits


def test_an_attacker_failing_100_times_does_not_keep_admin_out(app, client, make_user):
    make_user("admin", roles=["admin"])
    free, longest = app.config["LOGIN_FREE_FAILURES"], app.config["LOGIN_MAX_DELAY_SECONDS"]
    stored = []
    for number in range(1, 101):
        response = login(client, "admin", "wrong-guess-1")
        if response.status_code == 429:  # the pair is waiting: a refused attempt is not tried, nor counted
            before = pair("admin", ATTACKER).failures
            assert login(client, "admin", PASSWORD).status_code == 429  # not even the right password gets through
            seconds = waited(response)
            assert pair("admin", ATTACKER).failures == before
            rewind(seconds)
            response = login(client, "admin", "wrong-guess-1")
        assert response.status_code == 200 and "用户名或密码不正确" in response.get_data(as_text=True)
        row = pair("admin", ATTACKER)
        assert row.failures == number
        stored.append(
            None if row.next_allowed_at is None else (row.next_allowed_at - row.last_failure_at).total_seconds()
        )
    # No wait for the first failures, then 1 s, 2 s, 4 s … up to the longest, which then holds.
    expected = [None] * (free - 1) + [min(2 ** (n - free), longest) for n in range(free, 101)]
    assert stored == expected
    assert stored[-1] == longest == 900
    refused = login(client, "admin", "wrong-guess-1")
    assert longest - 5 <= waited(refused) <= longest
    # Meanwhile the real admin, elsewhere, signs in at once.
    assert login(client, "admin", address=OWNER).status_code == 302


def test_a_success_clears_the_pair_and_makes_the_address_known(app, client, make_user):
    make_user("gail")
    fail_until(client, "gail", ATTACKER, app.config["LOGIN_FREE_FAILURES"])
    assert login(client, "gail").status_code == 429
    rewind(1)
    assert login(client, "gail").status_code == 302
    row = pair("gail", ATTACKER)
    assert (row.failures, row.next_allowed_at, row.last_failure_at) == (0, None, None)
    assert row.last_success_at is not None
    # The successful attempt's own failure was taken back; the earlier typos still count for the ceilings.
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == app.config["LOGIN_FREE_FAILURES"]


def test_a_quiet_hour_starts_the_pair_afresh(app, client, make_user):
    make_user("hank")
    fail_until(client, "hank", ATTACKER, app.config["LOGIN_FREE_FAILURES"] + 3)
    rewind(app.config["LOGIN_FAILURE_WINDOW_MINUTES"] * 60 + 1)
    login(client, "hank", "wrong-guess-1")
    row = pair("hank", ATTACKER)
    assert row.failures == 1 and row.next_allowed_at is None
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1  # the old failures are gone


def test_a_busy_nat_address_slows_but_never_blocks_a_colleague(app, client, make_user):
    """30+ failures from one shop's address on many accounts: a colleague with the right password still gets in."""
    nat = "192.0.2.44"
    regular, newcomer = make_user("regular"), make_user("newcomer")
    assert login(client, "regular", address=nat).status_code == 302  # signs in here every day
    client.post("/logout")
    ceiling = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    spaced = []
    for number in range(ceiling + 10):  # a password sprayer (or many typos) on different accounts
        spaced += fail_until(client, f"ghost{number}", nat, 1)
    assert spaced and max(spaced) <= app.config["LOGIN_ADDRESS_DELAY_SECONDS"]  # spaced out once past the ceiling
    assert db.session.scalar(select(func.count()).where(LoginFailure.address == nat)) == ceiling + 10
    # An account known at this address is not slowed at all.
    assert login(client, regular.username, address=nat).status_code == 302
    client.post("/logout")
    # One never used here waits a few seconds at most, then gets in.
    seconds = waited(login(client, newcomer.username, address=nat))
    assert 0 < seconds <= app.config["LOGIN_ADDRESS_DELAY_SECONDS"]
    rewind(seconds)
    assert login(client, newcomer.username, address=nat).status_code == 302
    client.post("/logout")
    # And nobody elsewhere notices.
    assert login(client, factories.make_user("faraway").username, address=OWNER).status_code == 302


def test_a_spread_attack_on_one_account_slows_each_failing_address(app, client, make_user):
    """Past the account's ceiling an unknown address that fails waits the longest delay; clean and known ones do not."""
    victim = make_user("boss", roles=["admin"])
    office = "198.51.100.7"
    assert login(client, "boss", address=office).status_code == 302
    client.post("/logout")
    ceiling = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for number in range(ceiling):
        login(client, "boss", "wrong-guess-1", address=f"198.18.0.{number}")
    early, last = pair("boss", "198.18.0.0"), pair("boss", f"198.18.0.{ceiling - 1}")
    assert early.next_allowed_at is None  # one failure, below the ceiling when it happened …
    assert (
        waited(login(client, "boss", address="198.18.0.0")) > app.config["LOGIN_MAX_DELAY_SECONDS"] - 60
    )  # … waits now
    assert (last.next_allowed_at - last.last_failure_at).total_seconds() == app.config["LOGIN_MAX_DELAY_SECONDS"]
    # The office, known for this account, makes a typo and goes on as usual.
    login(client, "boss", "wrong-guess-1", address=office)
    assert login(client, "boss", address=office).status_code == 302
    client.post("/logout")
    # An address without failures gets in at once with the right password.
    assert login(client, victim.username, address=OWNER).status_code == 302


def test_the_api_token_endpoint_follows_the_same_throttle(app, client, make_user):
    make_user("apiuser")
    free = app.config["LOGIN_FREE_FAILURES"]
    statuses = [token(client, "apiuser", "wrong-guess-1").status_code for _ in range(free - 1)]
    statuses.append(login(client, "apiuser", "wrong-guess-1").status_code)  # the sign-in page counts on the same pair
    assert statuses == [401] * (free - 1) + [200]
    refused = token(client, "apiuser")  # the right password, during the wait
    assert waited(refused) == 1
    assert "登录失败次数过多" in refused.get_json()["errors"][0]
    assert pair("apiuser", ATTACKER).next_allowed_at is not None
    assert token(client, "apiuser", address=OWNER).status_code == 200  # another address is not kept out
    rewind(1)
    token(client, "apiuser", "wrong-guess-1")
    assert waited(token(client, "apiuser")) == 2  # the wait grows
    rewind(2)
    assert token(client, "apiuser").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 2


def test_parallel_attempts_of_one_pair_cannot_share_one_open_moment(app, make_user):
    """Two requests that read the same state: the first is counted and tried, the second refused untried."""
    make_user("ivy")
    first, second = auth.throttle_state("ivy", ATTACKER), auth.throttle_state("ivy", ATTACKER)
    assert auth.record_failure("ivy", ATTACKER, first) is not None
    assert auth.record_failure("ivy", ATTACKER, second) is None
    assert pair("ivy", ATTACKER).failures == 1


# --- the administrators' page ------------------------------------------------------------------


@pytest.fixture
def throttled(app, client, make_user):
    """Account ``jo`` waiting at the attacker's address, and failures from another address."""
    make_user("jo")
    fail_until(client, "jo", ATTACKER, app.config["LOGIN_FREE_FAILURES"] + 2)
    login(client, "nobody-at-all", "wrong-guess-1", address="192.0.2.99")
    return pair("jo", ATTACKER)


def test_admin_sees_the_throttles(client, login_as, throttled):
    login_as("admin")
    page = client.get("/admin/throttles")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "jo" in html and ATTACKER in html and "192.0.2.99" in html and "nobody-at-all" in html
    assert throttled.next_allowed_at.strftime("%Y-%m-%d %H:%M:%S") in html
    assert f"<td>{throttled.failures}</td>" in html
    assert 'href="/admin/throttles"' in client.get("/admin/users").get_data(as_text=True)  # in the admin menu


def test_admin_clears_a_pair_and_it_is_audited(client, login_as, throttled):
    admin = login_as("admin")
    response = client.post("/admin/throttles/clear", data={"username": "JO", "address": ATTACKER})
    assert response.status_code == 302
    row = pair("jo", ATTACKER)
    assert (row.failures, row.next_allowed_at) == (0, None)
    assert db.session.scalar(select(func.count()).where(LoginFailure.username == "jo")) == 0
    assert db.session.scalar(select(func.count()).where(LoginFailure.address == "192.0.2.99")) == 1  # others stay
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login.throttle_cleared"))
    assert event.actor_id == admin.id
    assert event.details == {"username": "jo", "address": ATTACKER, "failures": 7}
    client.post("/logout")
    assert login(client, "jo").status_code == 302  # no wait any more


def test_admin_clears_an_address(client, login_as, throttled):
    login_as("admin")
    client.post("/admin/throttles/clear", data={"address": "192.0.2.99"})
    assert db.session.scalar(select(func.count()).where(LoginFailure.address == "192.0.2.99")) == 0
    assert pair("jo", ATTACKER).next_allowed_at is not None  # only that address


def test_clearing_nothing_is_refused(client, login_as, throttled):
    login_as("admin")
    client.post("/admin/throttles/clear", data={})
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "login.throttle_cleared")) == 0


@pytest.mark.parametrize("role", ["hr", "trainee", "instructor"])
def test_only_admins_see_or_clear_throttles(client, login_as, throttled, role):
    login_as(role)
    assert client.get("/admin/throttles").status_code == 403
    assert client.post("/admin/throttles/clear", data={"username": "jo", "address": ATTACKER}).status_code == 403
    assert pair("jo", ATTACKER).next_allowed_at is not None
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "login.throttle_cleared")) == 0


def test_clearing_needs_the_csrf_token():
    app = create_app(make_config(WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        response = app.test_client().post("/admin/throttles/clear", data={"username": "jo"})
        assert response.status_code == 400
        db.session.remove()
