"""A trainee opens a course, reads a module, marks it complete and sees the progress bar move."""

from playwright.sync_api import expect


def progress_of(page, course_slug: str) -> int:
    """The dashboard progress value for one course."""
    page.goto("/dashboard")
    return int(page.locator(f'[data-course="{course_slug}"] progress').get_attribute("value"))


def test_trainee_reads_a_module_and_progress_moves(browser_page, demo_login):
    page = browser_page
    demo_login(page, "trainee1")
    expect(page.locator("h1")).to_contain_text("你好")
    before = progress_of(page, "service-basics")
    page.locator('[data-course="service-basics"] a').click()
    expect(page.locator("h1")).to_contain_text("客户服务基础")
    page.locator(".module-list a").first.click()
    expect(page.locator(".objectives")).to_be_visible()
    expect(page.locator(".content")).not_to_be_empty()
    page.click("#mark-complete")
    expect(page.locator(".alert-success")).to_contain_text("已完成")
    after = progress_of(page, "service-basics")
    assert after > before
    # Progress survives logging out and in again.
    page.locator("nav .dropdown-toggle", has_text="张小红").click()
    page.get_by_role("button", name="退出登录").click()
    demo_login(page, "trainee1")
    assert progress_of(page, "service-basics") == after


def test_language_switch_to_english_and_back(browser_page, demo_login):
    page = browser_page
    demo_login(page, "trainee2")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_contain_text("Hello")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("h1")).to_contain_text("你好")
