#!/usr/bin/env python3
"""Take the README's screenshots: the demo server on a throw-away SQLite database, phone and desktop widths.

Builds the demo (``flask demo``), gives it some history (due dates, modules read, a returned and a graded
role-play), starts the development server, signs in with Debian's Chromium (Playwright) as trainee1, the
instructor and HR, and writes optimised PNGs to docs/screenshots/.

Usage: ``.venv/bin/python scripts/screenshots.py`` (PORT picks the server's port, default 5399).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PASSWORDS = {"trainee1": "learn-pass-2024", "instructor": "teach-pass-2024", "hr": "hr-pass-2024"}
MAX_BYTES = 300_000


def seed() -> None:
    """Give the demo some history: due dates (one overdue), modules read, a returned and a graded role-play."""
    sys.path.insert(0, str(ROOT))
    import logging

    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import Cohort, User
    from app.extensions import db
    from app.learning import services as learning
    from app.learning.models import Course
    from app.roleplay import services as roleplay
    from app.roleplay.models import RoleplayCard

    app = create_app()
    logging.disable(logging.INFO)  # the services' logs are not the point here
    with app.test_request_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == "demo"))
        trainee = db.session.scalar(select(User).where(User.username == "trainee1"))
        instructor = db.session.scalar(select(User).where(User.username == "instructor"))
        due = {"service-basics": -3, "service-behaviour": 6, "complaint-handling": 13}
        courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.archived.is_(False)))}
        for slug, course in courses.items():
            learning.assign_course(course, cohort=cohort, due_date=date.today() + timedelta(days=due.get(slug, 30)))
        for slug, read in (("service-basics", 2), ("service-behaviour", 3)):
            for module in courses[slug].active_modules[:read]:
                learning.mark_complete(trainee, module)

        def graded(slug: str, action: str, best: bool, overall: str) -> None:
            card = db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == slug))
            text = "客户：你们的东西又坏了！\n我：非常抱歉，给您添麻烦了，您一定很着急。我先记下情况，今天下午3点前给您回电。"
            submission = roleplay.save_response(trainee, card, text=text, submit=True)
            criteria = submission.rubric_version.definition["criteria"]
            levels = {c["key"]: str(len(c["levels"]) - 1 if best else 0) for c in criteria}
            roleplay.save_grading(
                instructor,
                submission,
                action=action,
                expected_version=submission.version_id,
                levels=levels,
                comments={},
                overall=overall,
            )

        graded("reception-drill", "return", False, "接待步骤缺少“确认需求”，请补上后重新提交。")
        graded("five-empathy-replies", "grade", True, "共情表达具体，回应自然。")
        for username, slug in (("trainee2", "angry-computer-customer"), ("trainee4", "five-step-complaint")):
            other = db.session.scalar(select(User).where(User.username == username))
            card = db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == slug))
            roleplay.save_response(other, card, text="客户：怎么又坏了？\n我：真抱歉，我马上帮您查。", submit=True)


def wait_for(url: str, seconds: float = 30) -> None:
    """Wait until the server answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own http://127.0.0.1 server)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not start at {url}")


def optimise(path: Path) -> None:
    """Reduce a screenshot to a 256-colour palette (text stays sharp) and check its size."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path.name} is {size} bytes (over {MAX_BYTES})")
    print(f"  {path.relative_to(ROOT)}  {size // 1024} KB")


def shoot(base: str) -> None:
    """Sign in and save the screenshots."""
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])

        def session(username: str, viewport: dict, **options):
            context = browser.new_context(base_url=base, viewport=viewport, locale="zh-CN", **options)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto("/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORDS[username])
            page.click("#submit")
            page.wait_for_url(lambda url: "/login" not in url)
            return context, page

        def save(page, name: str, path: str, scroll_to: str | None = None, full: bool = False) -> None:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if scroll_to:
                page.locator(scroll_to).first.evaluate(
                    "e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 70)"
                )
            target = OUT / f"{name}.png"
            page.screenshot(path=str(target), full_page=full)
            optimise(target)

        for kind, viewport, options in (
            ("phone", PHONE, {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}),
            ("desktop", DESKTOP, {}),
        ):
            context, page = session("trainee1", viewport, **options)
            save(page, f"{kind}-home", "/dashboard")
            table = ".content table" if kind == "phone" else None  # a phone: the five-column table as cards
            save(page, f"{kind}-module", "/courses/complaint-handling/five-step-process", scroll_to=table)
            save(page, f"{kind}-roleplay-card", "/roleplays/angry-computer-customer")
            if kind == "phone":
                save(page, "phone-roleplay-answer", "/roleplays/angry-computer-customer", scroll_to="#my-work")
            save(
                page,
                f"{kind}-library",
                "/roleplays",
                scroll_to='[data-card="reception-drill"]' if kind == "phone" else None,
            )
            context.close()
        for username, name, path in (
            ("instructor", "desktop-grading-queue", "/grading"),
            ("hr", "desktop-hr-dashboard", "/reports"),
        ):
            context, page = session(username, DESKTOP)
            save(page, name, path)
            context.close()
        browser.close()


def main() -> None:
    """Build the demo, start the server, take the screenshots, stop the server."""
    port = os.environ.get("PORT", "5399")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "APP_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite",
            "UPLOAD_DIR": f"{tmp}/uploads",
            "PORT": port,
            "HOST": "127.0.0.1",
        }
        demo = subprocess.run([*FLASK, "demo"], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603  (fixed argv)
        if demo.returncode:
            raise SystemExit(demo.stdout + demo.stderr)
        os.environ.update(env)
        seed()
        server = subprocess.Popen(  # noqa: S603  (fixed argv; PORT is an argument, not a shell string)
            [*FLASK, "run", "--host", "127.0.0.1", "--port", port],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/healthz")
            shoot(base)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
