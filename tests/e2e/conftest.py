"""Browser tests: a live server on the real content and demo accounts, driven by Debian's Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.demo import DEMO_USERS
from app.extensions import db
from tests import factories
from tests.conftest import make_config

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {username: password for username, password, *_ in DEMO_USERS}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    """Skip browser tests locally when Chromium is absent; in CI its absence is an error."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI=true but Chromium is missing at {CHROMIUM}: install the 'chromium' package.")
    marker = pytest.mark.skip(reason=f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "e2e" in item.nodeid:
            item.add_marker(marker)


LIVE_APPS: list = []  # the app behind the live server (see live_app)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """Serve the app (CSRF on, real content, demo accounts) on a free local port; yield its base URL."""
    database = os.environ.get("E2E_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.sqlite'}"
    app = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=database,
            WTF_CSRF_ENABLED=True,
            CONTENT_DIR=str(ROOT),
            UPLOAD_DIR=str(tmp_path_factory.mktemp("e2e-uploads")),
        )
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        factories.load_content(ROOT)
        from app.demo import ensure_demo

        ensure_demo()
        db.session.remove()
    LIVE_APPS.append(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.drop_all()


@pytest.fixture
def live_app(live_server):
    """The app the live server runs, for a test that must move time on in its database (a cooldown)."""
    return LIVE_APPS[-1]


@pytest.fixture(scope="session")
def _browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser, live_server):
    """A fresh browser page (own cookies) with a base URL set."""
    context = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def demo_login():
    """Log a page in as a demo account: demo_login(page, 'trainee1')."""

    def login(page, username: str) -> None:
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORDS[username])
        page.click("#submit")
        page.wait_for_url(lambda url: "/login" not in url)

    return login
