"""HR waives a trainee's checklist item from the transcript, then revokes it (the browser asks first).

Uses the demo trainee5, whose other browser test (accessibility) only reads pages; the waiver is gone again at the end."""

from __future__ import annotations

from playwright.sync_api import expect


def test_hr_waives_then_revokes_after_confirming(browser_page, demo_login):
    page = browser_page
    demo_login(page, "hr")
    page.goto("/reports")
    page.fill("#q", "孙悦")
    page.get_by_role("button", name="筛选").click()
    page.locator("#report-table a", has_text="孙悦").first.click()
    expect(page.locator("h1")).to_contain_text("孙悦")

    course = page.locator("section.card").first
    item = course.locator(".cl-list li", has=page.locator("details.cl-waive")).first
    item.locator("summary", has_text="豁免此项").click()
    item.locator("textarea[name=reason]").fill("已参加线下同等培训")
    item.get_by_role("button", name="确认豁免").click()
    expect(page.locator(".alert-success")).to_be_visible()
    revoke = page.locator("form.cl-revoke").first
    expect(revoke).to_be_visible()
    expect(page.locator("body")).to_contain_text("已参加线下同等培训")

    # Cancelling the browser's question keeps the waiver.
    page.once("dialog", lambda dialog: dialog.dismiss())
    revoke.get_by_role("button", name="撤销豁免").click()
    expect(page.locator("form.cl-revoke")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("已撤销豁免")

    # Confirming revokes it; the item is open again and can be waived anew.
    messages: list[str] = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    revoke.locator("input[name=reason]").fill("线下培训记录有误")
    revoke.get_by_role("button", name="撤销豁免").click()
    expect(page.locator(".alert-success")).to_contain_text("已撤销豁免")
    expect(page.locator("form.cl-revoke")).to_have_count(0)
    assert messages and "撤销这项豁免" in messages[0]
