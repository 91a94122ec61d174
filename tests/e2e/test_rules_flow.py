"""HR makes an assignment rule, imports a new hire it matches, and the new hire finds the course on their home page."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db

COURSE = "客户服务基础"
POSITION = "规则新人岗"  # only the imported new hire holds it, so other browser tests see no new courses
DAYS = 12
PASSWORD = "Rule-newhire-2026"


def test_a_rule_assigns_an_imported_new_hire(browser_page, demo_login, live_app, tmp_path):
    page = browser_page
    demo_login(page, "hr")
    page.get_by_role("link", name="人事").click()
    page.get_by_role("link", name="分配规则").click()
    expect(page.locator("h1")).to_contain_text("分配规则")

    # The rule: 门店销售部 + position → the course, due in DAYS days.
    page.select_option("#department_id", label="门店销售部")
    page.fill("#position", POSITION)
    page.select_option("#course_id", label=COURSE)
    page.fill("#due_days", str(DAYS))
    page.get_by_role("button", name="保存规则").click()
    expect(page.locator(".alert-success")).to_contain_text("已创建规则")
    expect(page.locator("#rules-table")).to_contain_text(POSITION)

    # The new hire arrives through the staff import (preview, then confirm).
    staff = tmp_path / "new_hire.csv"
    staff.write_text(f"工号,姓名,部门,岗位\nR2E01,规则新人,门店销售部,{POSITION}\n", encoding="utf-8-sig")
    page.get_by_role("link", name="导入人员").click()
    page.set_input_files("#file", str(staff))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-summary")).to_contain_text("新建 1")
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入").click()
    page.wait_for_load_state()

    # How the one-time password reaches the new hire is the import's business (tested elsewhere): give them one.
    with live_app.app_context():
        hire = db.session.scalar(select(User).where(User.username == "r2e01"))
        assert hire is not None
        hire.set_password(PASSWORD)
        if hasattr(hire, "must_change_password"):
            hire.must_change_password = False
        db.session.commit()
        db.session.remove()

    # HR sees the rule's assignment; the new hire sees the course with its due date.
    page.goto("/hr/rules")
    row = page.locator("#rules-table tr", has_text=POSITION)
    expect(row.locator("td").nth(3)).to_have_text("1")
    page.locator("nav .dropdown-toggle").last.click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("#username")).to_be_visible()

    page.fill("#username", "r2e01")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/dashboard")
    due = format_date(date.today() + timedelta(days=DAYS), "medium", locale="zh_CN")
    expect(page.locator("main")).to_contain_text(COURSE)
    expect(page.locator("main")).to_contain_text(f"{due} 截止")
