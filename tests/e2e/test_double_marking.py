"""Two instructors mark a live role-play blind, a third settles their disagreement, the agreement report shows it."""

from __future__ import annotations

from playwright.sync_api import expect

from app.extensions import db
from tests import factories

CARD_TITLE = "延迟交付的道歉"


def sign_in(page, username: str, password: str) -> None:
    """Sign a page in (signing out first)."""
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)


def mark(page, level: str) -> None:
    """Choose the first or last level of every criterion and save the grade."""
    for fieldset in page.locator(".rpl-criterion-grade").all():
        getattr(fieldset.locator("label.rpl-level"), level).click()
    page.get_by_role("button", name="完成评分").click()


def test_blind_double_marking_moderation_and_report(browser_page, demo_login, live_app):
    page = browser_page
    with live_app.app_context():
        for username, name in (("marker2", "钱老师"), ("moderator3", "孙老师")):
            factories.make_user(username, ["instructor"], cohort="demo", name=name)
        db.session.remove()

    # The class instructor runs a live session with an observer: the performance is double-marked.
    demo_login(page, "instructor")
    page.goto("/grading/live/session")
    page.select_option("#s-card", value=page.locator("#s-card option", has_text=CARD_TITLE).get_attribute("value"))
    page.select_option("#s-cohort", label="demo")
    page.get_by_role("button", name="开始上课").click()
    page.select_option("#trainee_id", label="孙悦")
    page.fill("#partner", "外部来宾")
    page.check("#observer")
    page.get_by_role("button", name="开始这一组的评分").click()
    expect(page.locator(".rpl-double-mark")).to_have_attribute("data-stage", "first")
    grading_url = page.url.split("?")[0]
    mark(page, "first")
    expect(page.locator(".alert-success")).to_contain_text("你的盲评已保存")

    # The observer grades blind: nothing of the first grade shows.
    sign_in(page, "marker2", factories.PASSWORD)
    page.goto(grading_url)
    expect(page.locator(".rpl-double-mark")).to_have_attribute("data-stage", "second")
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    expect(page.locator(".rpl-marks")).to_have_count(0)
    mark(page, "last")

    # The grades differ too much: a third instructor sees both and decides.
    sign_in(page, "moderator3", factories.PASSWORD)
    page.goto(grading_url)
    expect(page.locator(".rpl-double-mark")).to_have_attribute("data-stage", "moderation")
    expect(page.locator(".rpl-marks")).to_contain_text("王老师")
    expect(page.locator(".rpl-marks")).to_contain_text("钱老师")
    mark(page, "last")
    expect(page.locator(".alert-success")).to_contain_text("已评分：孙悦")

    # The agreement report counts the double-marked item for the pair.
    page.goto("/grading/agreement")
    expect(page.locator(".rpl-agreement-summary")).to_contain_text("双评份数：1")
    expect(page.locator(".rpl-agreement").nth(1)).to_contain_text("王老师 × 钱老师")
