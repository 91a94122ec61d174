"""axe-core finds no serious or critical accessibility problem on the main pages of each role.

axe is vendored under tests/e2e/vendor (test-only). It is injected as an inline script, which the app's
Content-Security-Policy rightly forbids, so these pages are opened in a context that bypasses CSP.
The demo trainee5 is used by no other browser test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TRAINEE = "trainee5"
TRAINEE_NAME = "孙悦"


@pytest.fixture
def page(_browser, live_server):
    """A fresh page whose context lets axe's injected script run despite the CSP."""
    context = _browser.new_context(
        base_url=live_server,
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        bypass_csp=True,
        reduced_motion="reduce",  # no colour transitions half-way through when axe measures contrast
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def problems(page, name: str) -> list[str]:
    """Serious and critical axe violations on the current page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{name} ({page.url}): [{v['impact']}] {v['id']} — {v['help']} — "
        + "; ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_sign_in_page(page):
    page.goto("/login")
    assert problems(page, "login") == []


def test_trainee_pages(page, demo_login):
    demo_login(page, TRAINEE)
    found = problems(page, "dashboard")
    page.goto("/courses/service-behaviour")
    expect(page.locator("h1")).to_be_visible()
    found += problems(page, "course")
    page.locator(".module-list a").first.click()
    expect(page.locator("#mark-complete")).to_be_visible()
    found += problems(page, "module")

    page.goto("/quizzes/first-impression")
    found += problems(page, "quiz")
    page.click("#start-quiz")
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    found += problems(page, "quiz questions")
    for number in range(1, 13):
        with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST"):
            page.check(f"#answer-q{number}-A")
    page.click("#submit-quiz")
    expect(page.locator("#result-score")).to_be_visible()
    found += problems(page, "quiz result")

    page.goto("/roleplays")
    found += problems(page, "role-play library")
    page.goto("/roleplays/five-empathy-replies")
    expect(page.locator("#response")).to_be_visible()
    found += problems(page, "role-play card")
    assert found == [], "\n".join(found)


def test_grading_page(page, demo_login):
    demo_login(page, TRAINEE)
    page.goto("/roleplays/late-delivery-apology")
    page.fill(
        "#response",
        "客户：货到现在还没送来！\n我：王总，真的非常抱歉，是我们没有按约定交付。今天下午5点前我给您确定的送货时间。",
    )
    page.click("#submit")
    expect(page.locator(".alert-success")).to_be_visible()
    found = problems(page, "submitted card")
    page.goto("/submissions")
    found += problems(page, "my submissions")

    page.context.clear_cookies()
    demo_login(page, "instructor")
    page.goto("/grading")
    found += problems(page, "grading queue")
    row = page.locator("tr", has_text=TRAINEE_NAME).filter(has_text="延迟交付的道歉")
    row.get_by_role("link", name="批改").click()
    expect(page.locator(".rpl-grade-form")).to_be_visible()
    found += problems(page, "grading")
    page.locator(".rpl-criterion-grade").first.locator("label.rpl-level").first.click()  # a half-filled form
    found += problems(page, "grading in progress")
    for path in ("/grading/live/session", "/grading/calibration", "/grading/agreement"):
        page.goto(path)
        found += problems(page, path)
    assert found == [], "\n".join(found)


def test_hr_dashboard(page, demo_login):
    demo_login(page, "hr")
    page.goto("/reports")
    expect(page.locator("h1")).to_contain_text("培训完成情况")
    found = problems(page, "HR dashboard")
    page.locator("#report-table a").first.click()
    found += problems(page, "trainee transcript")
    page.goto("/hr/assignments")
    found += problems(page, "assignments")
    page.goto("/hr/import")
    found += problems(page, "staff import")
    for path in ("/hr/people", "/hr/certificates", "/hr/rules", "/jobs", "/grading/agreement"):
        page.goto(path)
        found += problems(page, path)
    assert found == [], "\n".join(found)


def test_admin_pages(page, demo_login):
    demo_login(page, "admin")
    found = []
    for path in ("/admin/users", "/admin/users/new", "/admin/cohorts", "/admin/departments", "/admin/audit"):
        page.goto(path)
        found += problems(page, path)
    assert found == [], "\n".join(found)
